"""Drive the built-in model with the fitted gait: coordinates over time, marker trajectories, feet on the floor.

Everything here is in the OpenSim frame (X walking direction, Y up, Z right), metres, radians.

- :func:`gait_coordinates`: coordinate values at given gait phases from the Fourier series.
- :class:`PoseSampler`: marker and foot-sole point positions of the model for a sequence of poses.
- :func:`root_translation`: pelvis_tx/ty per frame so that the lowest foot point touches the floor (y = 0)
  and the contact point does not slide forward or backward (rolling without slip).
- :func:`contact_events`: heel strikes / toe offs where a foot's lowest point crosses a height threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gaitmimic.demo.fourier import FourierSeries
from gaitmimic.opensim.model.builtin import coordinate_names
from gaitmimic.opensim.model.layout import Layout, standing_pose_deg

#: A foot lands when its lowest sole point comes below CONTACT_ON_M and leaves when it rises above CONTACT_OFF_M.
CONTACT_ON_M = 0.002
CONTACT_OFF_M = 0.005
#: Shorter contacts (a swing foot grazing the floor) are not stance phases.
MIN_CONTACT_S = 0.1
TRANSLATIONS = ("pelvis_tx", "pelvis_ty", "pelvis_tz")


def gait_coordinates(series: dict[str, FourierSeries], phase: np.ndarray) -> dict[str, np.ndarray]:
    """Model coordinate values (rad, m) at ``phase`` (gait cycles, 0 = right heel strike).

    The series are angles of gait2392's upright pelvis frame, in which they were fitted; they are
    re-expressed in the built-in model's ISB pelvis frame (:func:`from_upright_pelvis`). Coordinates without
    a series hold upright standing; pelvis_tx/ty are zero here (see :func:`root_translation`).
    """
    upright: dict[str, np.ndarray] = {}
    for name in coordinate_names():
        if name in ("pelvis_tx", "pelvis_ty") or name not in series:
            upright[name] = np.zeros_like(phase, dtype=float)
        elif name in TRANSLATIONS:
            upright[name] = series[name](phase)
        else:
            upright[name] = np.radians(series[name](phase))
    return from_upright_pelvis(upright)


#: Rotational coordinates of the joints that the pelvis frame's tilt re-expresses: (coordinates in the
#: joint's axis order Z, X, Y, signs of those axes), the pelvis's own joint first.
_PELVIS_JOINTS = {
    "ground_pelvis": (("pelvis_tilt", "pelvis_list", "pelvis_rotation"), (1, 1, 1)),
    "hip_r": (("hip_flexion_r", "hip_adduction_r", "hip_rotation_r"), (1, 1, 1)),
    "hip_l": (("hip_flexion_l", "hip_adduction_l", "hip_rotation_l"), (1, -1, -1)),
    "back": (("lumbar_extension", "lumbar_bending", "lumbar_rotation"), (1, 1, 1)),
}


def from_upright_pelvis(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Coordinates of a motion given with the pelvis frame upright in standing (gait2392's) converted to the
    built-in model's ISB pelvis frame, the same body poses exactly: the pelvis's rotation in ground gains the
    frame's posterior turn, and the hips' and the lumbar joint's rotations relative to the pelvis lose it
    (re-expressed, not offset, so pelvis list and rotation stay exact)."""
    from scipy.spatial.transform import Rotation

    a = np.radians(-standing_pose_deg()["pelvis_tilt"])   # the ISB frame is turned posteriorly by a
    turn = Rotation.from_euler("Z", a)
    out = dict(values)
    for joint, (names, signs) in _PELVIS_JOINTS.items():
        angles = np.stack([np.ravel(values[n]) * sg for n, sg in zip(names, signs)], axis=1)
        R = Rotation.from_euler("ZXY", angles)
        R = R * turn.inv() if joint == "ground_pelvis" else turn * R
        new = R.as_euler("ZXY")
        for k, (n, sg) in enumerate(zip(names, signs)):
            out[n] = (new[:, k] * sg).reshape(np.shape(values[n]))
    return out


def standing_coordinates(n: int) -> dict[str, np.ndarray]:
    """Every built-in model coordinate (rad, m) in upright standing, ``n`` frames; translations zero."""
    return from_upright_pelvis({name: np.zeros(n) for name in coordinate_names()})


@dataclass
class PoseSamples:
    markers: np.ndarray  # (T, M, 3) m
    marker_names: list[str]
    foot: np.ndarray  # (T, P, 3) m, sole points
    foot_names: list[str]
    foot_side: np.ndarray  # (P,) 'r'/'l'
    foot_pitch: dict[str, np.ndarray]  # side -> (T,) calcaneus pitch in ground (rad, + = toes up)


