"""The gait tracking task over N humanoids at once: one implementation, written over arrays.

:class:`GaitCore` holds N ``MjData`` of one ``MjModel`` and does every control step's work of the
task for all of them in one numpy pass: servo targets (reference + residual action + balance
feedback), root assist and pushes, the physics (one ``mj_step`` call per humanoid, its substeps inside
MuJoCo), the reward terms, the fall and drift status and the observation.
The dm_control ``Task`` (:class:`gaitmimic.task.tracking.GaitTracking`) and the gymnasium env
(:class:`gaitmimic.task.env.GaitEnv`) are views of a core with N = 1; training steps a core of
N humanoids per process directly (:class:`gaitmimic.train.vec_env.GaitVecEnv`).

Physics: ``mj_step`` x substeps per control step, which is also how :class:`GaitPhysics` steps in
dm_control (``legacy_step = False``). Body positions, contacts and the centre of mass read after a
step are MuJoCo's from the last substep's start (5 ms before the new state), as they always were here.

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
"""

from __future__ import annotations

import mujoco
import numpy as np
from dm_control.utils import rewards as dm_rewards

from gaitmimic import settings
from gaitmimic.errors import InputError
from gaitmimic.task import rewards
from gaitmimic.task.balance import BalanceFeedback, sub_quat
from gaitmimic.task.physics import GaitPhysics, per_joint
from gaitmimic.task.reference import TaskReference

#: Observation size of ``seed`` mode (dm_control humanoid-walk's); ``mimic`` adds 30 per future frame to 72.
SEED_OBS = 67
MIMIC_BASE_OBS = 72


def reference_axes(quats: np.ndarray) -> np.ndarray:
    """x- and z-axes (world) of the reference torso for each quaternion (k, 6)."""
    w, x, y, z = quats.T
    xa = np.stack([1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)], axis=1)
    za = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1)
    return np.concatenate([xa, za], axis=1)


