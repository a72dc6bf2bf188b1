"""The Qualisys cluster subject (../shared/data/qualisys-clusters: anatomical static markers, 4-marker thigh
and shank clusters, zero-coded gaps, 240 Hz, Kistler-type plates) through markers -> scale -> IK with no
marker map: the anatomical set detected, the clusters attached to their segments, and kinematics a gait
lab would recognise."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.io.c3d import read_c3d
from gaitmimic.io.mot import read_mot
from gaitmimic.opensim.stage import run_ik, scale_subject

from _opensim_cases import marker_stage_trc


@pytest.fixture(scope="module")
def qualisys(shared_data, tmp_path_factory):
    raw, out = shared_data / "qualisys-clusters", tmp_path_factory.mktemp("qualisys")
    static = marker_stage_trc(raw / "Standing_Hybrid_1.c3d", out, True)
    walk = marker_stage_trc(raw / "Walking_Hybrid_1_3.c3d", out, False)
    model = settings.section("model", {"generic": "builtin"})
    report = scale_subject(static, out / "q.osim", out / "scale_report.json", subject="q", mass_kg=None, height_m=None,
                           model=model, scale=settings.section("scale"))
    summary = run_ik(out / "q.osim", walk, out / "walk.mot", out / "walk_ik_summary.json", model=model,
                     ik=settings.section("ik"))
    return out, report, summary


def test_markers_stage_detects_the_anatomical_set(qualisys):
    out = qualisys[0]
    walk = json.loads((out / "Walking_Hybrid_1_3_markers.json").read_text())
    static = json.loads((out / "Standing_Hybrid_1_markers.json").read_text())
    assert walk["marker_set"] == static["marker_set"] == "anatomical"
    clusters = {f"{s}_{seg}_{i}" for s in "LR" for seg in ("THIGH", "SHANK") for i in range(1, 5)}
    assert set(walk["markers_unmatched"]) == clusters and walk["markers_dropped"] == []
    assert {"LGTR", "RMKN", "LMMA", "RILC"} <= set(static["markers"])   # static-only calibration landmarks


def test_scaling_fits_and_attaches_every_cluster_to_its_segment(qualisys):
    _, report, _ = qualisys
    print(f"\nstatic fit {report['static_fit']['rms_m'] * 100:.2f} cm over {len(report['static_fit']['markers'])} "
          f"landmarks; attached: {report['attached_markers']}")
    assert report["marker_set"] == "plugin_gait"     # the built-in model's tables
    assert report["static_fit"]["rms_m"] < 0.03       # 2.0 cm measured
    attached = report["attached_markers"]
    assert len(attached) == 16
    for name, a in attached.items():
        side, segment = name[0].lower(), {"THIGH": "femur", "SHANK": "tibia"}[name.split("_")[1]]
        assert a["body"] == f"{segment}_{side}", (name, a)
        assert a["distance_to_segment_m"] < 0.15


def test_ik_tracks_the_walk_with_a_normal_knee(qualisys):
    out, _, summary = qualisys
    print(f"\nIK marker RMS median {summary['marker_rms_m']['median'] * 100:.2f} cm, "
          f"{len(summary['flagged_frames'])} flagged frames of {summary['n_frames']}")
    assert summary["marker_rms_m"]["median"] < 0.015          # 1.19 cm measured
    assert len(summary["cluster_deformation_m"]) == 16 and max(summary["cluster_deformation_m"].values()) < 0.01  # 3 mm
    assert {f"R_THIGH_{i}" for i in range(1, 5)} <= set(summary["markers_used"])
    mot = read_mot(out / "walk.mot").data
    good = np.ones(len(mot), bool)
    good[[f for f in summary["flagged_frames"] if f < len(mot)]] = False
    for side in "rl":
        knee = -mot[f"knee_angle_{side}"].to_numpy()[good]
        print(f"knee flexion {side}: {knee.min():.1f} to {knee.max():.1f} deg")
        assert 50 < knee.max() < 75 and knee.min() > -10     # swing peak ~60 deg, no hyperextension


def test_kistler_plates_sum_their_eight_channels(shared_data):
    """Type-3 plates (8 channels): the vertical force is the sum of the four fz channels (ezc3d's reader),
    not the third channel alone (a tenth of body weight before)."""
    import ezc3d

    path = shared_data / "qualisys-clusters" / "Walking_Hybrid_1_3.c3d"
    plates = read_c3d(path).force_plates
    c3d = ezc3d.c3d(str(path))
    channels = np.asarray(c3d["parameters"]["FORCE_PLATFORM"]["CHANNEL"]["value"]).reshape(-1, 2, order="F") \
        if np.asarray(c3d["parameters"]["FORCE_PLATFORM"]["CHANNEL"]["value"]).ndim == 1 else \
        np.asarray(c3d["parameters"]["FORCE_PLATFORM"]["CHANNEL"]["value"])
    analogs = np.asarray(c3d["data"]["analogs"])[0]
    assert [p.type for p in plates] == [3, 3]
    for p, plate in enumerate(plates):
        fz_sum = analogs[channels[4:8, p] - 1].sum(axis=0)
        assert np.allclose(np.abs(plate.force_n[:, 2]), np.abs(fz_sum), atol=1.0)
        print(f"plate {p + 1}: peak vertical force {np.abs(fz_sum).max():.0f} N")
        assert 600 < np.abs(plate.force_n[:, 2]).max() < 1500
