"""The gait tracking task: reference state init, PD tracking, termination, rewards, determinism."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
from dm_control import mjcf

from gaitmimic import settings
from gaitmimic.sim.humanoid import suite_humanoid_path
from gaitmimic.task import make_env
from gaitmimic.task.physics import body_torque_factor
from gaitmimic.task.rewards import MIMIC_TERMS, SEED_TERMS
from gaitmimic.task.synthetic import write_synthetic_reference

NO_ASSIST = {"assist": {"enabled": False}}


def task_settings(cfg):
    """The task settings with ``cfg`` over the schema's defaults."""
    return settings.section("task", cfg)


@pytest.fixture(scope="module")
def subject(tmp_path_factory):
    """A humanoid exported through dm_control.mjcf (as the retarget stage writes it) + a synthetic walk."""
    d = tmp_path_factory.mktemp("rl_subject")
    root = mjcf.from_path(str(suite_humanoid_path()))
    mjcf.export_with_assets(root, str(d), "humanoid.xml")
    npz = write_synthetic_reference(d / "walk.npz", d / "humanoid.xml")
    return d / "humanoid.xml", [npz]


def test_reference_state_init_puts_humanoid_on_the_frame(subject):
    xml, refs = subject
    env = make_env(xml, refs, task_settings(NO_ASSIST), seed=0)
    env.reset(options={"phase": 0.3})
    core, data = env.core, env.physics.data
    ref = core.refs[0]
    f = int(core.start_frame[0])
    assert abs(ref.phase[f] - 0.3) < 1.0 / 40 + 1e-9
    np.testing.assert_allclose(data.qpos, ref.qpos[f], atol=1e-12)
    np.testing.assert_allclose(data.qvel, ref.qvel[f], atol=1e-12)
    np.testing.assert_allclose(data.xpos, ref.body_xpos[f], atol=1e-9)
    # seed mode: same frame kind, but velocities zeroed
    env_s = make_env(xml, refs, task_settings({"mode": "seed"}), seed=0)
    env_s.reset(options={"phase": 0.3})
    np.testing.assert_allclose(env_s.physics.data.qpos, ref.qpos[f], atol=1e-12)
    assert np.all(env_s.physics.data.qvel == 0.0)


def test_zero_residual_with_pinned_root_tracks_reference(subject):
    xml, refs = subject
    env = make_env(xml, refs, task_settings(NO_ASSIST), seed=0, evaluation=True)
    env.reset(options={"phase": 0.0})
    core = env.core
    m, d = core.model, core.datas[0]
    errs = []
    lift = np.array([0.0, 0.0, 0.2])  # feet off the floor: the synthetic walk is not grounded
    for _ in range(60):  # 1.5 s; the root is held on the reference (a kinematic pin)
        core.apply_actions(np.zeros((1, 21)))
        nxt = int(core.frame()[0]) + 1
        for _ in range(core.n_substeps):
            mujoco.mj_step(m, d)
            d.qpos[:3] = core.r_qpos[nxt, :3] + lift
            d.qpos[3:7] = core.r_qpos[nxt, 3:7]
            d.qvel[:6] = core.r_qvel[nxt, :6]
        mujoco.mj_forward(m, d)
        core.after_physics()
        errs.append(d.qpos[7:] - core.r_qpos[nxt, 7:])
    rms_deg = np.degrees(np.sqrt(np.mean(np.square(errs))))
    assert rms_deg < 2.0, rms_deg
    # a wrong action mapping (e.g. stock actuator order) would give tens of degrees
    assert np.degrees(np.abs(errs).max()) < 15.0


def test_humanoid_dropped_on_its_back_terminates(subject):
    xml, refs = subject
    env = make_env(xml, refs, task_settings(NO_ASSIST), seed=0, evaluation=True)
    env.reset(options={"phase": 0.0})
    d = env.physics.data
    d.qpos[2] = 0.25
    d.qpos[3:7] = [np.cos(-np.pi / 4), 0.0, np.sin(-np.pi / 4), 0.0]  # pitched 90 deg: lying on the back
    d.qvel[:] = 0.0
    mujoco.mj_forward(env.physics.model.ptr, d.ptr)
    terminated, steps = False, 0
    while not terminated and steps < 20:
        _, _, terminated, truncated, info = env.step(np.zeros(21))
        steps += 1
    assert terminated and info["fell"] and steps <= 2
    # an upright humanoid on the reference does not terminate in its first step
    env.reset(options={"phase": 0.0})
    _, _, terminated, _, info = env.step(np.zeros(21))
    assert not terminated and not info["fell"]


def test_drift_ends_training_episodes_but_evaluation_goes_on_until_a_fall(subject):
    xml, refs = subject
    for evaluation in (False, True):
        env = make_env(xml, refs, task_settings(NO_ASSIST), seed=0, evaluation=evaluation)
        env.reset(options={"phase": 0.0})
        d = env.physics.data
        d.qpos[1] += 2.0  # upright, 2 m beside the reference root (max_root_deviation_m 1.0)
        mujoco.mj_forward(env.physics.model.ptr, d.ptr)
        _, _, terminated, _, info = env.step(np.zeros(21))
        assert info["deviated"] and not info["fell"]
        assert terminated is not evaluation, evaluation


