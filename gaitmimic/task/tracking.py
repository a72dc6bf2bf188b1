"""The gait tracking task (a dm_control ``Task``) over one or more looped reference clips.

Modes (``task_cfg["mode"]``):
- ``seed``: the original study. Torque actions on the stock motors, episodes start at a random
  frame of a real gait cycle with zero velocities, reward = weighted R_track/R_upright/R_control,
  observation = dm_control humanoid-walk's observation (joint angles, head height, extremities,
  torso vertical, centre-of-mass velocity, velocities).
- ``mimic``: DeepMimic-style imitation. Actions are PD targets residual to the next reference
  frame, plus SIMBICON-style balance feedback (:mod:`gaitmimic.task.balance`), reference state
  initialization with reference velocities, exp-kernel rewards, early termination on falls and on
  drift from the reference, phase + future reference frames observed, optional root assist that a
  training schedule removes. An evaluation task ends its episodes at a fall only: drift is reported
  (``deviated``) and the humanoid walks on, so a fall rate counts every fall, not only those that
  come before the drift.

The hot path (:meth:`GaitTracking.step_vector`) works on ``physics.data`` arrays directly; the
dm_control methods (``get_observation`` etc.) wrap it for use inside ``control.Environment``.
"""

from __future__ import annotations

import collections
import math
import types

import mujoco
import numpy as np
from dm_control.rl import control
from dm_control.suite import base

from gaitmimic.task import rewards
from gaitmimic.task.balance import BalanceFeedback
from gaitmimic.task.physics import GaitPhysics, _per_joint
from gaitmimic.task.reference import TaskReference


