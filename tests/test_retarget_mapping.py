"""Joint mapping on known poses of the built-in model (gait2392 signs, ISB pelvis frame): angles and their signs."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

pytest.importorskip("opensim")

from retarget_helpers import builtin_model, write_mot  # noqa: E402

from gaitmimic import settings  # noqa: E402
from gaitmimic.demo.kinematics import from_upright_pelvis  # noqa: E402
from gaitmimic.opensim.model.builtin import coordinate_names  # noqa: E402
from gaitmimic.frames import rotation_opensim_to_mujoco  # noqa: E402
from gaitmimic.retarget import joint_mapping, opensim_kinematics, root  # noqa: E402
from gaitmimic.sim import humanoid  # noqa: E402

N = 20  # samples (100 Hz) per synthetic trial (constant pose)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("mapping")
    osim = builtin_model(work / "builtin.osim")
    ranges = settings.section("retarget").joint_ranges_deg
    model = humanoid.model_from_root(humanoid.build_humanoid(opensim_kinematics.subject_segments(osim), ranges,
                                                             scale_masses=True))
    return work, osim, model


def _pose(setup, name: str, **coords_deg):
    """Retarget a constant pose: (kinematics, joint angles deg by name, humanoid data posed at frame 0).

    ``coords_deg``: the pose with the pelvis frame upright in standing (gait2392's), converted to the built-in
    model's ISB pelvis frame (:func:`gaitmimic.demo.kinematics.from_upright_pelvis`)."""
    work, osim, model = setup
    upright = {c: np.zeros(N) for c in coordinate_names()}
    upright.update({k: np.full(N, np.radians(v)) for k, v in coords_deg.items()})
    isb = from_upright_pelvis(upright)
    base = {c: np.degrees(v) for c, v in isb.items() if not c.startswith("pelvis_t")}
    base["pelvis_ty"] = np.full(N, 0.95)
    kin = opensim_kinematics.compute_kinematics(osim, write_mot(work / f"{name}.mot", base), 40.0, filter_hz=None)
    q, torso_R = joint_mapping.map_joints(kin, model, toe_weight=0.0)
    data = mujoco.MjData(model)
    data.qpos[:] = root.assemble_qpos(np.zeros((q.shape[0], 3)), torso_R, q)[0]
    mujoco.mj_kinematics(model, data)
    deg = dict(zip(humanoid.JOINT_NAMES, np.rad2deg(q[0])))
    return kin, deg, data, model


def _x(model, data, kind, name):
    return data.xpos[model.body(name).id] if kind == "body" else data.xanchor[model.joint(name).id]


def test_knee_flexion_equals_opensim_and_bends_backwards(setup):
    kin, deg, data, model = _pose(setup, "knee", knee_angle_r=-60.0, knee_angle_l=-20.0)
    print(f"knee_angle_r -60 -> right_knee {deg['right_knee']:.3f}; knee_angle_l -20 -> left_knee {deg['left_knee']:.3f}")
    assert deg["right_knee"] == pytest.approx(-60.0, abs=1.0)
    assert deg["left_knee"] == pytest.approx(-20.0, abs=1.0)
    knee = _x(model, data, "joint", "right_knee")
    ankle = _x(model, data, "joint", "right_ankle_y")
    print(f"right ankle {ankle[0] - knee[0]:+.3f} m in x from the knee (flexed: behind)")
    assert ankle[0] < knee[0] - 0.2  # flexed knee: the shank swings backwards (MuJoCo +x = forward)


def test_ankle_dorsiflexion_lifts_the_toes(setup):
    kin, deg, data, model = _pose(setup, "ankle", ankle_angle_r=20.0, ankle_angle_l=-15.0)
    print(f"ankle_angle_r +20 -> right_ankle_y {deg['right_ankle_y']:.3f}; ankle_angle_l -15 -> left_ankle_y "
          f"{deg['left_ankle_y']:.3f}; ankle_x {deg['right_ankle_x']:.3f} {deg['left_ankle_x']:.3f}")
    assert deg["right_ankle_y"] == pytest.approx(-20.0, abs=1.0)
    assert deg["left_ankle_y"] == pytest.approx(15.0, abs=1.0)
    foot = data.xmat[model.body("right_foot").id].reshape(3, 3)
    assert foot[2, 0] > 0.3  # the foot's forward axis points up: toes lifted


def test_hip_flexion_adduction_rotation_signs(setup):
    kin, deg, data, model = _pose(setup, "hip", hip_flexion_r=30.0, hip_adduction_l=10.0)
    print({k: round(deg[k], 3) for k in ("right_hip_x", "right_hip_z", "right_hip_y", "left_hip_x", "left_hip_z", "left_hip_y")})
    assert deg["right_hip_y"] == pytest.approx(-30.0, abs=1.0)
    assert abs(deg["right_hip_x"]) < 1.0 and abs(deg["right_hip_z"]) < 1.0
    assert deg["left_hip_x"] == pytest.approx(10.0, abs=1.0)  # + = adduction on both sides
    hip, knee = _x(model, data, "body", "right_thigh"), _x(model, data, "joint", "right_knee")
    assert knee[0] > hip[0] + 0.15  # flexed hip: the knee is in front
    lhip, lknee = _x(model, data, "body", "left_thigh"), _x(model, data, "joint", "left_knee")
    assert lknee[1] < lhip[1] - 0.04  # adducted left hip: the left knee moves towards the midline (-y)


def test_lumbar_extension_is_inverted_into_the_abdomen_and_tilts_the_root(setup):
    kin, deg, data, model = _pose(setup, "lumbar", lumbar_extension=-20.0)
    torso_z = data.xmat[model.body("torso").id].reshape(3, 3)[:, 2]
    pelvis_z = data.xmat[model.body("pelvis").id].reshape(3, 3)[:, 2]
    pitch = np.rad2deg(np.arctan2(torso_z[0], torso_z[2]))
    print(f"lumbar_extension -20 -> abdomen_y {deg['abdomen_y']:.3f}, torso pitch forward {pitch:.2f} deg, "
          f"pelvis z-axis {pelvis_z.round(4)}")
    assert deg["abdomen_y"] == pytest.approx(-20.0, abs=1.0)
    assert pitch == pytest.approx(20.0, abs=1.0)  # torso pitch = -(pelvis_tilt + lumbar_extension)
    assert np.allclose(pelvis_z, [0, 0, 1], atol=0.01)  # upright, but for the humanoid's own 2 x 0.23 deg rest pitch


def test_three_axis_joints_reproduce_the_opensim_segment_rotations(setup):
    """Arbitrary 3D hip and lumbar rotations: the humanoid thigh/pelvis world rotations equal OpenSim's."""
    kin, deg, data, model = _pose(setup, "mixed", hip_flexion_r=25.0, hip_adduction_r=-8.0, hip_rotation_r=15.0,
                                  hip_flexion_l=-15.0, hip_adduction_l=6.0, hip_rotation_l=-12.0,
                                  lumbar_extension=-10.0, lumbar_bending=5.0, lumbar_rotation=8.0,
                                  pelvis_tilt=5.0, pelvis_list=-4.0, pelvis_rotation=10.0)
    worst = 0.0
    neutral = joint_mapping.neutral_rotations(model)  # humanoid rest pose (qpos 0, root identity)
    for hb, seg in (("pelvis", "pelvis"), ("right_thigh", "thigh_r"), ("left_thigh", "thigh_l"), ("torso", "torso"),
                    ("right_shin", "shin_r")):
        target = rotation_opensim_to_mujoco(kin.rotations[seg][0] @ kin.neutral_rotations[seg].T) @ neutral[hb]
        got = data.xmat[model.body(hb).id].reshape(3, 3)
        err = np.rad2deg(np.arccos(np.clip((np.trace(target.T @ got) - 1) / 2, -1, 1)))
        print(f"{hb}: rotation error {err:.4f} deg")
        worst = max(worst, err)
    assert worst < 0.01


def test_arms_follow_the_opensim_arm_directions(setup):
    kin, deg, data, model = _pose(setup, "arms", arm_flex_r=30.0, arm_flex_l=-20.0, elbow_flex_r=40.0, elbow_flex_l=30.0)
    shoulder = data.xpos[model.body("right_upper_arm").id]
    elbow = data.xpos[model.body("right_lower_arm").id]
    from gaitmimic.frames import opensim_to_mujoco

    torso = kin.rotations["torso"][0]
    want = opensim_to_mujoco(kin.centres["elbow_r"][0] - kin.centres["shoulder_r"][0])
    got = elbow - shoulder
    angle = np.rad2deg(np.arccos(np.dot(want, got) / np.linalg.norm(want) / np.linalg.norm(got)))
    print(f"right upper-arm direction error {angle:.2f} deg; shoulder angles {deg['right_shoulder1']:.1f} "
          f"{deg['right_shoulder2']:.1f}, elbow {deg['right_elbow']:.1f}; torso rot det {np.linalg.det(torso):.3f}")
    assert angle < 5.0
    assert got[0] > 0.05  # flexed shoulder: the elbow is in front of the shoulder
