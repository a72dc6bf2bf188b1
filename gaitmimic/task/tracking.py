"""The gait tracking task (a dm_control ``Task``) over one or more looped reference clips.

Modes (the ``task.mode`` setting):
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
from dm_control.suite import base

from gaitmimic import settings
from gaitmimic.task import rewards
from gaitmimic.task.balance import BalanceFeedback
from gaitmimic.task.physics import GaitPhysics, per_joint
from gaitmimic.task.reference import TaskReference


class GaitTracking(base.Task):
    """Track reference gait clips with the suite humanoid (see module docstring)."""

    def __init__(self, references: list[TaskReference], task, evaluation: bool = False, random=None):
        """``task``: the ``task`` settings (:func:`gaitmimic.settings.section`), read here once into plain
        numbers; ``evaluation`` disables the training helpers (root assist, observation noise, pushes,
        gravity curriculum) and lets drift go on (only a fall ends an evaluation episode)."""
        super().__init__(random=random)
        self.refs = references
        self.settings = task
        self.mode = task.mode
        self.evaluation = evaluation
        self.rate_hz = references[0].control_rate_hz
        self.episode_frames = int(round(float(task.episode_s) * self.rate_hz))
        m, s = task.mimic, task.seed
        self.future = np.asarray(m.future_frames, dtype=int)
        self.weights = settings.as_dict(m.weights if self.mode == "mimic" else s.weights)
        self.scales = settings.as_dict(m.scales)
        self.track_scale = float(s.track_scale)
        term = m.termination
        self.fall_drop_m = float(term.torso_drop_m)
        self.min_head_m = float(term.min_head_height_m)
        self.contact_ends = bool(term.non_foot_contact)
        self.deviation_m = float(term.max_root_deviation_m)
        self.max_pose_rmse = float(term.max_pose_rmse_rad)
        self.terminate = self.mode == "mimic" or bool(s.terminate_on_fall)
        self._kd_ratio = float(m.servo.kd_ratio)
        self._feedforward = bool(m.servo.velocity_feedforward)
        self.noise_std = float(task.obs_noise_std)
        a = task.assist
        self._assist_on = bool(a.enabled) and not evaluation
        self._assist_decay = max(float(a.decay_fraction), 1e-9)
        self._assist_gains = [float(a.kp_n_per_m), float(a.kd_n_s_per_m), float(a.max_force_n),
                              float(a.kp_nm_per_rad), float(a.kd_nm_s_per_rad), float(a.max_torque_nm)]
        p = task.pushes
        self._pushes_on = bool(p.enabled) and not evaluation
        self._push_rate_per_step = float(p.probability_per_s) / self.rate_hz
        self._push_force_n = float(p.force_n)
        self._push_steps = max(1, int(round(float(p.duration_s) * self.rate_hz)))
        g = task.gravity_curriculum
        self._gravity_final = -abs(float(task.gravity_mps2))
        self._gravity_ramp_on = bool(g.enabled) and not evaluation
        self._gravity_start = -abs(float(g.start_mps2))
        self._gravity_ramp = max(float(g.ramp_fraction), 1e-9)
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
        residual = self.settings.mimic.residual_rad
        self.residual = per_joint(residual, physics.joint_names, settings.schema_default("task.mimic.residual_rad")["default"])
        self.torso = physics.torso_id
        self.ee_ids = physics.ee_ids
        self.head = physics.head_id
        self.floor = physics.floor_id
        self._m, self._d = model.ptr, physics.data.ptr  # raw MjModel/MjData: no wrapper overhead
        self._obs = np.zeros(self.observation_size())
        if self.mode == "mimic":  # views of the future-reference block of the observation
            k = self.future.size
            o = self._obs
            self._obs_views = (o[72:72 + 21 * k].reshape(k, 21), o[72 + 21 * k:72 + 24 * k].reshape(k, 3),
                               o[72 + 24 * k:72 + 30 * k])
        self._err3 = np.empty(3)
        balance = self.settings.mimic.balance
        self.balance = BalanceFeedback(model.ptr, balance) if self.mode == "mimic" and balance.enabled else None
        self._balance_tables = ([self.balance.reference_tables(r.qpos, r.qvel, r.body_xpos) for r in self.refs]
                                if self.balance is not None else None)
        keys = rewards.MIMIC_TERMS if self.mode == "mimic" else rewards.SEED_TERMS
        w = np.array([float(self.weights[k]) for k in keys])
        self._weight_vec = w / w.sum() if w.sum() > 0 else w
        d = self._d  # cached views into MjData (valid for the life of the data)
        self._v = types.SimpleNamespace(qpos=d.qpos, qvel=d.qvel, xpos=d.xpos, xmat=d.xmat, ctrl=d.ctrl,
                                        geom_xpos=d.geom_xpos,
                                        subtree_com=d.subtree_com, sensordata=d.sensordata,
                                        xfrc_applied=d.xfrc_applied)
        self._axes = [self._ref_axes(r.qpos[:, 3:7]) for r in self.refs]
        ng = model.ngeom
        bad = np.zeros((ng, ng), dtype=bool)  # (floor, non-foot geom) pairs, both orders
        nonfoot = ~physics.foot_geom
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
        self._scale_vec = np.array([float(self.scales[k]) for k in rewards.MIMIC_TERMS])
        self._root_rotation_scale = float(self.scales["root_rotation"])
        self._physics_ready = True

    # --------------------------------------------------------- schedule hooks
    def set_progress(self, fraction: float) -> None:
        """Training progress in [0, 1]: drives the assist decay and the gravity curriculum."""
        self.progress = float(np.clip(fraction, 0.0, 1.0))

    def assist_level(self) -> float:
        """Root-assist level in [0, 1] now: 1 at the start of training, 0 from ``assist.decay_fraction`` on."""
        if not self._assist_on:
            return 0.0
        return max(0.0, 1.0 - self.progress / self._assist_decay)

    def gravity(self) -> float:
        """Vertical gravity (m/s^2, negative) now: ramped from ``gravity_curriculum.start_mps2`` in training."""
        final = self._gravity_final
        if not self._gravity_ramp_on:
            return final
        start = self._gravity_start
        return start + (final - start) * min(self.progress / self._gravity_ramp, 1.0)

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
        if self._pushes_on:
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
        if self._push_left <= 0 and self.random.rand() < self._push_rate_per_step:
            ang = self.random.uniform(0, 2 * np.pi)
            mag = self._push_force_n
            self._push_force = np.array([mag * np.cos(ang), mag * np.sin(ang), 0.0])
            self._push_left = self._push_steps
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

