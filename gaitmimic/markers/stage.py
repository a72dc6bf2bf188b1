"""Marker stage: raw C3D/TRC -> clean OpenSim-frame markers (TRC), gait events (CSV), report (JSON), QC plot.

INPUTS   a raw trial (``.c3d`` or ``.trc``, with its OpenSim GRF ``<trial>_grf.mot`` when there is one), the
         ``markers`` and ``events`` settings (``gaitmimic.settings.section("markers", ...)`` /
         ``section("events", ...)``), the subject's info (``lab_to_model_markers``, ``treadmill``,
         ``belt_speed_mps`` from subject.yaml; missing keys or ``None``: not given).
OUTPUTS  ``<trial>.trc`` (OpenSim frame: X walking direction, Y up, Z right, floor y = 0, meters,
         canonical marker names, short gaps filled, filtered, long gaps NaN);
         ``<trial>.csv`` events (:mod:`gaitmimic.io.events`; no rows for a static trial);
         ``<trial>_markers.json`` (rotation, gaps, treadmill, speeds, marker set, first_frame, rate);
         ``<trial>_qc.png``.

Entry point: :func:`process_trial` (everything, in one pass over the raw file; events when
``out_events_csv`` is given). All outputs are written atomically and together: on any error none is left
behind.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from gaitmimic.atomic import atomic_path
from gaitmimic.errors import InputError
from gaitmimic.io.c3d import read_c3d
from gaitmimic.io.events import empty_events, write_events
from gaitmimic.io.markerdata import MarkerTrial
from gaitmimic.io.mot import read_grf
from gaitmimic.io.reports import write_json
from gaitmimic.io.trc import read_trc, write_trc
from gaitmimic.markers.events import detect_events, events_dataframe, treadmill_state
from gaitmimic.markers.filtering import filter_markers
from gaitmimic.markers.gaps import fill_gaps
from gaitmimic.markers.marker_sets import MarkerSet, canonical_name, load_marker_set, map_markers, role_markers
from gaitmimic.markers.orientation import Orientation, apply_orientation, detect_orientation
from gaitmimic.markers.qc_plots import plot_marker_heights

log = logging.getLogger(__name__)

__all__ = ["process_trial", "prepare_trial", "PreparedTrial", "read_raw"]


def read_raw(path: str | Path, grf_path: str | Path | None = None) -> MarkerTrial:
    """Read a raw trial by extension (.c3d or .trc), with the ground reaction forces of ``grf_path`` (an
    OpenSim GRF .mot on the same clock as the trial's times) when given."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".c3d":
        trial = read_c3d(path)
    elif suffix == ".trc":
        trial = read_trc(path)
    else:
        raise InputError(path, f"unknown raw file type {suffix!r}", "use .c3d or .trc")
    return replace(trial, ground_reactions=read_grf(grf_path)) if grf_path else trial


@dataclass
class PreparedTrial:
    """One trial after mapping, gap filling, filtering and rotation (what :func:`prepare_trial` returns)."""

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


def pelvis_centre(front: np.ndarray, back: np.ndarray) -> np.ndarray:
    """The pelvis centre (n, 3): the mid-point of the front (ASIS) and back (PSIS/sacrum) markers' means, and
    where one group is missing, the other shifted by half their median offset, so that a gap in the ASIS does
    not make the centre jump by the pelvis depth (which the kinematic events would read as a step)."""
    both = np.all(np.isfinite(front), axis=1) & np.all(np.isfinite(back), axis=1)
    offset = np.median(front[both] - back[both], axis=0) if both.any() else np.zeros(3)
    centre = 0.5 * (front + back)
    only_front = np.all(np.isfinite(front), axis=1) & ~both
    only_back = np.all(np.isfinite(back), axis=1) & ~both
    centre[only_front] = front[only_front] - 0.5 * offset
    centre[only_back] = back[only_back] + 0.5 * offset
    return centre


def _lab_to_model(subject_info: dict) -> dict:
    """subject.yaml's ``lab_to_model_markers`` (lab name -> marker-set name; empty when not given)."""
    return dict(subject_info.get("lab_to_model_markers") or {})


def prepare_trial(raw: MarkerTrial, markers, subject_info: dict, is_static: bool,
                  tables: Sequence[MarkerSet] = ()) -> PreparedTrial:
    """read -> map -> fill gaps -> filter -> rotate (no files). ``markers``: the ``markers`` settings;
    ``subject_info``: the optional subject.yaml keys (see the module docstring); ``tables``: a lab's own
    marker-set tables, candidates of the detection."""
    mapped, mset = map_markers(raw, markers.marker_set, _lab_to_model(subject_info), tables)
    max_gap = int(round(float(markers.max_gap_s) * mapped.rate_hz))
    filled, gaps = fill_gaps(mapped.xyz_m, mapped.labels, max_gap)
    filtered = filter_markers(filled, mapped.rate_hz, markers.filter) if mapped.n_frames > 1 else filled
    lab = mapped.with_xyz(filtered)
    pf, pb, feet, head = _landmarks(lab, mset)
    orient = detect_orientation(pf, pb, feet, head, markers.orientation, path=raw.source, is_static=is_static)
    clean = lab.with_xyz(apply_orientation(lab.xyz_m, orient))
    rotated_raw = mapped.with_xyz(apply_orientation(mapped.xyz_m, orient))
    pf, pb, feet, _ = _landmarks(clean, mset)
    pelvis = pelvis_centre(pf, pb) if not is_static else pf
    height = float(np.nanmedian(pelvis[:, 1]) - np.nanmedian(np.concatenate([f[:, 1] for f in feet])))
    if not 0.3 < height < 2.0:
        raise InputError(raw.source, f"the pelvis is {height:.3g} m above the feet after unit conversion, not a "
                                     "human size: the file's units are probably wrong",
                         "export the trial with correct units (POINT:UNITS in C3D, Units in TRC)")
    treadmill, belt, speed = (False, 0.0, 0.0) if is_static else treadmill_state(
        pelvis, [feet[0], feet[2]], clean.rate_hz, float(markers.orientation.treadmill_travel_m))
    if subject_info.get("treadmill") is not None:
        treadmill = bool(subject_info["treadmill"])
    if treadmill and subject_info.get("belt_speed_mps") is not None:
        belt = float(subject_info["belt_speed_mps"])
    if treadmill:
        speed = belt
    return PreparedTrial(raw, lab, rotated_raw, clean, mset, orient, gaps, treadmill, belt, float(speed))


def _events_table(p: PreparedTrial, events) -> pd.DataFrame:
    """The events table of a prepared (dynamic) trial; ``events``: the ``events`` settings."""
    pf, pb, feet, _ = _landmarks(p.clean, p.marker_set)
    pelvis = pelvis_centre(pf, pb)
    lab_heels = {"left": role_markers(p.lab_filled, p.marker_set, "heel_l"),
                 "right": role_markers(p.lab_filled, p.marker_set, "heel_r")}
    ev = detect_events(events, p.clean.rate_hz, p.clean.n_frames,
                       {"left": (feet[0], feet[1]), "right": (feet[2], feet[3])}, pelvis,
                       {side: role_markers(p.clean, p.marker_set, f"toe_rise_{side[0]}") for side in ("left", "right")},
                       annotated=p.raw.events, plates=p.raw.force_plates, heels_lab=lab_heels,
                       reactions=p.raw.ground_reactions, start_time_s=p.raw.start_time_s)
    return events_dataframe(ev, p.clean.rate_hz)


def _report(p: PreparedTrial, is_static: bool, events: pd.DataFrame | None, overrides: dict) -> dict:
    return {
        "source": str(p.raw.source) if p.raw.source else None,
        "static": bool(is_static),
        "marker_set": p.marker_set.name,   # the detected (or configured) table
        "marker_set_table": p.marker_set.source,
        # where the table puts the trial's markers (the scale stage checks the bodies against its model)
        "marker_bodies": {m: p.marker_set.markers[m].body for m in p.clean.labels if m in p.marker_set.markers},
        "rate_hz": p.clean.rate_hz,
        "first_frame": p.clean.first_frame,
        "n_frames": p.clean.n_frames,
        "markers": p.clean.labels,
        "markers_dropped": [lab for lab in p.raw.labels if canonical_name(lab, p.marker_set, overrides) is None
                            and not (p.marker_set.keep_unknown and lab in p.clean.labels)],
        # labels the set does not name: dropped, or kept under their own names (the anatomical set's clusters)
        "markers_unmatched": [lab for lab in p.raw.labels if canonical_name(lab, p.marker_set, overrides) is None],
        "orientation": p.orientation.as_dict(),
        "gaps_filled": [g.as_dict() for g in p.gaps if g.filled],
        "gaps_left": [g.as_dict() for g in p.gaps if not g.filled],
        "treadmill": bool(p.treadmill),
        "belt_speed_mps": round(float(p.belt_speed_mps), 4),
        "walking_speed_mps": round(float(p.walking_speed_mps), 4),
        "annotated_events_valid": len(p.raw.events),
        "force_plates": len(p.raw.force_plates),
        "ground_reactions": [g.name for g in p.raw.ground_reactions],
        "n_events": None if events is None else int(len(events)),
    }


def _qc_names(mset: MarkerSet, labels: list[str]) -> list[str]:
    names = []
    for role in ("pelvis_front", "heel_l", "toe_l", "heel_r", "toe_r"):
        names += [n for n in mset.roles[role][:1] if n in labels]
    return names


def process_trial(raw_path: str | Path, out_trc: str | Path, out_events_csv: str | Path | None,
                  out_json: str | Path, out_qc_png: str | Path | None, markers, events, subject_info: dict | None,
                  is_static: bool, grf_path: str | Path | None = None,
                  marker_tables: Sequence[str | Path] = ()) -> dict:
    """Run the whole marker stage on one trial; returns the JSON report (also written to ``out_json``).

    ``markers``/``events``: the settings sections of those names. ``grf_path``: the trial's OpenSim GRF .mot
    (``<trial>_grf.mot`` beside a TRC), whose forces give force-plate events. ``marker_tables``: a lab's own
    marker-set tables (``data/<subject>/marker_set.yaml``). The QC plot shows events
    whenever the trial is dynamic, even when ``out_events_csv`` is None. A static trial's events file has the columns
    and no rows (a standing subject has no gait events).
    """
    subject_info = subject_info or {}
    raw = read_raw(raw_path, grf_path)
    p = prepare_trial(raw, markers, subject_info, is_static, [load_marker_set(t) for t in marker_tables])
    table = None if is_static else _events_table(p, events)
    report = _report(p, is_static, table, _lab_to_model(subject_info))
    with contextlib.ExitStack() as stack:
        tmp_trc = stack.enter_context(atomic_path(out_trc))
        tmp_json = stack.enter_context(atomic_path(out_json))
        tmp_csv = stack.enter_context(atomic_path(out_events_csv)) if out_events_csv is not None else None
        tmp_png = stack.enter_context(atomic_path(out_qc_png)) if out_qc_png is not None else None
        write_trc(tmp_trc, p.clean, units=markers.output_units, name=Path(out_trc).name)
        write_json(tmp_json, report)
        if tmp_csv is not None:
            write_events(tmp_csv, table if table is not None else empty_events())
        if tmp_png is not None:
            names = _qc_names(p.marker_set, p.clean.labels)
            idx = [p.clean.labels.index(n) for n in names]
            plot_marker_heights(tmp_png, p.clean.time_s, names, p.rotated_raw.xyz_m[:, idx, 1], p.clean.xyz_m[:, idx, 1],
                                table, title=f"{Path(raw_path).name}: {p.marker_set.name}, {p.orientation.method}")
    return report
