"""Gait imitation task: the humanoid physics, rewards, a dm_control Task and a gymnasium env.

Entry point: :func:`make_env` (the runtime API the evaluation stage builds on).
"""

from __future__ import annotations

import copy
from pathlib import Path

from gaitmimic.errors import InputError
from gaitmimic.task.config import DEFAULT_TASK_CFG, merge_task_cfg
from gaitmimic.task.env import GaitEnv
from gaitmimic.task.physics import GaitPhysics, build_physics
from gaitmimic.task.reference import TaskReference, build_task_reference, standing_reference
from gaitmimic.task.tracking import GaitTracking

__all__ = ["make_env", "GaitEnv", "GaitTracking", "GaitPhysics", "TaskReference", "DEFAULT_TASK_CFG"]


def make_env(humanoid_xml: str | Path, reference_npzs: list, task_cfg: dict | None = None, seed: int = 0,
             evaluation: bool = False) -> GaitEnv:
    """Build the gait tracking env for one subject.

    humanoid_xml: the subject's humanoid MJCF; reference_npzs: reference npz paths (one or more
    trials, sampled uniformly per episode); task_cfg: the ``task:`` config section (missing keys
    take the defaults in :mod:`gaitmimic.task.config`); evaluation: disable training helpers
    (root assist, observation noise, pushes, gravity curriculum).
    """
    cfg = merge_task_cfg(task_cfg or {})
    if not reference_npzs:
        raise InputError(None, "no reference npz given to the task", "run the retarget stage for this subject")
    physics = build_physics(humanoid_xml, cfg)
    rate = cfg.get("control_rate_hz")
    horizon = float(cfg["episode_s"])
    if cfg.get("stand", False):
        refs = [standing_reference(physics.model.ptr, p, horizon, rate) for p in reference_npzs]
    else:
        refs = [build_task_reference(p, physics.model.ptr, horizon, rate) for p in reference_npzs]
    task = GaitTracking(refs, copy.deepcopy(cfg), evaluation=evaluation)
    return GaitEnv(physics, task, seed=seed)
