"""The generated demo subject: IK recovers the generator's joint angles, scaling recovers its segment lengths."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from gaitmimic import settings
from gaitmimic.io.trc import read_trc, write_trc
from gaitmimic.opensim.runtime import load_model
from gaitmimic.opensim.stage import run_ik, scale_subject
from gaitmimic.opensim.trials import select_time

from _opensim_cases import angle_rmse, marker_stage_trc

ANGLES = [f"{j}_{s}" for s in ("r", "l") for j in ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle")]
ANGLES += ["pelvis_tilt", "pelvis_list", "pelvis_rotation"]   # the ISB pelvis frame, calibrated on the static
IK_SECONDS = 2.5      # IK on the first 2.5 s (> 2 gait cycles) keeps the test fast


@pytest.fixture(scope="module")
def demo(repo_root, tmp_path_factory):
    folder = repo_root / "data" / "demo01"
    if not (folder / "walk01_truth.mot").exists():
        from gaitmimic.demo.generate import generate_demo
        folder = tmp_path_factory.mktemp("data") / "demo01"
        generate_demo(folder)
    out = tmp_path_factory.mktemp("demo01")
    info = yaml.safe_load((folder / "subject.yaml").read_text())
    static = marker_stage_trc(folder / "static01.c3d", out, True)
    walk = marker_stage_trc(folder / "walk01.c3d", out, False)
    data = select_time(read_trc(walk), -1.0, IK_SECONDS)
    write_trc(out / "walk01_part.trc", data)
    return folder, out, info, static, out / "walk01_part.trc"


def _segment_lengths(osim):
    """Thigh (hip->knee centre), shank (knee->ankle centre) and hip-centre distance of a model (m)."""
    model = load_model(osim)
    joints = model.getJointSet()

    def offset(name):
        p = joints.get(name).getParentFrame().findTransformInBaseFrame().p()
        return np.array([p[0], p[1], p[2]])

    return {"thigh": float(np.linalg.norm(offset("knee_r"))), "shank": float(np.linalg.norm(offset("ankle_r"))),
            "thigh_l": float(np.linalg.norm(offset("knee_l"))), "shank_l": float(np.linalg.norm(offset("ankle_l"))),
            "hip_centres": float(np.linalg.norm(offset("hip_r") - offset("hip_l")))}


@pytest.mark.parametrize("generic_height_m", [None, 1.60])
def test_scaled_segment_lengths_match_the_generator(demo, generic_height_m):
    """As configured (subject.yaml height), and from a generic model built 9 % too short."""
    folder, out, info, static, _ = demo
    truth = json.loads((folder / "truth_model.json").read_text())
    height = generic_height_m or info["height_m"]
    osim = out / f"scaled_{height}.osim"
    report = scale_subject(static, osim, out / f"scale_{height}.json", subject="demo01", mass_kg=info["mass_kg"],
                           height_m=height, model=settings.section("model"), scale=settings.section("scale"),
                           log_file=out / "opensim.log")
    got = _segment_lengths(osim)
    want = {"thigh": truth["segment_lengths_m"]["thigh"], "shank": truth["segment_lengths_m"]["shank"],
            "thigh_l": truth["segment_lengths_m"]["thigh"], "shank_l": truth["segment_lengths_m"]["shank"],
            "hip_centres": truth["hip_joint_centre_distance_m"]}
    errors = {k: (got[k] - want[k]) / want[k] * 100 for k in want}
    print(f"\ngeneric height {height} m: segment length error % " + ", ".join(f"{k} {e:+.2f}" for k, e in errors.items())
          + f"; femur factor {report['scale_factors']['femur_r'][0]:.3f}")
    assert max(abs(e) for e in errors.values()) < 2.0


def test_ik_recovers_the_generator_angles(demo):
    folder, out, info, static, walk = demo
    osim = out / "demo01.osim"
    report = scale_subject(static, osim, out / "scale_report.json", subject="demo01", mass_kg=info["mass_kg"],
                           height_m=info["height_m"], model=settings.section("model"), scale=settings.section("scale"),
                           log_file=out / "opensim.log")
    # the demo's markers sit where the model puts them: the subject's pelvis frame needs (almost) no correction
    assert abs(report["pelvis_frame_tilt_correction_deg"]) < 1.0, report["pelvis_frame_tilt_correction_deg"]
    summary = run_ik(osim, walk, out / "walk01.mot", out / "walk01_ik_summary.json", model=settings.section("model"),
                     ik=settings.section("ik"), log_file=out / "opensim.log")
    errors = angle_rmse(folder / "walk01_truth.mot", out / "walk01.mot", ANGLES)
    print(f"\ndemo01 IK ({summary['n_frames']} frames): marker RMS median {summary['marker_rms_m']['median'] * 1000:.2f} mm; "
          "RMSE vs truth (deg): " + ", ".join(f"{c} {e:.2f}" for c, e in errors.items()))
    assert max(errors.values()) < 2.0
    assert summary["marker_rms_m"]["median"] < 0.005       # 1 mm noise per axis
    # the .mot says its sign convention in a header line OpenSim's own reader keeps (no '=' in the value)
    import opensim as osim

    table = osim.TimeSeriesTable(str(out / "walk01.mot"))
    conventions = table.getTableMetaDataAsString("conventions")
    assert "knee flexion is -knee_angle" in conventions and "pelvis frame ISB" in conventions
    assert table.getNumRows() == summary["n_frames"]
