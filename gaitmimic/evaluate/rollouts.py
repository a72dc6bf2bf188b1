"""Deterministic rollouts in the tracking task, recorded as arrays.

A :class:`Rollout` holds everything the metrics, plots and videos need, so those never touch the
environment: the simulated and reference ``qpos`` and body positions at every control step, the
rewards and the fall flags. Row ``k`` is the state after control step ``k + 1``.

The environment comes from the rl stage's runtime API (see INTERFACES.md):
``gaitmimic.task.make_env(humanoid_xml, reference_npzs, task_cfg, seed, evaluation=True)`` with
``reset(options={"phase": p, "reference_index": i})`` and step ``info`` keys ``time_s``,
``ref_qpos``, ``ref_body_xpos``, ``fell``; the policy from ``gaitmimic.train.stage.load_policy``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from gaitmimic.atomic import atomic_path

#: A policy maps an observation to an action (deterministic).
ActFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class Rollout:
    """One evaluation episode.

    Arrays have one row per control step actually simulated (``n_steps``); an episode cut short by a
    fall has fewer rows than ``n_planned_steps``.
    """

    policy: str                   # "policy" or "zero_action"
    start_phase: float            # gait phase in [0, 1) at reset
    reference_index: int          # which reference clip
    control_dt_s: float
    n_planned_steps: int          # episode length asked for, in control steps
    body_names: list[str]
    qpos: np.ndarray              # (N, 28) simulated humanoid
    ref_qpos: np.ndarray          # (N, 28) reference at the same instants
    body_xpos: np.ndarray         # (N, B, 3) world positions, MuJoCo frame, m
    ref_body_xpos: np.ndarray     # (N, B, 3)
    reward: np.ndarray            # (N,)
    fell: np.ndarray              # (N,) bool, True from the step where the humanoid fell
    time_s: np.ndarray = field(default=None)  # (N,) episode time after each step

    def __post_init__(self) -> None:
        if self.time_s is None:
            self.time_s = (np.arange(self.n_steps) + 1) * self.control_dt_s

    @property
    def n_steps(self) -> int:
        return int(np.asarray(self.qpos).shape[0])


def save_rollouts(path: str | Path, rollouts: list[Rollout]) -> None:
    """Write rollouts to one ``.npz`` (keys ``r<i>_<field>``), atomically."""
    arrays: dict[str, np.ndarray] = {"n_rollouts": np.array(len(rollouts))}
    for i, r in enumerate(rollouts):
        for key, value in asdict(r).items():
            arrays[f"r{i}_{key}"] = np.asarray(value)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)


def load_rollouts(path: str | Path) -> list[Rollout]:
    """Read rollouts written by :func:`save_rollouts`."""
    with np.load(path, allow_pickle=False) as z:
        out = []
        for i in range(int(z["n_rollouts"])):
            get = lambda k: z[f"r{i}_{k}"]  # noqa: E731
            out.append(
                Rollout(
                    policy=str(get("policy")),
                    start_phase=float(get("start_phase")),
                    reference_index=int(get("reference_index")),
                    control_dt_s=float(get("control_dt_s")),
                    n_planned_steps=int(get("n_planned_steps")),
                    body_names=[str(b) for b in get("body_names")],
                    qpos=get("qpos"),
                    ref_qpos=get("ref_qpos"),
                    body_xpos=get("body_xpos"),
                    ref_body_xpos=get("ref_body_xpos"),
                    reward=get("reward"),
                    fell=get("fell").astype(bool),
                    time_s=get("time_s"),
                )
            )
    return out


def start_phases(n_random: int, seed: int) -> list[float]:
    """Phase 0 followed by ``n_random`` phases drawn uniformly in [0, 1) with ``seed``."""
    rng = np.random.default_rng(seed)
    return [0.0] + [float(p) for p in rng.uniform(0.0, 1.0, size=int(n_random))]


def zero_action(action_shape: tuple[int, ...]) -> ActFn:
    """The floor policy: zero action, i.e. pure PD tracking of the reference in ``mimic`` mode."""
    zeros = np.zeros(action_shape, dtype=np.float32)
    return lambda obs: zeros


def body_names_of_physics(physics) -> list[str]:
    """Body names of a dm_control Physics, world excluded (the order of ``Rollout.body_xpos``)."""
    model = physics.model
    return [model.id2name(i, "body") for i in range(1, model.nbody)]


def _control_dt_s(env) -> float:
    task = getattr(env.unwrapped, "task", None)
    rate = getattr(task, "rate_hz", None)
    if rate:
        return 1.0 / float(rate)
    raise ValueError("cannot tell the env's control rate (expected env.unwrapped.task.rate_hz)")


def run_rollout(
    env,
    act: ActFn,
    *,
    policy: str,
    start_phase: float,
    episode_s: float,
    reference_index: int = 0,
) -> Rollout:
    """Run one deterministic episode of at most ``episode_s`` seconds and record it.

    ``env`` is a gymnasium env from ``gaitmimic.task.make_env(..., evaluation=True)`` whose own
    horizon is at least ``episode_s``; the episode ends early when the env terminates (an
    evaluation env ends at a fall only). Simulated body positions are read from the physics after
    each step, the reference from the step ``info``.
    """
    obs, _ = env.reset(options={"phase": float(start_phase), "reference_index": int(reference_index)})
    physics = env.unwrapped.physics
    nbody = physics.model.nbody
    body_names = body_names_of_physics(physics)
    control_dt_s = _control_dt_s(env)
    n_planned = int(round(episode_s / control_dt_s))
    rows: dict[str, list] = {k: [] for k in ("qpos", "ref_qpos", "body_xpos", "ref_body_xpos", "reward", "fell", "time_s")}
    for _ in range(n_planned):
        obs, reward, terminated, truncated, info = env.step(act(obs))
        ref_xpos = np.asarray(info["ref_body_xpos"], dtype=float)
        if ref_xpos.shape[0] == nbody:  # includes the world body
            ref_xpos = ref_xpos[1:]
        rows["qpos"].append(np.array(physics.data.qpos, dtype=float))
        rows["body_xpos"].append(np.array(physics.data.xpos[1:], dtype=float))
        rows["ref_qpos"].append(np.asarray(info["ref_qpos"], dtype=float))
        rows["ref_body_xpos"].append(ref_xpos)
        rows["reward"].append(float(reward))
        rows["fell"].append(bool(info.get("fell", False)))
        rows["time_s"].append(float(info.get("time_s", (len(rows["time_s"]) + 1) * control_dt_s)))
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
