"""Balance feedback on the PD targets, after SIMBICON (Yin, Loken & van de Panne 2007; Coros et al. 2010).

Two feedback laws, both acting only through the joint servos (no external forces), both zero when
the humanoid is exactly on the reference:

- **Torso through the stance hip.** A virtual torque ``T = kp (R_ref - R) - kd (w - w_ref)`` on the
  torso's roll and pitch (heading is left alone) is produced by the stance hip: its three joints get
  ``u_j = -T . a_j`` (a hip torque pushes the pelvis with the opposite sign), applied as target
  offsets ``u_j / kp_j``. In double support the stance weights split it between the legs.
- **Swing foot placement.** The swing foot is moved, through the swing hip's Jacobian, by
  ``cd (d - d_ref) + cv (v - v_ref)``: d is the root's horizontal offset from the stance foot and v
  the root's horizontal velocity. A body drifting sideways steps wider, a body too fast steps longer.

Stance and swing come from the reference feet's heights, so the law needs no contact sensing.
"""

from __future__ import annotations

import mujoco
import numpy as np

SIDES = ("right", "left")
HIP_JOINTS = ("hip_x", "hip_z", "hip_y")


class BalanceFeedback:
    """Target offsets (rad, one per actuator in joint order) from the current state and the reference."""

    def __init__(self, model: mujoco.MjModel, cfg: dict):
        def jid(name):
            i = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
            if i < 0:
                raise ValueError(f"balance feedback needs joint {name!r} (the suite humanoid's)")
            return i

        self.kp_t = float(cfg.get("torso_kp_nm_per_rad", 300.0))
        self.kd_t = float(cfg.get("torso_kd_nm_s_per_rad", 30.0))
        self.cd = float(cfg.get("foot_cd", 0.5))
        self.cv = float(cfg.get("foot_cv", 0.2))
        self.max_offset = float(cfg.get("max_offset_rad", 0.5))
        self.jnt = np.array([[jid(f"{s}_{j}") for j in HIP_JOINTS] for s in SIDES])  # (2, 3)
        self.dof = model.jnt_dofadr[self.jnt]  # (2, 3)
        self.act = self.dof - 6  # actuators follow the hinge joints in order (build_physics)
        self.kp = model.actuator_gainprm[:, 0].copy()
        self.foot = np.array([mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, f"{s}_foot") for s in SIDES])
        self._jacp = np.zeros((3, model.nv))
        self._err = np.zeros(3)
        self._rref = np.zeros(9)
        self.out = np.zeros(model.nu)

    @staticmethod
    def stance_weights(ref_foot_z: np.ndarray, blend_m: float = 0.04) -> np.ndarray:
        """Stance weight (right, left) in [0, 1], summing to 1: the lower reference foot is the stance foot."""
        w_right = float(np.clip(0.5 + (ref_foot_z[1] - ref_foot_z[0]) / blend_m, 0.0, 1.0))
        return np.array([w_right, 1.0 - w_right])

    def offsets(self, m: mujoco.MjModel, d: mujoco.MjData, root: int, ref_qpos: np.ndarray,
                ref_qvel: np.ndarray, ref_xpos: np.ndarray) -> np.ndarray:
        """Offsets for the current state against one reference frame (ref_xpos: body positions)."""
        out = self.out
        out[:] = 0.0
        w = self.stance_weights(ref_xpos[self.foot, 2])
        # Torso: world-frame roll/pitch error and angular-velocity error.
        rot = d.xmat[root].reshape(3, 3)
        mujoco.mju_subQuat(self._err, ref_qpos[3:7], d.qpos[3:7])
        err = rot @ self._err
        mujoco.mju_quat2Mat(self._rref, ref_qpos[3:7])
        derr = rot @ d.qvel[3:6] - self._rref.reshape(3, 3) @ ref_qvel[3:6]
        torque = self.kp_t * err - self.kd_t * derr
        torque[2] = 0.0
        axes = d.xaxis[self.jnt]  # (2, 3, 3) world joint axes
        for s in range(2):
            if w[s] > 0.0:
                u = -w[s] * (axes[s] @ torque)
                out[self.act[s]] += u / self.kp[self.act[s]]
        # Swing foot placement (the leg with the lower stance weight, once clearly in swing).
        swing = int(np.argmin(w))
        stance = 1 - swing
        gain = 1.0 - 2.0 * w[swing]
        if gain > 0.0 and (self.cd or self.cv):
            dxy = (d.qpos[:2] - d.xpos[self.foot[stance], :2]) - (ref_qpos[:2] - ref_xpos[self.foot[stance], :2])
            dp = self.cd * dxy + self.cv * (d.qvel[:2] - ref_qvel[:2])
            mujoco.mj_jacBody(m, d, self._jacp, None, self.foot[swing])
            jac = self._jacp[:2, self.dof[swing]]  # (2, 3)
            dq = jac.T @ np.linalg.solve(jac @ jac.T + 1e-3 * np.eye(2), dp)
            out[self.act[swing]] += gain * dq
        np.clip(out, -self.max_offset, self.max_offset, out=out)
        return out
