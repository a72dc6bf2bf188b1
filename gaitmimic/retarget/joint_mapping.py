"""Joint mapping: OpenSim segment rotations -> humanoid hinge angles, joint by joint, as rotations.

Each OpenSim body's rotation relative to its own neutral orientation (upright standing: :func:`gaitmimic.retarget.opensim_kinematics.set_neutral_pose`) is
expressed in the MuJoCo frame (:mod:`gaitmimic.frames`) and applied to the matching humanoid body's
neutral orientation (the stock humanoid stands in the same neutral pose: legs straight, feet flat).
The relative rotation parent -> child is then decomposed in the humanoid's own hinge order, read
from the compiled model (hips x, z, y; ankles y then the oblique x; abdomen z, y, x across
``lower_waist``), by damped Gauss-Newton on the rotation matrix (exact for 3 hinges, least squares
for the 2-hinge ankle and 1-hinge knee).

Sign conventions that follow from the rotations (checked in tests): humanoid knee = OpenSim
``knee_angle`` (gait2392, negative in flexion), ``hip_y`` = -hip_flexion, ``ankle_y`` = -ankle_angle.

Arms: upper- and lower-arm directions (shoulder->elbow, elbow->wrist) are matched when the model
has arms; otherwise a fixed neutral pose (:data:`NEUTRAL_ARMS_RAD`).
"""

from __future__ import annotations

from typing import Callable

import mujoco
import numpy as np

from gaitmimic.frames import rotation_opensim_to_mujoco
from gaitmimic.sim.humanoid import JOINT_NAMES

#: Humanoid body -> OpenSim segment key of :mod:`gaitmimic.retarget.opensim_kinematics`.
HUMANOID_TO_OPENSIM: dict[str, str] = {
    "torso": "torso", "pelvis": "pelvis",
    "right_thigh": "thigh_r", "right_shin": "shin_r", "right_foot": "foot_r",
    "left_thigh": "thigh_l", "left_shin": "shin_l", "left_foot": "foot_l",
}  # fmt: skip

#: (parent body, child body) groups solved together; the joints are those between them.
GROUPS: tuple[tuple[str, str], ...] = (
    ("torso", "pelvis"),
    ("pelvis", "right_thigh"), ("right_thigh", "right_shin"), ("right_shin", "right_foot"),
    ("pelvis", "left_thigh"), ("left_thigh", "left_shin"), ("left_shin", "left_foot"),
)  # fmt: skip

#: Arms hanging close to the body, elbows slightly bent (shoulder1, shoulder2, elbow), radians.
NEUTRAL_ARMS_RAD = {"right": (0.35, -0.6, -0.9), "left": (-0.35, 0.6, -0.9)}


