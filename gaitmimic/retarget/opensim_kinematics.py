"""OpenSim side of the retarget: body rotations and joint centres per frame, from a model + IK .mot.

The OpenSim model itself computes the kinematics (``Model.realizePosition`` at every frame), so any
user model with gait2392/Rajagopal-style body names works, whatever its joint definitions.
All outputs are in the OpenSim ground frame (Y up), metres and radians.

INPUTS: scaled ``.osim``, IK ``.mot`` (read with :mod:`gaitmimic.io.mot`; degrees or radians, as its header
says). The coordinates are low-passed with :func:`gaitmimic.markers.filtering.butterworth` (the markers' filter:
4th order zero-lag, cutoff corrected for the double pass) before they are resampled.
OUTPUTS: :class:`OpenSimKinematics` (per frame) and :class:`gaitmimic.sim.humanoid.SubjectSegments`.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline

from gaitmimic.errors import InputError
from gaitmimic.io.mot import read_mot
from gaitmimic.markers.filtering import butterworth
from gaitmimic.opensim.runtime import import_opensim
from gaitmimic.sim.humanoid import STOCK_SHANK, STOCK_THIGH, SubjectSegments

log = logging.getLogger(__name__)

#: Humanoid segment -> candidate OpenSim body names (first found wins). Feet are the calcaneus.
BODY_CANDIDATES: dict[str, tuple[str, ...]] = {
    "pelvis": ("pelvis",),
    "torso": ("torso", "thorax", "trunk"),
    "thigh_r": ("femur_r",), "thigh_l": ("femur_l",),
    "shin_r": ("tibia_r",), "shin_l": ("tibia_l",),
    "foot_r": ("calcn_r",), "foot_l": ("calcn_l",),
    "toes_r": ("toes_r",), "toes_l": ("toes_l",),
    "upper_arm_r": ("humerus_r",), "upper_arm_l": ("humerus_l",),
    "lower_arm_r": ("ulna_r", "radius_r", "forearm_r"), "lower_arm_l": ("ulna_l", "radius_l", "forearm_l"),
    "hand_r": ("hand_r",), "hand_l": ("hand_l",),
}  # fmt: skip
REQUIRED = ("pelvis", "torso", "thigh_r", "thigh_l", "shin_r", "shin_l", "foot_r", "foot_l")

#: Joint centre -> humanoid segment whose OpenSim body is the joint's child (centre = child frame origin).
CENTRE_CHILD: dict[str, str] = {
    "hip_r": "thigh_r", "knee_r": "shin_r", "ankle_r": "talus_r",
    "hip_l": "thigh_l", "knee_l": "shin_l", "ankle_l": "talus_l",
    "shoulder_r": "upper_arm_r", "elbow_r": "lower_arm_r", "wrist_r": "hand_r",
    "shoulder_l": "upper_arm_l", "elbow_l": "lower_arm_l", "wrist_l": "hand_l",
}  # fmt: skip
LEG_CENTRES = ("hip_r", "knee_r", "ankle_r", "hip_l", "knee_l", "ankle_l")

#: Centre of mass of a forearm body that includes the hand, as a fraction of the elbow -> hand-centre
#: distance (de Leva 1996 forearm + hand: ~0.55). Gives the "wrist" (hand centre, like the humanoid's
#: hand body) of models without a hand body.
FOREARM_COM_FRACTION = 0.55

#: Heel-to-toe-tip foot length as a multiple of the calcaneus-origin-to-MTP distance (gait2392 geometry).
FOOT_LENGTH_PER_HEEL_MTP = 1.4


@dataclasses.dataclass
class OpenSimKinematics:
    """Per-frame OpenSim kinematics in the OpenSim ground frame.

    time_s (T,); rotations[segment] (T,3,3) body-to-ground; neutral_rotations[segment] (3,3) in the
    neutral pose (:func:`set_neutral_pose`); centres[name] (T,3) joint centres (m); coordinates[name] (T,) radians or metres.
    """

    time_s: np.ndarray
    rotations: dict[str, np.ndarray]
    neutral_rotations: dict[str, np.ndarray]
    centres: dict[str, np.ndarray]
    points: dict[str, np.ndarray]
    coordinates: dict[str, np.ndarray]

    def from_neutral(self, segment: str) -> np.ndarray:
        """(T,3,3) ground-frame rotation of ``segment`` away from its neutral orientation."""
        return self.rotations[segment] @ self.neutral_rotations[segment].T

    @property
    def has_arms(self) -> bool:
        return all(k in self.centres for k in ("shoulder_r", "elbow_r", "wrist_r", "shoulder_l", "elbow_l", "wrist_l"))


def _quiet_opensim():
    """``opensim`` with the C numeric locale, errors-only logging and no ``opensim.log`` file in the working
    directory."""
    osim = import_opensim()
    osim.Logger.removeFileSink()
    osim.Logger.setLevelString("error")
    return osim


def _read_ik_motion(path: str | Path) -> tuple[np.ndarray, dict[str, np.ndarray], bool]:
    """The IK .mot/.sto: (time_s, {column: values}, in_degrees); at least 4 rows."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "IK motion file not found", "run the ik stage first")
    table = read_mot(path)
    if len(table.time_s) < 4:
        raise InputError(path, f"expected >= 4 rows, got {len(table.time_s)}", "pass the IK output .mot of a dynamic trial")
    return table.time_s, {n: table.data[n].to_numpy(dtype=float) for n in table.names}, table.in_degrees


