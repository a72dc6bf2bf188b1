"""Evaluation plots and tables: files written, and the numbers behind them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gaitmimic import settings
from gaitmimic.evaluate import plots, stage, summary, synthetic
from gaitmimic.io.events import write_events
from gaitmimic.io.reference import write_reference
from gaitmimic.sim.humanoid import suite_humanoid_path
from gaitmimic.io.reports import write_json


def evaluate(cfg):
    """The evaluate settings with ``cfg`` over the schema's defaults."""
    return settings.section("evaluate", cfg)


@pytest.fixture(scope="module")
def ref():
    return synthetic.synthetic_reference(suite_humanoid_path(), n_cycles=4)


def test_gait_cycle_figure(tmp_path, ref):
    r = synthetic.replay_rollout(ref, episode_s=4.0)
    sim = plots.simulated_cycles([r])
    refc = plots.reference_cycles(ref)
    assert sim["hip_flexion_r"].shape[0] == 2  # 3 right heel strikes inside 4 s of 1.1 s cycles
    np.testing.assert_allclose(sim["knee_flexion_r"].mean(0), refc["knee_flexion_r"].mean(0), atol=1.5)
    out = plots.gait_cycle_figure([ref], [r], tmp_path / "gait.png", formats=("png", "svg"))
    assert [p.suffix for p in out] == [".png", ".svg"]
    assert all(p.stat().st_size > 10_000 for p in out)
    # with the humanoid: the pelvis, hip-rotation and foot-progression panels (the synthetic walk keeps its
    # torso upright and level, and its hip_z at 0: its hip rotation, read in gait2392's flexion-adduction-rotation
    # order, is only the cross-talk of 40 deg of flexion with 8 deg of adduction in the humanoid's own order)
    from gaitmimic.sim.humanoid import load_model

    model = load_model(suite_humanoid_path())
    segments = plots.reference_cycles(ref, model)
    for key in ("pelvic_tilt", "pelvic_obliquity", "pelvic_rotation"):
        assert np.abs(segments[key]).max() < 1e-6, key
    assert np.abs(ref.qpos[:, 7 + plots.gait.JOINT_INDEX["right_hip_z"]]).max() == 0.0
    assert 0.2 < np.abs(segments["hip_rotation_r"]).max() < 2.0
    assert np.ptp(segments["foot_progression_r"]) > 1.0
    out = plots.gait_cycle_figure([ref], [r], tmp_path / "gait_model.png", model=model)
    assert out[0].stat().st_size > 10_000


def test_learning_curve_ik_and_events(tmp_path):
    steps = np.arange(1, 11) * 1000
    progress = pd.DataFrame({"steps": steps, "ep_return_mean": np.sqrt(steps), "ep_len_mean": steps / 100,
                             "ep_len_s_mean": steps / 4000})
    assert plots.learning_curve_figure(progress, tmp_path / "lc.png")[0].stat().st_size > 5_000
    t = np.arange(0, 2, 0.01)
    write_json(tmp_path / "w_ik_summary.json", {
        "marker_rms_m": {"median": 0.012, "mean": 0.013, "max": 0.03},
        "per_frame": {"time_s": t.tolist(), "rms_m": (0.012 + 0.002 * np.sin(t)).tolist(), "max_m": (0.03 + 0 * t).tolist()}})
    assert plots.ik_error_figure([tmp_path / "w_ik_summary.json"], tmp_path / "ik.png")[0].exists()
    from gaitmimic.io.trc import write_trc
    from gaitmimic.io.markerdata import MarkerTrial

    n = 200
    xyz = np.zeros((n, 4, 3))
    xyz[:, :, 1] = 0.05 + 0.05 * np.clip(np.sin(np.arange(n)[:, None] / 10 + [0, 0.5, 3, 3.5]), 0, None)
    write_trc(tmp_path / "w.trc", MarkerTrial(labels=["RHEE", "RTOE", "LHEE", "LTOE"], xyz_m=xyz, rate_hz=100.0))
    write_events(tmp_path / "w.csv", pd.DataFrame({"side": ["right", "left"], "event": ["heel_strike", "toe_off"],
                                                   "time_s": [0.3, 0.8], "frame": [30, 80],
                                                   "source": ["kinematic"] * 2}))
    out = plots.gait_events_figure([("walk", tmp_path / "w.trc", tmp_path / "w.csv")] * 2, tmp_path / "ev.png",
                                   {"right": ["RHEE"], "left": ["LHEE"]}, {"right": ["RTOE"], "left": ["LTOE"]})
    assert out[0].stat().st_size > 5_000