class GaitTracking(base.Task):
    """Track reference gait clips with the suite humanoid (see module docstring)."""

    def __init__(self, references: list[TaskReference], task_cfg: dict, evaluation: bool = False,
                 random=None):
        super().__init__(random=random)
        self.refs = references
        self.cfg = task_cfg
        self.mode = task_cfg.get("mode", "mimic")
        self.evaluation = evaluation
        self.rate_hz = references[0].control_rate_hz
        self.episode_frames = int(round(float(task_cfg.get("episode_s", 10.0)) * self.rate_hz))
        m = task_cfg.get("mimic", {})
        s = task_cfg.get("seed", {})
        self.future = np.asarray(m.get("future_frames", [1, 2, 4]), dtype=int)
        self.weights = dict(m.get("weights", {})) if self.mode == "mimic" else dict(s.get("weights", {}))
        self.scales = dict(m.get("scales", {}))
        self.track_scale = float(s.get("track_scale", 5.0))
        term = m.get("termination", {})
        self.fall_drop_m = float(term.get("torso_drop_m", 0.2))
        self.min_head_m = float(term.get("min_head_height_m", 0.7))
        self.contact_ends = bool(term.get("non_foot_contact", True))
        self.deviation_m = float(term.get("max_root_deviation_m", 1.0))
        self.max_pose_rmse = float(term.get("max_pose_rmse_rad", 0.8))
        self.terminate = self.mode == "mimic" or bool(s.get("terminate_on_fall", False))
        self.residual_cfg = m.get("residual_rad", {"default": 0.3})
        servo = m.get("servo", {})
        self._kd_ratio = float(servo.get("kd_ratio", 0.03))
        self._feedforward = bool(servo.get("velocity_feedforward", True))
        self.balance_cfg = m.get("balance", {})
        assist = task_cfg.get("assist", {})
        self.assist_cfg = assist
        self.noise_std = float(task_cfg.get("obs_noise_std", 0.0))
        self.push_cfg = task_cfg.get("pushes", {})
        self.gravity_cfg = task_cfg.get("gravity_curriculum", {})
        self.progress = 0.0
        self._physics_ready = False

    # ------------------------------------------------------------------ setup
    def _setup(self, physics: GaitPhysics) -> None:
        model = physics.model
        self.n_substeps = max(1, int(round(1.0 / (self.rate_hz * model.opt.timestep))))
        self.nu = model.nu
        jr = model.jnt_range[1:].copy()  # hinge joints after the free root
        jr[~model.jnt_limited[1:].astype(bool)] = (-np.inf, np.inf)
        self.joint_low, self.joint_high = jr[:, 0], jr[:, 1]
        self.residual = _per_joint(self.residual_cfg, physics.joint_names, 0.3)
        self.torso = physics.torso_id
        self.ee_ids = physics.ee_ids
        self.head = physics.head_id
        self.floor = physics.floor_id
        self.foot_geom = physics.foot_geom
        self._m, self._d = model.ptr, physics.data.ptr  # raw MjModel/MjData: no wrapper overhead
        self._obs = np.zeros(self.observation_size())
        if self.mode == "mimic":  # views of the future-reference block of the observation
            k = self.future.size
            o = self._obs
            self._obs_views = (o[72:72 + 21 * k].reshape(k, 21), o[72 + 21 * k:72 + 24 * k].reshape(k, 3),
                               o[72 + 24 * k:72 + 30 * k])
        a = self.assist_cfg
        self._assist_gains = [float(a.get(k, v)) for k, v in (
            ("kp_n_per_m", 5000.0), ("kd_n_s_per_m", 500.0), ("max_force_n", 800.0),
            ("kp_nm_per_rad", 1000.0), ("kd_nm_s_per_rad", 100.0), ("max_torque_nm", 200.0))]
        self._err3 = np.empty(3)
        self.balance = (BalanceFeedback(model.ptr, self.balance_cfg)
                        if self.mode == "mimic" and self.balance_cfg.get("enabled", False) else None)
        self._balance_tables = ([self.balance.reference_tables(r.qpos, r.qvel, r.body_xpos) for r in self.refs]
                                if self.balance is not None else None)
        keys = rewards.MIMIC_TERMS if self.mode == "mimic" else rewards.SEED_TERMS
        w = np.array([float(self.weights.get(k, 0.0)) for k in keys])
        self._weight_vec = w / w.sum() if w.sum() > 0 else w
        d = self._d  # cached views into MjData (valid for the life of the data)
        self._v = types.SimpleNamespace(qpos=d.qpos, qvel=d.qvel, xpos=d.xpos, xmat=d.xmat, ctrl=d.ctrl,
                                        geom_xpos=d.geom_xpos,
                                        subtree_com=d.subtree_com, sensordata=d.sensordata,
                                        xfrc_applied=d.xfrc_applied)
        self._axes = [self._ref_axes(r.qpos[:, 3:7]) for r in self.refs]
        ng = model.ngeom
        bad = np.zeros((ng, ng), dtype=bool)  # (floor, non-foot geom) pairs, both orders
        nonfoot = ~physics.foot_geom[:ng]
        nonfoot[self.floor] = False
        bad[self.floor, :] = nonfoot
        bad[:, self.floor] = nonfoot
        self._bad_pair = bad
        # Bounding spheres of the non-foot geoms: none reaches the floor plane -> no non-foot floor
        # contact (exact prefilter: MuJoCo's broadphase uses the same spheres plus the margin).
        self._nonfoot_ids = np.flatnonzero(nonfoot)
        self._nonfoot_reach = model.geom_rbound[self._nonfoot_ids] + np.maximum(
            model.geom_margin[self._nonfoot_ids], model.geom_margin[self.floor])
        self._floor_z = float(model.geom_pos[self.floor, 2])  # a world-body plane: its pos is in world frame
        # Mimic reward as one vector: [joint angles, joint velocities, end effectors - root, COM, root].
        nj = model.nq - 7
        sizes = (nj, model.nv - 6, 3 * len(self.ee_ids), 3, 3)
        self._term_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self._state = np.empty(int(sum(sizes)))
        self._scale_vec = np.array([float(self.scales.get(k, 0.0)) for k in rewards.MIMIC_TERMS])
        self._root_rotation_scale = float(self.scales.get("root_rotation", 0.0))
        self._physics_ready = True

    # --------------------------------------------------------- schedule hooks
    def set_progress(self, fraction: float) -> None:
        """Training progress in [0, 1]: drives the assist decay and the gravity curriculum."""
        self.progress = float(np.clip(fraction, 0.0, 1.0))

    def assist_level(self) -> float:
        if self.evaluation or not self.assist_cfg.get("enabled", False):
            return 0.0
        decay = max(float(self.assist_cfg.get("decay_fraction", 0.5)), 1e-9)
        return max(0.0, 1.0 - self.progress / decay)

    def gravity(self) -> float:
        g = self.gravity_cfg
        final = -abs(float(self.cfg.get("gravity_mps2", 9.81)))
        if self.evaluation or not g.get("enabled", False):
            return final
        start = -abs(float(g.get("start_mps2", 1.0)))
        ramp = max(float(g.get("ramp_fraction", 0.5)), 1e-9)
        return start + (final - start) * min(self.progress / ramp, 1.0)

    # ----------------------------------------------------------- dm_control API
    def initialize_episode(self, physics: GaitPhysics, options: dict | None = None) -> None:
        if not self._physics_ready:
            self._setup(physics)
        options = options or {}
        i = options.get("reference_index")
        i = int(self.random.randint(len(self.refs))) if i is None else int(i) % len(self.refs)
        ref = self.refs[i]
        if options.get("phase") is not None:
            ph = ref.phase[: ref.clip_frames]
            d = np.abs((ph - float(options["phase"]) + 0.5) % 1.0 - 0.5)
            start = int(np.argmin(d))
        else:
            start = int(self.random.randint(ref.clip_frames))
        self.ref_index, self.start_frame, self.t = i, start, 0
        end = start + self.episode_frames + int(self.future.max()) + 2
        # Per-episode views of the looped reference (no copies): index t = episode step.
        self.r_qpos = ref.qpos[start:end]
        self.r_qvel = ref.qvel[start:end]
        self.r_phase = ref.phase[start:end]
        self.r_xpos = ref.body_xpos[start:end]
        self.r_com = ref.com[start:end]
        self.r_axes = self._axes[i][start:end]
        if self._balance_tables is not None:  # stance weights, reference torso world angular velocity
            self.r_stance, self.r_omega = (tab[start:end] for tab in self._balance_tables[i])
        # Observation tables for every step of the episode (future reference frames, phase).
        idx = np.arange(self.episode_frames + 1)[:, None] + self.future[None, :]
        self.e_fut_joints = self.r_qpos[idx][:, :, 7:]  # (H, k, 21)
        self.e_fut_root = self.r_qpos[idx][:, :, :3]  # (H, k, 3)
        self.e_fut_axes = self.r_axes[idx].reshape(idx.shape[0], -1)  # (H, 6k)
        ph = 2 * np.pi * self.r_phase[: idx.shape[0]]
        self.e_sincos = np.stack([np.sin(ph), np.cos(ph)], axis=1)
        self.r_ee_rel = ref.body_xpos[start:end][:, self.ee_ids] - ref.qpos[start:end, None, :3]
        if self.mode == "mimic":
            n = self.r_qpos.shape[0]
            self.r_state = np.concatenate([self.r_qpos[:, 7:], self.r_qvel[:, 6:], self.r_ee_rel.reshape(n, -1),
                                           self.r_com, self.r_qpos[:, :3]], axis=1)
        d = self._d
        mujoco.mj_resetData(self._m, d)
        d.qpos[:] = self.r_qpos[0]
        d.qvel[:] = self.r_qvel[0] if self.mode == "mimic" else 0.0
        physics.model.opt.gravity[2] = self.gravity()
        if self.mode == "mimic":
            d.ctrl[:] = self.r_qpos[0, 7:]
        mujoco.mj_forward(self._m, d)
        self._push_left = 0
        self._push_force = np.zeros(3)
        self.fell = self.deviated = False
        self.last_terms: dict = {}

    def before_step(self, action, physics: GaitPhysics) -> None:
        d = self._v
        a = np.clip(np.asarray(action, dtype=float), -1.0, 1.0)
        if self.mode == "mimic":
            target = self.r_qpos[self.t + 1, 7:] + self.residual * a
            if self.balance is not None:
                t = self.t
                target += self.balance.offsets(self._m, self._d, self.torso, self.r_qpos[t], self.r_qvel[t],
                                               self.r_xpos[t], float(self.r_stance[t]), self.r_omega[t])
            target = np.clip(target, self.joint_low, self.joint_high)
            if self._feedforward:  # kp (target + kd/kp qd_ref - q) - kd qd = kp (target - q) + kd (qd_ref - qd)
                target += self._kd_ratio * self.r_qvel[self.t + 1, 6:]
            d.ctrl[:] = target
        else:
            d.ctrl[:] = a
        self._last_action = a
        d.xfrc_applied[self.torso] = 0.0
        level = self.assist_level()
        if level > 0.0:
            self._apply_assist(physics, level)
        if not self.evaluation and self.push_cfg.get("enabled", False):
            self._apply_push(physics)

    def _apply_assist(self, physics: GaitPhysics, level: float) -> None:
        """Spring-damper on the root toward the reference root, force and torque capped."""
        c = self._assist_gains
        d = self._v
        ref_q, ref_v = self.r_qpos[self.t + 1], self.r_qvel[self.t + 1]
        f = c[0] * (ref_q[:3] - d.qpos[:3]) + c[1] * (ref_v[:3] - d.qvel[:3])
        f_cap = c[2] * level
        n = math.sqrt(f @ f)
        if n > f_cap:
            f *= f_cap / n
        err = self._err3
        mujoco.mju_subQuat(err, ref_q[3:7], d.qpos[3:7])  # body-frame rotation error (rad)
        rot = d.xmat[self.torso].reshape(3, 3)  # torso = root body: its frame is the free joint's
        torque = rot @ (c[3] * err - c[4] * d.qvel[3:6])
        t_cap = c[5] * level
        n = math.sqrt(torque @ torque)
        if n > t_cap:
            torque *= t_cap / n
        d.xfrc_applied[self.torso, :3] += f
        d.xfrc_applied[self.torso, 3:] += torque

    def _apply_push(self, physics: GaitPhysics) -> None:
        c = self.push_cfg
        if self._push_left <= 0 and self.random.rand() < float(c.get("probability_per_s", 0.2)) / self.rate_hz:
            ang = self.random.uniform(0, 2 * np.pi)
            mag = float(c.get("force_n", 150.0))
            self._push_force = np.array([mag * np.cos(ang), mag * np.sin(ang), 0.0])
            self._push_left = max(1, int(round(float(c.get("duration_s", 0.1)) * self.rate_hz)))
        if self._push_left > 0:
            self._v.xfrc_applied[self.torso, :3] += self._push_force
            self._push_left -= 1

    def after_step(self, physics: GaitPhysics) -> None:
        self.t += 1

    def get_observation(self, physics: GaitPhysics) -> collections.OrderedDict:
        return collections.OrderedDict(observations=self.observation_vector(physics))

    def get_reward(self, physics: GaitPhysics) -> float:
        terms = self.reward_terms(physics)
        return rewards.combine(terms, self.weights)

    def get_termination(self, physics: GaitPhysics):
        self.update_status(physics)
        return 0.0 if self._episode_ends() else None

    def _episode_ends(self) -> bool:
        """A fall ends the episode; drift ends it in training only (evaluation walks on)."""
        return self.terminate and (self.fell or (self.deviated and not self.evaluation))

    # -------------------------------------------------------------- hot path
    def observation_vector(self, physics: GaitPhysics) -> np.ndarray:
        """The observation as one float32 vector, written into a reused buffer (then copied)."""
        d = self._v
        t = self.t
        xmat = d.xmat[self.torso]
        qpos, qvel = d.qpos, d.qvel
        o = self._obs
        if self.mode == "seed":
            o[0:21] = qpos[7:]
            o[21] = d.xpos[self.head, 2]
            rot = xmat.reshape(3, 3)
            o[22:34] = ((d.xpos[self.ee_ids] - d.xpos[self.torso]) @ rot).ravel()
            o[34:37] = xmat[6:9]
            o[37:40] = d.sensordata[:3]
            o[40:67] = qvel  # as dm_control humanoid-walk: no phase, no reference (the original study)
        else:
            rot = xmat.reshape(3, 3)
            o[0] = qpos[2]
            o[1:10] = xmat
            o[10:31] = qpos[7:]
            o[31:34] = qvel[:3] @ rot
            o[34:37] = qvel[3:6]
            np.multiply(qvel[6:], 0.1, out=o[37:58])
            o[58:70] = ((d.xpos[self.ee_ids] - qpos[:3]) @ rot).ravel()
            o[70:72] = self.e_sincos[t]
            v = self._obs_views
            np.subtract(self.e_fut_joints[t], qpos[7:], out=v[0])
            np.matmul(self.e_fut_root[t] - qpos[:3], rot, out=v[1])  # future root in the torso frame
            v[2][:] = self.e_fut_axes[t]
        obs = o.astype(np.float32)
        if self.noise_std > 0 and not self.evaluation:
            obs += self.random.normal(0.0, self.noise_std, obs.shape).astype(np.float32)
        return obs

    def observation_size(self) -> int:
        return 67 if self.mode == "seed" else 72 + 30 * self.future.size

    @staticmethod
    def _ref_axes(quats: np.ndarray) -> np.ndarray:
        """x- and z-axes (world) of the reference torso for each quaternion (k, 6)."""
        w, x, y, z = quats.T
        xa = np.stack([1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)], axis=1)
        za = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1)
        return np.concatenate([xa, za], axis=1)

    def reward_terms(self, physics: GaitPhysics) -> dict:
        """The reward terms of the current state by name (also kept as ``last_terms``)."""
        self._term_vector()
        return self.last_terms

    def _term_vector(self) -> np.ndarray:
        """The reward terms in weight order; sets ``last_terms``."""
        d = self._v
        t = self.t
        if self.mode == "seed":
            terms = rewards.seed_terms(d.qpos[7:], self.r_qpos[t, 7:], float(d.xmat[self.torso, 8]),
                                       self._last_action if self.t > 0 else np.zeros(self.nu),
                                       self.track_scale)
            vec = np.fromiter(terms.values(), float, len(terms))
        else:
            vec = self._mimic_term_vector()
            terms = dict(zip(rewards.MIMIC_TERMS, vec.tolist()))
        self.last_terms = terms
        return vec

    def _mimic_term_vector(self) -> np.ndarray:
        """:func:`rewards.mimic_terms` as a handful of vector operations (the hot path; tests compare the two)."""
        d = self._v
        t = self.t
        st = self._state
        b = self._term_starts
        q = d.qpos
        st[b[0]:b[1]] = q[7:]
        st[b[1]:b[2]] = d.qvel[6:]
        st[b[2]:b[3]] = (d.xpos[self.ee_ids] - q[:3]).ravel()
        st[b[3]:b[4]] = d.subtree_com[self.torso]
        st[b[4]:] = q[:3]
        diff = st - self.r_state[t]
        terms = np.exp(-self._scale_vec * np.add.reduceat(diff * diff, b))
        dot = abs(float(q[3:7] @ self.r_qpos[t, 3:7]))
        ang = 2.0 * math.acos(min(dot, 1.0))
        terms[4] *= math.exp(-self._root_rotation_scale * ang * ang)
        return terms

    def update_status(self, physics: GaitPhysics) -> None:
        """Set ``self.fell`` and ``self.deviated`` for the current state."""
        d = self._v
        t = self.t
        torso_z = d.xpos[self.torso, 2]
        self.fell = bool(torso_z < self.r_xpos[t, self.torso, 2] - self.fall_drop_m
                         or d.xpos[self.head, 2] < self.min_head_m
                         or (self.contact_ends and self._non_foot_contact()))
        dxy = d.qpos[:2] - self.r_qpos[t, :2]
        dq = d.qpos[7:] - self.r_qpos[t, 7:]
        self.deviated = bool(dxy @ dxy > self.deviation_m ** 2
                             or dq @ dq > self.max_pose_rmse ** 2 * dq.size)

    def _non_foot_contact(self) -> bool:
        n = self._d.ncon
        if n == 0:
            return False
        low = self._v.geom_xpos[self._nonfoot_ids, 2] - self._nonfoot_reach
        if low.min() > self._floor_z:
            return False
        g = self._d.contact.geom[:n]
        return bool(self._bad_pair[g[:, 0], g[:, 1]].any())

    def step_vector(self, action, physics: GaitPhysics):
        """One control step without dm_control's per-step overhead.

        Returns (obs, reward, terminated, truncated).
        """
        self.before_step(action, physics)
        mujoco.mj_step(self._m, self._d, nstep=self.n_substeps)
        self.t += 1
        reward = float(self._weight_vec @ self._term_vector())
        self.update_status(physics)
        terminated = self._episode_ends()
        truncated = self.t >= self.episode_frames
        return self.observation_vector(physics), reward, terminated, truncated


def make_dm_env(physics: GaitPhysics, task: GaitTracking) -> control.Environment:
    """The same task inside dm_control's ``control.Environment`` (slower; for dm_control tooling)."""
    return control.Environment(physics, task, time_limit=task.episode_frames / task.rate_hz,
                               control_timestep=1.0 / task.rate_hz)