class GaitCore:
    """N humanoids tracking reference clips (see module docstring).

    ``physics``: the task's :class:`GaitPhysics` (its model is shared by all N; its data is humanoid 0);
    ``references``: the loaded clips, sampled per episode; ``task``: the ``task`` settings; ``rngs``: one
    ``numpy.random.RandomState`` per humanoid (episode starts, noise, pushes), so N = len(rngs);
    ``evaluation``: disable the training helpers (root assist, observation noise, pushes, gravity
    curriculum) and let drift go on (only a fall ends an episode).

    Per-humanoid state after a step: ``t`` (episode step), ``fell``, ``deviated``, ``terms`` (reward
    terms in :data:`rewards.MIMIC_TERMS` / :data:`rewards.SEED_TERMS` order), ``obs64`` (the
    observation before its float32 cast).
    """

    def __init__(self, physics: GaitPhysics, references: list[TaskReference], task, rngs: list,
                 evaluation: bool = False):
        if not references:
            raise InputError(None, "no reference clip given to the task", "run the retarget stage for this subject")
        self.refs = references
        self.mode = task.mode
        self.evaluation = evaluation
        self.rngs = list(rngs)
        self.n = len(self.rngs)
        m = physics.model.ptr
        self.model = m
        self.datas = [physics.data.ptr] + [mujoco.MjData(m) for _ in range(self.n - 1)]
        self.rate_hz = float(references[0].control_rate_hz)
        self.episode_frames = int(round(float(task.episode_s) * self.rate_hz))
        self.n_substeps = max(1, int(round(1.0 / (self.rate_hz * m.opt.timestep))))
        self._read_settings(task, evaluation)
        self._ids(physics, task)
        self._tables(references)
        self.progress = 0.0
        # Per-humanoid episode state.
        n_ = self.n
        self.start_frame = np.zeros(n_, dtype=int)
        self.t = np.zeros(n_, dtype=int)
        self.fell = np.zeros(n_, dtype=bool)
        self.deviated = np.zeros(n_, dtype=bool)
        self.last_action = np.zeros((n_, self.nu))
        self.terms = np.ones((n_, self._weight_vec.size))
        self.obs64 = np.zeros((n_, self.observation_size()))
        self._push_left = np.zeros(n_, dtype=int)
        self._push_force = np.zeros((n_, 3))
        # one push per episode given with reset(options={"push": ...}) (evaluation's push trials)
        self._trial_push = np.zeros((n_, 2), dtype=int)  # [first step, end step) of the push; 0, 0 = none
        self._trial_force = np.zeros((n_, 3))
        self._base = np.zeros(n_, dtype=int)  # flat-table row of each humanoid's episode start
        self._views = [self._data_views(d) for d in self.datas]
        self._fields = list(zip(*self._views))  # per state array: its view in every humanoid's data
        self._buffers = [np.empty((n_,) + v.shape) for v in self._views[0]]
        self.ctrl = [d.ctrl for d in self.datas]
        self.xfrc = [d.xfrc_applied for d in self.datas]
        self.all = np.arange(n_)

    # ------------------------------------------------------------------ setup
    def _read_settings(self, task, evaluation: bool) -> None:
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
        keys = rewards.MIMIC_TERMS if self.mode == "mimic" else rewards.SEED_TERMS
        self.term_names = keys
        w = np.array([float(self.weights[k]) for k in keys])
        self._weight_vec = w / w.sum() if w.sum() > 0 else w
        self._scale_vec = np.array([float(self.scales[k]) for k in rewards.MIMIC_TERMS])
        self._root_rotation_scale = float(self.scales["root_rotation"])

    def _ids(self, physics: GaitPhysics, task) -> None:
        model = physics.model
        self.nu = model.nu
        jr = model.jnt_range[1:].copy()  # hinge joints after the free root
        jr[~model.jnt_limited[1:].astype(bool)] = (-np.inf, np.inf)
        self.joint_low, self.joint_high = jr[:, 0], jr[:, 1]
        self.residual = per_joint(task.mimic.residual_rad, physics.joint_names,
                                  settings.schema_default("task.mimic.residual_rad")["default"])
        self.torso = physics.torso_id
        self.ee_ids = physics.ee_ids
        self.head = physics.head_id
        self.floor = physics.floor_id
        balance = task.mimic.balance
        self.balance = BalanceFeedback(model.ptr, balance) if self.mode == "mimic" and balance.enabled else None
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
        sizes = (model.nq - 7, model.nv - 6, 3 * len(self.ee_ids), 3, 3)
        self._term_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    def _tables(self, refs: list[TaskReference]) -> None:
        """All clips' per-frame quantities in flat tables: row ``offset[i] + f`` is frame f of clip i."""
        need = self.episode_frames + int(self.future.max()) + 2
        for r in refs:
            if r.n_frames < r.clip_frames + need:
                raise InputError(r.source, f"looped clip has {r.n_frames} frames, an episode from its last start "
                                 f"frame needs {r.clip_frames + need}", "build it with build_task_reference")
        self.offset = np.concatenate([[0], np.cumsum([r.n_frames for r in refs])[:-1]]).astype(int)
        cat = np.concatenate
        self.r_qpos = cat([r.qpos for r in refs])
        self.r_qvel = cat([r.qvel for r in refs])
        self.r_xpos = cat([r.body_xpos for r in refs])
        self.r_com = cat([r.com for r in refs])
        self.r_axes = reference_axes(self.r_qpos[:, 3:7])
        ph = 2 * np.pi * cat([r.phase for r in refs])
        self.r_sincos = np.stack([np.sin(ph), np.cos(ph)], axis=1)
        self.r_ee_rel = self.r_xpos[:, self.ee_ids] - self.r_qpos[:, None, :3]
        n = self.r_qpos.shape[0]
        self.r_state = cat([self.r_qpos[:, 7:], self.r_qvel[:, 6:], self.r_ee_rel.reshape(n, -1), self.r_com,
                            self.r_qpos[:, :3]], axis=1)
        if self.balance is not None:  # stance weights, reference torso world angular velocity
            self.r_stance, self.r_omega = self.balance.reference_tables(self.r_qpos, self.r_qvel, self.r_xpos)

    @staticmethod
    def _data_views(d: mujoco.MjData) -> tuple:
        """Numpy views into one MjData (valid for its life), in the order :meth:`_gather` stacks them."""
        return d.qpos, d.qvel, d.xpos, d.xmat, d.subtree_com, d.geom_xpos, d.sensordata, d.xaxis, d.xanchor

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

    def observation_size(self) -> int:
        return SEED_OBS if self.mode == "seed" else MIMIC_BASE_OBS + 30 * self.future.size

    # ------------------------------------------------------------------ state
    def frame(self, ix=None) -> np.ndarray:
        """Flat-table row of the current reference frame of humanoids ``ix`` (all when None)."""
        ix = self.all if ix is None else ix
        return self._base[ix] + self.t[ix]

    def _gather(self, ix) -> tuple:
        """Copies of the humanoids' state arrays (qpos, qvel, xpos, xmat, subtree_com, geom_xpos, sensordata,
        xaxis, xanchor), one row per humanoid of ``ix`` (all: into reused buffers, one concatenate each)."""
        if ix is self.all:
            for views, buf in zip(self._fields, self._buffers):
                np.concatenate(views, out=buf.reshape((-1,) + buf.shape[2:]))
            return tuple(self._buffers)
        return tuple(np.concatenate([views[i] for i in ix]).reshape((len(ix),) + views[0].shape)
                     for views in self._fields)

    def reset(self, i: int, options: dict | None = None) -> None:
        """Start humanoid i's episode: at the frame of ``options["phase"]`` (in [0, 1)) or a random frame
        of reference ``options["reference_index"]`` (or a random one), on the reference state.
        ``options["push"]`` = {"at_s", "duration_s", "force_n": (3,) world frame}: one push on the torso in
        this episode (a push trial), in evaluation too."""
        options = options or {}
        rng = self.rngs[i]
        k = options.get("reference_index")
        k = int(rng.randint(len(self.refs))) if k is None else int(k) % len(self.refs)
        ref = self.refs[k]
        if options.get("phase") is not None:
            ph = ref.phase[: ref.clip_frames]
            dist = np.abs((ph - float(options["phase"]) + 0.5) % 1.0 - 0.5)
            start = int(np.argmin(dist))
        else:
            start = int(rng.randint(ref.clip_frames))
        self.start_frame[i], self.t[i] = start, 0
        b = self.offset[k] + start
        self._base[i] = b
        m, d = self.model, self.datas[i]
        mujoco.mj_resetData(m, d)
        d.qpos[:] = self.r_qpos[b]
        d.qvel[:] = self.r_qvel[b] if self.mode == "mimic" else 0.0
        m.opt.gravity[2] = self.gravity()  # one model for all N: a ramp step takes effect at the next reset
        if self.mode == "mimic":
            d.ctrl[:] = self.r_qpos[b, 7:]
        mujoco.mj_forward(m, d)
        self._push_left[i] = 0
        self._push_force[i] = 0.0
        push = options.get("push")
        if push:
            first = int(round(float(push["at_s"]) * self.rate_hz))
            self._trial_push[i] = first, first + max(1, int(round(float(push["duration_s"]) * self.rate_hz)))
            self._trial_force[i] = np.asarray(push["force_n"], dtype=float)
        else:
            self._trial_push[i] = 0
        self.fell[i] = self.deviated[i] = False
        self.last_action[i] = 0.0
        ix = np.array([i])
        self._reward_terms(self._gather(ix), self.frame(ix), ix)

    # -------------------------------------------------------------- stepping
    def apply_actions(self, actions: np.ndarray) -> None:
        """Servo targets (or motor commands) and root forces of every humanoid for the coming step."""
        a = np.clip(np.asarray(actions, dtype=float).reshape(self.n, self.nu), -1.0, 1.0)
        self.last_action[:] = a
        if self.mode == "mimic":
            g = self.frame()
            target = self.r_qpos[g + 1, 7:] + self.residual * a
            qpos, qvel, xpos, xmat, _, _, _, xaxis, xanchor = state = self._gather(self.all)
            if self.balance is not None:
                target += self.balance.offsets(qpos, qvel, xpos, xmat[:, self.torso], xaxis, xanchor,
                                               self.r_qpos[g], self.r_qvel[g], self.r_xpos[g], self.r_stance[g],
                                               self.r_omega[g])
            np.clip(target, self.joint_low, self.joint_high, out=target)
            if self._feedforward:  # kp (target + kd/kp qd_ref - q) - kd qd = kp (target - q) + kd (qd_ref - qd)
                target += self._kd_ratio * self.r_qvel[g + 1, 6:]
        else:
            target = a
            state = None
        for ctrl, row in zip(self.ctrl, target):
            ctrl[:] = row
        if self._assist_on or self._pushes_on or self._trial_push.any():  # torso forces
            force = np.zeros((self.n, 6))
            level = self.assist_level()
            if level > 0.0:
                force += self._assist(level, state if state is not None else self._gather(self.all))
            if self._pushes_on:
                force[:, :3] += self._pushes()
            pushed = (self.t >= self._trial_push[:, 0]) & (self.t < self._trial_push[:, 1])
            force[:, :3] += self._trial_force * pushed[:, None]
            for xfrc, row in zip(self.xfrc, force):
                xfrc[self.torso] = row

    def _assist(self, level: float, state: tuple) -> np.ndarray:
        """Spring-damper on the root toward the reference root, force and torque capped: (N, 6)."""
        c = self._assist_gains
        qpos, qvel, _, xmat = state[:4]
        g = self.frame() + 1
        ref_q, ref_v = self.r_qpos[g], self.r_qvel[g]
        f = c[0] * (ref_q[:, :3] - qpos[:, :3]) + c[1] * (ref_v[:, :3] - qvel[:, :3])
        f *= np.minimum(1.0, c[2] * level / np.maximum(np.linalg.norm(f, axis=1), 1e-300))[:, None]
        err = sub_quat(ref_q[:, 3:7], qpos[:, 3:7])  # body-frame rotation error (rad)
        rot = xmat[:, self.torso].reshape(-1, 3, 3)  # torso = root body: its frame is the free joint's
        torque = np.einsum("nij,nj->ni", rot, c[3] * err - c[4] * qvel[:, 3:6])
        torque *= np.minimum(1.0, c[5] * level / np.maximum(np.linalg.norm(torque, axis=1), 1e-300))[:, None]
        return np.concatenate([f, torque], axis=1)

    def _pushes(self) -> np.ndarray:
        """Random horizontal pushes on the torso (training helper): (N, 3) forces."""
        for i, rng in enumerate(self.rngs):
            if self._push_left[i] <= 0 and rng.rand() < self._push_rate_per_step:
                ang = rng.uniform(0, 2 * np.pi)
                self._push_force[i] = self._push_force_n * np.array([np.cos(ang), np.sin(ang), 0.0])
                self._push_left[i] = self._push_steps
        on = self._push_left > 0
        self._push_left[on] -= 1
        return self._push_force * on[:, None]

    def step_physics(self) -> None:
        """One control step of physics for every humanoid: ``mj_step`` x substeps, as :class:`GaitPhysics`
        steps in dm_control (no ``legacy_step``)."""
        m, n = self.model, self.n_substeps
        for d in self.datas:
            mujoco.mj_step(m, d, nstep=n)

    def after_physics(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Advance the episode clocks and evaluate the new state: (obs float32 (N, n_obs), reward (N,),
        terminated (N,), truncated (N,))."""
        self.t += 1
        state = self._gather(self.all)
        g = self.frame()
        self._reward_terms(state, g, self.all)
        reward = self.terms @ self._weight_vec
        self._status(state, g, self.all)
        terminated = self.terminate & (self.fell | (self.deviated & (not self.evaluation)))
        truncated = self.t >= self.episode_frames
        return self._observe(state, g, self.all), reward, terminated, truncated

    def step(self, actions: np.ndarray):
        """One control step of all N humanoids: (obs, reward, terminated, truncated), one row each."""
        self.apply_actions(actions)
        self.step_physics()
        return self.after_physics()

    def observe(self, ix=None) -> np.ndarray:
        """The observation (float32) of humanoids ``ix`` (all when None) in their current state."""
        ix = self.all if ix is None else np.asarray(ix, dtype=int)
        return self._observe(self._gather(ix), self.frame(ix), ix)

    # ----------------------------------------------------------- task terms
    def _reward_terms(self, state: tuple, g: np.ndarray, ix: np.ndarray) -> None:
        """``terms`` of humanoids ``ix`` (rows of ``state``, reference rows ``g``)."""
        qpos, qvel, xpos, xmat, subtree_com = state[:5]
        if self.mode == "seed":  # rewards.seed_terms over rows
            d = qpos[:, 7:] - self.r_qpos[g, 7:]
            upright = dm_rewards.tolerance(xmat[:, self.torso, 8], bounds=(0.9, float("inf")), sigmoid="linear",
                                           margin=1.9, value_at_margin=0)
            small = dm_rewards.tolerance(self.last_action[ix], margin=1, value_at_margin=0, sigmoid="quadratic")
            self.terms[ix] = np.stack([np.exp(-self.track_scale * np.einsum("ij,ij->i", d, d) / d.shape[1]),
                                       upright, small.mean(axis=1)], axis=1)
            return
        n = qpos.shape[0]
        st = np.concatenate([qpos[:, 7:], qvel[:, 6:], (xpos[:, self.ee_ids] - qpos[:, None, :3]).reshape(n, -1),
                             subtree_com[:, self.torso], qpos[:, :3]], axis=1)
        diff = st - self.r_state[g]
        terms = np.exp(-self._scale_vec * np.add.reduceat(diff * diff, self._term_starts, axis=1))
        dot = np.abs(np.einsum("ij,ij->i", qpos[:, 3:7], self.r_qpos[g, 3:7]))
        ang = 2.0 * np.arccos(np.minimum(dot, 1.0))
        terms[:, 4] *= np.exp(-self._root_rotation_scale * ang * ang)
        self.terms[ix] = terms

    def _status(self, state: tuple, g: np.ndarray, ix: np.ndarray) -> None:
        """``fell`` and ``deviated`` of humanoids ``ix`` (rows of ``state``)."""
        qpos, _, xpos, _, _, geom_xpos = state[:6]
        fell = (xpos[:, self.torso, 2] < self.r_xpos[g, self.torso, 2] - self.fall_drop_m) \
            | (xpos[:, self.head, 2] < self.min_head_m)
        if self.contact_ends:
            fell |= self._non_foot_contact(geom_xpos, ix, ~fell)
        dxy = qpos[:, :2] - self.r_qpos[g, :2]
        dq = qpos[:, 7:] - self.r_qpos[g, 7:]
        self.fell[ix] = fell
        self.deviated[ix] = (np.einsum("ij,ij->i", dxy, dxy) > self.deviation_m ** 2) | (
            np.einsum("ij,ij->i", dq, dq) > self.max_pose_rmse ** 2 * dq.shape[1])

    def non_foot_contact(self, ix=None) -> np.ndarray:
        """Whether a non-foot geom of each humanoid of ``ix`` (all when None) touches the floor now."""
        ix = self.all if ix is None else np.asarray(ix, dtype=int)
        return self._non_foot_contact(self._gather(ix)[5], ix, np.ones(len(ix), dtype=bool))

    def _non_foot_contact(self, geom_xpos: np.ndarray, ix: np.ndarray, check: np.ndarray) -> np.ndarray:
        """Non-foot floor contact of the humanoids ``ix`` (rows of ``geom_xpos``) where ``check``: the contact
        list is read only where a non-foot geom's bounding sphere reaches the floor plane."""
        out = np.zeros(len(ix), dtype=bool)
        low = (geom_xpos[:, self._nonfoot_ids, 2] - self._nonfoot_reach).min(axis=1)
        for r in np.flatnonzero(check & (low <= self._floor_z)):
            d = self.datas[int(ix[r])]
            n = d.ncon
            if n:
                geom = d.contact.geom[:n]
                out[r] = bool(self._bad_pair[geom[:, 0], geom[:, 1]].any())
        return out

    def _observe(self, state: tuple, g: np.ndarray, ix: np.ndarray) -> np.ndarray:
        qpos, qvel, xpos, xmat, _, _, sensordata = state[:7]
        n = qpos.shape[0]
        o = np.empty((n, self.obs64.shape[1]))
        rot = xmat[:, self.torso].reshape(n, 3, 3)
        if self.mode == "seed":
            o[:, 0:21] = qpos[:, 7:]
            o[:, 21] = xpos[:, self.head, 2]
            o[:, 22:34] = np.matmul(xpos[:, self.ee_ids] - xpos[:, self.torso, None], rot).reshape(n, -1)
            o[:, 34:37] = xmat[:, self.torso, 6:9]
            o[:, 37:40] = sensordata[:, :3]
            o[:, 40:67] = qvel  # as dm_control humanoid-walk: no phase, no reference (the original study)
        else:
            k = self.future.size
            o[:, 0] = qpos[:, 2]
            o[:, 1:10] = xmat[:, self.torso]
            o[:, 10:31] = qpos[:, 7:]
            o[:, 31:34] = np.matmul(qvel[:, None, :3], rot)[:, 0]
            o[:, 34:37] = qvel[:, 3:6]
            o[:, 37:58] = 0.1 * qvel[:, 6:]
            o[:, 58:70] = np.matmul(xpos[:, self.ee_ids] - qpos[:, None, :3], rot).reshape(n, -1)
            o[:, 70:72] = self.r_sincos[g]
            fut = g[:, None] + self.future[None, :]  # (n, k) future reference rows
            o[:, 72:72 + 21 * k] = (self.r_qpos[fut, 7:] - qpos[:, None, 7:]).reshape(n, -1)
            o[:, 72 + 21 * k:72 + 24 * k] = np.matmul(self.r_qpos[fut, :3] - qpos[:, None, :3], rot).reshape(n, -1)
            o[:, 72 + 24 * k:] = self.r_axes[fut].reshape(n, -1)  # future torso axes, world frame
        self.obs64[ix] = o
        obs = o.astype(np.float32)
        if self.noise_std > 0 and not self.evaluation:
            for r, i in enumerate(ix):
                obs[r] += self.rngs[i].normal(0.0, self.noise_std, obs.shape[1]).astype(np.float32)
        return obs
