"""Kinematic gait events against force-plate events, per file: the recordings of ../shared/data that carry
forces (the C3D's plates, or an OpenSim GRF .mot beside a TRC).

Both event lists come from the marker stage's own code on the same prepared trial (gaitmimic.markers.stage:
the raw file read with its forces, marker set mapped, gaps filled, filtered, rotated; events with
``events.source`` kinematic, then force_plate). Each force-plate event is matched to the nearest kinematic
event of the same side and kind; the tolerance is 2 frames or 10 ms, whichever is larger (issue 19).

    python bench/events.py

The last two columns check ``events.kinematic.max_strike_height_m``: the heel marker's height above its stance
level (5th-percentile height) at the highest kinematic strike kept, and at each strike it dropped.

Files the marker stage cannot read (a marker set it does not know) are listed with the reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

#: (file, its GRF .mot or None): the recordings of ../shared/data, and the demo's walk (no forces: its
#: strike heights only).
FILES = [
    (SHARED / "opensim-tutorial5/subject01_walk1.trc", SHARED / "opensim-tutorial5/subject01_walk1_grf.mot"),
    *[(SHARED / "btk-plugingait" / f"PiG_Motion{k}.c3d", None) for k in ("-FlatFoot-Full", "-FlatFoot-Hole",
                                                                          "-FlatFoot-One", "3_FF")],
    *[(SHARED / f"qualisys-clusters/Walking_Hybrid_1_{i}.c3d", None) for i in range(1, 6)],
    (REPO / "data" / "demo01" / "walk01.c3d", None),
]


def compare(raw_path: Path, grf_path: Path | None) -> dict:
    """One file's row: rate, treadmill, events matched, % within tolerance, mean |error| and mean error (ms)."""
    from gaitmimic import settings
    from gaitmimic.markers.marker_sets import role_markers
    from gaitmimic.markers.stage import _events_table, prepare_trial, read_raw

    raw = read_raw(raw_path, grf_path)
    p = prepare_trial(raw, settings.section("markers"), {}, is_static=False)
    fp = _events_table(p, settings.section("events", {"source": "force_plate"}))
    kin = _events_table(p, settings.section("events", {"source": "kinematic"}))
    rate = p.clean.rate_hz
    tol = max(2.0, 0.010 * rate)
    # the heel's height above its stance level (5th percentile) at each kinematic strike, kept and dropped by
    # events.kinematic.max_strike_height_m (the unfiltered detector run with that limit lifted)
    unfiltered = _events_table(p, settings.section("events", {"source": "kinematic", "kinematic": {"max_strike_height_m": 1e3}}))
    heel = {side: role_markers(p.clean, p.marker_set, f"heel_{side[0]}")[:, 1] for side in ("left", "right")}
    height = lambda e: float(heel[e.side][e.frame] - np.nanpercentile(heel[e.side], 5)) * 100  # noqa: E731
    kept = {(e.side, e.frame) for e in kin[kin.event == "heel_strike"].itertuples()}
    strikes = [(height(e), (e.side, e.frame) in kept) for e in unfiltered[unfiltered.event == "heel_strike"].itertuples()]
    errors = []
    for ev in fp.itertuples():
        same = kin[(kin.side == ev.side) & (kin.event == ev.event)].frame.to_numpy()
        if same.size:
            errors.append(float(same[np.argmin(np.abs(same - ev.frame))] - ev.frame))
    err = np.array(errors)
    row = {"file": raw_path.name, "rate_hz": rate, "treadmill": p.treadmill, "forces": "GRF .mot" if grf_path else
           f"{len(raw.force_plates)} plate(s)", "fp_events": len(fp), "matched": len(err),
           "strike_heights_cm": (max((h for h, k in strikes if k), default=float("nan")),
                                 sorted(round(h, 1) for h, k in strikes if not k))}
    if err.size:
        ms = err / rate * 1000
        row.update(within=float(np.mean(np.abs(err) <= tol)), mean_abs_ms=float(np.mean(np.abs(ms))),
                   mean_ms=float(np.mean(ms)), worst_frames=float(np.max(np.abs(err))))
    return row


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED}: not found (the benchmark reads the real recordings)")
    from gaitmimic.errors import InputError

    print("| file | rate (Hz) | treadmill | forces | force-plate events | matched | within 2 frames / 10 ms | "
          "mean abs error (ms) | mean error (ms) | worst (frames) | highest heel at a kept strike (cm) | "
          "strikes dropped, heel height (cm) |")
    print("| --- " * 12 + "|")
    skipped = []
    for raw, grf in FILES:
        try:
            r = compare(raw, grf)
        except InputError as exc:
            skipped.append((raw.name, str(exc).split(". Fix:")[0].split(": ", 1)[-1]))
            continue
        top, dropped = r["strike_heights_cm"]
        strikes = f"{top:.1f} | {', '.join(map(str, dropped)) or 'none'} |"
        if "within" not in r:
            print(f"| {r['file']} | {r['rate_hz']:.0f} | {r['treadmill']} | {r['forces']} | {r['fp_events']} | 0 | n/a | n/a | n/a "
                  f"| n/a | {strikes}")
            continue
        print(f"| {r['file']} | {r['rate_hz']:.0f} | {r['treadmill']} | {r['forces']} | {r['fp_events']} | {r['matched']} "
              f"| {r['within'] * 100:.0f} % | {r['mean_abs_ms']:.1f} | {r['mean_ms']:+.1f} | {r['worst_frames']:.0f} | {strikes}")
    reasons: dict[str, list[str]] = {}
    for name, why in skipped:
        reasons.setdefault(why, []).append(name)
    for why, names in reasons.items():
        print(f"\nnot read ({', '.join(names)}): {why}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
