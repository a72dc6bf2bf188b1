"""Inverse kinematics of one trial with OpenSim's InverseKinematicsTool, plus its quality summary.

INPUTS: the subject's scaled model, the trial's processed TRC (OpenSim frame), the ``model:`` and
``ik:`` config sections. OUTPUTS: ``<trial>.mot`` (degrees, OpenSim coordinate names) and
``<trial>_ik_summary.json`` (per-frame marker RMS/max, worst markers, frames with missing markers,
frames flagged for too few markers). Entry point: :func:`run_ik`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from gaitmimic.atomic import atomic_path, write_text
from gaitmimic.errors import InputError
from gaitmimic.opensim import marker_sets
from gaitmimic.opensim.generic import model_marker_names, resolve_marker_map
from gaitmimic.opensim.reports import read_table
from gaitmimic.opensim.runtime import import_opensim, load_model, opensim_log, work_dir
from gaitmimic.opensim.setup_xml import write_ik_setup
from gaitmimic.opensim.trcdata import TrcData, apply_marker_map, read_trc, write_trc

log = logging.getLogger(__name__)

IK_DEFAULTS: dict[str, Any] = {
    "marker_weights": {},
    "coordinate_tasks": None,
    "accuracy": 1e-5,
    "constraint_weight": 20.0,
    "min_marker_fraction": 0.7,
    "n_worst_markers": 5,
}

#: Coordinates marker sets rarely resolve: pulled to the model's default value (as OpenSim's tutorial does).
DEFAULT_IK_COORDINATE_TASKS = {c: {"weight": 1000.0, "value_deg": None}
                               for c in ("subtalar_angle_r", "subtalar_angle_l", "mtp_angle_r", "mtp_angle_l")}


def _json_floats(values: np.ndarray) -> list[float | None]:
    """Floats for JSON; a frame without any marker (NaN) becomes null, which strict JSON allows."""
    return [float(v) if np.isfinite(v) else None for v in values]


def _summary(data: TrcData, model_xyz: np.ndarray, time_model: np.ndarray, markers: list[str],
             min_markers: int, n_worst: int) -> dict[str, Any]:
    exp = data.xyz_m[:, [data.labels.index(m) for m in markers]]
    # IK solves every TRC frame; align by time in case OpenSim dropped/rounded any.
    rows = np.searchsorted(data.time_s, time_model - 1e-6)
    exp = exp[np.clip(rows, 0, len(data.time_s) - 1)]
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
        raise InputError(data.source, "no frame of the trial has any tracked marker", "check the marker stage output for this trial")
    return {
        "marker_rms_m": {"median": float(np.median(frame_rms[good])), "mean": float(np.mean(frame_rms[good])),
                         "max": float(np.max(frame_rms[good]))},
        "marker_max_m": float(np.nanmax(frame_max[good])),
        "per_frame": {"time_s": [round(float(t), 6) for t in time_model], "rms_m": _json_floats(frame_rms),
                      "max_m": _json_floats(frame_max), "n_markers": [int(x) for x in n_present]},
        "worst_markers": [{"marker": m, **per_marker[m]} for m in worst],
        "per_marker": per_marker,
        "frames_missing_markers": missing_frames,
        "flagged_frames": flagged,
        "min_markers": int(min_markers),
    }


def _interpolate_mot(mot: Path, time_s: np.ndarray) -> None:
    """Rewrite an OpenSim .mot on ``time_s``, coordinates linearly interpolated (frames IK could not solve)."""
    lines = mot.read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    columns = lines[end + 1].split("\t")
    values = np.array([[float(v) for v in line.split()] for line in lines[end + 2:] if line.strip()])
    table = np.column_stack([time_s] + [np.interp(time_s, values[:, 0], values[:, j]) for j in range(1, values.shape[1])])
    header = [f"nRows={len(time_s)}" if line.startswith("nRows=") else line for line in lines[:end + 1]]
    body = ["\t".join(f"{v:.8f}" for v in row) for row in table]
    mot.write_text("\n".join(header + ["\t".join(columns)] + body) + "\n")


def run_ik(model_osim: str | Path, trc: str | Path, out_mot: str | Path, out_summary: str | Path, *,
           model_cfg: dict[str, Any] | None = None, ik_cfg: dict[str, Any] | None = None,
           log_file: str | Path | None = None) -> dict[str, Any]:
    """Run IK over the whole trial; write ``out_mot`` (degrees) and ``out_summary``; return the summary.

    Model markers are matched to the data by name after ``model_cfg["marker_map"]`` (model marker ->
    data marker(s)). Frames where fewer than ``min_marker_fraction`` of the trial's markers are present
    are listed in ``flagged_frames`` and logged as warnings (they are solved, but must not be trusted);
    frames without any marker cannot be solved by OpenSim: their coordinates are interpolated in the .mot
    and they are listed in ``interpolated_frames`` (and flagged). Raises :class:`InputError` when the
    model's markers are mostly absent from the trial or fewer than 2 frames have markers; nothing is
    written then.
    """
    cfg = {**IK_DEFAULTS, **(ik_cfg or {})}
    model_cfg = model_cfg or {}
    osim = import_opensim()
    with opensim_log(log_file), work_dir("gaitmimic_ik_") as work:
        model = load_model(model_osim)
        names = model_marker_names(model)
        marker_map, _ = resolve_marker_map(model_cfg)
        data = apply_marker_map(read_trc(trc), marker_map)
        markers = [m for m in names if m in data.labels and np.isfinite(data.marker(m)).any()]
        absent = [m for m in names if m not in markers]
        if len(markers) < max(3, len(names) // 2):
            raise InputError(trc, f"the model's marker set names markers that are not in the data: {', '.join(absent)} "
                             f"(found {len(markers)} of {len(names)})",
                             "map the data's marker names with model.marker_map, or use the marker set this data was recorded with")
        if len(data.time_s) < 2:
            raise InputError(trc, "the trial has fewer than 2 frames", "check the marker stage output for this trial")
        coords = {model.getCoordinateSet().get(i).getName() for i in range(model.getCoordinateSet().getSize())}
        coord_tasks = cfg["coordinate_tasks"] if cfg["coordinate_tasks"] is not None else DEFAULT_IK_COORDINATE_TASKS
        coord_tasks = {c: t for c, t in coord_tasks.items() if c in coords}
        kind = marker_sets.detect_marker_set(names)
        weights = {m: w for m, w in marker_sets.marker_weights(markers, kind, cfg["marker_weights"]).items() if w > 0}
        min_markers = max(3, math.ceil(cfg["min_marker_fraction"] * len(weights)))

        trial = TrcData(list(weights), data.time_s, data.xyz_m[:, [data.labels.index(m) for m in weights]], data.source)
        # OpenSim's IK fails on a frame without any marker: such frames are left out of the solve, their
        # coordinates interpolated in the .mot, and they are flagged (and listed as interpolated).
        solvable = np.isfinite(trial.xyz_m).all(axis=2).any(axis=1)
        if solvable.sum() < 2:
            raise InputError(trc, "fewer than 2 frames have any tracked marker", "check the marker stage output for this trial")
        solve = TrcData(trial.labels, trial.time_s[solvable], trial.xyz_m[solvable], trial.source)
        trc_work = work / "trial.trc"
        write_trc(trc_work, solve)
        setup, mot, model_copy = work / "ik_setup.xml", work / "ik.mot", work / "model.osim"
        model_copy.write_bytes(Path(model_osim).read_bytes())
        write_ik_setup(setup, name="ik", model_file=model_copy, marker_file=trc_work,
                       time_range=(float(solve.time_s[0]), float(solve.time_s[-1])), marker_weights=weights,
                       coordinate_tasks=coord_tasks, output_motion=mot, results_dir=work,
                       accuracy=cfg["accuracy"], constraint_weight=cfg["constraint_weight"])
        with contextlib.chdir(work):          # OpenSim resolves some setup paths from the working folder
            ok = osim.InverseKinematicsTool(str(setup)).run()
        locations = work / "ik_ik_model_marker_locations.sto"
        if not ok or not mot.is_file() or not locations.is_file():
            raise RuntimeError(f"OpenSim InverseKinematicsTool failed on {trc}; see the log {log_file}")

        labels, t_solved, values = read_table(locations)
        solved_xyz = np.stack([values[:, [labels.index(f"{m}_t{a}") for a in "xyz"]] for m in weights], axis=1)
        model_xyz = np.full(trial.xyz_m.shape, np.nan)
        model_xyz[np.flatnonzero(solvable)[:len(t_solved)]] = solved_xyz
        interpolated = [int(i) for i in np.flatnonzero(~solvable)]
        if interpolated:
            _interpolate_mot(mot, trial.time_s)
        summary = _summary(trial, model_xyz, trial.time_s, list(weights), min_markers, int(cfg["n_worst_markers"]))
        summary.update({"trial": Path(trc).stem, "model": str(model_osim), "markers_used": list(weights),
                        "markers_absent": absent, "marker_weights": weights, "n_frames": int(len(trial.time_s)),
                        "interpolated_frames": interpolated})
        if summary["flagged_frames"]:
            log.warning("%s: %d frames have fewer than %d of %d markers; their joint angles are unreliable (flagged_frames)",
                        Path(trc).stem, len(summary["flagged_frames"]), min_markers, len(weights))
        with atomic_path(out_mot) as tmp:
            tmp.write_bytes(mot.read_bytes())
        write_text(out_summary, json.dumps(summary, indent=1) + "\n")
    return summary
