"""Reward terms, each in [0, 1] and equal to 1 when the humanoid is exactly on the reference.

``seed`` mode (the original study): joint-angle tracking, torso-upright tolerance, small control.
``mimic`` mode (DeepMimic, Peng et al. 2018; CoMic): exponential kernels exp(-scale * error^2)
on joint angles, joint velocities, end-effector positions, centre of mass and root pose.
"""

from __future__ import annotations

import math

import numpy as np
from dm_control.utils import rewards

#: Names of the mimic reward terms, in the order weights and scales are read.
MIMIC_TERMS = ("pose", "velocity", "end_effector", "com", "root")
#: Names of the seed reward terms.
SEED_TERMS = ("track", "upright", "control")


def exp_kernel(squared_error: float, scale: float) -> float:
    """exp(-scale * squared_error): 1 at zero error, -> 0 as the error grows."""
    return math.exp(-scale * squared_error)


def quat_angle(q1: np.ndarray, q2: np.ndarray) -> float:
    """Rotation angle (rad) between two unit quaternions (w, x, y, z)."""
    d = abs(float(q1 @ q2))
    return 2.0 * math.acos(min(d, 1.0))


def mimic_terms(q: np.ndarray, qd: np.ndarray, ee_rel: np.ndarray, com: np.ndarray,
                q_ref: np.ndarray, qd_ref: np.ndarray, ee_rel_ref: np.ndarray, com_ref: np.ndarray,
                scales: dict) -> dict:
    """The five mimic terms for one frame.

    q, q_ref: qpos (28,); qd, qd_ref: qvel (27,); ee_rel*: end effectors minus root position (4,3);
    com*: centre of mass (3,). ``scales`` holds one kernel scale per term plus ``root_rotation``.
    """
    dq = q[7:] - q_ref[7:]
    dv = qd[6:] - qd_ref[6:]
    de = ee_rel - ee_rel_ref
    dc = com - com_ref
    dp = q[:3] - q_ref[:3]
    ang = quat_angle(q[3:7], q_ref[3:7])
    return {
        "pose": exp_kernel(float(dq @ dq), scales["pose"]),
        "velocity": exp_kernel(float(dv @ dv), scales["velocity"]),
        "end_effector": exp_kernel(float(de.ravel() @ de.ravel()), scales["end_effector"]),
        "com": exp_kernel(float(dc @ dc), scales["com"]),
        "root": exp_kernel(float(dp @ dp), scales["root"]) * exp_kernel(ang * ang, scales["root_rotation"]),
    }


def seed_terms(joint_angles: np.ndarray, joint_angles_ref: np.ndarray, torso_upright: float,
               control: np.ndarray, track_scale: float) -> dict:
    """The original study's three terms.

    track: exp(-track_scale * mean squared joint-angle deviation (rad^2));
    upright: tolerance on the torso z-axis' vertical component (1 when >= 0.9, 0 when upside down),
    as dm_control's humanoid; control: mean over motors of a quadratic tolerance on the normalized
    torque command (1 at zero effort, 0 at full effort).
    """
    d = joint_angles - joint_angles_ref
    upright = float(rewards.tolerance(torso_upright, bounds=(0.9, float("inf")), sigmoid="linear",
                                      margin=1.9, value_at_margin=0))
    small = rewards.tolerance(control, margin=1, value_at_margin=0, sigmoid="quadratic")
    return {
        "track": exp_kernel(float(d @ d) / d.size, track_scale),
        "upright": upright,
        "control": float(np.mean(small)),
    }


def combine(terms: dict, weights: dict) -> float:
    """Weighted mean of the terms (weights need not sum to 1); stays in [0, 1]."""
    total = sum(float(weights[k]) for k in terms)
    if total <= 0:
        return 0.0
    return sum(float(weights[k]) * v for k, v in terms.items()) / total
