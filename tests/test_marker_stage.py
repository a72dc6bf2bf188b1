"""Marker stage end to end on real trials, marker-set mapping, and bad input leaving no output behind."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from gaitmimic import settings
from gaitmimic.errors import InputError
from gaitmimic.io.trc import read_trc
from gaitmimic.markers.marker_sets import detect_marker_set, map_markers
from gaitmimic.markers.stage import process_trial
from gaitmimic.io.markerdata import MarkerTrial


def _settings(markers=None, events=None):
    """The ``markers`` and ``events`` arguments of process_trial: the schema's defaults with these changes."""
    return dict(markers=settings.section("markers", markers), events=settings.section("events", events))


def _outputs(tmp_path, name="walk"):
    out = tmp_path / "out"
    return out, dict(out_trc=out / f"{name}.trc", out_events_csv=out / f"{name}.csv",
                     out_json=out / f"{name}_markers.json", out_qc_png=out / f"{name}_qc.png")


def test_btk_walk_end_to_end(shared_data, tmp_path):
    out, paths = _outputs(tmp_path)
    report = process_trial(shared_data / "btk-plugingait" / "PiG_Motion-FlatFoot-Full.c3d", **_settings(),
                           subject_info={}, is_static=False, **paths)
    assert sorted(p.name for p in out.iterdir()) == ["walk.csv", "walk.trc", "walk_markers.json", "walk_qc.png"]
    t = read_trc(paths["out_trc"])
    assert t.rate_hz == 100.0 and t.first_frame == 147 and t.n_frames == 315
    assert {"LASI", "RASI", "LPSI", "RPSI", "LHEE", "RTOE"} <= set(t.labels)
    assert not any(lab.startswith("*") or "Angles" in lab for lab in t.labels)  # unused markers dropped
    pelvis = t.xyz_m[:, [t.labels.index(n) for n in ("LASI", "RASI", "LPSI", "RPSI")]].mean(axis=1)
    assert pelvis[-1, 0] - pelvis[0, 0] > 3.0 and 0.8 < pelvis[:, 1].mean() < 1.1
    ev = pd.read_csv(paths["out_events_csv"])
    assert list(ev.columns) == ["side", "event", "time_s", "frame", "source"]
    assert np.allclose(ev.time_s, ev.frame / 100.0) and ev.time_s.is_monotonic_increasing
    assert (ev.event == "heel_strike").sum() == 7
    rep = json.loads(paths["out_json"].read_text())
    assert rep == json.loads(json.dumps(report))
    assert rep["marker_set"] == "plugin_gait" and rep["first_frame"] == 147 and rep["rate_hz"] == 100.0
    assert rep["treadmill"] is False and 1.0 < rep["walking_speed_mps"] < 1.3
    assert np.allclose(rep["orientation"]["rotation_lab_to_opensim"][1], [0, 0, 1])
    assert [g["marker"] for g in rep["gaps_left"]] == ["LFHD"]  # 30 missing frames at the start
    assert paths["out_qc_png"].read_bytes()[:4] == b"\x89PNG"


def test_static_trial_single_frame_has_no_events(shared_data, tmp_path):
    out, paths = _outputs(tmp_path, "static")
    rep = process_trial(shared_data / "btk-plugingait" / "PiG_Calibration-FlatFoot-One.c3d", **_settings(),
                        subject_info={}, is_static=True, **paths)
    assert rep["static"] and rep["n_events"] is None and rep["orientation"]["method"] == "static_pelvis"
    t = read_trc(paths["out_trc"])
    assert t.n_frames == 1
    lasi, lpsi = t.marker("LASI")[0], t.marker("LPSI")[0]
    assert lasi[0] > lpsi[0] and lasi[1] > 0.8  # facing +X, Y up
    events = pd.read_csv(out / "static.csv")  # the contract's columns, no rows
    assert list(events.columns) == ["side", "event", "time_s", "frame", "source"] and len(events) == 0


def test_opensim_walk_with_moving_mean_and_mm(shared_data, tmp_path):
    out, paths = _outputs(tmp_path)
    cfg = _settings({"filter": {"method": "moving_mean", "window_frames": 3}, "output_units": "mm"},
                    {"source": "kinematic"})
    rep = process_trial(shared_data / "opensim-tutorial5" / "subject01_walk1.trc", **cfg, subject_info={},
                        is_static=False, **paths)
    assert rep["marker_set"] == "opensim_gait2354" and rep["treadmill"] is True
    assert "Units\tOrig" in paths["out_trc"].read_text().splitlines()[1] and "\tmm\t" in paths["out_trc"].read_text().splitlines()[2]
    assert read_trc(paths["out_trc"]).marker("R.ASIS")[:, 1].mean() == pytest.approx(1.05, abs=0.05)


