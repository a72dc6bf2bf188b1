"""A synthetic walking reference and rollouts on the stock suite humanoid, for tests and demos.

Not a gait model: smooth textbook-shaped hip/knee/ankle curves and a root advancing at constant
speed, enough to exercise metrics, plots and videos without the upstream stages. The reference is a
:class:`gaitmimic.io.reference.Reference`, as the retarget stage writes it.
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np

from gaitmimic.evaluate.gait import JOINT_INDEX
from gaitmimic.io.reference import Reference
from gaitmimic.io.rollouts import Rollout
from gaitmimic.sim.humanoid import body_names, body_positions


def _bump(phase: np.ndarray, centre: float, width: float) -> np.ndarray:
    d = (phase - centre + 0.5) % 1.0 - 0.5
    return np.exp(-((d / width) ** 2))


def synthetic_reference(
    humanoid_xml: str | Path,
    *,
    n_cycles: int = 6,
    cycle_s: float = 1.1,
    speed_mps: float = 1.0,
    control_rate_hz: float = 40.0,
) -> Reference:
    """A looping walk on the humanoid in ``humanoid_xml`` (MuJoCo frame, radians, metres)."""
    model = mujoco.MjModel.from_xml_path(str(humanoid_xml))
    dt = 1.0 / control_rate_hz
    n = int(round(n_cycles * cycle_s / dt)) + 1
    t = np.arange(n) * dt
    phase = (t / cycle_s) % 1.0
    qpos = np.zeros((n, model.nq))
    qpos[:, 3] = 1.0
    qpos[:, 0] = speed_mps * t
    for side, shift in (("right", 0.0), ("left", 0.5)):
        p = (phase + shift) % 1.0
        hip_flex = np.radians(10.0 + 20.0 * np.cos(2 * np.pi * p))
        knee_flex = np.radians(5.0 + 55.0 * _bump(p, 0.72, 0.12) + 15.0 * _bump(p, 0.15, 0.07))
        ankle_df = np.radians(8.0 * np.sin(2 * np.pi * p) - 10.0 * _bump(p, 0.62, 0.06))
        hip_add = np.radians(4.0 * np.sin(2 * np.pi * p))
        qpos[:, 7 + JOINT_INDEX[f"{side}_hip_y"]] = -hip_flex
        qpos[:, 7 + JOINT_INDEX[f"{side}_knee"]] = -knee_flex
        qpos[:, 7 + JOINT_INDEX[f"{side}_ankle_y"]] = -ankle_df
        qpos[:, 7 + JOINT_INDEX[f"{side}_hip_x"]] = hip_add
    names = body_names(model)
    xpos = body_positions(model, qpos, names)
    # Ground the lowest foot (foot body origins sit one capsule radius above the sole).
    feet = [names.index("right_foot"), names.index("left_foot")]
    lift = 0.027 - np.min(xpos[:, feet, 2], axis=1)
    qpos[:, 2] += lift
    xpos[:, :, 2] += lift[:, None]
    qvel = np.zeros((n, model.nv))
    for i in range(n - 1):
        mujoco.mj_differentiatePos(model, qvel[i], dt, qpos[i], qpos[i + 1])
    qvel[-1] = qvel[-2]
    starts = np.arange(0, n, int(round(cycle_s / dt)))
    return Reference(
        time_s=t, control_rate_hz=float(control_rate_hz), qpos=qpos, qvel=qvel, phase=phase, cycle_starts=starts,
        joint_names=[mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(1, model.njnt)],
        body_names=names, body_xpos=xpos, stride_m=np.array([speed_mps * cycle_s, 0.0, 0.0]), treadmill=False,
        belt_speed_mps=0.0, source_mot="synthetic",
    )


def replay_rollout(
    ref: Reference,
    *,
    episode_s: float | None = None,
    fall_fraction: float | None = None,
    policy: str = "policy",
) -> Rollout:
    """A rollout that reproduces the reference exactly, optionally falling at ``fall_fraction``.

    The fall: from that step on the torso drops (``fell`` True) and the env ends the episode one
    step later, as the task does.
    """
    dt = 1.0 / float(ref.control_rate_hz)
    n_avail = len(ref.time_s) - 1
    n_planned = n_avail if episode_s is None else int(round(episode_s / dt))
    if n_planned > n_avail:
        raise ValueError(f"reference has {n_avail} steps, {n_planned} asked for")
    rows = slice(1, n_planned + 1)
    qpos = ref.qpos[rows].copy()
    xpos = ref.body_xpos[rows].copy()
    fell = np.zeros(n_planned, dtype=bool)
    n = n_planned
    if fall_fraction is not None:
        k = int(round(fall_fraction * n_planned))
        n = k + 1
        fell[k:] = True
        qpos[k:, 2] -= 0.6
        xpos[k:, :, 2] -= 0.6
    return Rollout(
        policy=policy,
        start_phase=float(ref.phase[0]),
        reference_index=0,
        control_dt_s=dt,
        n_planned_steps=n_planned,
        body_names=[str(b) for b in ref.body_names],
        qpos=qpos[:n],
        ref_qpos=ref.qpos[rows][:n].copy(),
        body_xpos=xpos[:n],
        ref_body_xpos=ref.body_xpos[rows][:n].copy(),
        reward=np.ones(n),
        fell=fell[:n],
    )
