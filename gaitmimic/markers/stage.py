"""Marker stage: raw C3D/TRC -> clean OpenSim-frame markers (TRC), gait events (CSV), report (JSON), QC plot.

INPUTS   a raw trial (``.c3d`` or ``.trc``), the ``markers`` and ``events`` config sections, the subject's
         info (``marker_map``, ``treadmill``, ``belt_speed_mps`` from subject.yaml).
OUTPUTS  ``<trial>.trc`` (OpenSim frame: X walking direction, Y up, Z right, floor y = 0, meters,
         canonical marker names, short gaps filled, filtered, long gaps blank);
         ``<trial>.csv`` events (columns side, event, time_s, frame, source; no rows for a static trial);
         ``<trial>_markers.json`` (rotation, gaps, treadmill, speeds, marker set, first_frame, rate);
         ``<trial>_qc.png``.

Entry point: :func:`process_trial` (everything, in one pass over the raw file; events when
``out_events_csv`` is given).
``cfg`` is ``{"markers": <markers section>, "events": <events section>}``; missing keys take defaults.
All outputs are written atomically and together: on any error none is left behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gaitmimic.atomic import atomic_path
from gaitmimic.config import deep_merge
from gaitmimic.errors import InputError
from gaitmimic.markers.events import EVENT_COLUMNS, detect_events, events_dataframe, treadmill_state
from gaitmimic.markers.filtering import filter_markers
from gaitmimic.markers.gaps import fill_gaps
from gaitmimic.io.c3d import read_c3d
from gaitmimic.io.trc import read_trc, write_trc
from gaitmimic.markers.marker_sets import MarkerSet, canonical_name, map_markers, role_markers
from gaitmimic.io.markerdata import MarkerTrial
from gaitmimic.markers.orientation import Orientation, apply_orientation, detect_orientation

log = logging.getLogger(__name__)

__all__ = ["process_trial", "prepare_trial", "PreparedTrial", "read_raw", "DEFAULTS"]

DEFAULTS = {
    "markers": {"marker_set": "auto", "max_gap_s": 0.2,
                "filter": {"method": "butterworth", "cutoff_hz": 6.0, "order": 4, "window_frames": 5},
                "orientation": {"mode": "auto", "vertical_axis": "+z", "forward_axis": "+x",
                                "snap_vertical_deg": 15.0, "treadmill_travel_m": 0.5, "marker_radius_m": 0.01},
                "output_units": "m"},
    "events": {"source": "auto", "force_threshold_n": 20.0, "merge_window_s": 0.15,
               "kinematic": {"refine": True, "refine_window_s": 0.15, "toe_rise_m": 0.015,
                             "min_step_s": 0.35, "prominence_m": 0.03}},
}


def read_raw(path: str | Path) -> MarkerTrial:
    """Read a raw trial by extension (.c3d or .trc)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".c3d":
        return read_c3d(path)
    if suffix == ".trc":
        return read_trc(path)
    raise InputError(path, f"unknown raw file type {suffix!r}", "use .c3d or .trc")


@dataclass
class PreparedTrial:
    raw: MarkerTrial            # as read (lab frame)
    lab_filled: MarkerTrial     # mapped, gaps filled, filtered (lab frame)
    rotated_raw: MarkerTrial    # mapped, unfilled, unfiltered, OpenSim frame (for QC)
    clean: MarkerTrial          # mapped, filled, filtered, OpenSim frame (the output)
    marker_set: MarkerSet
    orientation: Orientation
    gaps: list
    treadmill: bool
    belt_speed_mps: float
    walking_speed_mps: float


def _landmarks(trial: MarkerTrial, mset: MarkerSet):
    r = lambda role: role_markers(trial, mset, role)  # noqa: E731
    return r("pelvis_front"), r("pelvis_back"), [r("heel_l"), r("toe_l"), r("heel_r"), r("toe_r")], r("head")


def prepare_trial(raw: MarkerTrial, mcfg: dict, subject_info: dict, is_static: bool) -> PreparedTrial:
    """read -> map -> fill gaps -> filter -> rotate (no files)."""
    mcfg = deep_merge(DEFAULTS["markers"], mcfg)
    mapped, mset = map_markers(raw, mcfg["marker_set"], subject_info.get("marker_map") or {})
    max_gap = int(round(float(mcfg["max_gap_s"]) * mapped.rate_hz))
    filled, gaps = fill_gaps(mapped.xyz_m, mapped.labels, max_gap)
    filtered = filter_markers(filled, mapped.rate_hz, mcfg["filter"]) if mapped.n_frames > 1 else filled
    lab = mapped.with_xyz(filtered)
    pf, pb, feet, head = _landmarks(lab, mset)
    orient = detect_orientation(pf, pb, feet, head, mcfg["orientation"], path=raw.source, is_static=is_static)
    clean = lab.with_xyz(apply_orientation(lab.xyz_m, orient))
    rotated_raw = mapped.with_xyz(apply_orientation(mapped.xyz_m, orient))
    pf, pb, feet, _ = _landmarks(clean, mset)
    pelvis = np.nanmean(np.stack([pf, pb]), axis=0) if not is_static else pf
    height = float(np.nanmedian(pelvis[:, 1]) - np.nanmedian(np.concatenate([f[:, 1] for f in feet])))
    if not 0.3 < height < 2.0:
        raise InputError(raw.source, f"the pelvis is {height:.3g} m above the feet after unit conversion, not a "
                                     "human size: the file's units are probably wrong",
                         "export the trial with correct units (POINT:UNITS in C3D, Units in TRC)")
    treadmill, belt, speed = (False, 0.0, 0.0) if is_static else treadmill_state(
        pelvis, [feet[0], feet[2]], clean.rate_hz, float(mcfg["orientation"]["treadmill_travel_m"]))
    if subject_info.get("treadmill") is not None:
        treadmill = bool(subject_info["treadmill"])
    if treadmill and subject_info.get("belt_speed_mps") is not None:
        belt = float(subject_info["belt_speed_mps"])
    if treadmill:
        speed = belt
    return PreparedTrial(raw, lab, rotated_raw, clean, mset, orient, gaps, treadmill, belt, float(speed))


