"""Defaults of the ``task:`` config section (config.yaml documents each key)."""

from __future__ import annotations

from gaitmimic.config import deep_merge

DEFAULT_TASK_CFG: dict = {
    "mode": "mimic",  # mimic (DeepMimic-style imitation) | seed (the original study)
    "episode_s": 10.0,  # episode length in seconds of simulated time
    "control_rate_hz": None,  # None: the reference's rate
    "physics_timestep_s": 0.005,
    "gravity_mps2": 9.81,
    "stand": False,  # side experiment: hold a standing pose instead of walking
    "obs_noise_std": 0.0,
    "gravity_curriculum": {"enabled": False, "start_mps2": 1.0, "ramp_fraction": 0.5},
    "pushes": {"enabled": False, "probability_per_s": 0.2, "force_n": 150.0, "duration_s": 0.1},
    "assist": {"enabled": False, "decay_fraction": 0.5, "kp_n_per_m": 5000.0, "kd_n_s_per_m": 500.0,
               "max_force_n": 800.0, "kp_nm_per_rad": 1000.0, "kd_nm_s_per_rad": 100.0, "max_torque_nm": 200.0},
    "seed": {
        "weights": {"track": 0.5, "upright": 0.3, "control": 0.2},
        "track_scale": 5.0,
        "terminate_on_fall": False,
    },
    "mimic": {
        "weights": {"pose": 0.5, "velocity": 0.05, "end_effector": 0.15, "com": 0.1, "root": 0.2},
        "scales": {"pose": 2.0, "velocity": 0.1, "end_effector": 40.0, "com": 10.0, "root": 10.0,
                   "root_rotation": 2.0},
        "future_frames": [1, 2, 4],
        "residual_rad": {"default": 0.3, "*_x": 0.5, "*hip_z": 0.5},
        "servo": {"kp_base": 1000.0, "kd_ratio": 0.03, "velocity_feedforward": True, "scale_to_body": "limits",
                  "torque_scale": {"default": 1.0, "*ankle*": 3.0, "*hip_y": 1.5}},
        "balance": {"enabled": True, "torso_kp_nm_per_rad": 300.0, "torso_kd_nm_s_per_rad": 30.0,
                    "heading_kp_nm_per_rad": 300.0, "heading_kd_nm_s_per_rad": 30.0, "foot_cd": 1.0,
                    "foot_cv": 0.3, "max_offset_rad": 0.5},
        "termination": {"torso_drop_m": 0.2, "min_head_height_m": 0.7, "non_foot_contact": True,
                        "max_root_deviation_m": 1.0, "max_pose_rmse_rad": 0.8},
    },
}


def merge_task_cfg(task_cfg: dict) -> dict:
    """The task config with defaults filled in."""
    # Glob tables are taken whole: a user's residual/torque table does not inherit the default entries.
    return deep_merge(DEFAULT_TASK_CFG, task_cfg, replace=("residual_rad", "torque_scale"))
