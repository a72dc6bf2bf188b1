"""C3D reading: units, prefixes, gaps, first frame, events validation, force plates, bad files."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from gaitmimic.errors import InputError
from gaitmimic.io.c3d import read_c3d

ezc3d = pytest.importorskip("ezc3d")


def _write_synthetic(path, labels=("BELT_C:LASI", "BELT_C:RASI"), n=20, units="mm"):
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [100]
    c["parameters"]["POINT"]["LABELS"]["value"] = tuple(labels)
    c["parameters"]["POINT"]["UNITS"]["value"] = [units]
    pts = np.ones((4, len(labels), n))
    pts[0] = 1000.0
    pts[1] = np.arange(n)[None, :] * 10.0
    pts[2] = 900.0
    pts[:3, 1, 8] = 0.0  # zero-coded sample of the 2nd marker
    c["data"]["points"] = pts
    res = np.zeros((1, len(labels), n))
    res[0, 0, 5] = -1.0  # invalid sample of the 1st marker
    c["data"]["meta_points"] = {"residuals": res, "camera_masks": np.zeros((7, len(labels), n), dtype=bool)}
    c.add_parameter("EVENT", "LABELS", ["Foot Strike", "Foot Off", "Foot Strike"])
    c.add_parameter("EVENT", "CONTEXTS", ["Left", "Right", "Left"])
    # (minutes, seconds): a 0.0 placeholder, a valid 0.1 s, and 5.0 s (outside the 20 stored frames)
    c.add_parameter("EVENT", "TIMES", np.array([[0.0, 0.0, 0.0], [0.0, 0.1, 5.0]]))
    c.add_parameter("EVENT", "USED", [3])
    c.write(str(path))
    return path


def test_synthetic_units_prefix_gaps_events(tmp_path, caplog):
    path = _write_synthetic(tmp_path / "syn.c3d")
    with caplog.at_level(logging.WARNING):
        t = read_c3d(path)
    assert t.labels == ["LASI", "RASI"]
    assert t.rate_hz == 100.0
    assert t.xyz_m.shape == (20, 2, 3)
    assert t.marker("LASI")[3] == pytest.approx([1.0, 0.03, 0.9])  # mm -> m
    assert np.isnan(t.marker("LASI")[5]).all()   # residual < 0
    assert np.isnan(t.marker("RASI")[8]).all()   # (0, 0, 0)
    assert np.isfinite(t.marker("RASI")[7]).all()
    assert [(e.side, e.event, e.frame) for e in t.events] == [("right", "toe_off", 10)]
    assert "2 of 3 EVENT annotations discarded" in caplog.text


def test_btk_flatfoot_full(shared_data):
    t = read_c3d(shared_data / "btk-plugingait" / "PiG_Motion-FlatFoot-Full.c3d")
    assert t.rate_hz == 100.0 and t.n_frames == 315 and t.first_frame == 147
    assert "LASI" in t.labels and not any(":" in lab for lab in t.labels)
    lasi_height = np.nanmean(t.marker("LASI")[:, 2])
    assert 0.8 < lasi_height < 1.1  # meters, Z up in this lab
    strikes = [e for e in t.events if e.event == "heel_strike"]
    offs = [e for e in t.events if e.event == "toe_off"]
    assert len(strikes) == 7 and len(offs) == 5
    first = t.events[0]
    assert first.frame == round(first.time_s * 100) - 147 == 6 and first.side == "right"
    assert len(t.force_plates) == 2
    fp = t.force_plates[0]
    assert fp.rate_hz == 1000.0 and fp.force_n.shape == (3150, 3)
    assert np.ptp(fp.corners_m[:, 0]) == pytest.approx(0.498, abs=0.01)  # 50 cm plate, in meters
    assert np.abs(fp.force_n[:, 2]).max() > 400  # body weight order of magnitude (N)


def test_not_a_c3d(tmp_path):
    bad = tmp_path / "walk.c3d"
    bad.write_text("this is a text file, not a C3D\n" * 40)
    with pytest.raises(InputError, match=r"walk\.c3d: not a C3D file"):
        read_c3d(bad)


def test_truncated_c3d(tmp_path, shared_data):
    data = (shared_data / "btk-plugingait" / "PiG_Motion-FlatFoot-Full.c3d").read_bytes()
    bad = tmp_path / "cut.c3d"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match=r"cut\.c3d: .*truncated"):
        read_c3d(bad)


def test_model_angles_of_a_plug_in_gait_walk_and_of_a_file_without(shared_data, repo_root):
    """The lab model's angle points (POINT:ANGLES), in degrees, frames as read_c3d's; none in the demo's C3D."""
    from gaitmimic.io.c3d import read_model_angles

    path = shared_data / "btk-plugingait" / "PiG_Motion-FlatFoot-Full.c3d"
    angles = read_model_angles(path)
    n = read_c3d(path).n_frames
    assert {"RHipAngles", "LKneeAngles", "RPelvisAngles", "LFootProgressAngles"} <= set(angles)
    assert all(a.shape == (n, 3) for a in angles.values())
    knee = angles["RKneeAngles"][:, 0]
    print(f"\nRKneeAngles flexion {np.nanmin(knee):.1f}..{np.nanmax(knee):.1f} deg, {np.isnan(knee).sum()} invalid frames")
    assert 45.0 <= np.nanmax(knee) <= 70.0 and -10.0 <= np.nanmin(knee) <= 5.0   # degrees, not millimetres or radians
    lower = read_model_angles(shared_data / "btk-plugingait" / "PiG_Motion3_FF.c3d")
    assert "RHipAnglesV" in lower                                                   # Vicon's "V" variants kept as named
    demo = repo_root / "data" / "demo01" / "walk01.c3d"
    if demo.is_file():
        assert read_model_angles(demo) == {}
