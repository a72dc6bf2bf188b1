"""Evaluation metrics on synthetic rollouts: exact values that a wrong definition would miss."""

from __future__ import annotations

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.evaluate import gait
from gaitmimic.evaluate import metrics as M
from gaitmimic.evaluate import synthetic
from gaitmimic.evaluate.rollouts import start_phases
from gaitmimic.io.reference import write_reference
from gaitmimic.io.rollouts import read_rollouts, write_rollouts
from gaitmimic.sim.humanoid import suite_humanoid_path

#: The termination error threshold of the evaluate settings (CoMic's 0.3).
THRESHOLD = settings.section("evaluate").termination_error_threshold


@pytest.fixture(scope="module")
def ref():
    return synthetic.synthetic_reference(suite_humanoid_path(), n_cycles=6, cycle_s=1.1, speed_mps=1.0)


def test_replayed_reference_is_perfect(ref):
    r = synthetic.replay_rollout(ref, episode_s=5.0)
    m = M.aggregate_metrics([r], threshold=THRESHOLD, key_bodies=["head", "left_foot", "right_foot"])
    assert m["tracked_fraction"] == 1.0
    assert m["fall_rate"] == 0.0
    assert m["joint_rmse_deg"] == 0.0
    assert m["hip_flexion_rmse_deg"] == m["knee_flexion_rmse_deg"] == m["ankle_dorsiflexion_rmse_deg"] == 0.0
    assert m["key_body_error_cm"] == 0.0
    assert m["forward_speed_ratio"] == pytest.approx(1.0)
    assert m["forward_speed_mps"] == pytest.approx(1.0, abs=1e-9)
    # 1.1 s strides at 1 m/s: 1.1 m and 2 * 60 / 1.1 = 109.1 steps/min, found from the kinematics.
    assert m["stride_length_m"] == pytest.approx(1.1, abs=0.03)
    assert m["cadence_spm"] == pytest.approx(109.09, abs=2.5)
    assert m["stride_length_ratio"] == pytest.approx(1.0) and m["cadence_ratio"] == pytest.approx(1.0)
    assert m["normalized_return"] == pytest.approx(1.0)


def test_fall_at_40_percent_gives_tracked_fraction_0_4(ref):
    r = synthetic.replay_rollout(ref, episode_s=5.0, fall_fraction=0.4)
    assert r.n_steps < r.n_planned_steps  # the episode ended at the fall
    frac = M.tracked_fraction(r, THRESHOLD)
    assert abs(frac - 0.4) <= 1.0 / r.n_planned_steps
    m = M.aggregate_metrics([r, synthetic.replay_rollout(ref, episode_s=5.0)], threshold=THRESHOLD)
    assert m["fall_rate"] == 0.5
    assert m["tracked_fraction"] == pytest.approx((frac + 1.0) / 2)
    assert m["tracked_fraction_phase0"] == pytest.approx(frac)
    assert m["rollouts"][0]["time_to_fall_s"] == pytest.approx(2.0 + r.control_dt_s, abs=1.5 * r.control_dt_s)


def test_tracking_error_threshold_ends_the_tracked_part(ref):
    r = synthetic.replay_rollout(ref, episode_s=5.0)
    half = r.n_steps // 2
    r.qpos = r.qpos.copy()
    r.qpos[half:, 7:] += 0.7  # CoMic error 0.5 * 0 m + 0.5 * 0.7 rad = 0.35 > 0.3
    assert M.tracking_error(r)[half] == pytest.approx(0.35)
    assert M.tracked_steps(r, THRESHOLD) == half
    assert M.tracked_fraction(r, threshold=0.4) == 1.0  # below a looser threshold
    # Errors are measured on the tracked part only: still zero.
    assert M.aggregate_metrics([r], threshold=THRESHOLD)["joint_rmse_deg"] == 0.0


def test_joint_rmse_of_a_known_offset(ref):
    r = synthetic.replay_rollout(ref, episode_s=3.0)
    r.qpos = r.qpos.copy()
    r.qpos[:, 7 + gait.JOINT_INDEX["right_knee"]] += np.radians(5.0)
    m = M.aggregate_metrics([r], threshold=THRESHOLD)
    assert m["joint_rmse_deg_per_joint"]["right_knee"] == pytest.approx(5.0)
    assert m["joint_rmse_deg_per_joint"]["left_knee"] == pytest.approx(0.0)
    assert m["knee_flexion_rmse_deg"] == pytest.approx(5.0 / np.sqrt(2))  # left and right pooled
    assert m["hip_flexion_rmse_deg"] == 0.0
    assert m["joint_rmse_deg"] == pytest.approx(5.0 / np.sqrt(21))


