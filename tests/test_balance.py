"""Balance feedback on the PD targets (gaitmimic/task/balance.py): zero on the reference, the swing foot
steps toward the drift, and the stance hip pushes a tilted torso back and turns a yawed one back."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
from dm_control import mjcf

from gaitmimic import settings
from gaitmimic.sim.humanoid import suite_humanoid_path
from gaitmimic.task import make_env
from gaitmimic.task.synthetic import write_synthetic_reference

BALANCE = {"enabled": True, "torso_kp_nm_per_rad": 300.0, "torso_kd_nm_s_per_rad": 30.0, "foot_cd": 1.0,
           "foot_cv": 0.3, "max_offset_rad": 0.5}


@pytest.fixture(scope="module")
def subject(tmp_path_factory):
    d = tmp_path_factory.mktemp("balance_subject")
    mjcf.export_with_assets(mjcf.from_path(str(suite_humanoid_path())), str(d), "humanoid.xml")
    return d / "humanoid.xml", [write_synthetic_reference(d / "walk.npz", d / "humanoid.xml")]


SWING, STANCE = 1, 0  # left foot in swing, right foot in stance


def _env(subject, balance):
    xml, refs = subject
    env = make_env(xml, refs, settings.section("task", {"mimic": {"balance": balance}}), seed=0, evaluation=True)
    env.reset(options={"phase": 0.2})
    return env


def _offsets(env):
    """Offsets against the current reference frame with its left foot 5 cm higher: clear single support
    on the right foot (the synthetic walk barely lifts its feet)."""
    core = env.core
    g = core.frame()
    fb = core.balance
    ref_xpos = core.r_xpos[g].copy()
    ref_xpos[0, fb.foot[SWING], 2] += 0.05
    assert fb.stance_weights(ref_xpos[0, fb.foot, 2]) == (1.0, 0.0)
    qpos, qvel, xpos, xmat, _, _, _, xaxis, xanchor = core._gather(core.all)
    return fb.offsets(qpos, qvel, xpos, xmat[:, core.torso], xaxis, xanchor, core.r_qpos[g], core.r_qvel[g],
                      ref_xpos, np.ones(1), core.r_omega[g])[0]


def test_balance_feedback_is_zero_on_the_reference(subject):
    env = _env(subject, BALANCE)
    assert np.abs(_offsets(env)).max() < 1e-9


def test_swing_foot_steps_toward_a_lateral_drift(subject):
    """Root moving 0.2 m/s sideways faster than the reference: the swing foot target moves cv x 0.2 m that way."""
    env = _env(subject, {**BALANCE, "torso_kp_nm_per_rad": 0.0, "torso_kd_nm_s_per_rad": 0.0})
    m, d, fb = env.core.model, env.core.datas[0], env.core.balance
    swing = SWING
    d.qvel[1] += 0.2
    offsets = _offsets(env)
    assert np.abs(np.delete(offsets, fb.act[swing])).max() == 0.0  # only the swing hip moves
    before = d.xpos[fb.foot[swing]].copy()
    d.qpos[fb.dof[swing] + 1] += offsets[fb.act[swing]]  # hinge qpos index = dof index + 1 (free root)
    mujoco.mj_kinematics(m, d)
    moved = d.xpos[fb.foot[swing]] - before
    assert moved[1] == pytest.approx(0.3 * 0.2, rel=0.15)
    assert abs(moved[0]) < 0.01


def test_stance_hip_pushes_a_tilted_torso_back(subject):
    """Torso rolled 5 degrees off the reference: the stance hip's servo offsets push it back with about kp x 5 deg."""
    env = _env(subject, {**BALANCE, "foot_cd": 0.0, "foot_cv": 0.0})
    m, d, fb = env.core.model, env.core.datas[0], env.core.balance
    stance = STANCE
    tilt = np.zeros(4)
    mujoco.mju_axisAngle2Quat(tilt, np.array([1.0, 0.0, 0.0]), np.radians(5.0))
    mujoco.mju_mulQuat(d.qpos[3:7], tilt, d.qpos[3:7].copy())  # a world-frame roll
    mujoco.mj_kinematics(m, d)
    offsets = _offsets(env)
    hip = fb.act[stance]
    # servo torque kp x offset on each hip joint; the pelvis feels minus that about the joint's axis
    on_pelvis = -(fb.kp[hip] * offsets[hip]) @ d.xaxis[fb.jnt[stance]]
    assert on_pelvis[0] == pytest.approx(-300.0 * np.radians(5.0), rel=0.05)
    assert np.abs(on_pelvis[1:]).max() < 0.05 * abs(on_pelvis[0])


