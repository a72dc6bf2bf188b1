"""Evaluation stage: deterministic rollouts, the field's metrics, videos with a reference ghost, plots.

Modules, one job each:

- :mod:`~gaitmimic.evaluate.rollouts`: run a policy (or the zero-action floor) in the tracking task and
  record a :class:`~gaitmimic.io.rollouts.Rollout` (written and read by :mod:`gaitmimic.io.rollouts`).
- :mod:`~gaitmimic.evaluate.gait`: gait-lab quantities from humanoid kinematics (clinical joint angles,
  heel strikes, stride length, cadence, gait-cycle normalization).
- :mod:`~gaitmimic.evaluate.metrics`: pure functions from rollout arrays to numbers (tracked fraction,
  RMSE, key-body error, speed ratio, normalized return).
- :mod:`~gaitmimic.evaluate.video`: MP4 of the simulated humanoid with a translucent reference ghost.
- :mod:`~gaitmimic.evaluate.plots`: the gait-lab figure, learning curve, IK error, gait events.
- :mod:`~gaitmimic.evaluate.summary`: one row per subject in ``summary.csv``, the per-subject metrics table.
- :mod:`~gaitmimic.evaluate.report_html`: HTML pages for the Snakemake report (video player, tables).
- :mod:`~gaitmimic.evaluate.stage`: the entry functions the workflow scripts call.
- :mod:`~gaitmimic.evaluate.synthetic`: a synthetic reference and rollouts for tests and demos.
"""
