"""Coordinate frames, in one place.

OpenSim frame: X forward (walking direction), Y up, Z right; meters.
MuJoCo/dm_control frame: X forward, Y left, Z up; meters.
"""

from __future__ import annotations

import numpy as np

#: Rotation taking a vector expressed in the OpenSim frame to the MuJoCo frame: (x, y, z) -> (x, -z, y).
OPENSIM_TO_MUJOCO = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def opensim_to_mujoco(v: np.ndarray) -> np.ndarray:
    """Convert points/vectors ``(..., 3)`` from the OpenSim frame to the MuJoCo frame."""
    return np.asarray(v) @ OPENSIM_TO_MUJOCO.T


def rotation_opensim_to_mujoco(R: np.ndarray) -> np.ndarray:
    """Express rotation matrices ``(..., 3, 3)`` given in the OpenSim frame in the MuJoCo frame."""
    return OPENSIM_TO_MUJOCO @ np.asarray(R) @ OPENSIM_TO_MUJOCO.T
