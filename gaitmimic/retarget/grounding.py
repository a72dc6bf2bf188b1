"""Grounding: put the feet on the floor and stop stance feet from sliding, by moving the root only.

Foot contact points are the bottoms of the end spheres of the humanoid's foot capsules (the lowest
point of a capsule is always one of them), tracked as material points of the foot.

- Vertical: every frame the lowest foot point is put on the floor (z = 0); walking always has a
  foot on the ground, so nothing floats and nothing penetrates.
- Horizontal: from one frame to the next, the lowest point of each stance foot that touches the
  floor (within ``contact_height_m``, weight fading to zero there) should not move; the weighted
  mean displacement is subtracted from the root (scaled by ``anchor_gain``, 1 = full anchoring).
- Double support: where the two feet disagree, root corrections cannot hold both; each touching stance
  foot is then held by small hip_x/hip_y offsets (:func:`lock_stance_feet`), and the vertical grounding
  is redone (:func:`put_on_floor`).
"""

from __future__ import annotations

import mujoco
import numpy as np

from gaitmimic.sim.contact import FOOT_BODIES, capsule_bottoms, foot_capsules, foot_points
from gaitmimic.sim.humanoid import kinematics_frames

def ground(model: mujoco.MjModel, qpos: np.ndarray, stance: dict[str, np.ndarray],
           anchor_gain: float, contact_height_m: float = 0.01) -> tuple[np.ndarray, dict]:
    """Return grounded qpos (copy) and a summary (root corrections applied, m); ``anchor_gain`` is
    ``retarget.anchor_gain`` (1 = a touching stance foot never slides, 0 = vertical grounding only)."""
    qpos = qpos.copy()
    pts = foot_points(model, qpos)
    T = qpos.shape[0]
    lowest = np.min(np.concatenate([P[:, :, 2] for P in pts.values()], axis=1), axis=1)
    corr = np.zeros((T, 2))
    for t in range(T - 1):
        moves, weights = [], []
        for s, P in pts.items():
            if not (stance[s][t] and stance[s][t + 1]):
                continue
            k = int(np.argmin(P[t, :, 2]))
            # height above the floor after the vertical grounding, at both frames
            h = max(P[t, k, 2] - lowest[t], P[t + 1, k, 2] - lowest[t + 1])
            w = float(np.clip((contact_height_m - h) / (0.8 * contact_height_m), 0.0, 1.0))
            if w > 0:
                moves.append(P[t + 1, k, :2] - P[t, k, :2])
                weights.append(w)
        d = np.average(moves, axis=0, weights=weights) if moves else np.zeros(2)
        corr[t + 1] = corr[t] - anchor_gain * d
    qpos[:, :2] += corr
    qpos[:, 2] -= lowest
    duration = max(T - 1, 1)
    info = {
        "horizontal_correction_max_m": float(np.max(np.linalg.norm(corr, axis=1))),
        "horizontal_correction_per_frame_m": float(np.linalg.norm(corr[-1]) / duration),
        "vertical_shift_mean_m": float(-np.mean(lowest)),
        "vertical_shift_range_m": float(np.ptp(lowest)),
    }
    return qpos, info


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous True runs as (start, stop) with stop exclusive."""
    m = np.concatenate([[False], mask, [False]]).astype(int)
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def stance_sliding(model: mujoco.MjModel, qpos: np.ndarray, stance: dict[str, np.ndarray],
                   contact_height_m: float = 0.005) -> list[dict]:
    """Horizontal sliding (m) of the foot points in contact, summed over each stance phase.

    A point counts from frame t to t+1 when it is the foot's lowest point and within
    ``contact_height_m`` of the floor at both frames (5 mm: a swing foot skimming the floor just
    before its heel strike is not yet bearing weight and is not counted as sliding).
    """
    pts = foot_points(model, qpos)
    out = []
    for s, P in pts.items():
        for a, b in _runs(stance[s]):
            total = 0.0
            for t in range(a, b - 1):
                k = int(np.argmin(P[t, :, 2]))
                if P[t, k, 2] < contact_height_m and P[t + 1, k, 2] < contact_height_m:
                    total += float(np.linalg.norm(P[t + 1, k, :2] - P[t, k, :2]))
            out.append({"side": s, "start": int(a), "stop": int(b), "sliding_m": total})
    return out


def penetration_m(model: mujoco.MjModel, qpos: np.ndarray) -> float:
    """Deepest foot point below the floor over all frames (m, >= 0)."""
    pts = foot_points(model, qpos)
    lowest = min(float(P[:, :, 2].min()) for P in pts.values())
    return max(0.0, -lowest)


#: Joints that hold a stance foot in place: the hip's ab/adduction and flexion/extension only, so the knee and
#: ankle keep the OpenSim angles (single-axis joints equal OpenSim's) and the foot keeps its orientation.
LEG_JOINTS = {"r": ("right_hip_x", "right_hip_y"), "l": ("left_hip_x", "left_hip_y")}


def lock_stance_feet(model: mujoco.MjModel, qpos: np.ndarray, stance: dict[str, np.ndarray],
                     contact_height_m: float = 0.005, decay: float = 0.85, damping: float = 1e-4) -> tuple[np.ndarray, dict]:
    """Remove the stance-foot sliding that root corrections cannot (the two feet of a double support
    disagreeing) with small leg-joint offsets.

    Frame by frame, the contact point of each stance foot that touches the floor (within
    ``contact_height_m`` at both frames) is held in place horizontally by a damped least-squares change
    of that leg's hip_x and hip_y (:data:`LEG_JOINTS`; the small vertical side effect is removed by
    :func:`put_on_floor` afterwards). The accumulated offset is carried while the foot is down and decays by ``decay``
    per frame once it is not, so the swing leg blends back to the retargeted motion.
    Returns (qpos copy, {"max_offset_deg": largest offset applied}).
    """
    qpos = qpos.copy()
    data = mujoco.MjData(model)
    caps = foot_capsules(model)
    dofs = {s: [model.joint(n).dofadr[0] for n in names] for s, names in LEG_JOINTS.items()}
    qadr = {s: [model.joint(n).qposadr[0] for n in names] for s, names in LEG_JOINTS.items()}
    lo_hi = {s: np.array([model.joint(n).range for n in names]) for s, names in LEG_JOINTS.items()}
    offset = {s: np.zeros(len(names)) for s, names in LEG_JOINTS.items()}
    jacp = np.zeros((3, model.nv))
    largest = 0.0

    def points(q):
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        return {s: capsule_bottoms(model, data, geoms) for s, geoms in caps.items()}

    prev = points(qpos[0])
    for t in range(1, qpos.shape[0]):
        for s in LEG_JOINTS:
            qpos[t, qadr[s]] += offset[s]
        cur = points(qpos[t])
        floor = min(cur["r"][:, 2].min(), cur["l"][:, 2].min())
        floor_prev = min(prev["r"][:, 2].min(), prev["l"][:, 2].min())
        for s in LEG_JOINTS:
            k = int(np.argmin(prev[s][:, 2]))
            touching = (prev[s][k, 2] - floor_prev < contact_height_m) and (cur[s][k, 2] - floor < contact_height_m)
            if not (stance[s][t - 1] and stance[s][t] and touching):
                offset[s] *= decay
                continue
            slide = cur[s][k, :2] - prev[s][k, :2]
            data.qpos[:] = qpos[t]
            mujoco.mj_kinematics(model, data)
            mujoco.mj_comPos(model, data)
            body = model.body(FOOT_BODIES[s]).id
            mujoco.mj_jac(model, data, jacp, None, cur[s][k], body)
            J = jacp[:2, dofs[s]]
            dq = J.T @ np.linalg.solve(J @ J.T + damping * np.eye(2), -slide)
            new = np.clip(qpos[t, qadr[s]] + dq, lo_hi[s][:, 0], lo_hi[s][:, 1])
            dq = new - qpos[t, qadr[s]]
            qpos[t, qadr[s]] = new
            offset[s] += dq
            largest = max(largest, float(np.abs(offset[s]).max()))
        prev = points(qpos[t])
    return qpos, {"max_offset_deg": float(np.rad2deg(largest))}


def put_on_floor(model: mujoco.MjModel, qpos: np.ndarray) -> np.ndarray:
    """Shift the root vertically so that the lowest foot point of every frame is on the floor."""
    qpos = qpos.copy()
    pts = foot_points(model, qpos)
    lowest = np.min(np.concatenate([P[:, :, 2] for P in pts.values()], axis=1), axis=1)
    qpos[:, 2] -= lowest
    return qpos