@pytest.mark.parametrize("mode,terms", [("mimic", MIMIC_TERMS), ("seed", SEED_TERMS)])
def test_reward_terms_in_unit_interval_and_one_on_reference(subject, mode, terms):
    xml, refs = subject
    env = make_env(xml, refs, task_settings({"mode": mode, **NO_ASSIST}), seed=0)
    env.reset(options={"phase": 0.5})
    on_ref = env.task.reward_terms()  # of the episode's first state
    assert set(on_ref) == set(terms)
    for k, v in on_ref.items():
        assert v == pytest.approx(1.0, abs=1e-9), k
    rng = np.random.default_rng(0)
    seen_low = False
    for _ in range(80):
        _, r, term, trunc, info = env.step(rng.uniform(-1, 1, 21))
        assert 0.0 <= r <= 1.0
        for k, v in env.task.reward_terms().items():
            assert 0.0 <= v <= 1.0, (k, v)
            seen_low |= v < 0.9
        if term or trunc:
            env.reset()
    assert seen_low  # random actions move the humanoid off the reference


def _returns(xml, refs, seed, mode="mimic"):
    env = make_env(xml, refs, task_settings({"mode": mode}), seed=seed)
    rng = np.random.default_rng(7)
    out, total = [], 0.0
    env.reset(seed=seed)
    for _ in range(150):
        _, r, term, trunc, _ = env.step(rng.uniform(-1, 1, 21))
        total += r
        if term or trunc:
            out.append(total)
            total = 0.0
            env.reset()
    return out + [total]


def test_same_seed_same_returns(subject):
    xml, refs = subject
    a = _returns(xml, refs, 3)
    b = _returns(xml, refs, 3)
    assert a == b
    assert _returns(xml, refs, 4) != a  # another seed starts elsewhere


def test_info_keys_and_evaluation_disables_helpers(subject):
    xml, refs = subject
    cfg = {"obs_noise_std": 0.5, "pushes": {"enabled": True}, "gravity_curriculum": {"enabled": True},
           "assist": {"enabled": True}}
    env = make_env(xml, refs, task_settings(cfg), seed=0, evaluation=True)
    obs, _ = env.reset(options={"phase": 0.25, "reference_index": 0})
    assert obs.shape == env.observation_space.shape
    assert env.core.assist_level() == 0.0 and env.core.gravity() == pytest.approx(-9.81)
    _, _, _, _, info = env.step(np.zeros(21))
    assert set(info) >= {"time_s", "ref_qpos", "ref_body_xpos", "fell", "deviated", "reward_terms"}
    assert info["ref_qpos"].shape == (28,) and info["ref_body_xpos"].shape[1] == 3
    assert info["time_s"] == pytest.approx(1 / 40)
    np.testing.assert_allclose(env.physics.data.xfrc_applied, 0.0)
    train = make_env(xml, refs, task_settings(cfg), seed=0)
    assert train.core.assist_level() == 1.0 and train.core.gravity() == pytest.approx(-1.0)
    train.set_progress(0.25)
    assert train.core.assist_level() == pytest.approx(0.5)  # decays to 0 at decay_fraction 0.5
    assert train.core.gravity() == pytest.approx(-1.0 + 0.5 * (-9.81 + 1.0))
    train.reset(options={"phase": 0.25})
    train.physics.data.qpos[1] += 0.1  # off the reference root: the assist pulls it back
    train.step(np.zeros(21))
    assert np.abs(train.physics.data.xfrc_applied).max() > 0.0  # the assist acts in training


def test_pd_servos_replace_motors_with_stronger_ankles(subject):
    xml, refs = subject
    env = make_env(xml, refs, task_settings({"mimic": {"servo": {"scale_to_body": "none"}}}), seed=0)
    m = env.physics.model
    names = [m.id2name(i, "actuator") for i in range(m.nu)]
    assert names == env.physics.joint_names  # one servo per joint, joint order
    limit = dict(zip(names, m.actuator_forcerange[:, 1]))
    assert limit["right_ankle_y"] == pytest.approx(60.0) and limit["left_hip_y"] == pytest.approx(180.0)
    assert limit["right_knee"] == pytest.approx(80.0)
    seed_env = make_env(xml, refs, task_settings({"mode": "seed"}), seed=0)
    assert seed_env.physics.model.actuator_gear[:, 0].max() == pytest.approx(120.0)  # stock motors kept


