"""gymnasium adapter around :class:`GaitTracking` (one humanoid of the task core)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from gaitmimic.task.physics import GaitPhysics
from gaitmimic.task.tracking import GaitTracking


class GaitEnv(gym.Env):
    """One humanoid, one task. ``physics`` is the dm_control Physics being simulated.

    ``reset(options={"phase": p, "reference_index": i})`` starts at gait phase p in [0, 1) of
    reference i. Step ``info`` holds ``fell`` and ``deviated``, and for an evaluation task also
    ``time_s``, ``ref_qpos`` (28,), ``ref_body_xpos`` (B, 3) and ``reward_terms``.
    """

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, physics: GaitPhysics, task: GaitTracking, seed: int = 0):
        self.physics = physics
        self.task = task
        task._random = np.random.RandomState(seed)
        task.initialize_episode(physics)
        self.core = task.core
        n_obs = self.core.observation_size()
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n_obs,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (physics.model.nu,), np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.task._random = np.random.RandomState(seed)
        self.task.initialize_episode(self.physics, options)
        return self.core.observe()[0], {}

    def step(self, action):
        task, core = self.task, self.core
        task.before_step(action, self.physics)
        core.step_physics()
        task.after_step(self.physics)
        obs, reward, terminated, truncated = task.last_step
        info = {"fell": bool(core.fell[0]), "deviated": bool(core.deviated[0])}
        if task.evaluation:
            g = task.reference_row()
            info.update(time_s=task.t / core.rate_hz, ref_qpos=core.r_qpos[g].copy(),
                        ref_body_xpos=core.r_xpos[g].copy(), reward_terms=task.reward_terms())
        return obs[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), info

    def set_progress(self, fraction: float) -> None:
        """Training progress in [0, 1] (assist decay, gravity curriculum)."""
        self.core.set_progress(fraction)

    def render(self, height: int = 240, width: int = 320, camera_id: int | str = "side"):
        return self.physics.render(height=height, width=width, camera_id=camera_id)
