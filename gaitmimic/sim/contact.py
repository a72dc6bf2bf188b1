"""Foot-floor contact of the humanoid, one rule for the simulation and for the reference.

A foot's contact points are the bottoms of the end spheres of its capsules (the lowest point of a capsule is
always one of them). A foot is down while its lowest point is within :data:`CONTACT_HEIGHT_M` of the floor;
runs shorter than :data:`MIN_RUN_FRAMES` (a graze, a bounce) are dropped. Heel strike = the first frame of a
contact, toe off = the first frame after it. The same rule runs on the simulated humanoid's states and on
the reference's, so stance %, event timing and gait cycles compare like with like (the retarget stage also
compares it with the subject's own marker events).
"""

from __future__ import annotations

import mujoco
import numpy as np

from gaitmimic.sim.humanoid import kinematics_frames

#: Contact threshold (m): a foot is down while its lowest point is at most this high. The simulated foot
#: rests at about 0 (MuJoCo's soft contact lets it sink a few mm), the grounded reference's at exactly 0; a swing
#: foot clears the floor by more (minimum toe clearance in human gait is 1-2 cm).
CONTACT_HEIGHT_M = 0.01
#: Contact (or swing) runs shorter than this many control frames are noise, not events.
MIN_RUN_FRAMES = 3

FOOT_BODIES = {"r": "right_foot", "l": "left_foot"}


def foot_capsules(model: mujoco.MjModel) -> dict[str, list[int]]:
    out = {}
    for side, body in FOOT_BODIES.items():
        bid = model.body(body).id
        out[side] = [g for g in range(model.ngeom) if model.geom_bodyid[g] == bid
                     and model.geom_type[g] == mujoco.mjtGeom.mjGEOM_CAPSULE]
    return out


def capsule_bottoms(model: mujoco.MjModel, data: mujoco.MjData, geoms: list[int]) -> np.ndarray:
    """(2 x len(geoms), 3) world positions of the bottoms of the capsules' end spheres (after kinematics)."""
    out = np.zeros((2 * len(geoms), 3))
    for i, g in enumerate(geoms):
        axis = data.geom_xmat[g].reshape(3, 3)[:, 2]
        r, half = model.geom_size[g, 0], model.geom_size[g, 1]
        for k, sign in enumerate((-1.0, 1.0)):
            p = data.geom_xpos[g] + sign * half * axis
            p[2] -= r
            out[2 * i + k] = p
    return out


def foot_points(model: mujoco.MjModel, qpos: np.ndarray) -> dict[str, np.ndarray]:
    """Per side, (T, K, 3) world positions of the bottoms of the foot capsules' end spheres."""
    caps = foot_capsules(model)
    out = {s: np.zeros((qpos.shape[0], 2 * len(g), 3)) for s, g in caps.items()}
    for t, data in kinematics_frames(model, qpos):
        for s, geoms in caps.items():
            out[s][t] = capsule_bottoms(model, data, geoms)
    return out


def foot_heights(model: mujoco.MjModel, qpos: np.ndarray) -> dict[str, np.ndarray]:
    """Per side ("r", "l"), the height (m) of the foot's lowest point in every frame of ``qpos`` (T, nq)."""
    return {s: p[:, :, 2].min(axis=1) for s, p in foot_points(model, np.asarray(qpos, float)).items()}


def _drop_short_runs(mask: np.ndarray, value: bool, min_frames: int) -> np.ndarray:
    out = mask.copy()
    edges = np.flatnonzero(np.diff(np.r_[False, out == value, False].astype(int)))
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a < min_frames and a > 0 and b < len(out):  # not at the ends: a cut-off run is not noise
            out[a:b] = not value
    return out


def foot_contacts(model: mujoco.MjModel, qpos: np.ndarray, height_m: float = CONTACT_HEIGHT_M,
                  min_frames: int = MIN_RUN_FRAMES) -> dict[str, np.ndarray]:
    """Per side ("r", "l"), (T,) True where the foot is on the floor (see the module docstring)."""
    out = {}
    for side, h in foot_heights(model, qpos).items():
        down = h <= height_m
        down = _drop_short_runs(down, False, min_frames)  # short lifts inside a stance
        out[side] = _drop_short_runs(down, True, min_frames)  # short touches inside a swing
    return out


def contact_events(contact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(heel strikes, toe offs): frame indices where ``contact`` (T,) starts and where it ends (the first
    frame off the floor); a contact already on at frame 0 is no heel strike."""
    c = np.asarray(contact, bool).astype(int)
    d = np.diff(c)
    return np.flatnonzero(d == 1) + 1, np.flatnonzero(d == -1) + 1


def stance_percent(contact: np.ndarray, strikes: np.ndarray) -> float:
    """Mean share (%) of each complete cycle between consecutive ``strikes`` that ``contact`` is on; NaN
    without a complete cycle."""
    shares = [float(np.mean(contact[a:b])) for a, b in zip(strikes[:-1], strikes[1:]) if b > a]
    return 100.0 * float(np.mean(shares)) if shares else float("nan")
