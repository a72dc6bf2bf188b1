"""Gait imitation task: the humanoid physics, rewards, a dm_control Task and a gymnasium env.

Entry point: :func:`make_env` (the runtime API the train and evaluate stages build on).
"""

from __future__ import annotations

from pathlib import Path

from gaitmimic.errors import InputError
from gaitmimic.task.env import GaitEnv
from gaitmimic.task.physics import GaitPhysics, build_physics
from gaitmimic.task.reference import TaskReference, build_task_reference, standing_reference
from gaitmimic.task.tracking import GaitTracking

__all__ = ["make_env", "GaitEnv", "GaitTracking", "GaitPhysics", "TaskReference"]


def make_env(humanoid_xml: str | Path, reference_npzs: list, task, seed: int = 0,
             evaluation: bool = False) -> GaitEnv:
    """Build the gait tracking env for one subject.

    humanoid_xml: the subject's humanoid MJCF; reference_npzs: reference npz paths (one or more
    trials, sampled uniformly per episode); task: the ``task`` settings
    (``gaitmimic.settings.section("task", ...)``); seed: the env's random state (episode starts,
    noise, pushes); evaluation: disable training helpers (root assist, observation noise, pushes,
    gravity curriculum).
    """
    if not reference_npzs:
        raise InputError(None, "no reference npz given to the task", "run the retarget stage for this subject")
    physics = build_physics(humanoid_xml, task)
    rate = task.control_rate_hz
    horizon = float(task.episode_s)
    if task.stand:
        refs = [standing_reference(physics.model.ptr, p, horizon, rate) for p in reference_npzs]
    else:
        refs = [build_task_reference(p, physics.model.ptr, horizon, rate) for p in reference_npzs]
    return GaitEnv(physics, GaitTracking(refs, task, evaluation=evaluation), seed=seed)
