"""Rotation into the OpenSim frame: a known rotation is recovered; the BTK walks come out Y up, +X."""

from __future__ import annotations

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.io.c3d import read_c3d
from gaitmimic.markers.marker_sets import role_markers
from gaitmimic.markers.stage import prepare_trial
from gaitmimic.markers.orientation import apply_orientation, detect_orientation, rotation_from_axes


MARKERS = settings.section("markers")
AUTO = MARKERS.orientation  # the markers.orientation settings, all defaults


def _walker(n=300, rate=100.0, speed=1.2):
    """Landmarks of a walker in the OpenSim frame (X forward, Y up, Z right)."""
    t = np.arange(n) / rate
    pelvis = np.stack([speed * t, 0.95 + 0.02 * np.sin(4 * np.pi * t), 0.01 * np.sin(2 * np.pi * t)], axis=1)
    front = pelvis + [0.10, 0.0, 0.0]
    back = pelvis + [-0.08, 0.02, 0.0]
    feet = []
    for side, phase in ((-1, 0.0), (1, np.pi)):
        heel = np.stack([speed * t + 0.3 * np.sin(2 * np.pi * t + phase) - 0.05,
                         0.03 + 0.05 * np.clip(np.sin(2 * np.pi * t + phase), 0, None),
                         np.full(n, side * 0.1)], axis=1)
        toe = heel + [0.2, -0.01, 0.0]
        feet += [heel, toe]
    head = pelvis + [0.02, 0.7, 0.0]
    return front, back, feet, head


def _angle_deg(Ra, Rb):
    c = (np.trace(Ra.T @ Rb) - 1) / 2
    return float(np.degrees(np.arccos(np.clip(c, -1, 1))))


@pytest.mark.parametrize("heading_deg, up", [(37.0, "z"), (-120.0, "z"), (200.0, "y")])
def test_recovers_known_rotation(heading_deg, up):
    front, back, feet, head = _walker()
    h = np.radians(heading_deg)
    if up == "z":  # lab Z up, walking along heading in the lab XY plane
        fwd_lab, up_lab = np.array([np.cos(h), np.sin(h), 0.0]), np.array([0.0, 0.0, 1.0])
    else:          # lab Y up (OpenSim-like) walking along heading in the XZ plane
        fwd_lab, up_lab = np.array([np.cos(h), 0.0, np.sin(h)]), np.array([0.0, 1.0, 0.0])
    R_true = rotation_from_axes(up_lab, fwd_lab)  # lab -> OpenSim
    shift = np.array([1.5, -2.0, 0.0]) if up == "z" else np.array([1.5, 0.0, -2.0])
    to_lab = lambda p: p @ R_true + shift  # noqa: E731  (inverse of p_os = R p_lab)
    o = detect_orientation(to_lab(front), to_lab(back), [to_lab(f) for f in feet], to_lab(head), AUTO)
    err = _angle_deg(o.R, R_true)
    print(f"heading {heading_deg} deg, {up} up: recovered rotation error {err:.4f} deg, method {o.method}")
    assert err < 0.5
    assert o.method == "pelvis_travel"
    back_os = apply_orientation(to_lab(front), o)
    assert np.allclose(back_os[:, 1], front[:, 1], atol=1e-9)  # floor kept at lab height 0


def test_treadmill_and_static_use_the_foot_and_pelvis_axes():
    front, back, feet, head = _walker(speed=0.0)
    R_true = rotation_from_axes(np.array([0, 0, 1.0]), np.array([0, -1.0, 0]))  # facing lab -Y, Z up
    to_lab = lambda p: p @ R_true  # noqa: E731
    o = detect_orientation(to_lab(front), to_lab(back), [to_lab(f) for f in feet], to_lab(head), AUTO)
    assert o.method == "foot_axis" and _angle_deg(o.R, R_true) < 0.5
    o = detect_orientation(to_lab(front), to_lab(back), [to_lab(f) for f in feet], to_lab(head), AUTO, is_static=True)
    assert o.method == "static_pelvis" and _angle_deg(o.R, R_true) < 0.5


def test_explicit_override():
    front, back, feet, head = _walker()
    explicit = settings.section("markers", {"orientation": {"mode": "explicit", "vertical_axis": "+z",
                                                            "forward_axis": "-y"}}).orientation
    o = detect_orientation(front, back, feet, head, explicit)
    assert np.allclose(o.R, [[0, -1, 0], [0, 0, 1], [-1, 0, 0]])


def test_floor_moved_when_lab_origin_is_not_the_floor():
    front, back, feet, head = _walker()
    lift = np.array([0.0, 0.8, 0.0])
    o = detect_orientation(front + lift, back + lift, [f + lift for f in feet], head + lift, AUTO)
    lowest = min(np.min(apply_orientation(f + lift, o)[:, 1]) for f in feet)
    assert lowest == pytest.approx(0.01, abs=2e-3)


