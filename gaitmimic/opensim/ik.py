"""Inverse-kinematics mechanics: markers to track, OpenSim's InverseKinematicsTool, the quality summary.

The entry :func:`gaitmimic.opensim.stage.run_ik` strings these together. Marker positions are in metres
in the processed TRC's (OpenSim) frame; times in seconds as the TRC holds them
(:func:`gaitmimic.opensim.trials.frame_times`); the .mot holds degrees for rotations.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from gaitmimic.atomic import atomic_path
from gaitmimic.errors import InputError
from gaitmimic.io.markerdata import MarkerTrial
from gaitmimic.io.mot import read_mot, read_mot_arrays, write_mot
from gaitmimic.io.trc import write_trc
from gaitmimic.opensim.generic import model_marker_bodies
from gaitmimic.opensim.runtime import import_opensim
from gaitmimic.opensim.setup_xml import write_ik_setup
from gaitmimic.opensim.trials import frame_times, present_markers

#: What ``ik.coordinate_tasks: null`` means: coordinates marker sets rarely resolve, pulled to the
#: model's default value (as OpenSim's tutorial does).
IK_COORDINATE_TASKS = {c: {"weight": 1000.0, "value_deg": None}
                       for c in ("subtalar_angle_r", "subtalar_angle_l", "mtp_angle_r", "mtp_angle_l")}


def select_markers(names: list[str], data: MarkerTrial, trc: Path) -> tuple[list[str], list[str]]:
    """Model markers the trial holds (with data in some frame), and those it lacks; :class:`InputError`
    when it lacks most of them or has fewer than 2 frames."""
    markers = present_markers(data, names)
    absent = [m for m in names if m not in markers]
    if len(markers) < max(3, len(names) // 2):
        raise InputError(trc, f"the model's marker set names markers that are not in the data: {', '.join(absent)} "
                         f"(found {len(markers)} of {len(names)})",
                         "map the data's marker names with model.model_to_data_markers, or use the marker set this data was recorded with")
    if data.n_frames < 2:
        raise InputError(trc, "the trial has fewer than 2 frames", "check the marker stage output for this trial")
    return markers, absent


#: A cluster marker whose distances to the other markers of its cluster differ from the static trial's by more
#: than this (m, median over the walk, to every other marker) has left the cluster: a swapped label, a loose
#: plate. Rigid plates keep them within a few mm (Qualisys hybrid walks: see tests/test_opensim_qualisys.py).
MAX_CLUSTER_DEFORMATION_M = 0.02


def cluster_deformation(model, data: MarkerTrial, markers: Sequence[str]) -> dict[str, tuple[str, float]]:
    """For each of ``markers`` riding on a body with at least two others of them (a cluster): its body and the
    smallest, over the other markers of that body, median |distance in the trial - distance in the model| (m).
    A marker that keeps its distance to even one cluster mate scores low; a swapped one scores high."""
    ms = model.getMarkerSet()
    body = model_marker_bodies(model)
    loc = {m: np.array([ms.get(m).get_location()[i] for i in range(3)]) for m in markers}
    out = {}
    for m in markers:
        mates = [k for k in markers if k != m and body[k] == body[m]]
        if len(mates) < 2:
            continue
        dev = []
        for k in mates:
            d = np.linalg.norm(data.marker(m) - data.marker(k), axis=1)
            d = d[np.isfinite(d)]
            if d.size:
                dev.append(float(np.median(np.abs(d - np.linalg.norm(loc[m] - loc[k])))))
        if dev:
            out[m] = (body[m], min(dev))
    return out


def check_clusters(model, data: MarkerTrial, markers: Sequence[str], trc: Path) -> dict[str, tuple[str, float]]:
    """:func:`cluster_deformation` of ``markers`` (the markers the scale stage attached: a lab's clusters);
    :class:`InputError` naming the marker when one has left its cluster."""
    deformation = cluster_deformation(model, data, markers)
    bad = {m: v for m, v in deformation.items() if v[1] > MAX_CLUSTER_DEFORMATION_M}
    if bad:
        listing = ", ".join(f"{m} on {b} ({d * 100:.1f} cm)" for m, (b, d) in sorted(bad.items(), key=lambda kv: -kv[1][1]))
        raise InputError(trc, f"markers that do not move rigidly with their cluster (distance to the cluster's other "
                         f"markers off the static trial's by more than {MAX_CLUSTER_DEFORMATION_M * 100:.0f} cm): {listing}",
                         "check those markers' labels in this trial (swapped with another marker?), or remove them "
                         "from it; a cluster must stay as it was on the static trial")
    return deformation


def solvable_frames(trial: MarkerTrial, trc: Path) -> np.ndarray:
    """Frames with at least one marker (OpenSim's IK fails on a frame without any); :class:`InputError`
    when fewer than 2."""
    solvable = np.isfinite(trial.xyz_m).all(axis=2).any(axis=1)
    if solvable.sum() < 2:
        raise InputError(trc, "fewer than 2 frames have any tracked marker", "check the marker stage output for this trial")
    return solvable


def run_ik_tool(model_osim: Path, trial: MarkerTrial, solvable: np.ndarray, weights: dict[str, float],
                coordinate_tasks: dict, work: Path, *, accuracy: float, constraint_weight: float, trc: Path,
                log_file) -> tuple[Path, Path]:
    """Run OpenSim's IK on the ``solvable`` frames of ``trial`` in ``work``: (its .mot, its model marker locations .sto).

    The solvable frames are written one after the other (frames without any marker are left out;
    OpenSim solves each frame from the previous one's pose, whatever the times), so the rows of both
    outputs are the solvable frames in order.
    """
    osim = import_opensim()
    solve = trial.with_xyz(trial.xyz_m[solvable])
    trc_work = work / "trial.trc"
    write_trc(trc_work, solve)
    tool_times = frame_times(solve)
    setup, mot, model_copy = work / "ik_setup.xml", work / "ik.mot", work / "model.osim"
    model_copy.write_bytes(Path(model_osim).read_bytes())
    write_ik_setup(setup, name="ik", model_file=model_copy, marker_file=trc_work,
                   time_range=(float(tool_times[0]), float(tool_times[-1])), marker_weights=weights,
                   coordinate_tasks=coordinate_tasks, output_motion=mot, results_dir=work,
                   accuracy=accuracy, constraint_weight=constraint_weight)
    with contextlib.chdir(work):          # OpenSim resolves some setup paths from the working folder
        ok = osim.InverseKinematicsTool(str(setup)).run()
    locations = work / "ik_ik_model_marker_locations.sto"
    if not ok or not mot.is_file() or not locations.is_file():
        raise RuntimeError(f"OpenSim InverseKinematicsTool failed on {trc}; see the log {log_file}")
    return mot, locations


def solved_marker_positions(locations: Path, markers: list[str], solvable: np.ndarray) -> np.ndarray:
    """Model marker positions (n_frames, k, 3) from IK's marker-locations file; NaN on unsolved frames."""
    labels, t_solved, values = read_mot_arrays(locations)
    solved_xyz = np.stack([values[:, [labels.index(f"{m}_t{a}") for a in "xyz"]] for m in markers], axis=1)
    model_xyz = np.full((len(solvable), len(markers), 3), np.nan)
    model_xyz[np.flatnonzero(solvable)[:len(t_solved)]] = solved_xyz
    return model_xyz


def write_motion(out_mot: str | Path, mot: Path, times_s: np.ndarray, solvable: np.ndarray,
                 conventions: str) -> None:
    """Write IK's .mot to ``out_mot`` with a ``conventions`` header line (the sign convention): its rows as
    OpenSim solved them, or, when frames were left out, on every frame's time ``times_s`` with the
    coordinates of the left-out frames interpolated linearly."""
    table = read_mot(mot)
    t_solved = times_s[np.flatnonzero(solvable)[:len(table.data)]]
    columns = {"time": times_s if not solvable.all() else table.time_s}
    columns.update({c: (table.data[c].to_numpy(dtype=float) if solvable.all()
                        else np.interp(times_s, t_solved, table.data[c].to_numpy(dtype=float))) for c in table.names})
    write_mot(out_mot, pd.DataFrame(columns), in_degrees=table.in_degrees, name=table.name,
              extra_header={**table.header, "conventions": conventions})


def _json_floats(values: np.ndarray) -> list[float | None]:
    """Floats for JSON; a frame without any marker (NaN) becomes null, which strict JSON allows."""
    return [float(v) if np.isfinite(v) else None for v in values]


def summary(trial: MarkerTrial, model_xyz: np.ndarray, times_s: np.ndarray, markers: list[str],
            min_markers: int, n_worst: int) -> dict[str, Any]:
    """Marker errors of the solved model (``model_xyz``, one row per frame of ``trial``) against the trial."""
    exp = trial.xyz_m[:, [trial.labels.index(m) for m in markers]]
    dist = np.linalg.norm(model_xyz - exp, axis=-1)                     # (n, k), NaN where missing
    present = np.isfinite(dist)
    n_present = present.sum(axis=1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # frames without any marker: NaN
        frame_rms = np.sqrt(np.nanmean(dist ** 2, axis=1))
        frame_max = np.nanmax(np.where(present, dist, -np.inf), axis=1)
    frame_max[~np.isfinite(frame_max)] = np.nan
    per_marker = {}
    for k, m in enumerate(markers):
        col = dist[:, k][present[:, k]]
        if col.size:
            per_marker[m] = {"rms_m": float(np.sqrt(np.mean(col ** 2))), "max_m": float(col.max()),
                             "missing_frames": int((~present[:, k]).sum())}
    worst = sorted(per_marker, key=lambda m: -per_marker[m]["rms_m"])[:n_worst]
    missing_frames = [int(i) for i in np.flatnonzero(n_present < len(markers))]
    flagged = [int(i) for i in np.flatnonzero(n_present < min_markers)]
    good = np.isfinite(frame_rms)
    if not good.any():
        raise InputError(trial.source, "no frame of the trial has any tracked marker", "check the marker stage output for this trial")
    return {
        "marker_rms_m": {"median": float(np.median(frame_rms[good])), "mean": float(np.mean(frame_rms[good])),
                         "max": float(np.max(frame_rms[good]))},
        "marker_max_m": float(np.nanmax(frame_max[good])),
        "per_frame": {"time_s": [round(float(t), 6) for t in times_s], "rms_m": _json_floats(frame_rms),
                      "max_m": _json_floats(frame_max), "n_markers": [int(x) for x in n_present]},
        "worst_markers": [{"marker": m, **per_marker[m]} for m in worst],
        "per_marker": per_marker,
        "frames_missing_markers": missing_frames,
        "flagged_frames": flagged,
        "min_markers": int(min_markers),
    }
