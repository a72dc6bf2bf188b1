"""Marker trials as the OpenSim stages hand them to OpenSim's tools (:class:`~gaitmimic.io.markerdata.MarkerTrial`).

Positions in metres, in the frame of the processed TRC (the OpenSim frame); NaN = missing. A frame's
time counts from the trial's stored frame 0 (``MarkerTrial.time_s``) and is taken as the TRC file holds
it (:func:`frame_times`): the numbers OpenSim's tools read, so a setup file's time range names frames
exactly.

- :func:`to_model_markers`: data markers renamed (or averaged) to the model's marker names
  (``model.model_to_data_markers``);
- :func:`frames`, :func:`time_window`, :func:`select_time`: a part of a trial;
- :func:`present_markers`, :func:`longest_complete_run`: the markers with data, and the longest run of
  frames where given markers are all present;
- :func:`tool_time_range`: the setup-file time range that names given frames.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import numpy as np

from gaitmimic.io.markerdata import MarkerTrial
from gaitmimic.io.trc import TIME_DECIMALS


def frame_times(trial: MarkerTrial) -> np.ndarray:
    """Time (s) of each frame as a TRC written by :func:`gaitmimic.io.trc.write_trc` holds it."""
    return np.array([round(float(t), TIME_DECIMALS) for t in trial.time_s])


def to_model_markers(trial: MarkerTrial, model_to_data_markers: Mapping[str, str | Sequence[str]] | None) -> MarkerTrial:
    """Rename data markers to model marker names.

    ``model_to_data_markers`` maps a model marker name to a data marker name, or to a list of data marker
    names whose mean position (a virtual marker, e.g. V.Sacral = mean of LPSI and RPSI) is used; the mean
    is missing in a frame where any of them is. A model marker whose data markers are not all in the
    trial is left out (the caller reports it against the marker set). Data markers not named in the map
    keep their names. Without a map the trial is returned unchanged.
    """
    if not model_to_data_markers:
        return trial
    used_sources: set[str] = set()
    labels: list[str] = []
    columns: list[np.ndarray] = []
    for model_name, source in model_to_data_markers.items():
        sources = [source] if isinstance(source, str) else list(source)
        if not all(s in trial.labels for s in sources):
            continue
        labels.append(model_name)
        columns.append(np.stack([trial.marker(s) for s in sources]).mean(axis=0))
        used_sources.update(sources)
    for i, name in enumerate(trial.labels):
        if name not in used_sources and name not in labels:
            labels.append(name)
            columns.append(trial.xyz_m[:, i])
    xyz = np.stack(columns, axis=1) if columns else np.zeros((trial.n_frames, 0, 3))
    return dataclasses.replace(trial, labels=labels, xyz_m=xyz)


def frames(trial: MarkerTrial, start: int, stop: int) -> MarkerTrial:
    """Frames ``[start, stop)`` of ``trial`` (its stored frame 0 is then ``start``; ``first_frame`` follows)."""
    return dataclasses.replace(trial, xyz_m=trial.xyz_m[start:stop].copy(), first_frame=trial.first_frame + start)


def time_window(times_s: np.ndarray, start_s: float, end_s: float) -> tuple[int, int]:
    """``[first, stop)`` of the frames whose time lies in ``[start_s, end_s]`` (1e-9 s tolerance); (0, 0) if none."""
    inside = np.flatnonzero((times_s >= start_s - 1e-9) & (times_s <= end_s + 1e-9))
    return (int(inside[0]), int(inside[-1]) + 1) if inside.size else (0, 0)


def select_time(trial: MarkerTrial, start_s: float, end_s: float) -> MarkerTrial:
    """The frames of ``trial`` whose time (:func:`frame_times`) lies in ``[start_s, end_s]``."""
    return frames(trial, *time_window(frame_times(trial), start_s, end_s))


def present_markers(trial: MarkerTrial, names: Sequence[str]) -> list[str]:
    """The markers of ``names`` that ``trial`` holds with data in at least one frame."""
    return [m for m in names if m in trial.labels and np.isfinite(trial.marker(m)).any()]


def longest_complete_run(trial: MarkerTrial, markers: Sequence[str]) -> tuple[int, int]:
    """``[start, stop)`` of the longest run of frames where every marker in ``markers`` is present."""
    idx = [trial.labels.index(m) for m in markers]
    ok = np.isfinite(trial.xyz_m[:, idx]).all(axis=(1, 2)) if idx else np.ones(trial.n_frames, bool)
    best, start = (0, 0), None
    for i, good in enumerate(np.append(ok, False)):
        if good and start is None:
            start = i
        elif not good and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def tool_time_range(times_s: np.ndarray, start: int, stop: int) -> tuple[float, float]:
    """A time range that names exactly the frames ``[start, stop)`` of a TRC whose frame times are
    ``times_s``, for OpenSim's tools, which take the frames whose time lies in the range (inclusive) and
    need ``begin < end`` (``TimeSeriesTable::averageRow``): the first and the last frame's time; a single
    frame's range reaches half-way to a neighbouring frame."""
    begin, end = float(times_s[start]), float(times_s[stop - 1])
    if stop - start == 1 and stop < len(times_s):
        end = 0.5 * (begin + float(times_s[stop]))
    elif stop - start == 1 and start > 0:
        begin = 0.5 * (float(times_s[start - 1]) + end)
    return begin, end
