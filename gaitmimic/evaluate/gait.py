"""Gait-lab quantities from humanoid kinematics: clinical angles, heel strikes, strides, cadence.

The same functions run on the reference and on the simulated humanoid, so both are measured the
same way. Humanoid joint order (``qpos[7:]``): :data:`gaitmimic.sim.humanoid.JOINT_NAMES`. MuJoCo
frame, X forward, Y left, Z up; radians in, degrees out only where a name says ``_deg``.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from gaitmimic.sim.humanoid import JOINT_NAMES

#: Index of each hinge joint in ``qpos[7:]``.
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}

#: Clinical angle -> (humanoid joint, sign). Gait-lab convention: flexion, dorsiflexion and adduction
#: positive. Signs of the retarget stage's joint mapping (suite hip_y = -hip_flexion, suite knee =
#: gait2392 knee_angle, negative in flexion, suite ankle_y = -ankle_angle); the right hip_x axis is +X and the
#: left one -X, so positive hip_x moves either foot toward the midline (adduction).
CLINICAL_ANGLES: dict[str, tuple[str, float]] = {
    "hip_flexion_r": ("right_hip_y", -1.0),
    "hip_flexion_l": ("left_hip_y", -1.0),
    "knee_flexion_r": ("right_knee", -1.0),
    "knee_flexion_l": ("left_knee", -1.0),
    "ankle_dorsiflexion_r": ("right_ankle_y", -1.0),
    "ankle_dorsiflexion_l": ("left_ankle_y", -1.0),
    "hip_adduction_r": ("right_hip_x", 1.0),
    "hip_adduction_l": ("left_hip_x", 1.0),
}

#: Sagittal hip/knee/ankle: headline RMSE groups (left and right pooled).
SAGITTAL_GROUPS: dict[str, tuple[str, str]] = {
    "hip_flexion": ("right_hip_y", "left_hip_y"),
    "knee_flexion": ("right_knee", "left_knee"),
    "ankle_dorsiflexion": ("right_ankle_y", "left_ankle_y"),
}


def clinical_angles_deg(qpos: np.ndarray) -> dict[str, np.ndarray]:
    """Clinical joint angles in degrees, ``{name: (T,)}``, from humanoid ``qpos (T, 28)``."""
    qpos = np.asarray(qpos, dtype=float)
    joints = qpos[:, 7:]
    return {
        name: sign * np.degrees(joints[:, JOINT_INDEX[joint]])
        for name, (joint, sign) in CLINICAL_ANGLES.items()
    }


def pelvic_obliquity_deg(body_xpos: np.ndarray, body_names: list[str]) -> np.ndarray:
    """Pelvic obliquity in degrees, positive when the right hip is higher than the left, ``(T,)``.

    Measured on the line between the hip joint centres (origins of the thigh bodies) in the frontal
    plane, so it is defined the same way for the reference and the simulation.
    """
    right = body_xpos[:, list(body_names).index("right_thigh")]
    left = body_xpos[:, list(body_names).index("left_thigh")]
    d = left - right
    return np.degrees(np.arctan2(-d[:, 2], np.hypot(d[:, 0], d[:, 1])))


def heel_strikes(
    body_xpos: np.ndarray,
    body_names: list[str],
    side: str = "right",
    min_stride_steps: int = 10,
) -> np.ndarray:
    """Frame indices of heel strikes, the maxima of the foot's forward position relative to the pelvis.

    This is Zeni et al.'s (2008) kinematic method with the foot body for the heel marker and the
    pelvis body for the sacrum; it works for overground and treadmill walking alike. Peaks closer
    than ``min_stride_steps`` frames are merged, and peaks smaller than a third of the signal's range
    are ignored (stumbling, standing still).
    """
    names = list(body_names)
    foot = body_xpos[:, names.index(f"{side}_foot")]
    pelvis = body_xpos[:, names.index("pelvis")]
    rel = foot[:, 0] - pelvis[:, 0]
    if rel.size < 3 or np.ptp(rel) < 1e-6:
        return np.zeros(0, dtype=int)
    peaks, _ = find_peaks(rel, distance=max(1, int(min_stride_steps)), prominence=np.ptp(rel) / 3.0)
    return peaks.astype(int)


def normalize_cycles(signal: np.ndarray, cycle_starts: np.ndarray, n_points: int = 101) -> np.ndarray:
    """Resample ``signal (T,)`` over each cycle ``[cycle_starts[i], cycle_starts[i+1]]`` to 0-100 %.

    Returns ``(C, n_points)``; the cycle end frame is included so 100 % is the next heel strike.
    """
    signal = np.asarray(signal, dtype=float)
    starts = np.asarray(cycle_starts, dtype=int)
    out = []
    pct = np.linspace(0.0, 1.0, n_points)
    for a, b in zip(starts[:-1], starts[1:]):
        if b <= a or b >= signal.size:
            continue
        t = np.arange(a, b + 1)
        out.append(np.interp(a + pct * (b - a), t, signal[a : b + 1]))
    return np.asarray(out).reshape(len(out), n_points)
