"""gymnasium adapter around :class:`GaitTracking` for stable-baselines3."""

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
        self._seed = seed
        self.task._random = np.random.RandomState(seed)
        self.task.initialize_episode(physics)  # sets up ids and sizes
        obs = task.observation_vector(physics)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, obs.shape, np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (physics.model.nu,), np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.task._random = np.random.RandomState(seed)
        self.task.initialize_episode(self.physics, options)
        return self.task.observation_vector(self.physics), {}

    def step(self, action):
        obs, reward, terminated, truncated = self.task.step_vector(action, self.physics)
        task = self.task
        if not task.evaluation:  # training: nothing that costs copies (SB3 deep-copies every info)
            return obs, reward, terminated, truncated, {"fell": task.fell, "deviated": task.deviated}
        info = {
            "time_s": task.t / task.rate_hz,
            "ref_qpos": task.r_qpos[task.t].copy(),
            "ref_body_xpos": task.r_xpos[task.t].copy(),
            "fell": task.fell,
            "deviated": task.deviated,
            "reward_terms": task.last_terms,
        }
        return obs, reward, terminated, truncated, info

    def set_progress(self, fraction: float) -> None:
        """Training progress in [0, 1] (assist decay, gravity curriculum); called by callbacks."""
        self.task.set_progress(fraction)

    def control_rate_hz(self) -> float:
        return self.task.rate_hz

    def helper_levels(self) -> tuple[float, float]:
        """(root-assist level in [0, 1], gravity in m/s^2) that the schedule sets now."""
        return self.task.assist_level(), self.task.gravity()

    def render(self, height: int = 240, width: int = 320, camera_id: int | str = "side"):
        return self.physics.render(height=height, width=width, camera_id=camera_id)
