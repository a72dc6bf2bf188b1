"""Gait imitation task: the humanoid physics, rewards, the task core over N humanoids, and its
dm_control Task and gymnasium views.

Entry points: :func:`make_env` (one humanoid, the runtime API the evaluate stage builds on) and
:func:`make_core` (N humanoids in one core, what training steps).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.task.core import GaitCore
from gaitmimic.task.env import GaitEnv
from gaitmimic.task.physics import GaitPhysics, build_physics
from gaitmimic.task.reference import TaskReference, build_task_reference, standing_reference
from gaitmimic.task.tracking import GaitTracking

__all__ = ["make_env", "make_core", "GaitCore", "GaitEnv", "GaitTracking", "GaitPhysics", "TaskReference"]


def load_task(humanoid_xml: str | Path, reference_npzs: list, task) -> tuple[GaitPhysics, list[TaskReference]]:
    """The task's physics and looped reference clips for one subject (``task``: the ``task`` settings)."""
    if not reference_npzs:
        raise InputError(None, "no reference npz given to the task", "run the retarget stage for this subject")
    physics = build_physics(humanoid_xml, task)
    rate = task.control_rate_hz
    horizon = float(task.episode_s)
    if task.stand:
        refs = [standing_reference(physics.model.ptr, p, horizon, rate) for p in reference_npzs]
    else:
        refs = [build_task_reference(p, physics.model.ptr, horizon, rate) for p in reference_npzs]
    return physics, refs


def make_env(humanoid_xml: str | Path, reference_npzs: list, task, seed: int = 0,
             evaluation: bool = False) -> GaitEnv:
    """Build the gait tracking env for one subject.

    humanoid_xml: the subject's humanoid MJCF; reference_npzs: reference npz paths (one or more
    trials, sampled uniformly per episode); task: the ``task`` settings
    (``gaitmimic.settings.section("task", ...)``); seed: the env's random state (episode starts,
    noise, pushes); evaluation: disable training helpers (root assist, observation noise, pushes,
    gravity curriculum).
    """
    physics, refs = load_task(humanoid_xml, reference_npzs, task)
    return GaitEnv(physics, GaitTracking(refs, task, evaluation=evaluation), seed=seed)


def make_core(humanoid_xml: str | Path, reference_npzs: list, task, seeds: list[int],
              evaluation: bool = False) -> GaitCore:
    """``len(seeds)`` humanoids of one subject's task in one core, humanoid i with random state
    ``seeds[i]`` (arguments otherwise as :func:`make_env`)."""
    physics, refs = load_task(humanoid_xml, reference_npzs, task)
    return GaitCore(physics, refs, task, [np.random.RandomState(s) for s in seeds], evaluation=evaluation)