@pytest.mark.parametrize("name", ["PiG_Motion-FlatFoot-Full", "PiG_Motion-FlatFoot-Hole", "PiG_Motion3_FF"])
def test_btk_walks_come_out_y_up_along_plus_x(shared_data, name):
    raw = read_c3d(shared_data / "btk-plugingait" / f"{name}.c3d")
    p = prepare_trial(raw, MARKERS, {}, is_static=False)
    pelvis = np.nanmean(np.stack([role_markers(p.clean, p.marker_set, "pelvis_front"),
                                  role_markers(p.clean, p.marker_set, "pelvis_back")]), axis=0)
    ok = np.isfinite(pelvis[:, 0])
    travel = pelvis[ok][-1] - pelvis[ok][0]
    heel_y = np.nanmin(role_markers(p.clean, p.marker_set, "heel_l")[:, 1])
    print(f"{name}: pelvis travel {travel.round(3)} m, mean pelvis height {np.nanmean(pelvis[:, 1]):.3f} m, "
          f"lowest heel {heel_y:.3f} m, lab forward {p.orientation.forward_lab.round(3)}")
    assert travel[0] > 3.0 and abs(travel[2]) < 0.2
    assert 0.8 < np.nanmean(pelvis[:, 1]) < 1.1 and 0.0 < heel_y < 0.06
    assert not p.treadmill and 0.9 < p.walking_speed_mps < 1.5


def test_btk_static_faces_plus_x(shared_data):
    raw = read_c3d(shared_data / "btk-plugingait" / "PiG_Calibration-FlatFoot-Full.c3d")
    p = prepare_trial(raw, MARKERS, {}, is_static=True)
    mean = lambda role: np.nanmean(role_markers(p.clean, p.marker_set, role), axis=0)  # noqa: E731
    pelvis_axis = mean("pelvis_front") - mean("pelvis_back")
    foot_axis = mean("toe_l") - mean("heel_l") + mean("toe_r") - mean("heel_r")
    foot_heading = np.degrees(np.arctan2(foot_axis[2], foot_axis[0]))
    print(f"static: pelvis axis {pelvis_axis.round(3)}, feet heading {foot_heading:.1f} deg from +X")
    assert pelvis_axis[0] > 0.1 and abs(pelvis_axis[2]) < 0.03 and abs(pelvis_axis[1]) < 0.1
    assert abs(foot_heading) < 20
    assert np.nanmean(p.clean.marker("LASI")[:, 1]) > 0.8 > np.nanmean(p.clean.marker("LHEE")[:, 1])


def test_treadmill_forward_from_stance_foot_motion():
    """Treadmill: the pelvis stays, the stance heels ride the belt backwards; toes point 8 deg outwards."""
    from scipy.signal import sawtooth

    rate, belt, n = 100.0, 1.1, 500
    t = np.arange(n) / rate
    pelvis = np.stack([0.01 * np.sin(2 * np.pi * t), 0.95 + 0.02 * np.sin(4 * np.pi * t), np.zeros(n)], axis=1)
    feet = []
    for side, phase in ((-1, 0.0), (1, 0.5)):
        saw = sawtooth(2 * np.pi * (t / 1.1 + phase), width=0.4)  # rises in swing (40 %), falls in stance
        heel = np.stack([0.5 * belt * 0.6 * 1.1 * saw, np.where(np.gradient(saw) < 0, 0.03, 0.10),
                         np.full(n, side * 0.1)], axis=1)
        toe_out = np.radians(8.0) * side
        feet += [heel, heel + 0.2 * np.array([np.cos(toe_out), -0.05, np.sin(toe_out) * 3])]
    R_true = rotation_from_axes(np.array([0, 0, 1.0]), np.array([np.cos(2.0), np.sin(2.0), 0.0]))
    to_lab = lambda p: p @ R_true  # noqa: E731
    o = detect_orientation(to_lab(pelvis + [0.1, 0, 0]), to_lab(pelvis - [0.08, 0, 0]), [to_lab(f) for f in feet],
                           to_lab(pelvis + [0, 0.7, 0]), AUTO)
    print(f"treadmill: method {o.method}, rotation error {_angle_deg(o.R, R_true):.3f} deg")
    assert o.method == "stance_foot_motion" and _angle_deg(o.R, R_true) < 0.5


def test_opensim_tutorial_treadmill_walk_keeps_lab_axes(shared_data):
    from gaitmimic.io.trc import read_trc

    p = prepare_trial(read_trc(shared_data / "opensim-tutorial5" / "subject01_walk1.trc"), MARKERS, {}, is_static=False)
    err = _angle_deg(p.orientation.R, np.eye(3))
    print(f"tutorial walk (Y up, walking along +X on a treadmill): {p.orientation.method}, {err:.2f} deg from identity")
    assert p.orientation.method == "stance_foot_motion" and err < 1.0
