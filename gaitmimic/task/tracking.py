"""The gait tracking task as a dm_control ``Task``: a view of :class:`~gaitmimic.task.core.GaitCore`
with one humanoid, the physics' own data (modes, rewards and termination: :mod:`gaitmimic.task.core`).

Usable in dm_control's ``control.Environment(physics, task, n_sub_steps=core.n_substeps,
legacy_step=False)`` (plain ``mj_step``, as the core steps); the gymnasium env
(:class:`gaitmimic.task.env.GaitEnv`) steps it the same way without dm_control's per-step overhead.
"""

from __future__ import annotations

import collections

import numpy as np
from dm_control.suite import base

from gaitmimic.task.core import GaitCore
from gaitmimic.task.physics import GaitPhysics
from gaitmimic.task.reference import TaskReference


class GaitTracking(base.Task):
    """Track reference gait clips with the suite humanoid: one humanoid of a :class:`GaitCore`."""

    def __init__(self, references: list[TaskReference], task, evaluation: bool = False, random=None):
        """``task``: the ``task`` settings (:func:`gaitmimic.settings.section`); ``evaluation`` disables the
        training helpers and lets drift go on (only a fall ends an evaluation episode)."""
        super().__init__(random=random)
        self.refs = references
        self.settings = task
        self.evaluation = evaluation
        self.core: GaitCore | None = None  # built on the physics at the first episode
        self.last_step = None  # (obs, reward, terminated, truncated) of the last step, one row each

    def core_for(self, physics: GaitPhysics) -> GaitCore:
        """The task's core on ``physics`` (built once; its random state is the Task's)."""
        if self.core is None:
            self.core = GaitCore(physics, self.refs, self.settings, [self.random], evaluation=self.evaluation)
        self.core.rngs[0] = self.random  # a gymnasium reset(seed=...) replaces the Task's random state
        return self.core

    # ----------------------------------------------------------- dm_control API
    def initialize_episode(self, physics: GaitPhysics, options: dict | None = None) -> None:
        self.core_for(physics).reset(0, options)
        self.last_step = None

    def before_step(self, action, physics: GaitPhysics) -> None:
        self.core.apply_actions(np.asarray(action, dtype=float)[None])

    def after_step(self, physics: GaitPhysics) -> None:
        self.last_step = self.core.after_physics()

    def get_observation(self, physics: GaitPhysics) -> collections.OrderedDict:
        obs = self.core.obs64[0] if self.last_step is not None else self.core.observe()[0]
        return collections.OrderedDict(observations=np.array(obs, dtype=float))

    def get_reward(self, physics: GaitPhysics) -> float:
        return float(self.last_step[1][0])

    def get_termination(self, physics: GaitPhysics):
        return 0.0 if self.last_step[2][0] else None

    # -------------------------------------------------------------- read-outs
    @property
    def t(self) -> int:
        """Control steps since the episode start."""
        return int(self.core.t[0])

    @property
    def fell(self) -> bool:
        return bool(self.core.fell[0])

    @property
    def deviated(self) -> bool:
        return bool(self.core.deviated[0])

    @property
    def rate_hz(self) -> float:
        return self.core.rate_hz

    @property
    def episode_frames(self) -> int:
        return self.core.episode_frames

    def reference_row(self, steps_ahead: int = 0) -> int:
        """Row of the core's reference tables for the current frame (+ ``steps_ahead``)."""
        return int(self.core.frame()[0]) + steps_ahead

    def reward_terms(self) -> dict:
        """The reward terms of the last step (all 1 at an episode start) by name."""
        return dict(zip(self.core.term_names, self.core.terms[0].tolist()))
