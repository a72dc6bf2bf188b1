"""Segment angles a gait lab reads off the pelvis, the thighs and the feet (pelvis tilt, obliquity and rotation,
hip rotation, foot progression), one definition for the subject's OpenSim segments and the humanoid's bodies.

The retarget stage checks the retargeted humanoid against the subject with it (``segment_angle_error_deg`` in
``<trial>_retarget.json``); the evaluation's gait-cycle figure draws it for the reference and the simulated
humanoid. Degrees, Plug-in Gait's signs, 0 = upright standing (the retarget's neutral pose).
"""

from __future__ import annotations

import numpy as np

#: The humanoid bodies the segment angles are read off, and the OpenSim segments they stand for.
SEGMENT_BODIES = {"pelvis": "pelvis", "right_thigh": "thigh_r", "left_thigh": "thigh_l", "right_foot": "foot_r",
                  "left_foot": "foot_l"}

#: The segment angles (:func:`segment_angles_deg`), Plug-in Gait's names and signs.
SEGMENT_ANGLES = ("pelvic_tilt", "pelvic_obliquity", "pelvic_rotation", "hip_rotation_r", "hip_rotation_l",
                  "foot_progression_r", "foot_progression_l")


def segment_angles_deg(rotations: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Pelvis, hip-rotation and foot-progression angles (deg, ``{name: (T,)}``, :data:`SEGMENT_ANGLES`) in
    Plug-in Gait's signs, from each segment's ground-frame rotation away from upright standing (``rotations``:
    OpenSim segment name of :data:`SEGMENT_BODIES` -> (T, 3, 3), OpenSim frame: X forward, Y up, Z right).

    Read the same way for the subject (its OpenSim segments) and the humanoid (:func:`humanoid_segment_rotations`),
    so the two compare directly; 0 is upright standing (the retarget's neutral pose):
    - pelvis: the rotation's Cardan angles in gait2392's ``ground_pelvis`` order (Z tilt, X list, Y rotation, as
      Plug-in Gait's global pelvis angles): anterior tilt +, right side up +, right side forward +;
    - hip rotation: the thigh relative to the pelvis in gait2392's hip order (Z flexion, X adduction, Y rotation;
      the left side mirrored), internal +;
    - foot progression: the foot's forward axis in the horizontal plane against the walking direction (+X),
      toes in (internal) +.
    """
    from scipy.spatial.transform import Rotation

    pel = Rotation.from_matrix(rotations["pelvis"]).as_euler("ZXY", degrees=True)
    out = {"pelvic_tilt": -pel[:, 0], "pelvic_obliquity": -pel[:, 1], "pelvic_rotation": pel[:, 2]}
    for s, mirror in (("r", 1.0), ("l", -1.0)):
        rel = np.einsum("tji,tjk->tik", rotations["pelvis"], rotations[f"thigh_{s}"])
        out[f"hip_rotation_{s}"] = mirror * Rotation.from_matrix(rel).as_euler("ZXY", degrees=True)[:, 2]
        forward = rotations[f"foot_{s}"][:, :, 0]
        out[f"foot_progression_{s}"] = np.degrees(np.arctan2(-mirror * forward[:, 2], forward[:, 0]))
    return out


def humanoid_segment_rotations(model, qpos: np.ndarray) -> dict[str, np.ndarray]:
    """Ground-frame rotation (T, 3, 3) of each body of :data:`SEGMENT_BODIES` away from its orientation in the
    humanoid's neutral pose (qpos0, upright, root at identity), in the OpenSim frame, keyed by OpenSim segment:
    the humanoid's input to :func:`segment_angles_deg`. Forward kinematics of each row of ``qpos``."""
    import mujoco

    from gaitmimic.frames import OPENSIM_TO_MUJOCO
    from gaitmimic.sim.humanoid import kinematics_frames

    ids = [model.body(b).id for b in SEGMENT_BODIES]
    neutral = mujoco.MjData(model)
    mujoco.mj_kinematics(model, neutral)
    H0 = neutral.xmat[ids].reshape(-1, 3, 3).copy()
    R = np.zeros((len(qpos), len(ids), 3, 3))
    for t, data in kinematics_frames(model, np.asarray(qpos, dtype=float)):
        R[t] = data.xmat[ids].reshape(-1, 3, 3)
    delta = R @ np.swapaxes(H0, 1, 2)[None]                        # world rotation from neutral, MuJoCo frame
    delta = OPENSIM_TO_MUJOCO.T @ delta @ OPENSIM_TO_MUJOCO        # the same rotation in the OpenSim frame
    return {seg: delta[:, i] for i, seg in enumerate(SEGMENT_BODIES.values())}
