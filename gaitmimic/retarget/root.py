"""Root (torso) pose, leg-length scaling and treadmill correction (the belt displacement added back).

A trial whose trunk the IK did not track (lumbar coordinates held: no torso markers) gets an upright torso at
the pelvis's heading (:func:`upright_trunk`) instead of one held rigidly to the pelvis.

The humanoid's root is its torso: its orientation is the OpenSim torso orientation (pelvis composed
with the lumbar rotation, computed by OpenSim itself), converted to the MuJoCo frame. Its position is
chosen so that the humanoid hip-centre midpoint follows the OpenSim hip midpoint, scaled by the
leg-length ratio (humanoid / OpenSim) so that strides fit the humanoid's legs.
"""

from __future__ import annotations

import dataclasses

import mujoco
import numpy as np

from gaitmimic.frames import opensim_to_mujoco
from gaitmimic.sim.humanoid import body_positions


#: Peak-to-peak (rad) below which the IK's lumbar coordinates count as held: the trunk was not tracked.
UNTRACKED_TRUNK_RAD = 1e-6


def trunk_tracked(kin) -> bool:
    """Whether the IK moved the trunk: False when every lumbar coordinate stays at one value over the trial
    (IK holds it at the model's default when no marker rides the torso: a lower-body marker set)."""
    lumbar = [v for name, v in kin.coordinates.items() if name.startswith("lumbar")]
    return not lumbar or any(np.ptp(v) > UNTRACKED_TRUNK_RAD for v in lumbar)


def upright_trunk(kin):
    """``kin`` with the torso upright at the pelvis's heading (its standing orientation turned about the vertical
    as the pelvis turns), for a trial whose trunk was not tracked: a torso held rigidly to the pelvis would
    lean with every pelvic tilt, and a walking trunk stays within a few degrees of upright."""
    delta = kin.from_neutral("pelvis")                                        # OpenSim ground: Y up
    heading = np.arctan2(-delta[:, 2, 0], delta[:, 0, 0])                     # the pelvis's forward axis about Y
    c, s = np.cos(heading), np.sin(heading)
    turn = np.zeros((len(heading), 3, 3))
    turn[:, 0, 0], turn[:, 0, 2], turn[:, 1, 1], turn[:, 2, 0], turn[:, 2, 2] = c, s, 1.0, -s, c
    return dataclasses.replace(kin, rotations={**kin.rotations, "torso": turn @ kin.neutral_rotations["torso"]})


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
    """World vector (T,3) from the root to the humanoid hip-centre midpoint (thigh body origins), root at the
    origin (MuJoCo frame, m)."""
    qpos = assemble_qpos(np.zeros((joints.shape[0], 3)), root_R, joints)
    return body_positions(model, qpos, ("right_thigh", "left_thigh")).mean(axis=1)


def belt_shift_opensim(time_s: np.ndarray, belt_speed_mps: float) -> np.ndarray:
    """Displacement (T,3) to add to every OpenSim point so a treadmill walk goes overground (+X)."""
    shift = np.zeros((time_s.shape[0], 3))
    shift[:, 0] = belt_speed_mps * (time_s - time_s[0])
    return shift


def target_hip_midpoint(kin, ratio: float, belt_speed_mps: float) -> np.ndarray:
    """OpenSim hip midpoint (+ belt displacement), in the MuJoCo frame, scaled by ``ratio`` (T,3)."""
    hip_mid = 0.5 * (kin.centres["hip_r"] + kin.centres["hip_l"]) + belt_shift_opensim(kin.time_s, belt_speed_mps)
    return ratio * opensim_to_mujoco(hip_mid)


def opensim_points_mujoco(kin, names, ratio: float, belt_speed_mps: float) -> np.ndarray:
    """OpenSim joint centres ``names`` (T,J,3) mapped like the root: belt, frame change, leg ratio."""
    shift = belt_shift_opensim(kin.time_s, belt_speed_mps)
    return np.stack([ratio * opensim_to_mujoco(kin.centres[n] + shift) for n in names], axis=1)
