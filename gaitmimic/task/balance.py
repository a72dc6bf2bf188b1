"""Balance feedback on the PD targets, after SIMBICON (Yin, Loken & van de Panne 2007; Coros et al. 2010).

Two feedback laws, both acting only through the joint servos (no external forces), both zero when
the humanoid is exactly on the reference:

- **Torso through the stance hip.** A virtual torque ``T = kp (R_ref - R) - kd (w - w_ref)`` on the
  torso's roll and pitch (and, with its own gains, its heading) is produced by the stance hip: its
  three joints get ``u_j = -T . a_j`` (a hip torque pushes the pelvis with the opposite sign),
  applied as target offsets ``u_j / kp_j``. In double support the stance weights split it between
  the legs.
- **Swing foot placement.** The swing foot is moved, through the swing hip's Jacobian, by
  ``cd (d - d_ref) + cv (v - v_ref)``: d is the root's horizontal offset from the stance foot and v
  the root's horizontal velocity. A body drifting sideways steps wider, a body too fast steps longer.

Stance and swing come from the reference feet's heights, so the law needs no contact sensing. What
depends on the reference only (stance weights, the reference torso's world angular velocity) is
tabulated once per clip by :meth:`BalanceFeedback.reference_tables`.
"""

from __future__ import annotations

import mujoco
import numpy as np

SIDES = ("right", "left")
HIP_JOINTS = ("hip_x", "hip_z", "hip_y")
#: Height difference of the reference feet (m) over which the stance weight blends from 0 to 1.
STANCE_BLEND_M = 0.04


