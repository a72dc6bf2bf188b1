"""Deterministic rollouts in the tracking task, recorded as :class:`~gaitmimic.io.rollouts.Rollout` arrays
(written and read by :mod:`gaitmimic.io.rollouts`).

The environment is ``gaitmimic.task.make_env(humanoid_xml, reference_npzs, task, seed, evaluation=True)``
with ``reset(options={"phase": p, "reference_index": i})`` and step ``info`` keys ``time_s``,
``ref_qpos``, ``ref_body_xpos``, ``fell``; the policy from ``gaitmimic.train.stage.load_policy``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from gaitmimic.io.rollouts import Rollout
from gaitmimic.sim import humanoid

#: A policy maps an observation to an action (deterministic).
ActFn = Callable[[np.ndarray], np.ndarray]


def start_phases(n_random: int, seed: int) -> list[float]:
    """Phase 0 followed by ``n_random`` phases drawn uniformly in [0, 1) with ``seed``."""
    rng = np.random.default_rng(seed)
    return [0.0] + [float(p) for p in rng.uniform(0.0, 1.0, size=int(n_random))]


def zero_action(action_shape: tuple[int, ...]) -> ActFn:
    """The floor policy: zero action, i.e. pure PD tracking of the reference in ``mimic`` mode."""
    zeros = np.zeros(action_shape, dtype=np.float32)
    return lambda obs: zeros


def run_rollout(
    env,
    act: ActFn,
    *,
    policy: str,
    start_phase: float,
    episode_s: float,
    reference_index: int = 0,
    push: dict | None = None,
) -> Rollout:
    """Run one deterministic episode of at most ``episode_s`` seconds and record it.

    ``env`` is a gymnasium env from ``gaitmimic.task.make_env(..., evaluation=True)`` whose own
    horizon is at least ``episode_s``; the episode ends early when the env terminates (an
    evaluation env ends at a fall only). Simulated body positions are read from the physics after
    each step, the reference from the step ``info``. ``push``: one push on the torso in the episode
    ({"at_s", "duration_s", "force_n"}, see :meth:`gaitmimic.task.core.GaitCore.reset`).
    """
    options = {"phase": float(start_phase), "reference_index": int(reference_index)}
    if push is not None:
        options["push"] = push
    obs, _ = env.reset(options=options)
    physics = env.unwrapped.physics
    body_names = humanoid.body_names(physics.model.ptr)
    control_dt_s = 1.0 / float(env.unwrapped.task.rate_hz)
    n_planned = int(round(episode_s / control_dt_s))
    rows: dict[str, list] = {k: [] for k in ("qpos", "ref_qpos", "body_xpos", "ref_body_xpos", "reward", "fell", "time_s")}
    for _ in range(n_planned):
        obs, reward, terminated, truncated, info = env.step(act(obs))
        ref_xpos = np.asarray(info["ref_body_xpos"], dtype=float)[1:]  # without the world body
        rows["qpos"].append(np.array(physics.data.qpos, dtype=float))
        rows["body_xpos"].append(np.array(physics.data.xpos[1:], dtype=float))
        rows["ref_qpos"].append(np.asarray(info["ref_qpos"], dtype=float))
        rows["ref_body_xpos"].append(ref_xpos)
        rows["reward"].append(float(reward))
        rows["fell"].append(bool(info["fell"]))
        rows["time_s"].append(float(info["time_s"]))
        if terminated or truncated:
            break
    return Rollout(
        policy=policy,
        start_phase=float(start_phase),
        reference_index=int(reference_index),
        control_dt_s=control_dt_s,
        n_planned_steps=n_planned,
        body_names=body_names,
        qpos=np.asarray(rows["qpos"]),
        ref_qpos=np.asarray(rows["ref_qpos"]),
        body_xpos=np.asarray(rows["body_xpos"]),
        ref_body_xpos=np.asarray(rows["ref_body_xpos"]),
        reward=np.asarray(rows["reward"]),
        fell=np.asarray(rows["fell"], dtype=bool),
        time_s=np.asarray(rows["time_s"]),
    )


def push_trials(n: int, force_n: float, duration_s: float, episode_s: float, seed: int) -> list[dict]:
    """``n`` push trials, alternately forward (+x, the walking direction) and sideways (+y or -y in turn):
    each a start phase and a push time drawn uniformly (the push in the middle 20-70 % of the episode, so
    that the humanoid has walked before it and must walk on after it) with ``seed``."""
    rng = np.random.default_rng(seed)
    trials = []
    for k in range(int(n)):
        direction = ("forward", "sideways")[k % 2]
        sign = 1.0 if (k // 2) % 2 == 0 else -1.0
        force = [float(force_n), 0.0, 0.0] if direction == "forward" else [0.0, sign * float(force_n), 0.0]
        trials.append({"direction": direction, "start_phase": float(rng.uniform(0, 1)),
                       "push": {"at_s": float(rng.uniform(0.2, 0.7) * episode_s), "duration_s": float(duration_s),
                                "force_n": force}})
    return trials