def test_servos_scaled_to_a_heavier_body(subject, tmp_path):
    """scale_to_body scales torque limits (limits) or gains and limits (all) by (mass x leg length)
    relative to the stock humanoid."""
    xml, refs = subject
    assert body_torque_factor(xml) == pytest.approx(1.0, abs=0.01)  # the suite humanoid itself
    root = mjcf.from_path(str(xml), escape_separators=True)  # an exported file uses class="/"
    for body in root.find_all("body"):  # 1.5x heavier (masses of the compiled geoms scale with density)
        for geom in body.geom:
            geom.density = 1.5 * (geom.density if geom.density is not None else 1000.0)
    mjcf.export_with_assets(root, str(tmp_path), "heavy.xml")
    heavy = tmp_path / "heavy.xml"
    factor = body_torque_factor(heavy)
    assert factor == pytest.approx(1.5, rel=0.02)
    def servos(scale):
        servo = task_settings({"mimic": {"servo": {"scale_to_body": scale}}})
        return make_env(heavy, refs, servo, seed=0).physics.model

    base, limits, both = servos("none"), servos("limits"), servos("all")
    np.testing.assert_allclose(limits.actuator_forcerange, factor * base.actuator_forcerange, rtol=1e-9)
    np.testing.assert_allclose(limits.actuator_gainprm[:, 0], base.actuator_gainprm[:, 0], rtol=1e-9)
    np.testing.assert_allclose(both.actuator_forcerange, factor * base.actuator_forcerange, rtol=1e-9)
    np.testing.assert_allclose(both.actuator_gainprm[:, 0], factor * base.actuator_gainprm[:, 0], rtol=1e-9)
    assert base.actuator_forcerange[:, 1].max() == pytest.approx(180.0)  # hip_y: 120 Nm stock x 1.5


def test_stand_task_holds_zero_pose(subject):
    xml, refs = subject
    env = make_env(xml, refs, task_settings({"stand": True}), seed=0)
    env.reset()
    assert np.all(env.physics.data.qpos[7:] == 0.0)
    assert settings.section("task").mode == "mimic"


def test_vectorised_mimic_reward_equals_reference_formula(subject):
    """The task's hot-path reward vector equals rewards.mimic_terms on states off the reference."""
    from gaitmimic.task import rewards

    xml, refs = subject
    env = make_env(xml, refs, task_settings({}), seed=3)
    core, d = env.core, env.physics.data
    rng = np.random.default_rng(3)
    env.reset()
    for _ in range(60):
        _, _, term, trunc, _ = env.step(rng.uniform(-1, 1, 21))
        g = int(core.frame()[0])
        expected = rewards.mimic_terms(d.qpos, d.qvel, d.xpos[core.ee_ids] - d.qpos[:3], d.subtree_com[core.torso],
                                       core.r_qpos[g], core.r_qvel[g], core.r_ee_rel[g], core.r_com[g], core.scales)
        got = env.task.reward_terms()
        for k, v in expected.items():
            assert got[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k
        if term or trunc:
            env.reset()


def test_non_foot_contact_prefilter_agrees_with_contact_list(subject):
    """The bounding-sphere shortcut never hides a non-foot floor contact that the contact list holds:
    checked on walking steps under random actions and on the humanoid laid down at many heights."""
    xml, refs = subject
    env = make_env(xml, refs, task_settings({}), seed=4)
    core, d = env.core, env.physics.data
    m = env.physics.model.ptr

    def full_check():
        n = d.ncon
        return bool(n) and bool(core._bad_pair[d.contact.geom[:n, 0], d.contact.geom[:n, 1]].any())

    rng = np.random.default_rng(4)
    env.reset()
    for _ in range(200):
        _, _, term, trunc, _ = env.step(rng.uniform(-1, 1, 21))
        assert core.non_foot_contact()[0] == full_check()
        if term or trunc:
            env.reset()
    seen = 0
    for height in np.linspace(0.05, 0.6, 23):
        for pitch in (-np.pi / 2, -np.pi / 4, np.pi / 4, np.pi / 2):
            env.reset(options={"phase": 0.0})
            d.qpos[2] = height
            d.qpos[3:7] = [np.cos(pitch / 2), 0.0, np.sin(pitch / 2), 0.0]
            mujoco.mj_forward(m, d.ptr)
            assert core.non_foot_contact()[0] == full_check(), (height, pitch)
            seen += full_check()
    assert 0 < seen < 92  # both outcomes occur among the laid-down poses


def test_velocity_feedforward_shifts_servo_targets_by_kd_over_kp_times_reference_velocity(subject):
    xml, refs = subject
    plain = make_env(xml, refs, task_settings({"mimic": {"servo": {"velocity_feedforward": False}}}), seed=0)
    ff = make_env(xml, refs, task_settings({}), seed=0)  # the default
    for env in (plain, ff):
        env.reset(options={"phase": 0.3, "reference_index": 0})
        env.step(np.zeros(21))
    g = int(ff.core.frame()[0])  # the targets written before this step were for this reference frame
    expected = ff.core._kd_ratio * ff.core.r_qvel[g, 6:]
    assert np.abs(expected).max() > 1e-3  # the reference moves, so the test can fail
    np.testing.assert_allclose(ff.physics.data.ctrl - plain.physics.data.ctrl, expected, atol=1e-12)