def test_metrics_json_and_summary_one_row_per_subject(tmp_path, ref):
    good = [synthetic.replay_rollout(ref, episode_s=3.0)]
    bad = [synthetic.replay_rollout(ref, episode_s=3.0, fall_fraction=0.25),
           synthetic.replay_rollout(ref, episode_s=3.0, fall_fraction=0.25, policy="zero_action")]
    stage.write_metrics("s2", bad, evaluate({"episode_s": 3.0}), tmp_path / "s2.json", tmp_path / "s2.csv")
    m1 = stage.write_metrics("s1", good, evaluate({"episode_s": 3.0}), tmp_path / "s1.json", tmp_path / "s1.csv")
    assert m1["policy"]["tracked_fraction"] == 1.0
    doc = json.loads((tmp_path / "s2.json").read_text())  # strict JSON: NaN written as null
    assert doc["zero_action"]["stride_length_m"] is None
    table = pd.read_csv(tmp_path / "s2.csv")
    assert list(table["policy"]) == ["policy", "zero_action"]
    statuses = [summary.SubjectStatus("s2", "done", metrics_json=tmp_path / "s2.json"),
                summary.SubjectStatus("s1", "done", metrics_json=tmp_path / "s1.json"),
                summary.SubjectStatus("s0", "failed", "ik", "ik (subject=s0, trial=w): w.trc: no frames. Fix: x")]
    df = summary.write_summary(statuses, tmp_path / "summary.csv", out_rst=tmp_path / "summary.rst")
    back = pd.read_csv(tmp_path / "summary.csv").iloc[1:].reset_index(drop=True)
    assert list(back["subject"]) == ["s1", "s2"] and len(df) == 3
    assert df.loc[0, "status"] == "failed" and np.isnan(df.loc[0, "tracked_fraction"])
    rst = (tmp_path / "summary.rst").read_text()
    assert "   * - `s1`_\n     - done\n     - 1\n" in rst and "- ``s0``: failed at ik: ``ik (subject=s0" in rst
    assert back.loc[1, "tracked_fraction"] == pytest.approx(0.25, abs=1 / 120)
    assert back.loc[1, "zero_action_fall_rate"] == 1.0
    assert np.isnan(back.loc[0, "zero_action_tracked_fraction"])  # s1 has no floor rollouts


def test_short_episode_drawn_against_reference_phase(tmp_path, ref):
    r = synthetic.replay_rollout(ref, episode_s=4.0, fall_fraction=0.2)  # falls after 0.8 s < one 1.1 s cycle
    assert plots.simulated_cycles([r])["knee_flexion_r"].shape[0] == 0
    part = plots.partial_cycles([r], cycle_s=1.1)["hip_flexion_r"]
    assert len(part) == 1
    pct, deg = part[0]
    # Replayed reference, phase 0 at t = 0: hip flexion 10 + 20 cos(2 pi phase) deg at every sample.
    np.testing.assert_allclose(deg, 10 + 20 * np.cos(2 * np.pi * pct / 100), atol=0.01)
    out = plots.gait_cycle_figure([ref], [r], tmp_path / "g.png", formats=("png",), cycle_s=1.1)
    assert out[0].stat().st_size > 10_000


def test_reference_gait_fills_short_episodes(tmp_path, ref):
    write_reference(tmp_path / "ref.npz", ref)
    got = stage.reference_gait([tmp_path / "ref.npz"])
    assert got["stride_length_m"] == pytest.approx(1.1)  # 1 m/s x 1.1 s
    assert got["cadence_spm"] == pytest.approx(120 / 1.1)
    short = [synthetic.replay_rollout(ref, episode_s=1.0)]  # one heel strike only: nothing measured
    m = stage.write_metrics("s", short, evaluate({"episode_s": 1.0}), tmp_path / "m.json", tmp_path / "m.csv",
                            tmp_path / "m.html", [tmp_path / "ref.npz"])
    assert m["policy"]["reference_cadence_spm"] == pytest.approx(109.09, abs=0.01)
    assert m["policy"]["cadence_spm"] is None and m["policy"]["cadence_ratio"] is None
    assert "n/a" in (tmp_path / "m.html").read_text()