def test_subject_marker_map_override(shared_data, tmp_path):
    src = shared_data / "opensim-tutorial5" / "subject01_walk1.trc"
    text = src.read_text().replace("R.Heel", "RightHeelMarker")
    renamed = tmp_path / "renamed.trc"
    renamed.write_text(text)
    out, paths = _outputs(tmp_path)
    with pytest.raises(InputError, match=r"renamed\.trc: required markers missing .*R\.Heel"):
        process_trial(renamed, **_settings(), subject_info={}, is_static=False, **paths)
    assert not out.exists() or list(out.iterdir()) == []
    rep = process_trial(renamed, **_settings(), subject_info={"lab_to_model_markers": {"RightHeelMarker": "R.Heel"}},
                        is_static=False, **paths)
    assert "R.Heel" in rep["markers"]


def test_missing_required_markers_lists_them():
    labels = ["LASI", "RASI", "LPSI", "RPSI", "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE", "RTHI", "RKNE"]
    trial = MarkerTrial(labels=labels, xyz_m=np.ones((5, len(labels), 3)), rate_hz=100.0, source=None)
    with pytest.raises(InputError) as info:
        map_markers(trial)
    msg = str(info.value)
    for name in ("RTIB", "RANK", "RHEE", "RTOE"):
        assert name in msg
    assert "LASI" not in msg.split("missing")[1]
    sacr = MarkerTrial(labels=[lab for lab in labels if "PSI" not in lab] + ["SACR", "RTIB", "RANK", "RHEE", "RTOE"],
                       xyz_m=np.ones((5, 15, 3)), rate_hz=100.0)
    mapped, mset = map_markers(sacr)  # SACR replaces LPSI + RPSI
    assert mset.name == "plugin_gait" and "SACR" in mapped.labels


def test_a_labelled_marker_without_data_is_called_empty_not_absent():
    labels = ["LASI", "RASI", "LPSI", "RPSI", "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE", "RTHI", "RKNE", "RTIB",
              "RANK", "RHEE", "RTOE"]
    xyz = np.ones((5, len(labels), 3))
    xyz[:, labels.index("RHEE")] = np.nan  # the label is there, every sample a gap
    with pytest.raises(InputError) as info:
        map_markers(MarkerTrial(labels=labels, xyz_m=xyz, rate_hz=100.0, source=None))
    msg = str(info.value)
    assert "required markers missing for marker set plugin_gait: RHEE" in msg
    assert "RHEE is labelled in the file but without a single valid sample (every frame a gap)" in msg
    assert "fill the empty trajectories" in msg


def test_unknown_marker_names():
    with pytest.raises(InputError, match="match no known marker set"):
        detect_marker_set(["M1", "M2", "M3", "M4", "M5"])


