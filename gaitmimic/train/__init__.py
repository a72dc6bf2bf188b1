"""Train stage: a PPO policy (stable-baselines3) per subject on the gait imitation task.

Modules: ``stage`` (the entry the workflow script calls, resuming from checkpoints), ``callbacks``
(checkpoints, progress schedule, the progress table), ``vec_env`` (grouped env worker processes).
"""
