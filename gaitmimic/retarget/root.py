"""Root (torso) pose, leg-length scaling and treadmill correction.

The humanoid's root is its torso: its orientation is the OpenSim torso orientation (pelvis composed
with the lumbar rotation, computed by OpenSim itself), converted to the MuJoCo frame. Its position is
chosen so that the humanoid hip-centre midpoint follows the OpenSim hip midpoint, scaled by the
leg-length ratio (humanoid / OpenSim) so that strides fit the humanoid's legs.
"""

from __future__ import annotations

import mujoco
import numpy as np

from gaitmimic.frames import opensim_to_mujoco


def assemble_qpos(root_pos: np.ndarray, root_R: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """qpos (T,28) from root positions (T,3), root rotations (T,3,3) and joint angles (T,21)."""
    T = joints.shape[0]
    qpos = np.zeros((T, 7 + joints.shape[1]))
    qpos[:, :3] = root_pos
    for t in range(T):
        mujoco.mju_mat2Quat(qpos[t, 3:7], np.ascontiguousarray(root_R[t]).reshape(9))
        if qpos[t, 3] < 0:
            qpos[t, 3:7] *= -1
    # keep the quaternion sign continuous along time
    for t in range(1, T):
        if np.dot(qpos[t, 3:7], qpos[t - 1, 3:7]) < 0:
            qpos[t, 3:7] *= -1
    qpos[:, 7:] = joints
    return qpos


def hip_midpoint_offsets(model: mujoco.MjModel, root_R: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """World vector (T,3) from the root to the humanoid hip-centre midpoint, root at the origin."""
    data = mujoco.MjData(model)
    ids = [model.body("right_thigh").id, model.body("left_thigh").id]
    qpos = assemble_qpos(np.zeros((joints.shape[0], 3)), root_R, joints)
    out = np.zeros((joints.shape[0], 3))
    for t in range(joints.shape[0]):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        out[t] = data.xpos[ids].mean(axis=0)
    return out


def belt_shift_opensim(time_s: np.ndarray, belt_speed_mps: float) -> np.ndarray:
    """Displacement (T,3) to add to every OpenSim point so a treadmill walk goes overground (+X)."""
    shift = np.zeros((time_s.shape[0], 3))
    shift[:, 0] = belt_speed_mps * (time_s - time_s[0])
    return shift


def estimate_belt_speed(kin, stance: dict[str, np.ndarray]) -> tuple[float, float]:
    """(belt speed estimate m/s, pelvis forward speed m/s) from the OpenSim kinematics.

    The belt speed is the median backward speed of the stance feet (calcaneus origin) relative to
    the ground; on overground walks it is close to zero. ``stance[side]`` is a (T,) bool mask.
    """
    dt = np.diff(kin.time_s)
    speeds = []
    for side in ("r", "l"):
        vx = np.diff(kin.points[f"foot_{side}"][:, 0]) / dt
        mask = stance[side][:-1] & stance[side][1:]
        speeds.append(-vx[mask])
    v = np.concatenate(speeds)
    hip_mid = 0.5 * (kin.centres["hip_r"] + kin.centres["hip_l"])
    pelvis_speed = float((hip_mid[-1, 0] - hip_mid[0, 0]) / (kin.time_s[-1] - kin.time_s[0]))
    return (float(np.median(v)) if v.size else 0.0), pelvis_speed


def target_hip_midpoint(kin, ratio: float, belt_speed_mps: float) -> np.ndarray:
    """OpenSim hip midpoint (+ belt displacement), in the MuJoCo frame, scaled by ``ratio`` (T,3)."""
    hip_mid = 0.5 * (kin.centres["hip_r"] + kin.centres["hip_l"]) + belt_shift_opensim(kin.time_s, belt_speed_mps)
    return ratio * opensim_to_mujoco(hip_mid)


def opensim_points_mujoco(kin, names, ratio: float, belt_speed_mps: float) -> np.ndarray:
    """OpenSim joint centres ``names`` (T,J,3) mapped like the root: belt, frame change, leg ratio."""
    shift = belt_shift_opensim(kin.time_s, belt_speed_mps)
    return np.stack([ratio * opensim_to_mujoco(kin.centres[n] + shift) for n in names], axis=1)