class PoseSampler:
    """Marker and sole-point positions in ground for poses of an OpenSim model built from ``layout``."""

    def __init__(self, model, layout: Layout):
        import opensim as osim

        self._osim = osim
        self.model = model
        self.state = model.initSystem()
        cs = model.getCoordinateSet()
        self.coords = {cs.get(i).getName(): cs.get(i) for i in range(cs.getSize())}
        ms = model.getMarkerSet()
        self.markers = [ms.get(i) for i in range(ms.getSize())]
        self.marker_names = [m.getName() for m in self.markers]
        self.foot_names = list(layout.foot_points)
        self.foot_stations = [
            (model.getBodySet().get(body), osim.Vec3(*loc)) for body, loc in layout.foot_points.values()
        ]
        self.foot_side = np.array([n[-1] for n in self.foot_names])
        self.calcn = {s: model.getBodySet().get(f"calcn_{s}") for s in ("r", "l")}

    def sample(self, values: dict[str, np.ndarray]) -> PoseSamples:
        n = len(next(iter(values.values())))
        mk = np.empty((n, len(self.markers), 3))
        ft = np.empty((n, len(self.foot_stations), 3))
        pitch = {s: np.empty(n) for s in self.calcn}
        items = [(self.coords[name], np.asarray(v, float)) for name, v in values.items()]
        for i in range(n):
            for coord, v in items:
                coord.setValue(self.state, float(v[i]), False)
            self.model.realizePosition(self.state)
            for j, m in enumerate(self.markers):
                p = m.getLocationInGround(self.state)
                mk[i, j] = (p[0], p[1], p[2])
            for j, (body, station) in enumerate(self.foot_stations):
                p = body.findStationLocationInGround(self.state, station)
                ft[i, j] = (p[0], p[1], p[2])
            for s, body in self.calcn.items():
                R = body.getTransformInGround(self.state).R()
                pitch[s][i] = math.atan2(R.get(1, 0), R.get(0, 0))
        return PoseSamples(mk, self.marker_names, ft, self.foot_names, self.foot_side, pitch)


def root_translation(foot: np.ndarray, foot_side: np.ndarray, periodic: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """pelvis_tx and pelvis_ty (m) per frame for sole points ``foot`` (T, P, 3) computed with tx = ty = 0.

    ty puts the lowest sole point on the floor. tx advances the body so that the lowest point of the
    lower foot keeps its ground position from one frame to the next (no slip). With ``periodic`` the
    samples are one cycle and the last step wraps to the first sample.
    """
    heights = foot[:, :, 1]
    ty = -heights.min(axis=1)
    n = len(foot)
    dx = np.zeros(n)
    for i in range(n if periodic else n - 1):
        p = int(np.argmin(heights[i]))
        nxt = (i + 1) % n
        dx[i] = -(foot[nxt, p, 0] - foot[i, p, 0])
    tx = np.concatenate([[0.0], np.cumsum(dx[:-1])])
    if periodic:
        return dx, ty  # per-sample advance over one cycle (sum = stride length)
    return tx, ty


def foot_clearance(foot: np.ndarray, foot_side: np.ndarray, ty: np.ndarray) -> dict[str, np.ndarray]:
    """Lowest sole-point height (m) of each foot per frame, once the body is raised by ``ty``."""
    h = foot[:, :, 1] + ty[:, None]
    return {s: h[:, foot_side == s].min(axis=1) for s in ("r", "l")}


def contact_events(clearance: dict[str, np.ndarray], rate_hz: float, on_m: float = CONTACT_ON_M,
                   off_m: float = CONTACT_OFF_M, min_contact_s: float = MIN_CONTACT_S) -> list[tuple[str, str, float, int]]:
    """(side, event, time_s, frame) of foot contacts from each foot's clearance (lowest sole point height).

    Heel strike: the clearance drops below ``on_m`` (the foot touches); toe off: it rises above ``off_m``
    (the foot has left; the hysteresis ignores a trailing foot hovering a millimetre above the floor).
    time_s is interpolated between frames; frame = round(time_s * rate). Contacts shorter than
    ``min_contact_s`` inside the trial (a swing foot grazing the floor) are dropped with their two events.
    """
    events = []
    for s, side in (("l", "left"), ("r", "right")):
        h = clearance[s]
        crossings = []
        in_contact = bool(h[0] < on_m)
        for i in range(len(h) - 1):
            thr = off_m if in_contact else on_m
            if (h[i] - thr) * (h[i + 1] - thr) <= 0 and h[i] != h[i + 1] and (h[i + 1] > thr) == in_contact:
                t = (i + (h[i] - thr) / (h[i] - h[i + 1])) / rate_hz
                crossings.append(("toe_off" if in_contact else "heel_strike", t))
                in_contact = not in_contact
        keep = [True] * len(crossings)
        for k in range(len(crossings) - 1):
            (kind_a, ta), (kind_b, tb) = crossings[k], crossings[k + 1]
            if kind_a == "heel_strike" and kind_b == "toe_off" and tb - ta < min_contact_s:
                keep[k] = keep[k + 1] = False
        events += [(side, kind, round(t, 4), int(round(t * rate_hz))) for (kind, t), ok in zip(crossings, keep) if ok]
    events.sort(key=lambda e: (e[2], e[0]))
    return events


def cycle_duration_for_speed(stride_m: float, speed_mps: float) -> float:
    """Gait cycle duration (s) that walks ``stride_m`` per cycle at ``speed_mps``."""
    if not (stride_m > 0 and speed_mps > 0) or not math.isfinite(stride_m):
        raise ValueError(f"bad stride {stride_m} m or speed {speed_mps} m/s")
    return stride_m / speed_mps


#: Sagittal component of the mtp axis (gait2392's axis is oblique): a rotation theta pitches the toes by ~0.81 theta.
MTP_SAGITTAL_GAIN = 0.813936
MTP_MAX_DEG = 65.0


def flat_toes_mtp_deg(foot_pitch_rad: np.ndarray) -> np.ndarray:
    """mtp_angle (deg) that keeps the toes level with the floor while the heel is raised (push-off).

    The recorded gait2354 IK has its mtp joint locked; without this the rigid foot would pivot about the
    toe tip and lift the whole body in late stance.
    """
    return np.clip(-np.degrees(foot_pitch_rad) / MTP_SAGITTAL_GAIN, 0.0, MTP_MAX_DEG)