def _find_bodies(model) -> dict[str, str]:
    names = {model.getBodySet().get(i).getName() for i in range(model.getBodySet().getSize())}
    found = {}
    for seg, cands in BODY_CANDIDATES.items():
        for c in cands:
            if c in names:
                found[seg] = c
                break
    for side in "rl":
        if f"talus_{side}" in names:
            found[f"talus_{side}"] = f"talus_{side}"
    return found


def _child_frames(model, bodies: dict[str, str]) -> dict[str, object]:
    """Joint centre name -> the joint's child frame (a PhysicalFrame on the child body)."""
    by_child = {}
    js = model.getJointSet()
    for i in range(js.getSize()):
        j = js.get(i)
        by_child[j.getChildFrame().findBaseFrame().getName()] = j.getChildFrame()
    out = {}
    for centre, seg in CENTRE_CHILD.items():
        body = bodies.get(seg)
        if seg.startswith("talus") and body is None:  # no talus: the ankle is the foot's joint
            body = bodies.get("foot" + seg[5:])
        if body is not None and body in by_child:
            out[centre] = by_child[body]
    return out


def _add_wrists(P: dict, body_objs: dict, state) -> None:
    """Hand centres of models without hand bodies: extrapolated from the forearm's centre of mass."""
    for s in "rl":
        if f"wrist_{s}" in P or f"elbow_{s}" not in P or f"lower_arm_{s}" not in body_objs:
            continue
        b = body_objs[f"lower_arm_{s}"]
        com = _vec(b.findStationLocationInGround(state, b.getMassCenter()))
        P[f"wrist_{s}"] = P[f"elbow_{s}"] + (com - P[f"elbow_{s}"]) / FOREARM_COM_FRACTION


def _vec(v) -> np.ndarray:
    return np.array([v.get(0), v.get(1), v.get(2)])


def _mat(R) -> np.ndarray:
    return np.array([[R.get(a, b) for b in range(3)] for a in range(3)])


def lowpass_coordinates(values: np.ndarray, rate_hz: float, cutoff_hz: float | None) -> np.ndarray:
    """IK coordinate samples (T,) low-passed at ``cutoff_hz`` (4th order zero-lag Butterworth,
    :func:`gaitmimic.markers.filtering.butterworth`); unchanged when ``cutoff_hz`` is 0/None (no filter) or not
    below 0.45 x ``rate_hz`` (too close to the Nyquist frequency: logged)."""
    if not cutoff_hz:
        return values
    if cutoff_hz >= 0.45 * rate_hz:
        log.warning("filter cutoff %.3g Hz is not below 0.45 x the IK rate (%.3g Hz): coordinates left unfiltered",
                    cutoff_hz, rate_hz)
        return values
    return butterworth(values, rate_hz, cutoff_hz, 4)


def compute_kinematics(osim_path: str | Path, mot_path: str | Path, rate_hz: float,
                       filter_hz: float | None) -> OpenSimKinematics:
    """Run the model through the IK coordinates, low-passed at ``filter_hz`` (0/None: unfiltered,
    :func:`lowpass_coordinates`) and resampled to ``rate_hz`` (cubic spline)."""
    osim = _quiet_opensim()
    osim_path = Path(osim_path)
    if not osim_path.is_file():
        raise InputError(osim_path, "scaled OpenSim model not found", "run the scale stage first")
    time_mot, cols, in_degrees = _read_ik_motion(mot_path)
    model = osim.Model(str(osim_path))
    state = model.initSystem()
    bodies = _find_bodies(model)
    missing = [s for s in REQUIRED if s not in bodies]
    if missing:
        raise InputError(osim_path, f"model lacks bodies for {missing} (looked for {[BODY_CANDIDATES[m] for m in missing]})",
                         "use a gait2392/gait2354/Rajagopal-style model")
    coordset = model.getCoordinateSet()
    coords = {coordset.get(i).getName(): coordset.get(i) for i in range(coordset.getSize())}
    used = [c for c in cols if c in coords]
    if not any(c.startswith("pelvis") for c in used):
        raise InputError(mot_path, "no pelvis coordinates in the motion file", "pass an IK .mot of this model")
    mot_rate = 1.0 / float(np.median(np.diff(time_mot)))
    values = {}
    for c in used:
        v = cols[c].astype(float)
        if in_degrees and coords[c].getMotionType() != 2:  # 2 = translational
            v = np.deg2rad(v)
        values[c] = lowpass_coordinates(v, mot_rate, filter_hz)
    n = int(np.floor((time_mot[-1] - time_mot[0]) * rate_hz + 1e-9)) + 1
    time_s = time_mot[0] + np.arange(n) / rate_hz
    values = {c: CubicSpline(time_mot, v)(time_s) for c, v in values.items()}

    frames = _child_frames(model, bodies)
    body_objs = {seg: model.getBodySet().get(name) for seg, name in bodies.items()}

    def snapshot():
        model.realizePosition(state)
        R = {seg: _mat(b.getTransformInGround(state).R()) for seg, b in body_objs.items()}
        P = {name: _vec(f.getPositionInGround(state)) for name, f in frames.items()}
        _add_wrists(P, body_objs, state)
        pts = {seg: _vec(b.getPositionInGround(state)) for seg, b in body_objs.items()}
        return R, P, pts

    set_neutral_pose(model, state)
    neutral_R, neutral_P, _ = snapshot()
    rotations = {seg: np.zeros((n, 3, 3)) for seg in body_objs}
    centres = {name: np.zeros((n, 3)) for name in neutral_P}
    points = {seg: np.zeros((n, 3)) for seg in body_objs}
    for k in range(n):
        for c, v in values.items():
            coords[c].setValue(state, float(v[k]), False)
        R, P, pts = snapshot()
        for seg in rotations:
            rotations[seg][k] = R[seg]
            points[seg][k] = pts[seg]
        for name in centres:
            centres[name][k] = P[name]
    return OpenSimKinematics(time_s, rotations, neutral_R, centres, points, values)


