"""A small synthetic gait reference on the stock suite humanoid, for tests and benchmarks that
must run without the upstream stages: standing pose, sinusoidal leg swing, steady forward root.
Not a physically consistent gait; it only has the reference npz format (INTERFACES.md).
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np

from gaitmimic.atomic import atomic_path


def suite_humanoid_xml() -> Path:
    """Path of dm_control's stock humanoid MJCF."""
    import dm_control

    return Path(dm_control.__file__).parent / "suite" / "humanoid.xml"


def synthetic_reference_arrays(humanoid_xml: str | Path | None = None, rate_hz: float = 40.0,
                               cycle_s: float = 1.0, n_cycles: int = 2, speed_mps: float = 0.8,
                               swing_rad: float = 0.3) -> dict:
    """Arrays in the reference npz format for a slow synthetic walk."""
    model = mujoco.MjModel.from_xml_path(str(humanoid_xml or suite_humanoid_xml()))
    data = mujoco.MjData(model)
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
    data.qpos[:] = qpos[0]
    mujoco.mj_kinematics(model, data)
    foot = [i for i in range(model.ngeom) if "foot" in (mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, i) or "")]
    lowest = min(data.geom_xpos[i, 2] - model.geom_size[i, 0] for i in foot)
    qpos[:, 2] = -lowest
    qvel = np.zeros((t_frames, model.nv))
    qvel[:, 0] = speed_mps
    qvel[:, 6:] = np.gradient(qpos[:, 7:], 1.0 / rate_hz, axis=0)
    body_names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, b) for b in range(1, model.nbody)]
    xpos = np.empty((t_frames, model.nbody - 1, 3))
    for i in range(t_frames):
        data.qpos[:] = qpos[i]
        mujoco.mj_kinematics(model, data)
        xpos[i] = data.xpos[1:]
    joint_names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(1, model.njnt)]
    return {
        "time_s": time_s, "control_rate_hz": np.float64(rate_hz), "qpos": qpos, "qvel": qvel, "phase": phase,
        "cycle_starts": np.arange(n_cycles + 1) * n_cycle, "joint_names": np.array(joint_names),
        "body_names": np.array(body_names), "body_xpos": xpos,
        "stride_m": np.array([speed_mps * cycle_s, 0.0, 0.0]), "treadmill": np.bool_(False),
        "belt_speed_mps": np.float64(0.0), "source_mot": np.array("synthetic"),
    }


def write_synthetic_reference(out_npz: str | Path, humanoid_xml: str | Path | None = None, **kwargs) -> Path:
    """Write :func:`synthetic_reference_arrays` to ``out_npz`` atomically; return the path."""
    out_npz = Path(out_npz)
    with atomic_path(out_npz) as tmp:
        np.savez(tmp, **synthetic_reference_arrays(humanoid_xml, **kwargs))
    return out_npz
