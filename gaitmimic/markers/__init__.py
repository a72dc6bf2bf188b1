"""Marker stage: raw C3D/TRC -> OpenSim-frame markers (TRC), gait events (CSV), report (JSON), QC plot.

Modules: ``stage`` (the entry the workflow script calls), ``marker_sets`` (lab names -> a model's
marker set), ``gaps`` (spline gap filling), ``filtering`` (Butterworth / moving mean), ``orientation``
(lab axes -> the OpenSim frame), ``events`` (heel strikes and toe offs; treadmill detection),
``qc_plots`` (the stage's QC figure).
"""
