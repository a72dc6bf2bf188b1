"""The three BTK Plug-in Gait subjects on OpenSim's gait2392 model through the Plug-in Gait map."""

from __future__ import annotations

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.opensim.stage import run_ik, scale_subject

from _opensim_cases import PIG_SUBJECTS, gait_numbers, marker_stage_trc, mot_columns


@pytest.fixture(scope="module", params=sorted(PIG_SUBJECTS))
def subject_run(request, shared_data, tmp_path_factory):
    name = request.param
    static, walk, mass, height = PIG_SUBJECTS[name]
    g2392 = shared_data / "opensim-gait2392"
    model = settings.section("model", {"generic": str(g2392 / "gait2392_thelen2003muscle.osim"),
                                       "marker_set": str(g2392 / "gait2392_Scale_MarkerSet.xml"),
                                       "model_to_data_markers": "plugin_gait_to_opensim_example"})
    out = tmp_path_factory.mktemp(f"g2392_{name}")
    raw = shared_data / "btk-plugingait"
    static_trc = marker_stage_trc(raw / f"{static}.c3d", out, True)
    walk_trc = marker_stage_trc(raw / f"{walk}.c3d", out, False)
    report = scale_subject(static_trc, out / f"{name}.osim", out / "scale_report.json", subject=name, mass_kg=mass,
                           height_m=height, model=model, scale=settings.section("scale"), log_file=out / "opensim.log")
    summary = run_ik(out / f"{name}.osim", walk_trc, out / f"{walk}.mot", out / f"{walk}_ik_summary.json",
                     model=model, ik=settings.section("ik"), log_file=out / "opensim.log")
    return name, out, walk, report, summary


def test_gait2392_through_plugin_gait_map(subject_run):
    name, out, walk, report, summary = subject_run
    g = gait_numbers(out / f"{walk}.mot")
    rms = summary["marker_rms_m"]["median"]
    print(f"\n{name} (gait2392): IK marker RMS median {rms * 100:.2f} cm; " + ", ".join(f"{k} {v:.1f} deg" for k, v in g.items())
          + f"; markers used {len(summary['markers_used'])}; scale femur {report['scale_factors']['femur_r'][0]:.3f}"
          + f" torso {report['scale_factors']['torso'][0]:.3f} (mean of the others)")
    assert rms <= 0.02
    assert "R.ASIS" in summary["markers_used"] and "V.Sacral" in summary["markers_used"]   # mapped names
    # the torso has no Plug-in Gait measurement here: it takes the mean of the other factors
    assert "torso" in report["manual_scale_bodies"]
    for s in ("r", "l"):
        assert 50.0 <= g[f"knee_peak_flexion_{s}"] <= 80.0
        assert 30.0 <= g[f"hip_flexion_range_{s}"] <= 60.0
    t, c = mot_columns(out / f"{walk}.mot")
    assert np.all(np.isfinite(c["knee_angle_r"]))