class BalanceFeedback:
    """Target offsets (rad, one per actuator in joint order) from the current state and the reference."""

    def __init__(self, model: mujoco.MjModel, balance):
        """``balance``: the ``task.mimic.balance`` settings (gains read once, as floats)."""
        def jid(name):
            i = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
            if i < 0:
                raise ValueError(f"balance feedback needs joint {name!r} (the suite humanoid's)")
            return i

        self.kp_t = float(balance.torso_kp_nm_per_rad)
        self.kd_t = float(balance.torso_kd_nm_s_per_rad)
        self.kp_h = float(balance.heading_kp_nm_per_rad)
        self.kd_h = float(balance.heading_kd_nm_s_per_rad)
        self.torso_gains = ((0, self.kp_t, self.kd_t), (1, self.kp_t, self.kd_t), (2, self.kp_h, self.kd_h))
        self.cd = float(balance.foot_cd)
        self.cv = float(balance.foot_cv)
        self.max_offset = float(balance.max_offset_rad)
        self.jnt = np.array([[jid(f"{s}_{j}") for j in HIP_JOINTS] for s in SIDES])  # (2, 3)
        self.dof = model.jnt_dofadr[self.jnt]  # (2, 3)
        self.act = self.dof - 6  # actuators follow the hinge joints in order (build_physics)
        self.kp = model.actuator_gainprm[:, 0].copy()
        self.foot = np.array([mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, f"{s}_foot") for s in SIDES])
        self._jacp = np.zeros((3, model.nv))
        self.nu = model.nu
        self.foot_list, self.jnt_list = self.foot.tolist(), self.jnt.tolist()
        self.dof_list, self.act_list, self.kp_list = self.dof.tolist(), self.act.tolist(), self.kp.tolist()
        self._err = np.zeros(3)
        self.out = np.zeros(model.nu)

    @staticmethod
    def stance_weights(ref_foot_z: np.ndarray) -> tuple:
        """Stance weight (right, left) in [0, 1], summing to 1: the lower reference foot is the stance foot.

        ``ref_foot_z``: the reference feet's heights (..., 2), right then left; one frame or many."""
        z = np.asarray(ref_foot_z, float)
        w_right = np.clip(0.5 + (z[..., 1] - z[..., 0]) / STANCE_BLEND_M, 0.0, 1.0)
        return w_right, 1.0 - w_right

    def reference_tables(self, ref_qpos: np.ndarray, ref_qvel: np.ndarray,
                         ref_xpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per reference frame: the right foot's stance weight (n,) and the torso's world angular velocity (n, 3)."""
        w_right, _ = self.stance_weights(ref_xpos[:, self.foot, 2])
        rot = np.empty((len(ref_qpos), 9))
        for i, quat in enumerate(ref_qpos[:, 3:7]):
            mujoco.mju_quat2Mat(rot[i], quat)
        omega = np.einsum("nij,nj->ni", rot.reshape(-1, 3, 3), ref_qvel[:, 3:6])
        return w_right, omega

    def offsets(self, m: mujoco.MjModel, d: mujoco.MjData, root: int, ref_qpos: np.ndarray,
                ref_qvel: np.ndarray, ref_xpos: np.ndarray, w_right: float, ref_omega: np.ndarray) -> np.ndarray:
        """Offsets for the current state against one reference frame (ref_xpos: body positions; w_right and
        ref_omega: that frame's row of :meth:`reference_tables`).

        Scalar Python on a few small lists: per control step this costs less than numpy calls would."""
        feet = self.foot_list
        w = (w_right, 1.0 - w_right)
        out = [0.0] * self.nu
        # Torso: world-frame orientation error and angular-velocity error.
        mujoco.mju_subQuat(self._err, ref_qpos[3:7], d.qpos[3:7])
        r, e, om, omr = d.xmat[root].tolist(), self._err.tolist(), d.qvel[3:6].tolist(), ref_omega.tolist()
        torque = [kp * (r[3 * i] * e[0] + r[3 * i + 1] * e[1] + r[3 * i + 2] * e[2])
                  - kd * (r[3 * i] * om[0] + r[3 * i + 1] * om[1] + r[3 * i + 2] * om[2] - omr[i])
                  for i, kp, kd in self.torso_gains]  # world x (roll), y (pitch), z (heading)
        axes = d.xaxis.tolist()
        for s in (0, 1):
            if w[s] > 0.0:
                for j, a in zip(self.jnt_list[s], self.act_list[s]):
                    ax = axes[j]
                    u = -w[s] * (ax[0] * torque[0] + ax[1] * torque[1] + ax[2] * torque[2])
                    out[a] = u / self.kp_list[a]
        # Swing foot placement (the leg with the lower stance weight, once clearly in swing).
        swing = 0 if w[0] < w[1] else 1
        gain = 1.0 - 2.0 * w[swing]
        if gain > 0.0 and (self.cd or self.cv):
            fs = feet[1 - swing]
            q, x, v = d.qpos[:2].tolist(), d.xpos[fs, :2].tolist(), d.qvel[:2].tolist()
            rq, rx, rv = ref_qpos[:2].tolist(), ref_xpos[fs, :2].tolist(), ref_qvel[:2].tolist()
            dp = [self.cd * ((q[i] - x[i]) - (rq[i] - rx[i])) + self.cv * (v[i] - rv[i]) for i in (0, 1)]
            mujoco.mj_jacBody(m, d, self._jacp, None, feet[swing])
            jx, jy = self._jacp[0].tolist(), self._jacp[1].tolist()
            dofs = self.dof_list[swing]
            j0, j1 = [jx[k] for k in dofs], [jy[k] for k in dofs]  # foot x and y motion per hip joint
            a = j0[0] * j0[0] + j0[1] * j0[1] + j0[2] * j0[2] + 1e-3  # J J^T + damping, solved for dp
            b = j0[0] * j1[0] + j0[1] * j1[1] + j0[2] * j1[2]
            c = j1[0] * j1[0] + j1[1] * j1[1] + j1[2] * j1[2] + 1e-3
            det = a * c - b * b
            y0, y1 = (c * dp[0] - b * dp[1]) / det, (a * dp[1] - b * dp[0]) / det
            for k, act in enumerate(self.act_list[swing]):
                out[act] += gain * (j0[k] * y0 + j1[k] * y1)
        lim = self.max_offset
        self.out[:] = [min(max(o, -lim), lim) for o in out]
        return self.out