def test_key_body_error_in_cm(ref):
    r = synthetic.replay_rollout(ref, episode_s=2.0)
    r.body_xpos = r.body_xpos.copy()
    r.body_xpos[:, r.body_names.index("head")] += [0.03, 0.0, 0.04]  # 5 cm
    m = M.aggregate_metrics([r], threshold=THRESHOLD, key_bodies=["head", "left_foot"])
    assert m["key_body_error_cm"] == pytest.approx(2.5)


def test_slow_walker_speed_ratio(ref):
    r = synthetic.replay_rollout(ref, episode_s=4.0)
    r.qpos = r.qpos.copy()
    x0 = r.qpos[0, 0]
    r.qpos[:, 0] = x0 + 0.75 * (r.qpos[:, 0] - x0)
    assert M.aggregate_metrics([r], threshold=THRESHOLD)["forward_speed_ratio"] == pytest.approx(0.75)


def test_heel_strikes_match_reference_cycles(ref):
    hs = gait.heel_strikes(ref.body_xpos, list(ref.body_names), "right", min_stride_steps=20)
    starts = ref.cycle_starts[1:-1]  # peaks need a neighbour on both sides
    assert len(hs) == len(starts)
    assert np.max(np.abs(hs - starts)) <= 1


def test_clinical_angle_signs_and_cycle_normalization(ref):
    ang = gait.clinical_angles_deg(ref.qpos)
    cycles = gait.normalize_cycles(ang["hip_flexion_r"], ref.cycle_starts)
    assert cycles.shape == (6, 101)
    # Synthetic hip: 10 + 20 cos(2 pi phase) deg of flexion: 30 at heel strike, -10 (extension) at 50 %.
    assert cycles[:, 0] == pytest.approx(30.0, abs=0.1)
    assert cycles[:, 50] == pytest.approx(-10.0, abs=0.3)
    assert ang["knee_flexion_r"].max() > 50.0  # flexion positive
    obliq = gait.pelvic_obliquity_deg(ref.body_xpos, list(ref.body_names))
    assert np.allclose(obliq, 0.0, atol=1e-6)  # level pelvis in the synthetic walk


def test_rollouts_roundtrip(tmp_path, ref):
    rs = [synthetic.replay_rollout(ref, episode_s=1.0), synthetic.replay_rollout(ref, episode_s=1.0, fall_fraction=0.5,
                                                                                 policy="zero_action")]
    write_rollouts(tmp_path / "r.npz", rs)
    back = read_rollouts(tmp_path / "r.npz")
    assert [b.policy for b in back] == ["policy", "zero_action"]
    assert back[1].n_steps == rs[1].n_steps and back[1].n_planned_steps == 40
    np.testing.assert_array_equal(back[1].fell, rs[1].fell)
    assert back[0].body_names == rs[0].body_names
    assert start_phases(3, seed=1)[0] == 0.0 and len(start_phases(3, seed=1)) == 4
    assert start_phases(3, seed=1) == start_phases(3, seed=1)


def test_rollout_in_the_real_task(tmp_path, ref):
    """The recorder against the rl stage's env: zero action on the synthetic walk (falls quickly)."""
    task = pytest.importorskip("gaitmimic.task")
    from gaitmimic.evaluate.rollouts import run_rollout, zero_action

    write_reference(tmp_path / "ref.npz", ref)
    env = task.make_env(str(suite_humanoid_path()), [str(tmp_path / "ref.npz")],
                        settings.section("task", {"episode_s": 2.0}), seed=0, evaluation=True)
    r = run_rollout(env, zero_action(env.action_space.shape), policy="zero_action", start_phase=0.0, episode_s=2.0)
    assert r.n_planned_steps == 80 and 1 <= r.n_steps <= 80
    assert r.qpos.shape == (r.n_steps, 28) and r.ref_body_xpos.shape == r.body_xpos.shape == (r.n_steps, 16, 3)
    # First step: the simulation starts on the reference, so the error is small.
    assert M.tracking_error(r)[0] < 0.05
    assert r.time_s[0] == pytest.approx(r.control_dt_s)
    assert 0.0 <= M.tracked_fraction(r, THRESHOLD) <= r.n_steps / 80
