"""Unit tests of gaitmimic.opensim: TRC I/O, marker maps, measurements, setup files, flagged IK frames."""

from __future__ import annotations

import locale

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.io.markerdata import MarkerTrial
from gaitmimic.io.mot import read_mot_arrays
from gaitmimic.io.trc import read_trc, write_trc
from gaitmimic.opensim import marker_sets
from gaitmimic.opensim.runtime import force_c_locale, import_opensim
from gaitmimic.opensim.setup_xml import write_scale_setup
from gaitmimic.opensim.stage import run_ik, scale_subject
from gaitmimic.opensim.trials import select_time, to_model_markers


def _trial():
    xyz = np.arange(5 * 3 * 3, dtype=float).reshape(5, 3, 3) / 100.0
    xyz[2, 1] = np.nan
    return MarkerTrial(["LPSI", "RPSI", "LASI"], xyz, rate_hz=100.0)


def test_trc_roundtrip_keeps_gaps_and_opensim_reads_it(tmp_path):
    data = _trial()
    write_trc(tmp_path / "t.trc", data)
    back = read_trc(tmp_path / "t.trc")
    assert back.labels == data.labels
    np.testing.assert_allclose(back.xyz_m, data.xyz_m, atol=1e-6)
    assert np.isnan(back.xyz_m[2, 1]).all() and back.rate_hz == pytest.approx(100.0)
    table = import_opensim().TimeSeriesTableVec3(str(tmp_path / "t.trc"))   # OpenSim's own reader accepts it
    assert table.getNumRows() == 5 and np.isnan(table.getRowAtIndex(2)[1][0])


def test_reader_accepts_mm_and_blank_fields(tmp_path):
    text = ("PathFileType\t4\t(X/Y/Z)\tx.trc\nDataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n"
            "100\t100\t2\t2\tmm\t100\t1\t2\nFrame#\tTime\tA\t\t\tB\t\t\n\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n\n"
            "1\t0.00\t1000\t2000\t3000\t\t\t\n2\t0.01\t1000\t2000\t3000\t4\t5\t6\n")
    (tmp_path / "x.trc").write_text(text)
    d = read_trc(tmp_path / "x.trc")
    np.testing.assert_allclose(d.marker("A")[0], [1.0, 2.0, 3.0])
    assert np.isnan(d.marker("B")[0]).all()
    np.testing.assert_allclose(d.marker("B")[1], [0.004, 0.005, 0.006])


def test_marker_map_renames_and_averages():
    data = _trial()
    mapped = to_model_markers(data, {"V.Sacral": ["LPSI", "RPSI"], "L.ASIS": "LASI", "Absent": "XYZ"})
    assert mapped.labels == ["V.Sacral", "L.ASIS"]
    np.testing.assert_allclose(mapped.marker("V.Sacral")[0], (data.xyz_m[0, 0] + data.xyz_m[0, 1]) / 2)
    assert np.isnan(mapped.marker("V.Sacral")[2]).all()          # missing when any source is missing


def test_builtin_model_measurements_are_understood():
    m = marker_sets.default_measurements("plugin_gait")
    assert m["thigh_r"] == {"pairs": [["RASI", "RKNE"]], "bodies": ["femur_r"], "axes": "X Y Z"}
    assert set(m["foot_l"]["bodies"]) == {"talus_l", "calcn_l", "toes_l"}
    w = marker_sets.marker_weights(["RASI", "RTHI", "RWRA", "Unknown"], "plugin_gait", {"RTHI": 3})
    assert w == {"RASI": 10.0, "RTHI": 3.0, "RWRA": 0.0, "Unknown": 1.0}
    assert marker_sets.placement_weights(["R.ASIS", "R.Thigh.Upper"], "opensim_gait2354", {}) == {"R.ASIS": 1000.0, "R.Thigh.Upper": 1.0}


def test_scale_setup_file_loads_in_opensim_under_a_comma_locale(tmp_path):
    try:
        locale.setlocale(locale.LC_NUMERIC, "de_DE.UTF-8")
    except locale.Error:
        pass                              # locale not installed: still check the file itself
    force_c_locale()
    assert locale.localeconv()["decimal_point"] == "."
    setup = tmp_path / "setup.xml"
    write_scale_setup(setup, name="s", mass_kg=70.5, height_m=1.75, generic_model=tmp_path / "g.osim",
                      marker_file=tmp_path / "m.trc", time_range=(0.5, 1.25), placement_time_range=(0.5, 0.75),
                      measurements={"thigh": {"pairs": [["RASI", "RKNE"]], "bodies": ["femur_r"], "axes": "X Y Z"}},
                      manual_scales={"torso": 1.05}, marker_weights={"RASI": 1000.0}, coordinate_tasks={},
                      out_dir=tmp_path)
    tool = import_opensim().ScaleTool(str(setup))
    assert tool.getSubjectMass() == pytest.approx(70.5)
    scaler = tool.getModelScaler()
    assert scaler.getMeasurementSet().get(0).getName() == "thigh"
    assert tool.getMarkerPlacer().getIKTaskSet().get(0).getWeight() == pytest.approx(1000.0)


def test_frames_with_too_few_markers_are_flagged(shared_data, tmp_path):
    tut = shared_data / "opensim-tutorial5"
    model = settings.section("model", {"generic": str(tut / "gait2354_simbody.osim"),
                                       "marker_set": str(tut / "gait2354_Scale_MarkerSet.xml")})
    scale_subject(tut / "subject01_static.trc", tmp_path / "m.osim", tmp_path / "r.json", subject="s", mass_kg=72.6,
                  height_m=1.8, model=model, scale=settings.section("scale"))
    walk = select_time(read_trc(tut / "subject01_walk1.trc"), 0.0, 0.5)
    walk.xyz_m[10:13, 5:] = np.nan                # frames 10-12 keep 5 of 41 markers
    walk.xyz_m[20, 0] = np.nan                    # frame 20 misses one marker only
    walk.xyz_m[25] = np.nan                       # frame 25 has no marker at all: OpenSim cannot solve it
    write_trc(tmp_path / "walk.trc", walk)
    s = run_ik(tmp_path / "m.osim", tmp_path / "walk.trc", tmp_path / "w.mot", tmp_path / "w.json", model=model,
               ik=settings.section("ik"))
    print(f"\nflagged {s['flagged_frames']}, missing markers {s['frames_missing_markers']}, min markers {s['min_markers']}")
    assert s["flagged_frames"] == [10, 11, 12, 25]
    assert s["frames_missing_markers"] == [10, 11, 12, 20, 25]
    assert s["per_frame"]["n_markers"][10] < s["min_markers"] <= s["per_frame"]["n_markers"][20]
    assert s["interpolated_frames"] == [25] and s["per_frame"]["rms_m"][25] is None
    t, mot = read_mot_arrays(tmp_path / "w.mot")[1:]
    assert len(t) == len(walk.time_s) == s["n_frames"]          # the .mot still covers every frame
    assert np.all(np.isfinite(mot))
