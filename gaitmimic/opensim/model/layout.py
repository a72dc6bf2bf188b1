"""Where the built-in model's joints, markers and foot contact points sit, for a given height.

Pure geometry (no OpenSim): every location is expressed in the frame of the body it belongs to, in
metres, with the body frames aligned to the OpenSim ground frame in the default pose (all coordinates
zero): X forward, Y up, Z to the subject's right. Each body's origin is its proximal joint centre:

| body | origin | distal point |
| --- | --- | --- |
| pelvis | MIDH, mid-point of the hip joint centres; axes of the ISB / Plug-in Gait pelvis (X in the plane of the ASIS and the PSIS mid-point, ASIS-PSIS line level) | lumbar joint at OMPH height |
| torso | lumbar joint (OMPH height; de Leva's MPT/LPT boundary) | C7 level, vertex (head is part of the torso) |
| femur_r/l | hip joint centre | knee joint centre |
| tibia_r/l | knee joint centre | ankle joint centre (lateral malleolus level) |
| talus_r/l | ankle joint centre | subtalar joint |
| calcn_r/l | subtalar joint | metatarso-phalangeal joint |
| toes_r/l | metatarso-phalangeal joint | toe tip |
| humerus_r/l | shoulder joint centre | elbow joint centre |
| forearm_r/l | elbow joint centre | wrist joint centre; the hand is part of this body |

The pelvis is the one body whose frame is not aligned with the upright standing pose: its axes are those
of the ISB and Plug-in Gait pelvis, defined by the ASIS and PSIS markers, so pelvis tilt and hip flexion
read as a gait lab's do. In upright standing the ASIS-PSIS line dips forward by
:data:`PELVIS_STANDING_TILT_DEG` (anterior tilt); :func:`standing_pose_deg` gives the coordinates of that
pose (the model's default pose: pelvis tilted anteriorly, hips and lumbar joint compensating, so that
thighs and trunk are vertical).

Segment lengths are de Leva's (see :mod:`gaitmimic.opensim.model.anthropometry`); the trunk and limbs are
straight vertical lines in the default pose, so the standing vertex height is
``ankle_height + shank + thigh + trunk + head`` (~1.017 x height: de Leva's lengths are distances
between landmarks, not vertical projections).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gaitmimic.opensim.model.anthropometry import extra_dimensions, segment_lengths

Vec = tuple[float, float, float]
SIDES = ("r", "l")


#: Pelvis ASIS and PSIS in upright standing, relative to the mid-hip point, as fractions of height (x forward,
#: y up): the hip joint centres sit where Harrington et al. (2007, J Biomech 40:595) predict them from the
#: ASIS (about 0.24 x pelvis depth + 10 mm behind, 0.30 x pelvis width + 11 mm below); the ASIS-PSIS line
#: dips ~11 deg forward, as in upright standing.
ASIS_STANDING_PER_H = (0.028, 0.048)
PSIS_STANDING_PER_H = (-0.064, 0.066)
#: Anterior pelvic tilt (deg) of upright standing in the ISB / Plug-in Gait pelvis frame (ASIS-PSIS line).
PELVIS_STANDING_TILT_DEG = math.degrees(math.atan2(PSIS_STANDING_PER_H[1] - ASIS_STANDING_PER_H[1],
                                                   ASIS_STANDING_PER_H[0] - PSIS_STANDING_PER_H[0]))


def standing_pose_deg() -> dict[str, float]:
    """Coordinates (deg) of upright standing, legs and trunk vertical: the model's default pose. OpenSim's
    pelvis_tilt is positive backwards (posterior), so the anterior standing tilt is negative; hips and the
    lumbar joint flex / extend by the same angle to keep the thighs and the trunk vertical."""
    t = PELVIS_STANDING_TILT_DEG
    return {"pelvis_tilt": -t, "hip_flexion_r": t, "hip_flexion_l": t, "lumbar_extension": t}


def pelvis_point(standing: Vec) -> Vec:
    """A point given in the upright-standing pelvis orientation (x forward, y up, z right, from the mid-hip
    point), expressed in the ISB pelvis frame (rotated posteriorly by the standing tilt about z)."""
    a = math.radians(PELVIS_STANDING_TILT_DEG)
    x, y, z = standing
    return (x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a), z)


def _side(z: float, side: str) -> float:
    """Lateral offsets are written for the right side (+Z); mirror them for the left."""
    return z if side == "r" else -z


@dataclass
class Layout:
    """Joint offsets (in the parent body), marker locations and foot contact points for one height."""

    height_m: float
    lengths: dict[str, float]
    dims: dict[str, float]
    joint_in_parent: dict[str, Vec] = field(default_factory=dict)  # joint name -> location in parent body
    markers: dict[str, tuple[str, Vec]] = field(default_factory=dict)  # marker -> (body, location)
    foot_points: dict[str, tuple[str, Vec]] = field(default_factory=dict)  # sole/heel/toe points on the skin
    default_pelvis_height_m: float = 0.0


def build_layout(height_m: float) -> Layout:
    """Compute the full geometry of the built-in model for a subject of ``height_m``."""
    L = segment_lengths(height_m)
    d = extra_dimensions(height_m)
    H = height_m
    lay = Layout(height_m=height_m, lengths=L, dims=d)
    ha, lf = d["ankle_height"], L["foot"]
    lay.default_pelvis_height_m = ha + L["shank"] + L["thigh"]

    # Trunk levels in the torso frame (origin at the lumbar joint, OMPH height).
    y_xyph = L["middle_trunk"]
    y_cerv = L["middle_trunk"] + L["upper_trunk"]
    y_sjc = y_cerv - d["shoulder_drop"]
    lay.joint_in_parent["back"] = pelvis_point((0.0, L["lower_trunk"], 0.0))

    # Foot, in the talus frame (origin at the ankle joint centre, floor at y = -ha).
    subtalar = (-0.18 * lf, -0.6 * ha, 0.0)
    mtp_in_talus = (0.52 * lf, -0.7 * ha, 0.0)
    mtp_in_calcn = tuple(m - s for m, s in zip(mtp_in_talus, subtalar))

    def calcn(p_talus: Vec) -> Vec:  # a talus-frame point expressed in the calcn frame
        return tuple(p - s for p, s in zip(p_talus, subtalar))

    def toes(p_talus: Vec) -> Vec:
        return tuple(p - m for p, m in zip(p_talus, mtp_in_talus))

    for s in SIDES:
        lay.joint_in_parent[f"hip_{s}"] = (0.0, 0.0, _side(d["hip_half_width"], s))
        lay.joint_in_parent[f"knee_{s}"] = (0.0, -L["thigh"], 0.0)
        lay.joint_in_parent[f"ankle_{s}"] = (0.0, -L["shank"], 0.0)
        lay.joint_in_parent[f"subtalar_{s}"] = (subtalar[0], subtalar[1], _side(subtalar[2], s))
        lay.joint_in_parent[f"mtp_{s}"] = (mtp_in_calcn[0], mtp_in_calcn[1], _side(mtp_in_calcn[2], s))
        lay.joint_in_parent[f"shoulder_{s}"] = (0.0, y_sjc, _side(d["shoulder_half_width"], s))
        lay.joint_in_parent[f"elbow_{s}"] = (0.0, -L["upper_arm"], 0.0)

        S, m = s.upper(), lay.markers
        # Pelvis (ASIS_STANDING_PER_H, PSIS_STANDING_PER_H), in the ISB pelvis frame: ASIS and PSIS level.
        (ax, ay), (px, py) = ASIS_STANDING_PER_H, PSIS_STANDING_PER_H
        m[f"{S}ASI"] = ("pelvis", pelvis_point((ax * H, ay * H, _side(d["asis_half_width"], s))))
        m[f"{S}PSI"] = ("pelvis", pelvis_point((px * H, py * H, _side(0.025 * H, s))))
        # Thigh and shank: wand/skin markers on the lower lateral third, landmarks at the joints.
        m[f"{S}THI"] = ("femur_" + s, (0.0, -0.65 * L["thigh"], _side(0.038 * H, s)))
        m[f"{S}KNE"] = ("femur_" + s, (0.0, -L["thigh"], _side(d["knee_half_width"], s)))
        m[f"{S}TIB"] = ("tibia_" + s, (0.0, -0.65 * L["shank"], _side(0.030 * H, s)))
        m[f"{S}ANK"] = ("tibia_" + s, (0.0, -L["shank"], _side(d["ankle_half_width"], s)))
        # Foot: heel posterior surface and the dorsum over the 2nd metatarsal head (both on calcn).
        m[f"{S}HEE"] = ("calcn_" + s, _mirror(calcn((-0.24 * lf, -0.55 * ha, 0.0)), s))
        m[f"{S}TOE"] = ("calcn_" + s, _mirror(calcn((0.50 * lf, -ha + 0.025 * H, 0.0)), s))
        # Anatomical landmarks of ISB-style sets (ANATOMICAL_MARKERS): placed on the static pose anyway.
        m[f"{S}ILC"] = ("pelvis", pelvis_point(((ax - 0.030) * H, (ay + 0.035) * H,
                                                _side(d["asis_half_width"] + 0.010 * H, s))))
        m[f"{S}GTR"] = ("femur_" + s, (0.0, -0.010 * H, _side(0.040 * H, s)))
        m[f"{S}MKN"] = ("femur_" + s, (0.0, -L["thigh"], _side(-d["knee_half_width"], s)))
        m[f"{S}TT"] = ("tibia_" + s, (0.020 * H, -0.15 * L["shank"], 0.0))
        m[f"{S}FH"] = ("tibia_" + s, (-0.005 * H, -0.08 * L["shank"], _side(0.025 * H, s)))
        m[f"{S}MMA"] = ("tibia_" + s, (0.005 * H, -L["shank"] + 0.005 * H, _side(-d["ankle_half_width"], s)))
        m[f"{S}MT1"] = ("calcn_" + s, _mirror(calcn((0.48 * lf, -ha + 0.012 * H, -0.5 * d["foot_width"])), s))
        m[f"{S}MT5"] = ("calcn_" + s, _mirror(calcn((0.40 * lf, -ha + 0.010 * H, 0.5 * d["foot_width"])), s))
        # Upper body (head markers ride on the torso: the model has no neck joint).
        m[f"{S}SHO"] = ("torso", (0.0, y_sjc + 0.030 * H, _side(d["shoulder_half_width"] + 0.005 * H, s)))
        m[f"{S}UPA"] = ("humerus_" + s, (-0.010 * H, -0.5 * L["upper_arm"], _side(0.025 * H, s)))
        m[f"{S}ELB"] = ("humerus_" + s, (0.0, -L["upper_arm"], _side(d["elbow_half_width"], s)))
        m[f"{S}FRM"] = ("forearm_" + s, (0.0, -0.5 * L["forearm"], _side(0.020 * H, s)))
        m[f"{S}WRA"] = ("forearm_" + s, (d["wrist_half_width"], -L["forearm"], 0.0))
        m[f"{S}WRB"] = ("forearm_" + s, (-d["wrist_half_width"], -L["forearm"], 0.0))
        m[f"{S}FIN"] = ("forearm_" + s, (0.0, -L["forearm"] - L["hand"], _side(0.010 * H, s)))
        m[f"{S}FHD"] = ("torso", (0.060 * H, y_cerv + 0.095 * H, _side(0.030 * H, s)))
        m[f"{S}BHD"] = ("torso", (-0.050 * H, y_cerv + 0.095 * H, _side(0.030 * H, s)))

        # Skin points under the foot, for keeping the feet on the floor (y = -ha in the talus frame).
        half_w = 0.5 * d["foot_width"]
        fp = lay.foot_points
        fp[f"heel_{s}"] = ("calcn_" + s, _mirror(calcn((-0.20 * lf, -ha, 0.0)), s))
        fp[f"heel_back_{s}"] = ("calcn_" + s, _mirror(calcn((-0.22 * lf, -0.85 * ha, 0.0)), s))
        fp[f"met1_{s}"] = ("calcn_" + s, _mirror(calcn((0.50 * lf, -ha, -half_w)), s))
        fp[f"met5_{s}"] = ("calcn_" + s, _mirror(calcn((0.45 * lf, -ha, half_w)), s))
        fp[f"toe_tip_{s}"] = ("toes_" + s, _mirror(toes((0.78 * lf, -0.9 * ha, -0.3 * half_w)), s))
        fp[f"toe_pad_{s}"] = ("toes_" + s, _mirror(toes((0.66 * lf, -ha, 0.0)), s))

    m = lay.markers
    m["SACR"] = ("pelvis", pelvis_point((PSIS_STANDING_PER_H[0] * H, PSIS_STANDING_PER_H[1] * H, 0.0)))
    m["C7"] = ("torso", (-0.040 * H, y_cerv, 0.0))
    m["T10"] = ("torso", (-0.060 * H, y_xyph, 0.0))
    m["CLAV"] = ("torso", (0.034 * H, y_cerv - 0.030 * H, 0.0))
    m["STRN"] = ("torso", (0.055 * H, y_xyph, 0.0))
    return lay


def _mirror(p: Vec, side: str) -> Vec:
    return (p[0], p[1], _side(p[2], side))
