"""Quality checks of a reference motion, shared by the tests and the stage's QC report.

Every function returns plain numbers (metres, degrees) so they can be printed and asserted.
"""

from __future__ import annotations

import mujoco
import numpy as np

from gaitmimic.io.reference import Reference
from gaitmimic.retarget.reference import central_velocities
from gaitmimic.sim import humanoid


def quaternion_norm_error(ref: Reference) -> float:
    """Largest | |q| - 1 | of the root quaternions."""
    return float(np.max(np.abs(np.linalg.norm(ref.qpos[:, 3:7], axis=1) - 1.0)))


def range_violation_deg(model: mujoco.MjModel, ref: Reference) -> float:
    """Largest excursion (deg) of any joint outside its range (0 when all inside)."""
    lo_hi = humanoid.joint_ranges_rad(model)
    q = ref.qpos[:, 7:]
    over = np.maximum(q - lo_hi[:, 1], 0.0) + np.maximum(lo_hi[:, 0] - q, 0.0)
    return float(np.rad2deg(over.max()))


def forward_all_finite(model: mujoco.MjModel, ref: Reference) -> bool:
    """``mj_forward`` on every frame (qpos and qvel) gives finite positions and accelerations."""
    data = mujoco.MjData(model)
    for t in range(ref.n_frames):
        data.qpos[:] = ref.qpos[t]
        data.qvel[:] = ref.qvel[t]
        mujoco.mj_forward(model, data)
        if not (np.all(np.isfinite(data.xpos)) and np.all(np.isfinite(data.qacc))):
            return False
    return True


def velocity_consistency(ref: Reference) -> float:
    """Largest |qvel - d(qpos)/dt| over interior frames (rad/s or m/s), central differences."""
    v = central_velocities(ref.qpos, ref.dt)
    return float(np.abs(v[1:-1] - ref.qvel[1:-1]).max())


def seam_metrics(ref: Reference, looped: Reference) -> dict:
    """Discontinuity at the seams of a looped reference vs the smoothness of the original.

    position_jump_m: largest root-position second difference |q[s] - 2q[s-1] + q[s-2]| at a seam
    (a smooth trajectory gives ~acceleration*dt^2, millimetres); body_jump_m: the same for key bodies;
    velocity_step_ratio: largest per-dof velocity step at a seam divided by the largest step of
    that dof anywhere in the original reference (<= ~1 means no visible discontinuity).
    """
    seams = looped.cycle_starts[1:-1]
    if seams.size == 0:
        return {"position_jump_m": 0.0, "body_jump_m": 0.0, "velocity_step_ratio": 0.0}
    q, x, v = looped.qpos, looped.body_xpos, looped.qvel
    pos = max(float(np.linalg.norm(q[s, :3] - 2 * q[s - 1, :3] + q[s - 2, :3])) for s in seams)
    body = max(float(np.linalg.norm(x[s] - 2 * x[s - 1] + x[s - 2], axis=1).max()) for s in seams)
    typical = np.abs(np.diff(ref.qvel, axis=0)).max(axis=0) + 1e-3
    step = max(float((np.abs(v[s] - v[s - 1]) / typical).max()) for s in seams)
    return {"position_jump_m": pos, "body_jump_m": body, "velocity_step_ratio": step}


def pinned_physics_tracking(humanoid_xml, ref: Reference, bandwidth_hz: float = 8.0, damping_ratio: float = 1.0,
                            substeps: int = 5) -> dict:
    """Play the reference through the physics with the root pinned to it.

    No gravity, no contacts; the root pose/velocity are imposed every substep (fixed root), every
    hinge is driven by a computed-torque PD servo (joint-space mass matrix times a critically damped
    PD acceleration at ``bandwidth_hz``, plus bias and passive-force compensation). Returns the
    joint tracking error (deg, RMS and max) and the key-body position error (m, mean and max).
    """
    from dm_control import mjcf

    root = mjcf.from_path(str(humanoid_xml))
    root.option.gravity = [0, 0, 0]
    root.option.flag.contact = "disable"
    for act in list(root.actuator.all_children()):
        act.remove()
    for name in humanoid.JOINT_NAMES:
        root.actuator.add("motor", name=f"servo_{name}", joint=name, gear=[1.0], ctrllimited=False)
    model = mujoco.MjModel.from_xml_string(root.to_xml_string(), root.get_assets())
    model.opt.timestep = ref.dt / substeps
    data = mujoco.MjData(model)
    data.qpos[:] = ref.qpos[0]
    data.qvel[:] = ref.qvel[0]
    mujoco.mj_forward(model, data)
    body_ids = [model.body(n).id for n in ref.body_names]
    w = 2 * np.pi * bandwidth_hz
    kp, kd = w * w, 2 * damping_ratio * w
    M = np.zeros((model.nv, model.nv))
    a_ref = np.gradient(ref.qvel[:, 6:], ref.dt, axis=0)
    errs, body_errs = [], []
    for t in range(ref.n_frames - 1):
        for k in range(substeps):
            a = k / substeps
            q_ref = (1 - a) * ref.qpos[t, 7:] + a * ref.qpos[t + 1, 7:]
            v_ref = (1 - a) * ref.qvel[t, 6:] + a * ref.qvel[t + 1, 6:]
            root_q = (1 - a) * ref.qpos[t, :7] + a * ref.qpos[t + 1, :7]
            root_q[3:7] /= np.linalg.norm(root_q[3:7])
            data.qpos[:7] = root_q
            data.qvel[:6] = ref.qvel[t, :6]
            mujoco.mj_forward(model, data)
            mujoco.mj_fullM(model, data, M)
            acc = kp * (q_ref - data.qpos[7:]) + kd * (v_ref - data.qvel[6:]) + a_ref[t]
            # joint-space inertia seen with the root free during the substep (Schur complement)
            M_eff = M[6:, 6:] - M[6:, :6] @ np.linalg.solve(M[:6, :6], M[:6, 6:])
            data.ctrl[:] = M_eff @ acc + data.qfrc_bias[6:] - data.qfrc_passive[6:]
            mujoco.mj_step(model, data)
        data.qpos[:7] = ref.qpos[t + 1, :7]
        mujoco.mj_kinematics(model, data)
        errs.append(data.qpos[7:] - ref.qpos[t + 1, 7:])
        body_errs.append(np.linalg.norm(data.xpos[body_ids] - ref.body_xpos[t + 1], axis=1))
    e = np.rad2deg(np.asarray(errs))
    b = np.asarray(body_errs)
    return {"joint_rms_deg": float(np.sqrt((e**2).mean())), "joint_max_deg": float(np.abs(e).max()),
            "body_mean_m": float(b.mean()), "body_max_m": float(b.max()),
            "finite": bool(np.all(np.isfinite(e)))}
