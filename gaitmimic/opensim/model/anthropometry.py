"""Body-segment parameters from de Leva (1996), scaled to a subject's height and mass.

Source: P. de Leva, "Adjustments to Zatsiorsky-Seluyanov's segment inertia parameters",
Journal of Biomechanics 29(9):1223-1230, 1996, Table 4 (males). The table gives, for a reference
subject of stature 1741 mm and mass 73.0 kg: segment lengths (mm, between the named endpoints), segment
masses (% of body mass), the centre of mass position (% of the length from the proximal endpoint) and
radii of gyration (% of the length) about the sagittal (flexion), transverse (ab/adduction) and
longitudinal axes through the centre of mass.

Lengths scale with height (``length * height / 1.741``), masses with body mass; inertias follow from
``mass * (r * length) ** 2``. A few dimensions the table does not give (joint heights and widths) come
from Winter, "Biomechanics and Motor Control of Human Movement" (segment lengths as fractions of
height, after Drillis & Contini 1966) and are marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Stature (m) of de Leva's male reference subject (73.0 kg; masses are given as % of body mass).
DE_LEVA_HEIGHT_M = 1.741


@dataclass(frozen=True)
class SegmentRow:
    """One row of de Leva (1996) Table 4 (males)."""

    proximal: str  # endpoint landmark the length and the centre of mass are measured from
    distal: str
    length_mm: float
    mass_pct: float  # % of body mass
    com_pct: float  # % of the length, from the proximal endpoint
    r_sagittal_pct: float  # radius of gyration about the medio-lateral (flexion) axis, % of length
    r_transverse_pct: float  # about the antero-posterior axis
    r_longitudinal_pct: float  # about the segment's long axis


#: de Leva (1996) Table 4, males. Landmarks: VERT vertex, CERV C7 cervicale, XYPH xiphoid, OMPH omphalion,
#: MIDH mid-point of the hip joint centres, SJC/EJC/WJC shoulder/elbow/wrist joint centres, MET3 3rd
#: metacarpale, HJC/KJC hip/knee joint centres, LMAL lateral malleolus, HEEL heel, TTIP tip of the longest toe.
DE_LEVA_MALE: dict[str, SegmentRow] = {
    "head": SegmentRow("VERT", "CERV", 242.9, 6.94, 59.76, 36.2, 37.6, 31.2),
    "trunk": SegmentRow("CERV", "MIDH", 603.3, 43.46, 44.86, 37.2, 34.7, 19.1),
    "upper_trunk": SegmentRow("CERV", "XYPH", 242.1, 15.96, 29.99, 71.6, 45.4, 65.9),
    "middle_trunk": SegmentRow("XYPH", "OMPH", 215.5, 16.33, 45.02, 48.2, 38.3, 46.8),
    "lower_trunk": SegmentRow("OMPH", "MIDH", 145.7, 11.17, 61.15, 61.5, 55.1, 58.7),
    "upper_arm": SegmentRow("SJC", "EJC", 281.7, 2.71, 57.72, 28.5, 26.9, 15.8),
    "forearm": SegmentRow("EJC", "WJC", 268.9, 1.62, 45.74, 27.6, 26.5, 12.1),
    "hand": SegmentRow("WJC", "MET3", 86.2, 0.61, 79.00, 62.8, 51.3, 40.1),
    "thigh": SegmentRow("HJC", "KJC", 422.2, 14.16, 40.95, 32.9, 32.9, 14.9),
    "shank": SegmentRow("KJC", "LMAL", 434.0, 4.33, 44.59, 25.5, 24.9, 10.3),
    "foot": SegmentRow("HEEL", "TTIP", 258.1, 1.37, 44.15, 25.7, 24.5, 12.4),
}

#: Dimensions not in de Leva's table, as fractions of height (Winter 2009, Fig. 4.1, after Drillis &
#: Contini), or chosen to fit a typical adult male; used only to place joints and markers.
EXTRA_FRACTIONS_OF_HEIGHT: dict[str, float] = {
    "ankle_height": 0.039,  # floor to ankle joint centre (Winter)
    "hip_half_width": 0.047,  # mid-hip to each hip joint centre (gait2392: 0.0835 m at 1.8 m)
    "asis_half_width": 0.070,  # mid-pelvis to each ASIS (inter-ASIS breadth ~0.245 m at 1.75 m)
    "shoulder_half_width": 0.100,  # mid-line to each shoulder joint centre (Winter: biacromial 0.259 H)
    "shoulder_drop": 0.030,  # C7 height minus shoulder joint centre height
    "knee_half_width": 0.030,  # knee joint centre to lateral epicondyle
    "ankle_half_width": 0.020,  # ankle joint centre to lateral malleolus (surface)
    "elbow_half_width": 0.020,
    "wrist_half_width": 0.018,
    "foot_width": 0.055,  # across the metatarsal heads (Winter: 0.055 H)
}


def segment_lengths(height_m: float) -> dict[str, float]:
    """Segment lengths in metres for a subject of ``height_m``: de Leva's table scaled by height.

    Keys are those of :data:`DE_LEVA_MALE` (head, trunk, upper/middle/lower_trunk, upper_arm, forearm,
    hand, thigh, shank, foot).
    """
    if not 0.5 < height_m < 2.6:
        raise ValueError(f"height_m={height_m} is not a human height in metres")
    k = height_m / DE_LEVA_HEIGHT_M
    return {name: row.length_mm / 1000.0 * k for name, row in DE_LEVA_MALE.items()}


def extra_dimensions(height_m: float) -> dict[str, float]:
    """Joint heights and widths (m) not given by de Leva: :data:`EXTRA_FRACTIONS_OF_HEIGHT` times height."""
    return {name: frac * height_m for name, frac in EXTRA_FRACTIONS_OF_HEIGHT.items()}


@dataclass(frozen=True)
class SegmentInertia:
    """Mass properties of one segment: mass (kg), centre of mass distance from the proximal end (m)
    and principal moments of inertia (kg m^2) about the centre of mass along (sagittal, transverse,
    longitudinal) axes."""

    mass_kg: float
    length_m: float
    com_from_proximal_m: float
    i_sagittal: float
    i_transverse: float
    i_longitudinal: float


def segment_inertia(name: str, height_m: float, mass_kg: float) -> SegmentInertia:
    """Mass, centre of mass and moments of inertia of de Leva segment ``name`` for this subject."""
    row = DE_LEVA_MALE[name]
    length = segment_lengths(height_m)[name]
    m = row.mass_pct / 100.0 * mass_kg
    return SegmentInertia(
        mass_kg=m,
        length_m=length,
        com_from_proximal_m=row.com_pct / 100.0 * length,
        i_sagittal=m * (row.r_sagittal_pct / 100.0 * length) ** 2,
        i_transverse=m * (row.r_transverse_pct / 100.0 * length) ** 2,
        i_longitudinal=m * (row.r_longitudinal_pct / 100.0 * length) ** 2,
    )
