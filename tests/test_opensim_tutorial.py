"""Our scale + IK stages reproduce OpenSim's own tutorial (opensim-tutorial5, gait2354, subject01).

The tutorial's setup files run unchanged in a temporary copy; our stages run on the same TRC files with
the tutorial's settings expressed as our config (its manual femur/tibia scale factors and time windows).
"""

from __future__ import annotations

import contextlib
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.io.mot import read_mot_arrays
from gaitmimic.opensim.runtime import import_opensim
from gaitmimic.opensim.stage import run_ik, scale_subject

from _opensim_cases import angle_rmse

COMPARED = ["pelvis_tilt", "pelvis_list", "pelvis_rotation", "hip_flexion_r", "hip_adduction_r", "hip_rotation_r",
            "knee_angle_r", "ankle_angle_r", "hip_flexion_l", "hip_adduction_l", "hip_rotation_l", "knee_angle_l",
            "ankle_angle_l", "lumbar_extension", "lumbar_bending", "lumbar_rotation"]


def _tutorial_model(tut):
    return settings.section("model", {"generic": str(tut / "gait2354_simbody.osim"),
                                      "marker_set": str(tut / "gait2354_Scale_MarkerSet.xml")})


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    tut = shared_data / "opensim-tutorial5"
    theirs = tmp_path_factory.mktemp("tutorial")
    for f in tut.iterdir():
        shutil.copy(f, theirs / f.name)
    osim = import_opensim()
    with contextlib.chdir(theirs):
        assert osim.ScaleTool(str(theirs / "gait2354_Setup_Scale.xml")).run()
        assert osim.InverseKinematicsTool(str(theirs / "subject01_Setup_IK.xml")).run()

    setup = ET.parse(tut / "gait2354_Setup_Scale.xml").getroot()
    manual = {s.findtext("segment").strip(): float(s.findtext("scales").split()[0]) for s in setup.iter("Scale")}
    ours = tmp_path_factory.mktemp("ours")
    model = _tutorial_model(tut)
    report = scale_subject(tut / "subject01_static.trc", ours / "subject01.osim", ours / "scale_report.json",
                           subject="subject01", mass_kg=72.6, height_m=1.8034, model=model,
                           scale=settings.section("scale", {"time_range_s": [1.0, 2.0], "placement_time_range_s": [1.0, 1.01],
                                                            "manual_scale_factors": manual}), log_file=ours / "opensim.log")
    summary = run_ik(ours / "subject01.osim", tut / "subject01_walk1.trc", ours / "walk1.mot", ours / "walk1_ik_summary.json",
                     model=model, ik=settings.section("ik"), log_file=ours / "opensim.log")
    return theirs, ours, report, summary


def test_ik_marker_rms_no_worse_than_tutorial(runs):
    theirs, ours, _, summary = runs
    labels, t_theirs, err = read_mot_arrays(theirs / "subject01_ik_marker_errors.sto")
    rms_theirs = err[:, labels.index("marker_error_RMS")]
    t = np.array(summary["per_frame"]["time_s"])
    rms_ours = np.array(summary["per_frame"]["rms_m"])
    window = (t >= t_theirs[0] - 1e-6) & (t <= t_theirs[-1] + 1e-6)     # the tutorial solves 0.4-1.6 s only
    print(f"\nIK marker RMS, median over {window.sum()} frames: ours {np.median(rms_ours[window]) * 100:.4f} cm, "
          f"tutorial {np.median(rms_theirs) * 100:.4f} cm; ours over the whole trial {summary['marker_rms_m']['median'] * 100:.4f} cm")
    assert window.sum() == len(t_theirs)
    assert np.median(rms_ours[window]) <= np.median(rms_theirs) + 1e-5      # no worse (0.01 mm solver tolerance)
    assert np.max(rms_ours[window]) <= np.max(rms_theirs) + 1e-4
    assert summary["flagged_frames"] == []
    assert len(summary["per_frame"]["time_s"]) == 151                       # the whole trial


def test_joint_angles_match_tutorial(runs):
    theirs, ours, _, _ = runs
    errors = angle_rmse(theirs / "subject01_walk1_ik.mot", ours / "walk1.mot", COMPARED)
    print("\njoint-angle RMSE vs the tutorial (deg): " + ", ".join(f"{c} {e:.3f}" for c, e in errors.items()))
    assert max(errors.values()) < 2.0


def test_scale_report_matches_tutorial_marker_placer(runs):
    _, _, report, _ = runs
    print(f"\nstatic-pose marker error: RMS {report['marker_errors']['rms_m'] * 100:.2f} cm, max {report['marker_errors']['max_m'] * 100:.2f} cm")
    assert report["scale_factors"]["femur_r"][0] == pytest.approx(1.14724)
    assert 0.9 < report["scale_factors"]["pelvis"][0] < 1.2
    # OpenSim's marker placer logs RMS 0.0331 m for this subject; ours reports the same quantity.
    assert report["marker_errors"]["rms_m"] == pytest.approx(0.0331, abs=5e-4)
    assert any("RMS" in w for w in report["warnings"])            # above the 1 cm best-practice limit


def test_our_defaults_on_the_tutorial(runs, shared_data, tmp_path):
    """Our default settings (measurement-based femur/tibia, whole static trial) on the same data, for reference:
    the tutorial overrides femur/tibia with manual factors, which is why its angles differ by a few degrees."""
    theirs, _, _, tutorial_summary = runs
    tut = shared_data / "opensim-tutorial5"
    model = _tutorial_model(tut)
    report = scale_subject(tut / "subject01_static.trc", tmp_path / "s.osim", tmp_path / "r.json", subject="subject01",
                           mass_kg=72.6, height_m=1.8034, model=model, scale=settings.section("scale"))
    summary = run_ik(tmp_path / "s.osim", tut / "subject01_walk1.trc", tmp_path / "w.mot", tmp_path / "w.json", model=model,
                     ik=settings.section("ik"))
    errors = angle_rmse(theirs / "subject01_walk1_ik.mot", tmp_path / "w.mot", COMPARED)
    print(f"\ndefaults: femur {report['scale_factors']['femur_r'][0]:.3f} tibia {report['scale_factors']['tibia_r'][0]:.3f} "
          f"(tutorial manual 1.147 / 0.989); IK RMS median {summary['marker_rms_m']['median'] * 100:.3f} cm "
          f"(tutorial settings {tutorial_summary['marker_rms_m']['median'] * 100:.3f} cm); largest angle RMSE vs tutorial "
          + ", ".join(f"{c} {e:.2f}" for c, e in sorted(errors.items(), key=lambda kv: -kv[1])[:4]))
    assert abs(summary["marker_rms_m"]["median"] - tutorial_summary["marker_rms_m"]["median"]) < 0.001
    assert max(errors.values()) < 5.0