def set_neutral_pose(model, state) -> None:
    """The neutral pose the humanoid's stands for: rotational coordinates at the model's default values,
    translations zero. For gait2392-style models (defaults 0) that is all coordinates zero; the built-in
    model's default is upright standing with its ISB pelvis tilted anteriorly
    (:func:`gaitmimic.opensim.model.layout.standing_pose_deg`)."""
    cs = model.getCoordinateSet()
    for i in range(cs.getSize()):
        c = cs.get(i)
        c.setValue(state, 0.0 if c.getMotionType() == 2 else c.getDefaultValue(), False)  # 2 = translational


def subject_segments(osim_path: str | Path) -> SubjectSegments:
    """Segment lengths and masses of a scaled OpenSim model, measured in its neutral pose (:func:`set_neutral_pose`)."""
    osim = _quiet_opensim()
    osim_path = Path(osim_path)
    if not osim_path.is_file():
        raise InputError(osim_path, "scaled OpenSim model not found", "run the scale stage first")
    model = osim.Model(str(osim_path))
    state = model.initSystem()
    set_neutral_pose(model, state)
    model.realizePosition(state)
    bodies = _find_bodies(model)
    frames = _child_frames(model, bodies)
    P = {name: _vec(f.getPositionInGround(state)) for name, f in frames.items()}
    _add_wrists(P, {seg: model.getBodySet().get(b) for seg, b in bodies.items()}, state)
    pos = {seg: _vec(model.getBodySet().get(b).getPositionInGround(state)) for seg, b in bodies.items()}
    thigh = float(np.linalg.norm(P["hip_r"] - P["knee_r"]))
    shank = float(np.linalg.norm(P["knee_r"] - P["ankle_r"]))
    heel_mtp = float(np.linalg.norm(pos["toes_r"] - pos["foot_r"])) if "toes_r" in pos else 0.19 * (thigh + shank) / 0.84
    leg_scale = (thigh + shank) / (STOCK_THIGH + STOCK_SHANK)
    upper = lower = None
    trunk = leg_scale
    if all(k in P for k in ("shoulder_r", "elbow_r", "wrist_r")):
        upper = float(np.linalg.norm(P["shoulder_r"] - P["elbow_r"]))
        lower = float(np.linalg.norm(P["elbow_r"] - P["wrist_r"]))
        hip_mid = 0.5 * (P["hip_r"] + P["hip_l"])
        trunk = float((P["shoulder_r"][1] - hip_mid[1]) / 0.525)  # stock hip -> shoulder height 0.525 m
    bs = model.getBodySet()
    mass = {bs.get(i).getName(): bs.get(i).getMass() for i in range(bs.getSize())}
    total = float(sum(mass.values()))

    def group(*names):
        return float(sum(mass.get(nm, 0.0) for nm in names))

    masses = {
        "pelvis": group("pelvis"),
        "thigh": group("femur_r", "femur_l", "patella_r", "patella_l"),
        "shin": group("tibia_r", "tibia_l"),
        "foot": group("talus_r", "calcn_r", "toes_r", "talus_l", "calcn_l", "toes_l"),
    }
    masses["upper"] = total - sum(masses.values())
    return SubjectSegments(
        hip_half_width_m=float(abs(P["hip_r"][2] - P["hip_l"][2]) / 2.0),
        thigh_m=thigh, shank_m=shank, foot_m=FOOT_LENGTH_PER_HEEL_MTP * heel_mtp, trunk_scale=float(trunk),
        upper_arm_m=upper, lower_arm_m=lower, masses_kg={k: v for k, v in masses.items() if v > 0},
    )
