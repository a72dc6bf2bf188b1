"""Retarget stage: OpenSim kinematics (scaled model + IK .mot) -> dm_control humanoid reference motion.

Modules: ``opensim_kinematics`` (OpenSim side), ``joint_mapping`` (rotations -> hinge angles),
``root`` (torso pose, leg-length ratio, treadmill belt added back), ``grounding`` (feet on the floor, no
sliding), ``gait_phase`` (events, cycles, phase), ``reference`` (looping, velocities), ``stage`` (stage entry
points, the playback video through :mod:`gaitmimic.sim.render`), ``checks`` (QC used by tests and the report).
The reference files are read and written by :mod:`gaitmimic.io.reference`.
"""
