"""Writers for the demo subject's raw files: a Vicon-like C3D, and the truth events next to it.

Private to the demo generator: the project reads C3D with :mod:`gaitmimic.io.c3d` but has no other C3D
writer. The truth ``.mot`` files are written with :func:`gaitmimic.io.mot.write_mot_arrays`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitmimic.atomic import atomic_path, write_text

#: Plug-in Gait label order as a Vicon Nexus full-body export lists them.
PIG_EXPORT_ORDER = [
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN",
    "LSHO", "LUPA", "LELB", "LFRM", "LWRA", "LWRB", "LFIN",
    "RSHO", "RUPA", "RELB", "RFRM", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI",
    "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
    "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
]


def _lr(fmt: str, *names: str) -> list[tuple[str, str]]:
    """(file label, model marker) pairs for both sides: ``fmt`` formats the side letter and the name."""
    return [(fmt.format(s=s, n=n), f"{s}{m}") for s in ("L", "R") for n, m in names]


#: The demo walk in other labs' marker sets (test fixtures of the marker stage, the scale stage and IK):
#: ``{export: (static labels, walk labels)}``, each a list of (file label, model marker). ``anatomical``: an
#: ISB-style landmark set of another vendor, dotted names, no wands (issue 19's treadmill lab);
#: ``clusters``: 4-marker rigid plates on thigh and shank with anatomical calibration markers in the static
#: only (a Qualisys-style hybrid set, underscore names); ``cgm2``: Plug-in Gait lower body with CGM2's
#: medial knee and ankle calibration markers (LKNM, LMED) in the static.
_ANATOMICAL = [("ASIS", "ASI"), ("PSIS", "PSI"), ("Iliac.Crest", "ILC"), ("GTR", "GTR"), ("Knee", "KNE"),
               ("Knee.Medial", "MKN"), ("TT", "TT"), ("HF", "FH"), ("Ankle", "ANK"), ("Ankle.Medial", "MMA"),
               ("Heel", "HEE"), ("MT1", "MT1"), ("MT2", "TOE"), ("MT5", "MT5")]
_CLUSTER_WALK = [("SACRUM", "SACR")] + _lr("{s}_{n}", ("ASIS", "ASI"), ("HEEL", "HEE"), ("MT_1", "MT1"), ("MT_5", "MT5")) \
    + [(f"{s}_{seg}_{i}", f"{s}_{seg}_{i}") for s in ("L", "R") for seg in ("THIGH", "SHANK") for i in range(1, 5)]
_CLUSTER_STATIC = _CLUSTER_WALK + _lr("{s}_{n}", ("ILIAC", "ILC"), ("TROCH", "GTR"), ("KNEE_LAT", "KNE"),
                                      ("KNEE_MED", "MKN"), ("ANKLE_LAT", "ANK"), ("ANKLE_MED", "MMA"))
_CGM2_WALK = _lr("{s}{n}", *[(m, m) for m in ("ASI", "PSI", "THI", "KNE", "TIB", "ANK", "HEE", "TOE")])
MARKER_EXPORTS: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "plugin_gait": ([(m, m) for m in PIG_EXPORT_ORDER], [(m, m) for m in PIG_EXPORT_ORDER]),
    "anatomical": (_lr("{s}.{n}", *_ANATOMICAL), _lr("{s}.{n}", *_ANATOMICAL)),
    "clusters": (_CLUSTER_STATIC, _CLUSTER_WALK),
    "cgm2": (_CGM2_WALK + _lr("{s}{n}", ("KNM", "MKN"), ("MED", "MMA")), _CGM2_WALK),
}

#: Cluster plates: (body, the plate centre as a fraction of the segment length down from its proximal joint,
#: lateral offset as a fraction of height); markers at +-4 cm along the segment and +-3 cm forward/back.
CLUSTER_PLATES = {"THIGH": ("femur", 0.55, 0.045), "SHANK": ("tibia", 0.45, 0.040)}


def write_vicon_c3d(path: str | Path, labels: list[str], xyz_mm: np.ndarray, residuals: np.ndarray,
                    rate_hz: float, subject: str) -> Path:
    """Write markers ``xyz_mm`` (T, M, 3; NaN = gap) as a C3D shaped like a Vicon Nexus export.

    Labels get the ``<subject>:`` prefix; POINT:UNITS mm; residuals (T, M) with -1 for gaps; float storage
    with POINT:SCALE -0.1 (residual resolution 0.1 mm). No analog channels, no events. The file holds no
    date or time, so the same inputs give the same bytes.
    """
    import ezc3d

    path = Path(path)
    n_frames, n_markers, _ = xyz_mm.shape
    c3d = ezc3d.c3d()
    prm = c3d["parameters"]
    prm["POINT"]["RATE"]["value"] = [float(rate_hz)]
    prm["POINT"]["LABELS"]["value"] = [f"{subject}:{name}" for name in labels]
    prm["POINT"]["SCALE"]["value"] = [-0.1]
    c3d.add_parameter("POINT", "UNITS", "mm")
    c3d.add_parameter("POINT", "DESCRIPTIONS", [""] * n_markers)
    c3d.add_parameter("SUBJECTS", "NAMES", [subject])
    c3d.add_parameter("SUBJECTS", "LABEL_PREFIXES", [f"{subject}:"])
    c3d.add_parameter("SUBJECTS", "USES_PREFIXES", [1])
    c3d.add_parameter("SUBJECTS", "IS_STATIC", [0])
    c3d.add_parameter("MANUFACTURER", "COMPANY", "gaitmimic")
    c3d.add_parameter("MANUFACTURER", "SOFTWARE", "gaitmimic demo generator (synthetic data)")
    pts = np.ones((4, n_markers, n_frames))
    pts[:3] = np.transpose(xyz_mm, (2, 1, 0))
    c3d["data"]["points"] = pts
    res = np.asarray(residuals, float).T[None, :, :].copy()
    c3d["data"]["meta_points"] = {"residuals": res}
    with atomic_path(path) as tmp:
        c3d.write(str(tmp))
    return path


def write_events_csv(path: str | Path, events: list[tuple[str, str, float, int]]) -> Path:
    """Truth events: columns side,event,time_s,frame (time_s 0.0 = first stored frame), sorted by time."""
    lines = ["side,event,time_s,frame"] + [f"{s},{e},{t:.4f},{f}" for s, e, t, f in events]
    write_text(path, "\n".join(lines) + "\n")
    return Path(path)