def _bad_inputs(tmp_path, shared_data):
    not_c3d = tmp_path / "notc3d.c3d"
    not_c3d.write_text("hello, this is not motion capture\n" * 30)
    data = (shared_data / "btk-plugingait" / "PiG_Motion-FlatFoot-Full.c3d").read_bytes()
    cut = tmp_path / "cut.c3d"
    cut.write_bytes(data[: len(data) // 2])
    broken = tmp_path / "broken.trc"
    lines = (shared_data / "opensim-tutorial5" / "subject01_walk1.trc").read_text().splitlines(True)
    broken.write_text("".join(lines[:1] + ["garbage header line\n"] + lines[2:]))
    no_feet = tmp_path / "nofeet.c3d"
    shutil.copy(shared_data / "btk-plugingait" / "PiG_Motion-FlatFoot-Full.c3d", no_feet)
    import ezc3d
    c = ezc3d.c3d(str(no_feet))
    labels = list(c["parameters"]["POINT"]["LABELS"]["value"])
    labels = [lab.replace("LHEE", "XXXX").replace("RTOE", "YYYY") for lab in labels]
    c["parameters"]["POINT"]["LABELS"]["value"] = labels
    c.write(str(no_feet))
    wrong_units = tmp_path / "units.trc"
    lines[2] = lines[2].replace("\tmm\t", "\tm\t")  # millimetre numbers labelled as metres
    wrong_units.write_text("".join(lines))
    return {"units are probably wrong": wrong_units, "not a C3D file": not_c3d, "truncated": cut, "broken TRC header": broken,
            "required markers missing.*LHEE.*RTOE": no_feet}


def test_bad_inputs_leave_nothing(tmp_path, shared_data):
    for problem, path in _bad_inputs(tmp_path, shared_data).items():
        out, paths = _outputs(tmp_path / path.stem)
        with pytest.raises(InputError, match=rf"{path.name}: .*{problem}") as info:
            process_trial(path, **_settings(), subject_info={}, is_static=False, **paths)
        assert "Fix:" in str(info.value)
        left = list(out.rglob("*")) if out.exists() else []
        assert left == [], f"{path.name} left {left}"


def test_plain_gait_lab_walk_along_plus_y(shared_data, tmp_path):
    out, paths = _outputs(tmp_path)
    raw = shared_data / "btk-plugingait" / "PiG_Motion3_FF.c3d"
    process_trial(raw, **_settings(events={"source": "kinematic"}), subject_info={}, is_static=False, **paths)
    assert len(pd.read_csv(paths["out_events_csv"])) >= 4  # at least a stride's heel strikes and toe offs
    rep = json.loads(paths["out_json"].read_text())
    assert "CentreOfMass" not in rep["markers"] and "LFEO" in rep["markers_dropped"]
    assert rep["orientation"]["forward_lab"] == pytest.approx([0, 1, 0], abs=0.02)  # this lab's walk goes along +Y


def test_demo_subject(repo_root, tmp_path):
    """The shipped demo subject (Z up, mm, prefixed PiG labels, walking along lab -Y, gaps) against its truth."""
    demo = repo_root / "data" / "demo01"
    if not (demo / "walk01.c3d").exists():
        pytest.skip("data/demo01 not generated")
    truth = json.loads((demo / "truth_model.json").read_text())
    lab_from_os = np.array(truth["lab_from_opensim"]["rotation"])
    out, paths = _outputs(tmp_path)
    rep = process_trial(demo / "walk01.c3d", **_settings(), subject_info={}, is_static=False, **paths)
    R = np.array(rep["orientation"]["rotation_lab_to_opensim"])
    err_deg = np.degrees(np.arccos(np.clip((np.trace(R @ lab_from_os) - 1) / 2, -1, 1)))
    print(f"\ndemo walk: rotation error {err_deg:.3f} deg, walking speed {rep['walking_speed_mps']:.3f} m/s "
          f"(truth {truth['walk']['speed_mps']})")
    assert err_deg < 1.0
    assert rep["walking_speed_mps"] == pytest.approx(truth["walk"]["speed_mps"], rel=0.03)
    filled = {(g["marker"], g["start_frame"], g["length_frames"]) for g in rep["gaps_filled"]}
    left = {(g["marker"], g["start_frame"], g["length_frames"]) for g in rep["gaps_left"]}
    for g in truth["walk"]["gaps"]:
        key = (g["marker"], g["start_frame"], g["n_frames"])
        assert key in (left if g["n_frames"] > 20 else filled), key
    ev = pd.read_csv(paths["out_events_csv"])
    tr = pd.read_csv(demo / "walk01_truth_events.csv")
    # The truth is the model's foot contact (lowest sole point below 2 mm = strike, above 5 mm = toe off).
    # The swing feet clear the floor by >= 5 mm, so it holds no grazes (a strike followed by a toe off of
    # the same foot within 0.1 s): every true event is compared.
    for t in tr[tr.event == "heel_strike"].itertuples():
        later = tr[(tr.side == t.side) & (tr.event == "toe_off") & (tr.frame > t.frame)].frame
        assert (later - t.frame >= 10).all(), t
    for kind in ("heel_strike", "toe_off"):
        truth = tr[tr.event == kind]
        errors = [int(min(ev[(ev.side == t.side) & (ev.event == kind)].frame - t.frame, key=abs))
                  for t in truth.itertuples()]
        rate = np.mean(np.abs(errors) <= 2)
        print(f"demo walk {kind}: {rate * 100:.0f} % of {len(errors)} true events within 2 frames, mean |error| "
              f"{np.mean(np.abs(errors)):.2f} frames (signed {np.mean(errors):+.2f}); errors {errors}")
        assert len(errors) >= 10 and rate >= 0.9
    rep_s = process_trial(demo / "static01.c3d", tmp_path / "s.trc", None, tmp_path / "s.json", None,
                          settings.section("markers"), settings.section("events"), {}, True)
    R_s = np.array(rep_s["orientation"]["rotation_lab_to_opensim"])
    assert np.allclose(R_s, lab_from_os.T, atol=2e-3)  # static: same lab, same facing as the walk


def test_the_pelvis_centre_keeps_its_place_through_a_gap_in_the_asis():
    """Walking along X with the ASIS 0.2 m ahead of the sacrum: where the ASIS are missing, the centre is the
    sacrum moved forward by half that offset, not the sacrum itself (a 0.1 m step the events would read)."""
    from gaitmimic.markers.stage import pelvis_centre

    t = np.arange(100) / 100
    back = np.stack([1.2 * t, np.full(100, 0.95), np.zeros(100)], axis=1)
    front = back + np.array([0.2, 0.03, 0.0])
    front[40:60] = np.nan
    centre = pelvis_centre(front, back)
    expected = back + np.array([0.1, 0.015, 0.0])
    assert np.allclose(centre, expected, atol=1e-12)
    only_back = pelvis_centre(np.full_like(front, np.nan), back)     # never both: no offset known
    assert np.allclose(only_back, back)
