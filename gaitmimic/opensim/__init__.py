"""OpenSim stage: scale the generic model per subject, inverse kinematics per walking trial.

Modules: ``stage`` (the entries the workflow scripts call: ``scale_subject``, ``run_ik``), ``scale`` and
``ik`` (their mechanics), ``generic`` (the generic model and how its markers meet the data),
``marker_sets`` (scale measurements, IK/placement weights, the Plug-in Gait -> gait2392/gait2354 map),
``trials`` (marker trials as OpenSim's tools get them), ``reports`` (marker-error numbers),
``setup_xml`` (setup files for OpenSim's tools), ``runtime`` (locale, log, model loading), ``model``
(the built-in full-body model).
"""