def _events_table(p: PreparedTrial, ecfg: dict) -> pd.DataFrame:
    ecfg = deep_merge(DEFAULTS["events"], ecfg)
    pf, pb, feet, _ = _landmarks(p.clean, p.marker_set)
    pelvis = np.nanmean(np.stack([pf, pb]), axis=0)
    lab_heels = {"left": role_markers(p.lab_filled, p.marker_set, "heel_l"),
                 "right": role_markers(p.lab_filled, p.marker_set, "heel_r")}
    ev = detect_events(ecfg["source"], p.clean.rate_hz, p.clean.n_frames,
                       {"left": (feet[0], feet[1]), "right": (feet[2], feet[3])}, pelvis, ecfg,
                       annotated=p.raw.events, plates=p.raw.force_plates, heels_lab=lab_heels,
                       belt_speed_mps=p.belt_speed_mps if p.treadmill else 0.0)
    return events_dataframe(ev, p.clean.rate_hz)


def _report(p: PreparedTrial, is_static: bool, events: pd.DataFrame | None, overrides: dict) -> dict:
    return {
        "source": str(p.raw.source) if p.raw.source else None,
        "static": bool(is_static),
        "marker_set": p.marker_set.name,
        "rate_hz": p.clean.rate_hz,
        "first_frame": p.clean.first_frame,
        "n_frames": p.clean.n_frames,
        "markers": p.clean.labels,
        "markers_dropped": [lab for lab in p.raw.labels if canonical_name(lab, p.marker_set, overrides) is None],
        "orientation": p.orientation.as_dict(),
        "gaps_filled": [g.as_dict() for g in p.gaps if g.filled],
        "gaps_left": [g.as_dict() for g in p.gaps if not g.filled],
        "treadmill": bool(p.treadmill),
        "belt_speed_mps": round(float(p.belt_speed_mps), 4),
        "walking_speed_mps": round(float(p.walking_speed_mps), 4),
        "annotated_events_valid": len(p.raw.events),
        "force_plates": len(p.raw.force_plates),
        "n_events": None if events is None else int(len(events)),
    }


def _qc_names(mset: MarkerSet, labels: list[str]) -> list[str]:
    names = []
    for role in ("pelvis_front", "heel_l", "toe_l", "heel_r", "toe_r"):
        names += [n for n in mset.roles[role][:1] if n in labels]
    return names


def process_trial(raw_path: str | Path, out_trc: str | Path, out_events_csv: str | Path | None,
                  out_json: str | Path, out_qc_png: str | Path | None, cfg: dict, subject_info: dict | None,
                  is_static: bool) -> dict:
    """Run the whole marker stage on one trial; returns the JSON report (also written to ``out_json``).

    The QC plot shows events whenever the trial is dynamic, even when ``out_events_csv`` is None. A static
    trial's events file has the contract's columns and no rows (a standing subject has no gait events).
    """
    subject_info = subject_info or {}
    raw = read_raw(raw_path)
    p = prepare_trial(raw, cfg.get("markers", {}), subject_info, is_static)
    events = None if is_static else _events_table(p, cfg.get("events", {}))
    report = _report(p, is_static, events, subject_info.get("marker_map") or {})
    units = deep_merge(DEFAULTS["markers"], cfg.get("markers", {}))["output_units"]
    with contextlib.ExitStack() as stack:
        tmp_trc = stack.enter_context(atomic_path(out_trc))
        tmp_json = stack.enter_context(atomic_path(out_json))
        tmp_csv = stack.enter_context(atomic_path(out_events_csv)) if out_events_csv is not None else None
        tmp_png = stack.enter_context(atomic_path(out_qc_png)) if out_qc_png is not None else None
        _write_trc_plain(tmp_trc, p.clean, units, Path(out_trc).name)
        tmp_json.write_text(json.dumps(report, indent=2))
        if tmp_csv is not None:
            (events if events is not None else pd.DataFrame(columns=EVENT_COLUMNS)).to_csv(tmp_csv, index=False)
        if tmp_png is not None:
            names = _qc_names(p.marker_set, p.clean.labels)
            idx = [p.clean.labels.index(n) for n in names]
            from gaitmimic.markers.qc_plots import plot_marker_heights
            plot_marker_heights(tmp_png, p.clean.time_s, names, p.rotated_raw.xyz_m[:, idx, 1], p.clean.xyz_m[:, idx, 1],
                                events, title=f"{Path(raw_path).name}: {p.marker_set.name}, {p.orientation.method}")
    return report


def _write_trc_plain(tmp: Path, trial: MarkerTrial, units: str, name: str) -> None:
    """write_trc into an already-temporary path (the header names the final file)."""
    write_trc(tmp, trial, units=units)
    text = tmp.read_text().split("\n", 1)
    tmp.write_text(f"PathFileType\t4\t(X/Y/Z)\t{name}\n" + text[1])
