"""Gait events: kinematic (refined Zeni) against annotations and force plates; treadmill recognition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import sawtooth

from gaitmimic import settings
from gaitmimic.markers.events import GaitEvent, _refine_strike, _refine_toe_off, merge_events, treadmill_state
from gaitmimic.io.c3d import read_c3d
from gaitmimic.io.mot import read_mot
from gaitmimic.io.trc import read_trc
from gaitmimic.markers.stage import _events_table, prepare_trial, read_raw


MARKERS = settings.section("markers")


def _events(**given):
    return settings.section("events", given)


def _match(detected: list[int], truth: list[int], tol: int):
    """For each true frame, the signed error of the nearest detection; rate of |error| <= tol."""
    errors = [min((d - t for d in detected), key=abs) for t in truth] if detected else []
    within = [abs(e) <= tol for e in errors]
    return errors, (sum(within) / len(truth) if truth else 0.0)


@pytest.fixture(scope="module")
def flatfoot(shared_data):
    raw = read_c3d(shared_data / "btk-plugingait" / "PiG_Motion-FlatFoot-Full.c3d")
    return raw, prepare_trial(raw, MARKERS, {}, is_static=False)


def _strikes(df, side):
    return df[(df.side == side) & (df.event == "heel_strike")].frame.tolist()


def test_kinematic_strikes_match_annotations(flatfoot):
    raw, p = flatfoot
    df = _events_table(p, _events(source="kinematic"))
    assert set(df.source) == {"kinematic"}
    errors = []
    for side in ("left", "right"):
        truth = [e.frame for e in raw.events if e.side == side and e.event == "heel_strike"]
        err, _ = _match(_strikes(df, side), truth, 2)
        errors += err
    rate = np.mean(np.abs(errors) <= 2)
    print(f"\nkinematic (refined Zeni) foot strikes on PiG_Motion-FlatFoot-Full: {rate * 100:.0f} % of "
          f"{len(errors)} annotated strikes within 2 frames, mean |error| {np.mean(np.abs(errors)):.2f} frames, "
          f"mean signed error {np.mean(errors):+.2f} frames; errors {errors}")
    assert len(errors) == 7
    assert rate >= 0.9
    assert np.mean(np.abs(errors)) <= 1.5


def test_plain_zeni_is_early_and_refinement_matters(flatfoot):
    raw, p = flatfoot
    df = _events_table(p, _events(source="kinematic", kinematic={"refine": False}))
    errors = []
    for side in ("left", "right"):
        truth = [e.frame for e in raw.events if e.side == side and e.event == "heel_strike"]
        errors += _match(_strikes(df, side), truth, 2)[0]
    print(f"\nplain Zeni: mean signed error {np.mean(errors):+.2f} frames, "
          f"{np.mean(np.abs(errors) <= 2) * 100:.0f} % within 2 frames")
    assert np.mean(errors) < -2.0


def test_kinematic_toe_offs_match_annotations(flatfoot):
    raw, p = flatfoot
    df = _events_table(p, _events(source="kinematic"))
    errors = []
    for side in ("left", "right"):
        truth = [e.frame for e in raw.events if e.side == side and e.event == "toe_off"]
        det = df[(df.side == side) & (df.event == "toe_off")].frame.tolist()
        errors += _match(det, truth, 2)[0]
    rate = np.mean(np.abs(errors) <= 2)
    print(f"\nkinematic toe offs on PiG_Motion-FlatFoot-Full: {rate * 100:.0f} % of {len(errors)} annotated toe offs "
          f"within 2 frames, mean |error| {np.mean(np.abs(errors)):.2f} frames; errors {errors}")
    assert len(errors) == 5
    assert rate >= 0.8


def test_force_plate_events(flatfoot):
    raw, p = flatfoot
    df = _events_table(p, _events(source="force_plate"))
    assert set(df.source) == {"force_plate"} and len(df) == 4
    for _, ev in df.iterrows():
        truth = [e.frame for e in raw.events if e.side == ev.side and e.event == ev.event]
        assert min(abs(ev.frame - t) for t in truth) <= 1, ev.to_dict()


def test_auto_prefers_force_plates_then_c3d(flatfoot):
    _, p = flatfoot
    df = _events_table(p, _events(source="auto"))
    assert (df.source == "force_plate").sum() == 4
    # 12 valid annotations, 4 of them already covered by the plates; kinematic adds the unannotated first toe off
    assert (df.source == "c3d_event").sum() == 8
    assert (df.source == "kinematic").sum() == 1
    assert list(df.columns) == ["side", "event", "time_s", "frame", "source"]
    assert df.time_s.is_monotonic_increasing
    # no duplicated event: same side and kind never closer than 0.3 s
    for (side, kind), g in df.groupby(["side", "event"]):
        assert np.all(np.diff(sorted(g.frame)) > 30), (side, kind)


def test_treadmill_walk_matches_ground_reaction_forces(shared_data):
    """OpenSim tutorial walk (treadmill-like, 60 Hz): events against contacts from its own GRF file."""
    raw = read_trc(shared_data / "opensim-tutorial5" / "subject01_walk1.trc")
    p = prepare_trial(raw, MARKERS, {}, is_static=False)
    print(f"\ntutorial walk: treadmill={p.treadmill}, belt speed {p.belt_speed_mps:.3f} m/s")
    assert p.treadmill and 0.6 < p.belt_speed_mps < 1.5
    df = _events_table(p, _events(source="auto"))
    grf = read_mot(shared_data / "opensim-tutorial5" / "subject01_walk1_grf.mot").data
    t = grf.time.to_numpy()
    errors = []
    for side, col in (("right", "ground_force_vy"), ("left", "1_ground_force_vy")):
        loaded = (grf[col].to_numpy() > 20).astype(int)
        on, off = t[np.flatnonzero(np.diff(loaded) == 1) + 1], t[np.flatnonzero(np.diff(loaded) == -1) + 1]
        for kind, times in (("heel_strike", on), ("toe_off", off)):
            det = df[(df.side == side) & (df.event == kind)].time_s.to_numpy()
            for tt in times:
                errors.append(np.min(np.abs(det - tt)) * raw.rate_hz)
    print(f"tutorial walk: |error| vs GRF contacts (frames at 60 Hz): {np.round(errors, 2).tolist()}")
    assert len(errors) == 8 and max(errors) <= 2.0


def test_force_plate_events_from_a_grf_mot_beside_the_trc(shared_data):
    """The tutorial walk with its GRF .mot, through the marker stage's reader: 8 contact events (a toe off of
    the contact under way at the start, per foot, included), each side the one the tutorial's external loads
    give that force (ground_ on calcn_r, 1_ground_ on calcn_l), and the kinematic events within 2 frames."""
    tut = shared_data / "opensim-tutorial5"
    raw = read_raw(tut / "subject01_walk1.trc", tut / "subject01_walk1_grf.mot")
    assert [g.name for g in raw.ground_reactions] == ["ground", "1_ground"]
    p = prepare_trial(raw, MARKERS, {}, is_static=False)
    fp = _events_table(p, _events(source="force_plate"))
    kin = _events_table(p, _events(source="kinematic"))
    print(f"\n{fp.to_string()}")
    assert len(fp) == 8 and set(fp.source) == {"force_plate"}
    grf = read_mot(tut / "subject01_walk1_grf.mot").data
    for side, col in (("right", "ground_force_vy"), ("left", "1_ground_force_vy")):
        loaded = grf[col].to_numpy() > 20
        rises = grf.time.to_numpy()[np.flatnonzero(np.diff(loaded.astype(int)) == 1) + 1]
        strikes = fp[(fp.side == side) & (fp.event == "heel_strike")].time_s.to_numpy()
        assert np.allclose(strikes, rises[rises > 0.05], atol=0.02), (side, strikes, rises)
    errors = [min(abs(ev.frame - k.frame) for k in kin.itertuples() if (k.side, k.event) == (ev.side, ev.event))
              for ev in fp.itertuples()]
    print(f"kinematic vs GRF events (frames at 60 Hz): {errors}")
    assert max(errors) <= 2


def test_treadmill_state_belt_speed():
    rate, belt = 100.0, 1.1
    t = np.arange(600) / rate
    heels = []
    for phase in (0.0, 0.5):
        # stance: 60 % of a 1.1 s cycle moving back at the belt speed; swing: 40 % moving forward
        period, stance = 1.1, 0.6
        amp = belt * stance * period  # backward travel during stance
        saw = sawtooth(2 * np.pi * (t / period + phase), width=1 - stance)  # rises in swing, falls in stance
        x = 0.5 * amp * saw
        y = np.where(np.gradient(saw) < 0, 0.03, 0.10)
        heels.append(np.stack([x, y, np.zeros_like(x)], axis=1))
    pelvis = np.stack([0.01 * np.sin(t), np.full_like(t, 0.95), np.zeros_like(t)], axis=1)
    is_tm, est, speed = treadmill_state(pelvis, heels, rate, travel_m=0.5)
    print(f"\nsynthetic treadmill: belt {belt} m/s, estimated {est:.3f} m/s")
    assert is_tm and est == pytest.approx(belt, rel=0.05) and speed == est


def test_merge_events_priority():
    fp = [GaitEvent("left", "heel_strike", 100, "force_plate")]
    c3d = [GaitEvent("left", "heel_strike", 102, "c3d_event"), GaitEvent("right", "heel_strike", 150, "c3d_event")]
    kin = [GaitEvent("left", "heel_strike", 99, "kinematic"), GaitEvent("right", "heel_strike", 151, "kinematic"),
           GaitEvent("left", "heel_strike", 210, "kinematic")]
    merged = merge_events([fp, c3d, kin], rate_hz=100.0, window_s=0.15)
    assert [(e.frame, e.source) for e in merged] == [(100, "force_plate"), (150, "c3d_event"), (210, "kinematic")]



def test_refinements_on_synthetic_foot():
    """Heel strike = the heel's impact (peak upward acceleration) after the Zeni estimate; toe off = the
    earlier of Zeni and the toe having risen ``toe_rise_m`` above its stance level (any marker height)."""
    rate, n = 100.0, 300
    f = np.arange(n)
    heel = np.zeros((n, 3))
    heel[:, 1] = 0.045 + 0.002 * np.clip(100 - f, 0, None)  # descends at 0.2 m/s, stopped by the floor at frame 100
    assert _refine_strike(heel, 95, rate, 0.15) == 100
    assert _refine_strike(heel, 100, rate, 0.15) == 100
    toe = np.zeros((n, 3))
    toe[:, 1] = 0.08 + 0.005 * np.clip(f - 150, 0, None)  # stance level 80 mm, rises at 0.5 m/s from frame 150
    assert _refine_toe_off(toe, 160, rate, 0.15, 0.015) == 154  # 20 mm up (15 mm is reached exactly at 153)
    assert _refine_toe_off(toe, 152, rate, 0.15, 0.015) == 152  # Zeni comes first
    toe[100:200, 1] = np.nan
    assert _refine_toe_off(toe, 160, rate, 0.15, 0.015) == 160  # no data: the Zeni estimate stands


def test_no_heel_strike_with_the_heel_in_the_air(shared_data):
    """The Qualisys walks lose their ASIS at the ends: the Zeni peak there came with the heel 10-12 cm up
    (swing), and is dropped; every strike kept has its heel within 1 cm of its stance level."""
    raw = read_c3d(shared_data / "qualisys-clusters" / "Walking_Hybrid_1_2.c3d")
    p = prepare_trial(raw, MARKERS, {}, is_static=False)
    kin = _events_table(p, _events(source="kinematic"))
    heels = {"left": p.clean.marker("LHEE")[:, 1], "right": p.clean.marker("RHEE")[:, 1]}
    strikes = kin[kin.event == "heel_strike"]
    heights = [heels[e.side][e.frame] - np.nanpercentile(heels[e.side], 5) for e in strikes.itertuples()]
    print(f"\nstrike heel heights above stance (cm): {np.round(np.array(heights) * 100, 1).tolist()}")
    assert len(strikes) == 5 and max(heights) < 0.01
    loose = _events_table(p, _events(source="kinematic", kinematic={"max_strike_height_m": 1.0}))
    assert (loose.event == "heel_strike").sum() == 6, "the filter, not the detector, drops the swing peak"


def test_toe_off_on_metatarsal_markers_keeps_the_zeni_estimate(shared_data):
    """The Qualisys walks (240 Hz) mark the forefoot with MT1/MT5 only, which stand 30-40 mm above their stance
    level at force-plate toe off: the toe-rise rule (15 mm) put every kinematic toe off 5-8 frames early. The
    anatomical table's toe_rise role is the 2nd-metatarsal (toe) marker alone, so these feet keep the Zeni toe
    off: within 10 ms (2.4 frames) of the plates on 8 of the 10, and the rule, forced back onto MT1/MT5,
    moves them early again."""
    import dataclasses

    from gaitmimic.markers.marker_sets import role_markers

    errors, forced = [], []
    for i in range(1, 6):
        raw = read_raw(shared_data / "qualisys-clusters" / f"Walking_Hybrid_1_{i}.c3d")
        p = prepare_trial(raw, MARKERS, {}, is_static=False)
        assert p.marker_set.name == "anatomical" and not np.isfinite(role_markers(p.clean, p.marker_set, "toe_rise_l")).any()
        fp = _events_table(p, _events(source="force_plate"))
        mt = dataclasses.replace(p, marker_set=dataclasses.replace(
            p.marker_set, roles={**p.marker_set.roles, "toe_rise_l": ("LMT1", "LMT5"), "toe_rise_r": ("RMT1", "RMT5")}))
        for prepared, out in ((p, errors), (mt, forced)):
            kin = _events_table(prepared, _events(source="kinematic"))
            for ev in fp[fp.event == "toe_off"].itertuples():
                same = kin[(kin.side == ev.side) & (kin.event == "toe_off")].frame.to_numpy()
                out.append(int(same[np.argmin(np.abs(same - ev.frame))] - ev.frame))
    print(f"\ntoe off - plate (frames at 240 Hz): Zeni {errors}, rise on MT1/MT5 {forced}")
    assert len(errors) == 10 and sum(abs(e) <= 2.4 for e in errors) >= 8
    assert np.median(forced) <= -4
