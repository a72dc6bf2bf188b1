"""A small synthetic gait reference on the stock suite humanoid, for tests and benchmarks that
must run without the upstream stages: standing pose, sinusoidal leg swing, steady forward root.
Not a physically consistent gait; it only has the reference format (:class:`gaitmimic.io.reference.Reference`).
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np

from gaitmimic.io.reference import Reference, write_reference
from gaitmimic.sim import humanoid


def synthetic_walk(humanoid_xml: str | Path | None = None, rate_hz: float = 40.0, cycle_s: float = 1.0,
                   n_cycles: int = 2, speed_mps: float = 0.8, swing_rad: float = 0.3) -> Reference:
    """A slow synthetic walk on ``humanoid_xml`` (the stock suite humanoid when None), MuJoCo frame."""
    model = mujoco.MjModel.from_xml_path(str(humanoid_xml or humanoid.suite_humanoid_path()))
    n_cycle = int(round(cycle_s * rate_hz))
    t_frames = n_cycle * n_cycles + 1
    time_s = np.arange(t_frames) / rate_hz
    phase = (time_s / cycle_s) % 1.0
    jid = {mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j): model.jnt_qposadr[j] for j in range(model.njnt)}
    qpos = np.zeros((t_frames, model.nq))
    qpos[:, 3] = 1.0
    w = 2 * np.pi * phase
    for side, shift in (("right", 0.0), ("left", np.pi)):
        qpos[:, jid[f"{side}_hip_y"]] = -swing_rad * np.sin(w + shift) - 0.1
        qpos[:, jid[f"{side}_knee"]] = -0.6 * swing_rad * (1 - np.cos(w + shift))
        qpos[:, jid[f"{side}_ankle_y"]] = 0.3 * swing_rad * np.sin(w + shift)
    qpos[:, 0] = speed_mps * time_s
    # Put the lowest foot point on the floor in the first frame.
    qpos[:, 2] = -humanoid.lowest_foot_z(model, qpos[0])
    qvel = np.zeros((t_frames, model.nv))
    qvel[:, 0] = speed_mps
    qvel[:, 6:] = np.gradient(qpos[:, 7:], 1.0 / rate_hz, axis=0)
    body_names = humanoid.body_names(model)
    joint_names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(1, model.njnt)]
    return Reference(
        time_s=time_s, control_rate_hz=float(rate_hz), qpos=qpos, qvel=qvel, phase=phase,
        cycle_starts=np.arange(n_cycles + 1) * n_cycle, joint_names=joint_names, body_names=body_names,
        body_xpos=humanoid.body_positions(model, qpos, body_names), stride_m=np.array([speed_mps * cycle_s, 0.0, 0.0]),
        treadmill=False, belt_speed_mps=0.0, source_mot="synthetic",
    )


def write_synthetic_reference(out_npz: str | Path, humanoid_xml: str | Path | None = None, **kwargs) -> Path:
    """Write :func:`synthetic_walk` (keyword arguments passed on) to ``out_npz``; return the path."""
    return write_reference(out_npz, synthetic_walk(humanoid_xml, **kwargs))