def axis_angle_matrices(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices (T,3,3) about unit ``axis`` (3,) by ``angle`` (T,) (Rodrigues)."""
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * K + (1 - c) * (K @ K)


def quat_to_mat(q: np.ndarray) -> np.ndarray:
    out = np.zeros(9)
    mujoco.mju_quat2Mat(out, np.asarray(q, float))
    return out.reshape(3, 3)


def chain_elements(model: mujoco.MjModel, parent: str, child: str) -> tuple[list, list[str]]:
    """Fixed rotations and hinge axes from ``parent`` (exclusive) down to ``child`` (inclusive).

    Returns (elements, joint names) with elements ``("fixed", R)`` or ``("hinge", axis, index)``.
    """
    bodies = []
    b = model.body(child).id
    pid = model.body(parent).id
    while b != pid:
        bodies.append(b)
        b = model.body_parentid[b]
        if b == 0:
            raise ValueError(f"{parent} is not an ancestor of {child}")
    elements, names = [], []
    for b in reversed(bodies):
        elements.append(("fixed", quat_to_mat(model.body_quat[b])))
        for j in range(model.body_jntadr[b], model.body_jntadr[b] + model.body_jntnum[b]):
            elements.append(("hinge", model.jnt_axis[j].copy(), len(names)))
            names.append(model.joint(j).name)
    return elements, names


def chain_rotation(elements: list, q: np.ndarray) -> np.ndarray:
    """Rotation (T,3,3) of the chain for angles ``q`` (T, n)."""
    R = np.broadcast_to(np.eye(3), (q.shape[0], 3, 3)).copy()
    for el in elements:
        R = R @ el[1] if el[0] == "fixed" else R @ axis_angle_matrices(el[1], q[:, el[2]])
    return R


def solve_least_squares(residual: Callable[[np.ndarray], np.ndarray], q0: np.ndarray,
                        iterations: int = 30, eps: float = 1e-6) -> np.ndarray:
    """Per-frame damped Gauss-Newton (Levenberg-Marquardt) for residual(q (T,n)) -> (T,m)."""
    q = q0.astype(float).copy()
    lam = np.full(q.shape[0], 1e-3)
    r = residual(q)
    cost = (r**2).sum(1)
    n = q.shape[1]
    for _ in range(iterations):
        J = np.stack([(residual(q + eps * np.eye(n)[i]) - r) / eps for i in range(n)], axis=2)  # (T,m,n)
        JtJ = np.einsum("tmi,tmj->tij", J, J)
        g = np.einsum("tmi,tm->ti", J, r)
        step = -np.linalg.solve(JtJ + lam[:, None, None] * np.eye(n), g[..., None])[..., 0]
        q_new = q + step
        r_new = residual(q_new)
        cost_new = (r_new**2).sum(1)
        better = cost_new < cost
        q[better], r[better], cost[better] = q_new[better], r_new[better], cost_new[better]
        lam = np.where(better, lam * 0.3, lam * 10.0)
        if np.max(np.abs(step)) < 1e-9:
            break
    return q


def neutral_rotations(model: mujoco.MjModel) -> dict[str, np.ndarray]:
    """World rotation of every humanoid body at qpos0 with the root at identity."""
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    return {model.body(i).name: data.xmat[i].reshape(3, 3).copy() for i in range(1, model.nbody)}


def humanoid_body_targets(kin, model: mujoco.MjModel, toe_weight: float) -> dict[str, np.ndarray]:
    """Target world rotations (T,3,3), MuJoCo frame, of the humanoid bodies mapped to OpenSim segments.

    ``toe_weight`` in [0, 1]: the humanoid's rigid, toe-less foot takes the calcaneus rotation moved this
    fraction of the way towards the toes' rotation (geodesic interpolation), so a foot rolling over
    its toes at push-off pivots near the toe tip like a rigid heel-to-toe-tip segment would. 0 = calcaneus.
    """
    from scipy.spatial.transform import Rotation

    H0 = neutral_rotations(model)
    out = {}
    for hb, seg in HUMANOID_TO_OPENSIM.items():
        delta = kin.from_neutral(seg)
        toes = "toes" + seg[4:]
        if toe_weight > 0 and seg.startswith("foot") and toes in kin.rotations:
            d_toes = kin.from_neutral(toes)
            rel = Rotation.from_matrix(np.einsum("tji,tjk->tik", delta, d_toes)).as_rotvec()
            delta = delta @ Rotation.from_rotvec(toe_weight * rel).as_matrix()
        out[hb] = rotation_opensim_to_mujoco(delta) @ H0[hb]
    return out


def _initial_guess(names: list[str], M: np.ndarray) -> np.ndarray:
    """Analytic start for the decomposition (exact when the fixed rotations are identity)."""
    from scipy.spatial.transform import Rotation

    T = M.shape[0]
    if len(names) == 3:
        seq = "".join(n[-1].upper() for n in names)  # e.g. hip x,z,y -> "XZY"; abdomen z,y,x -> "ZYX"
        ang = Rotation.from_matrix(M).as_euler(seq)
        return ang
    if len(names) == 1:
        return np.zeros((T, 1))
    return np.zeros((T, len(names)))


def map_joints(kin, model: mujoco.MjModel, toe_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Humanoid joint angles (T, 21) in :data:`JOINT_NAMES` order and the torso world rotation (T,3,3).

    Left-leg hinge axes are negated in the humanoid; the decomposition uses the compiled axes, so
    left and right come out with the same anatomical signs.
    """
    targets = humanoid_body_targets(kin, model, toe_weight)
    T = kin.time_s.shape[0]
    q = np.zeros((T, len(JOINT_NAMES)))
    col = {n: i for i, n in enumerate(JOINT_NAMES)}
    for parent, child in GROUPS:
        elements, names = chain_elements(model, parent, child)
        M = np.einsum("tji,tjk->tik", targets[parent], targets[child])  # parent^T child
        # flip sign of the analytic start where the compiled axis is negative (left leg)
        q0 = _initial_guess(names, M)
        if len(names) == 3:
            for i, el in enumerate(e for e in elements if e[0] == "hinge"):
                q0[:, i] *= np.sign(el[1][np.argmax(np.abs(el[1]))])
        sol = solve_least_squares(lambda qq: (chain_rotation(elements, qq) - M).reshape(T, 9), q0)
        for i, n in enumerate(names):
            q[:, col[n]] = sol[:, i]
    _map_arms(kin, model, targets["torso"], q, col)
    return q, targets["torso"]


def _map_arms(kin, model, torso_R: np.ndarray, q: np.ndarray, col: dict[str, int]) -> None:
    T = q.shape[0]
    for side, s in (("right", "r"), ("left", "l")):
        names = [f"{side}_shoulder1", f"{side}_shoulder2", f"{side}_elbow"]
        if not kin.has_arms:
            for n, v in zip(names, NEUTRAL_ARMS_RAD[side]):
                q[:, col[n]] = v
            continue
        from gaitmimic.frames import opensim_to_mujoco

        d_up = opensim_to_mujoco(kin.centres[f"elbow_{s}"] - kin.centres[f"shoulder_{s}"])
        d_lo = opensim_to_mujoco(kin.centres[f"wrist_{s}"] - kin.centres[f"elbow_{s}"])
        d_up = np.einsum("tji,tj->ti", torso_R, d_up / np.linalg.norm(d_up, axis=1, keepdims=True))
        d_lo = np.einsum("tji,tj->ti", torso_R, d_lo / np.linalg.norm(d_lo, axis=1, keepdims=True))
        up_el, _ = chain_elements(model, "torso", f"{side}_upper_arm")
        lo_el, _ = chain_elements(model, f"{side}_upper_arm", f"{side}_lower_arm")
        lo_el = [(e[0], e[1], e[2] + 2) if e[0] == "hinge" else e for e in lo_el]
        u_up = model.body(f"{side}_lower_arm").pos / np.linalg.norm(model.body(f"{side}_lower_arm").pos)
        u_lo = model.body(f"{side}_hand").pos / np.linalg.norm(model.body(f"{side}_hand").pos)

        def residual(qq):
            R1 = chain_rotation(up_el, qq)
            R2 = R1 @ chain_rotation(lo_el, qq)
            return np.concatenate([3.0 * (R1 @ u_up - d_up), R2 @ u_lo - d_lo], axis=1)  # upper arm first

        q0 = np.tile(NEUTRAL_ARMS_RAD[side], (T, 1))
        sol = solve_least_squares(residual, q0)
        for i, n in enumerate(names):
            q[:, col[n]] = sol[:, i]


#: Joints outside the sagittal plane: trunk twist and side bend, hip ab/adduction and rotation, ankle
#: inversion/eversion.
NON_SAGITTAL_JOINTS: tuple[str, ...] = ("abdomen_z", "abdomen_x", "right_hip_x", "right_hip_z", "right_ankle_x",
                                        "left_hip_x", "left_hip_z", "left_ankle_x")


def sagittal_only(q: np.ndarray, torso_R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sagittal part of a gait: non-sagittal joints at 0 and the torso rotated about the lateral
    axis only (its pitch kept, its roll and heading removed). Arms are kept as mapped.

    Returns new arrays (joint angles (T, 21), torso rotation (T,3,3))."""
    q = q.copy()
    for name in NON_SAGITTAL_JOINTS:
        q[:, JOINT_NAMES.index(name)] = 0.0
    fwd = torso_R[:, :, 0]  # torso x axis (forward) in the world
    pitch = np.arctan2(-fwd[:, 2], np.hypot(fwd[:, 0], fwd[:, 1]))
    return q, axis_angle_matrices(np.array([0.0, 1.0, 0.0]), pitch)