def test_stance_hip_turns_a_yawed_torso_back(subject):
    """Torso turned 5 degrees off the reference heading: the stance hip turns it back with heading_kp x 5 deg."""
    env = _env(subject, {**BALANCE, "foot_cd": 0.0, "foot_cv": 0.0, "heading_kp_nm_per_rad": 200.0})
    m, d, fb = env.core.model, env.core.datas[0], env.core.balance
    turn = np.zeros(4)
    mujoco.mju_axisAngle2Quat(turn, np.array([0.0, 0.0, 1.0]), np.radians(5.0))
    mujoco.mju_mulQuat(d.qpos[3:7], turn, d.qpos[3:7].copy())
    mujoco.mj_kinematics(m, d)
    offsets = _offsets(env)
    hip = fb.act[STANCE]
    on_pelvis = -(fb.kp[hip] * offsets[hip]) @ d.xaxis[fb.jnt[STANCE]]
    assert on_pelvis[2] == pytest.approx(-200.0 * np.radians(5.0), rel=0.05)
    assert np.abs(on_pelvis[:2]).max() < 0.05 * abs(on_pelvis[2])


def test_reference_tables_equal_the_per_frame_formulas(subject):
    """The per-clip tables (stance weight, reference torso world angular velocity) match frame by frame."""
    env = _env(subject, BALANCE)
    core, fb = env.core, env.core.balance
    rot = np.zeros(9)
    for t in (0, 7, 23):
        g = int(core.frame()[0]) + t
        assert core.r_stance[g] == fb.stance_weights(core.r_xpos[g][fb.foot, 2])[0]
        mujoco.mju_quat2Mat(rot, core.r_qpos[g, 3:7])
        np.testing.assert_allclose(core.r_omega[g], rot.reshape(3, 3) @ core.r_qvel[g, 3:6], atol=1e-12)


def test_swing_foot_jacobian_and_torso_error_equal_mujocos(subject):
    """The batched swing-foot Jacobian (axis x lever on the hip hinges) equals mj_jacBody's columns, and the
    batched quaternion difference equals mju_subQuat, on random poses."""
    from gaitmimic.task.balance import sub_quat

    env = _env(subject, BALANCE)
    m, d, fb = env.core.model, env.core.datas[0], env.core.balance
    rng = np.random.default_rng(0)
    jacp = np.zeros((3, m.nv))
    for _ in range(5):
        d.qpos[7:] = rng.uniform(-0.5, 0.5, m.nq - 7)
        d.qpos[3:7] = rng.normal(size=4)
        d.qpos[3:7] /= np.linalg.norm(d.qpos[3:7])
        mujoco.mj_forward(m, d)
        for side in (0, 1):
            mujoco.mj_jacBody(m, d, jacp, None, fb.foot[side])
            jnt = fb.jnt[side]
            ours = np.cross(d.xaxis[jnt], d.xpos[fb.foot[side]] - d.xanchor[jnt])  # the formula offsets uses
            np.testing.assert_allclose(ours.T, jacp[:, fb.dof[side]], atol=1e-12)
    # The swing hip's offsets are the damped least-squares step of mj_jacBody's Jacobian toward the drift.
    env = _env(subject, {**BALANCE, "torso_kp_nm_per_rad": 0.0, "torso_kd_nm_s_per_rad": 0.0,
                         "heading_kp_nm_per_rad": 0.0, "heading_kd_nm_s_per_rad": 0.0, "foot_cv": 0.0})
    core, d = env.core, env.core.datas[0]
    d.qpos[m.jnt_qposadr[fb.jnt[STANCE]]] += [0.1, 0.05, 0.1]  # the stance leg moved under the root
    mujoco.mj_forward(m, d)
    offsets = _offsets(env)
    g = int(core.frame()[0])
    stance = fb.foot[STANCE]
    dp = (d.qpos[:2] - d.xpos[stance, :2]) - (core.r_qpos[g, :2] - core.r_xpos[g, stance, :2])
    assert np.abs(dp).max() > 0.01  # a drift to correct, so the comparison can fail
    mujoco.mj_jacBody(m, d, jacp, None, fb.foot[SWING])
    jac = jacp[:2, fb.dof[SWING]]
    expected = jac.T @ np.linalg.solve(jac @ jac.T + 1e-3 * np.eye(2), BALANCE["foot_cd"] * dp)
    np.testing.assert_allclose(offsets[fb.act[SWING]], expected, atol=1e-9)
    qa, qb = rng.normal(size=(40, 4)), rng.normal(size=(40, 4))
    qa /= np.linalg.norm(qa, axis=1, keepdims=True)
    qb /= np.linalg.norm(qb, axis=1, keepdims=True)
    qb[0] = qa[0]  # no rotation at all
    expected = np.zeros((40, 3))
    for i in range(40):
        mujoco.mju_subQuat(expected[i], qa[i], qb[i])
    np.testing.assert_allclose(sub_quat(qa, qb), expected, atol=1e-12)
