"""Retarget stage: OpenSim kinematics (scaled model + IK .mot) -> dm_control humanoid reference motion.

Modules: ``opensim_kinematics`` (OpenSim side), ``joint_mapping`` (rotations -> hinge angles),
``root`` (torso pose, leg-length ratio, treadmill), ``grounding`` (feet on the floor, no sliding),
``gait_phase`` (events, cycles, phase), ``reference`` (npz I/O, looping), ``playback`` (video),
``pipeline`` (stage entry points), ``checks`` (QC used by tests and the report).
"""

import os

# Offscreen rendering without a display; must precede the first ``import mujoco`` to take effect.
os.environ.setdefault("MUJOCO_GL", "egl")
