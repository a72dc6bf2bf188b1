"""Kinematic gait events against force-plate events, per file: the recordings of ../shared/data that carry
forces (the C3D's plates, or an OpenSim GRF .mot beside a TRC).

Both event lists come from the marker stage's own code on the same prepared trial (gaitmimic.markers.stage:
the raw file read with its forces, marker set mapped, gaps filled, filtered, rotated; events with
``events.source`` kinematic, then force_plate). Each force-plate event is matched to the nearest kinematic
event of the same side and kind; the tolerance is 2 frames or 10 ms, whichever is larger (issue 19).

    python bench/events.py

Files the marker stage cannot read yet (a marker set it does not know) are listed with the reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

#: (file, its GRF .mot or None), relative to ../shared/data.
FILES = [
    ("opensim-tutorial5/subject01_walk1.trc", "opensim-tutorial5/subject01_walk1_grf.mot"),
    ("btk-plugingait/PiG_Motion-FlatFoot-Full.c3d", None),
    ("btk-plugingait/PiG_Motion-FlatFoot-Hole.c3d", None),
    ("btk-plugingait/PiG_Motion-FlatFoot-One.c3d", None),
    ("btk-plugingait/PiG_Motion3_FF.c3d", None),
    *[(f"qualisys-clusters/Walking_Hybrid_1_{i}.c3d", None) for i in range(1, 6)],
]


def compare(raw_path: Path, grf_path: Path | None) -> dict:
    """One file's row: rate, treadmill, events matched, % within tolerance, mean |error| and mean error (ms)."""
    from gaitmimic import settings
    from gaitmimic.markers.stage import _events_table, prepare_trial, read_raw

    raw = read_raw(raw_path, grf_path)
    p = prepare_trial(raw, settings.section("markers"), {}, is_static=False)
    fp = _events_table(p, settings.section("events", {"source": "force_plate"}))
    kin = _events_table(p, settings.section("events", {"source": "kinematic"}))
    rate = p.clean.rate_hz
    tol = max(2.0, 0.010 * rate)
    errors = []
    for ev in fp.itertuples():
        same = kin[(kin.side == ev.side) & (kin.event == ev.event)].frame.to_numpy()
        if same.size:
            errors.append(float(same[np.argmin(np.abs(same - ev.frame))] - ev.frame))
    err = np.array(errors)
    row = {"file": raw_path.name, "rate_hz": rate, "treadmill": p.treadmill, "forces": "GRF .mot" if grf_path else
           f"{len(raw.force_plates)} plate(s)", "fp_events": len(fp), "matched": len(err)}
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
          "mean abs error (ms) | mean error (ms) | worst (frames) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    skipped = []
    for rel, grf in FILES:
        raw = SHARED / rel
        try:
            r = compare(raw, SHARED / grf if grf else None)
        except InputError as exc:
            skipped.append((raw.name, str(exc).split(". Fix:")[0].split(": ", 1)[-1]))
            continue
        if "within" not in r:
            print(f"| {r['file']} | {r['rate_hz']:.0f} | {r['treadmill']} | {r['forces']} | {r['fp_events']} | 0 | n/a | n/a | n/a | n/a |")
            continue
        print(f"| {r['file']} | {r['rate_hz']:.0f} | {r['treadmill']} | {r['forces']} | {r['fp_events']} | {r['matched']} "
              f"| {r['within'] * 100:.0f} % | {r['mean_abs_ms']:.1f} | {r['mean_ms']:+.1f} | {r['worst_frames']:.0f} |")
    reasons: dict[str, list[str]] = {}
    for name, why in skipped:
        reasons.setdefault(why, []).append(name)
    for why, names in reasons.items():
        print(f"\nnot read ({', '.join(names)}): {why}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
