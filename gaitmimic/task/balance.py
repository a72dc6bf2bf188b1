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
tabulated once per clip by :meth:`BalanceFeedback.reference_tables`. The feedback is computed for
many humanoids at once (one row each), as the task core steps them.
"""

from __future__ import annotations

import mujoco
import numpy as np

SIDES = ("right", "left")
HIP_JOINTS = ("hip_x", "hip_z", "hip_y")
#: Height difference of the reference feet (m) over which the stance weight blends from 0 to 1.
STANCE_BLEND_M = 0.04


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross products along the last axis (numpy's ``cross`` costs twice as much on small arrays)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def sub_quat(qa: np.ndarray, qb: np.ndarray) -> np.ndarray:
    """``mju_subQuat`` over rows: the rotation (n, 3) from qb to qa as a rotation vector in qb's frame."""
    wa, va, wb, vb = qa[:, 0], qa[:, 1:], qb[:, 0], qb[:, 1:]
    w = wb * wa + np.einsum("ij,ij->i", vb, va)  # conj(qb) * qa
    v = wb[:, None] * va - wa[:, None] * vb - _cross(vb, va)
    sin_half = np.sqrt(np.einsum("ij,ij->i", v, v))
    angle = 2.0 * np.arctan2(sin_half, w)
    angle[angle > np.pi] -= 2.0 * np.pi
    small = sin_half < mujoco.mjMINVAL
    res = v * np.divide(angle, sin_half, out=np.zeros_like(angle), where=~small)[:, None]
    if small.any():  # MuJoCo's axis for a vanishing rotation is x
        res[small] = 0.0
        res[small, 0] = angle[small]
    return res


class BalanceFeedback:
    """Target offsets (rad, one per actuator in joint order) from the current states and the reference."""

    def __init__(self, model: mujoco.MjModel, balance):
        """``balance``: the ``task.mimic.balance`` settings (gains read once, as floats)."""
        def jid(name):
            i = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
            if i < 0:
                raise ValueError(f"balance feedback needs joint {name!r} (the suite humanoid's)")
            return i

        kp_t, kd_t = float(balance.torso_kp_nm_per_rad), float(balance.torso_kd_nm_s_per_rad)
        kp_h, kd_h = float(balance.heading_kp_nm_per_rad), float(balance.heading_kd_nm_s_per_rad)
        self.torso_kp = np.array([kp_t, kp_t, kp_h])  # world x (roll), y (pitch), z (heading)
        self.torso_kd = np.array([kd_t, kd_t, kd_h])
        self.cd = float(balance.foot_cd)
        self.cv = float(balance.foot_cv)
        self.max_offset = float(balance.max_offset_rad)
        self.jnt = np.array([[jid(f"{s}_{j}") for j in HIP_JOINTS] for s in SIDES])  # (2, 3)
        self.dof = model.jnt_dofadr[self.jnt]  # (2, 3)
        self.act = self.dof - 6  # actuators follow the hinge joints in order (build_physics)
        self.kp = model.actuator_gainprm[:, 0].copy()
        self.foot = np.array([mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, f"{s}_foot") for s in SIDES])
        self.nu = model.nu
        self._act_flat = self.act.ravel()
        self._inv_kp = 1.0 / self.kp[self.act]  # (2, 3)

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

    def offsets(self, qpos: np.ndarray, qvel: np.ndarray, xpos: np.ndarray, root_xmat: np.ndarray,
                xaxis: np.ndarray, xanchor: np.ndarray, ref_qpos: np.ndarray, ref_qvel: np.ndarray,
                ref_xpos: np.ndarray, w_right: np.ndarray, ref_omega: np.ndarray) -> np.ndarray:
        """Offsets (n, nu) for n humanoids, one row each: their qpos, qvel, body xpos, root xmat (n, 9), joint
        xaxis and xanchor (MjData rows) against one reference frame each (ref_xpos: body positions; w_right
        and ref_omega: that frame's rows of :meth:`reference_tables`). Both legs are computed as stance and
        as swing leg; the stance weights select (a weight of 0 contributes exactly 0)."""
        n = qpos.shape[0]
        w = np.stack([w_right, 1.0 - w_right], axis=1)  # (n, 2) stance weights, right then left
        # Torso: world-frame orientation error and angular-velocity error -> virtual torque (n, 3).
        err = sub_quat(ref_qpos[:, 3:7], qpos[:, 3:7])
        rotated = np.matmul(root_xmat.reshape(n, 3, 3), np.stack([err, qvel[:, 3:6]], axis=2))
        torque = self.torso_kp * rotated[:, :, 0] - self.torso_kd * (rotated[:, :, 1] - ref_omega)
        axes = xaxis[:, self.jnt]  # (n, side, hip joint, 3)
        side = -w[:, :, None] * np.matmul(axes, torque[:, None, :, None])[..., 0] * self._inv_kp
        # Swing foot placement: a leg whose stance weight is under 1/2 swings, with gain 1 - 2 w.
        if self.cd or self.cv:
            feet = xpos[:, self.foot]  # (n, 2, 3)
            other = self.foot[::-1]  # the stance foot of each leg as the swing leg
            d = self.cd * ((qpos[:, None, :2] - feet[:, ::-1, :2]) - (ref_qpos[:, None, :2] - ref_xpos[:, other, :2])) \
                + self.cv * (qvel[:, None, :2] - ref_qvel[:, None, :2])  # (n, 2, 2)
            # The swing foot's translational Jacobian on its hip hinges (x and y rows): axis x (foot - anchor).
            lever = feet[:, :, None, :] - xanchor[:, self.jnt]
            j0 = axes[..., 1] * lever[..., 2] - axes[..., 2] * lever[..., 1]  # (n, 2, 3) foot x per hip joint
            j1 = axes[..., 2] * lever[..., 0] - axes[..., 0] * lever[..., 2]  # foot y per hip joint
            a = (j0 * j0).sum(-1) + 1e-3  # J J^T + damping, solved for d
            b = (j0 * j1).sum(-1)
            c = (j1 * j1).sum(-1) + 1e-3
            det = a * c - b * b
            y0, y1 = (c * d[..., 0] - b * d[..., 1]) / det, (a * d[..., 1] - b * d[..., 0]) / det
            gain = np.maximum(1.0 - 2.0 * w, 0.0)  # (n, 2): 0 for the stance leg
            side += gain[:, :, None] * (j0 * y0[..., None] + j1 * y1[..., None])
        out = np.zeros((n, self.nu))
        out[:, self._act_flat] = side.reshape(n, -1)
        return np.clip(out, -self.max_offset, self.max_offset, out=out)
