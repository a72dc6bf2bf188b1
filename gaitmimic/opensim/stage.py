"""The OpenSim stage's entries: scale the generic model per subject, inverse kinematics per walking trial.

- :func:`scale_subject` (rule ``scale``): processed static trial (TRC) -> scaled, marker-placed ``.osim``
  + ``scale_report.json`` (scale factors, static-pose marker errors, warnings);
- :func:`run_ik` (rule ``ik``): scaled model + processed walking trial (TRC) -> ``<trial>.mot`` (degrees,
  OpenSim coordinate names) + ``<trial>_ik_summary.json`` (per-frame marker RMS/max, worst markers,
  frames with missing markers, frames flagged for too few markers);
- :func:`compare_with_lab` (rule ``ik_vs_lab``): the .mot against the lab's own model outputs in the raw C3D
  (:mod:`~gaitmimic.opensim.lab_angles`) -> ``<trial>_vs_lab.json`` + ``<trial>_vs_lab.png``.

Both take the settings objects of :mod:`gaitmimic.settings` (``model`` plus ``scale`` or ``ik``), force the
C numeric locale, drive OpenSim through setup XML written from templates (:mod:`~gaitmimic.opensim.setup_xml`)
in a scratch folder, and can send OpenSim's log to a file (``log_file``). Marker positions are metres in
the processed TRC's (OpenSim) frame. Bad input raises :class:`~gaitmimic.errors.InputError` before
anything is written.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gaitmimic import settings
from gaitmimic.atomic import atomic_path, write_text
from gaitmimic.io.reports import read_json, write_json
from gaitmimic.io.trc import read_trc
from gaitmimic.opensim import ik as ikm
from gaitmimic.opensim import marker_sets
from gaitmimic.opensim import scale as sc
from gaitmimic.opensim.generic import (
    BUILTIN,
    model_coordinate_names,
    model_marker_names,
    prepare_generic,
    remove_markers,
    resolve_model_to_data_markers,
)
from gaitmimic.opensim.lab_angles import mot_conventions
from gaitmimic.opensim.model.plugin_gait_markers import MODEL_MARKERS
from gaitmimic.opensim.reports import is_bony_landmark, marker_positions_at_pose, per_marker_errors
from gaitmimic.opensim.runtime import load_model, opensim_log, work_dir
from gaitmimic.opensim.trials import frame_times, time_window, to_model_markers

__all__ = ["scale_subject", "run_ik", "compare_with_lab"]

log = logging.getLogger(__name__)


def scale_subject(static_trc: str | Path | None, out_osim: str | Path, out_report: str | Path, *, subject: str,
                  mass_kg: float | None, height_m: float | None, model: Any, scale: Any,
                  standing_trc: str | Path | None = None, standing_window_s: tuple[float, float] | None = None,
                  marker_report: str | Path | None = None, log_file: str | Path | None = None) -> dict[str, Any]:
    """Scale the generic model to ``subject`` and place its markers; write ``out_osim`` and ``out_report``.

    ``model``, ``scale``: ``settings.section("model" | "scale", ...)``. ``static_trc``: processed static
    trial (TRC, OpenSim frame), or None. When it is missing or shorter than ``scale.min_static_s``, the
    ``standing_window_s`` [start, end] of ``standing_trc`` (a processed walking trial) is used if given,
    else :class:`InputError`. ``mass_kg``/``height_m`` None: the generic model's mass / the built-in
    model's default height. ``marker_report``: the marker stage's ``_markers.json`` of the trial scaled
    from; its ``marker_bodies`` (the bodies its marker-set table names) must agree with the model and place
    a lab's extra markers on the built-in model. Returns the report dict. Raises :class:`InputError` for bad
    input (no usable static trial, not a model, markers absent, a table naming a body the model lacks,
    implausible scale factors); nothing is written then.
    """
    with opensim_log(log_file), work_dir("gaitmimic_scale_") as work:
        generic = prepare_generic(model, height_m or sc.BUILTIN_HEIGHT_M, mass_kg or sc.BUILTIN_MASS_KG, work)
        generic_model = load_model(generic.osim)
        model_markers = model_marker_names(generic_model)
        data = sc.select_standing_data(static_trc, standing_trc, standing_window_s, scale.min_static_s,
                                       generic.model_to_data_markers, model_markers)
        table = read_json(marker_report) if marker_report else {}
        table_bodies = {m: b for m, b in (table.get("marker_bodies") or {}).items() if m in data.trial.labels}
        sc.check_marker_bodies(table_bodies, generic_model, generic.builtin, table.get("marker_set_table"), data.source)
        if mass_kg is None:
            mass_kg = generic_model.getTotalMass(generic_model.initSystem())
        all_markers = list(model_markers)
        if generic.model_to_data_markers:
            all_markers = [m for m in all_markers if m in generic.model_to_data_markers or m in data.trial.labels]
        present, warnings = sc.check_markers(all_markers, data.trial, generic.optional_markers, generic.builtin, data.source)

        if scale.time_range_s:
            data = data.window(*map(float, scale.time_range_s))
        standing = data
        data = sc.complete_standing_data(data, present, scale.min_static_s)
        time_range = (float(data.times_s[0]), float(data.times_s[-1]))
        placement_range = tuple(map(float, scale.placement_time_range_s)) if scale.placement_time_range_s else time_range

        prepared = work / "generic_markers.osim"
        remove_markers(generic.osim, prepared, set(present), unfix=scale.move_fixed_markers)
        measurements = (settings.as_dict(scale.measurements) or generic.measurements
                        or marker_sets.default_measurements(generic.marker_set))
        usable, manual, plan_warnings = sc.plan_measurements(prepared, data.trial, measurements, set(present))
        warnings += plan_warnings
        manual.update({b: float(f) for b, f in scale.manual_scale_factors.items()})

        coords = model_coordinate_names(generic_model)
        coord_tasks = (settings.as_dict(scale.coordinate_tasks) if scale.coordinate_tasks is not None
                       else sc.PLACEMENT_COORDINATE_TASKS)
        coord_tasks = {c: t for c, t in coord_tasks.items() if c in coords}
        weights = marker_sets.placement_weights(present, generic.marker_set, scale.marker_weights)
        outs, setup = sc.run_scale_tool(data, placement_range, work, subject=subject, mass_kg=mass_kg, height_m=height_m,
                                        generic_osim=prepared, measurements=usable, manual_scales=manual,
                                        marker_weights=weights, coordinate_tasks=coord_tasks, log_file=log_file)

        scale_factors = sc.read_scale_set(outs["scale_set_file"])
        sc.check_scale_factors(scale_factors, {b for m in usable.values() for b in m["bodies"]},
                               scale.plausible_scale_range, data.source)

        # Static-pose marker errors as OpenSim's marker placer reports them: scaled (not yet moved)
        # markers against the averaged experimental markers, in the solved static pose.
        start, stop = time_window(data.times_s, *placement_range)
        exp_mean = np.nanmean(data.trial.xyz_m[start:stop], axis=0)
        model_xyz = marker_positions_at_pose(outs["scaled_only_model"], outs["static_motion"], present)
        errors = per_marker_errors(model_xyz[None], exp_mean[None], present)
        bony_over = {m: e["max_m"] for m, e in errors["per_marker"].items()
                     if is_bony_landmark(m) and e["max_m"] > scale.max_bony_error_m}
        if bony_over:
            warnings.append("bony-landmark marker error above OpenSim's best-practice 2 cm: "
                            + ", ".join(f"{m} {v * 100:.1f} cm" for m, v in sorted(bony_over.items(), key=lambda kv: -kv[1])))
        if errors["rms_m"] > scale.max_rms_error_m:
            warnings.append(f"static-pose marker RMS error {errors['rms_m'] * 100:.2f} cm is above OpenSim's best-practice 1 cm")
        static_fit = sc.check_static_fit(errors, marker_sets.fit_landmarks(present, generic.marker_set),
                                         scale.max_static_rms_error_m, data.source)
        for w in warnings:
            log.warning("%s: %s", subject, w)

        report = {
            "subject": subject, "source": data.text, "time_range_s": list(time_range),
            "generic_model": str(model.generic), "marker_set": generic.marker_set,
            "scale_factors": scale_factors, "manual_scale_bodies": sorted(manual),
            "measurements": {k: [f"{a}-{b}" for a, b in m["pairs"]] for k, m in usable.items()},
            "marker_errors": errors, "static_fit": static_fit, "markers_used": present,
            "mass_kg": float(mass_kg), "height_m": None if height_m is None else float(height_m), "warnings": warnings,
        }
        scaled = load_model(outs["output_model"])
        scaled.setName(subject)
        if generic.builtin:   # a lab's clusters and extra markers: on the segment each rides on
            extra = _extra_marker_positions(standing, model_markers, placement_range, list(table_bodies))
            report["attached_markers"] = sc.attach_markers(scaled, outs["static_motion"], extra, table_bodies)
            report["markers_used"] = present + sorted(extra)
        pelvis_tilt = sc.align_pelvis_frame(scaled, present) if generic.builtin else None
        report["pelvis_frame_tilt_correction_deg"] = pelvis_tilt
        with atomic_path(out_osim) as tmp:
            scaled.printToXML(str(tmp))
        note = ("<!-- Record of the ScaleTool setup that produced this model (gaitmimic.opensim.stage.scale_subject); "
                "its file names pointed into a scratch folder that no longer exists, and its times count from the "
                "first frame used. -->\n")
        head, _, body = setup.read_text().partition("\n")
        write_text(Path(out_osim).with_name(f"{Path(out_osim).stem}_setup_scale.xml"), head + "\n" + note + body)
        write_json(out_report, report, indent=2)
    return report


def _lab_markers(names: Sequence[str], model_markers: Sequence[str] = (), placed: Sequence[str] = ()) -> list[str]:
    """The markers of ``names`` that neither the built-in model, ``model_markers`` nor any built-in marker set
    names, and those a table places (``placed``) that the model lacks: a lab's clusters and extra markers
    (kept by the marker stage for the anatomical set or named in a lab's table, attached by the scale stage)."""
    from gaitmimic.markers.marker_sets import MARKER_SETS

    on_model = set(MODEL_MARKERS).union(model_markers)
    known = on_model.union(*(s.canonical for s in MARKER_SETS.values()))
    return [m for m in names if m not in known or (m in placed and m not in on_model)]


def _extra_marker_positions(standing, model_markers: list[str], placement_range,
                            placed: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Mean static positions over ``placement_range`` of :func:`_lab_markers` in the static data; markers
    without a sample in that window are left out."""
    start, stop = time_window(standing.times_s, *placement_range)
    out = {}
    for label in _lab_markers(standing.trial.labels, model_markers, placed):
        xyz = standing.trial.marker(label)[start:stop]
        if np.isfinite(xyz).all(axis=1).any():
            out[label] = np.nanmean(xyz, axis=0)
    return out


def run_ik(model_osim: str | Path, trc: str | Path, out_mot: str | Path, out_summary: str | Path, *,
           model: Any, ik: Any, log_file: str | Path | None = None) -> dict[str, Any]:
    """Run IK over the whole trial; write ``out_mot`` (degrees) and ``out_summary``; return the summary.

    ``model``, ``ik``: ``settings.section("model" | "ik", ...)``. Model markers are matched to the data by
    name after ``model.model_to_data_markers`` (model marker -> data marker(s)). Frames where fewer than
    ``ik.min_marker_fraction`` of the trial's markers are present are listed in ``flagged_frames`` and
    logged as warnings (they are solved, but must not be trusted); frames without any marker cannot be
    solved by OpenSim: their coordinates are interpolated in the .mot and they are listed in
    ``interpolated_frames`` (and flagged). Raises :class:`InputError` when the model's markers are mostly
    absent from the trial or fewer than 2 frames have markers; nothing is written then.
    """
    with opensim_log(log_file), work_dir("gaitmimic_ik_") as work:
        osim_model = load_model(model_osim)
        names = model_marker_names(osim_model)
        model_to_data_markers, _ = resolve_model_to_data_markers(model)
        data = to_model_markers(read_trc(trc), model_to_data_markers)
        markers, absent = ikm.select_markers(names, data, Path(trc))
        coord_tasks = settings.as_dict(ik.coordinate_tasks) if ik.coordinate_tasks is not None else ikm.IK_COORDINATE_TASKS
        coords = model_coordinate_names(osim_model)
        coord_tasks = {c: t for c, t in coord_tasks.items() if c in coords}
        kind = marker_sets.model_marker_set(names)
        weights = {m: w for m, w in marker_sets.marker_weights(markers, kind, ik.marker_weights).items() if w > 0}
        min_markers = max(3, math.ceil(ik.min_marker_fraction * len(weights)))
        # markers the scale stage attached to the built-in model (a lab's clusters: every marker the built-in
        # model does not carry) must still ride their segment
        clusters = ikm.check_clusters(osim_model, data, [m for m in markers if m not in MODEL_MARKERS], Path(trc)) \
            if kind in ("plugin_gait", "anatomical") else {}

        trial = data.select(list(weights))
        times = frame_times(trial)
        solvable = ikm.solvable_frames(trial, Path(trc))
        mot, locations = ikm.run_ik_tool(model_osim, trial, solvable, weights, coord_tasks, work, accuracy=ik.accuracy,
                                         constraint_weight=ik.constraint_weight, trc=Path(trc), log_file=log_file)
        model_xyz = ikm.solved_marker_positions(locations, list(weights), solvable)
        interpolated = [int(i) for i in np.flatnonzero(~solvable)]
        summary = ikm.summary(trial, model_xyz, times, list(weights), min_markers, ik.n_worst_markers)
        summary.update({"cluster_deformation_m": {m: d for m, (_, d) in clusters.items()}})
        summary.update({"trial": Path(trc).stem, "model": str(model_osim), "markers_used": list(weights),
                        "markers_absent": absent, "marker_weights": weights, "n_frames": trial.n_frames,
                        "interpolated_frames": interpolated})
        if summary["flagged_frames"]:
            log.warning("%s: %d frames have fewer than %d of %d markers; their joint angles are unreliable (flagged_frames)",
                        Path(trc).stem, len(summary["flagged_frames"]), min_markers, len(weights))
        ikm.write_motion(out_mot, mot, times, solvable, mot_conventions(model.generic == BUILTIN))
        write_json(out_summary, summary, indent=1)
    return summary


def compare_with_lab(raw_c3d: str | Path, mot_path: str | Path, model_osim: str | Path, events_csv: str | Path,
                     out_json: str | Path, out_png: str | Path) -> dict[str, Any]:
    """Compare the IK ``.mot`` of a C3D walk with the lab's model outputs stored in that C3D; write both files.

    A C3D without model outputs gets a report that says so (``lab_outputs: false``) and a figure with that
    sentence, so every C3D walk has the pair. Returns the report."""
    import contextlib

    from gaitmimic.io.c3d import read_model_angles
    from gaitmimic.io.events import read_events
    from gaitmimic.io.mot import read_mot
    from gaitmimic.opensim import lab_angles as la

    trial = Path(mot_path).stem
    lab = read_model_angles(raw_c3d)
    mot = read_mot(mot_path)
    report: dict[str, Any] = {"trial": trial, "source": str(raw_c3d), "lab_outputs": False, "angles": {},
                              "conventions": la.CONVENTIONS}
    compared = {}
    progression = {}
    if any(la.lab_series(lab, a.label) is not None for a in la.ANGLES):
        with opensim_log(None):
            progression = la.foot_progression_deg(model_osim, mot)
        compared = la.compare_with_lab(mot, lab, progression)
    if compared:
        agree = [n for n, v in compared.items() if v["agrees"]]
        report.update({"lab_outputs": True, "angles": compared, "n_agree": len(agree), "n_compared": len(compared),
                       "differ": [n for n in compared if n not in agree]})
    else:
        report["reason"] = ("the C3D holds no Plug-in Gait angle outputs (RHipAngles, RPelvisAngles, ...) to compare with"
                            if not lab else f"none of the C3D's angle outputs ({', '.join(sorted(lab)[:6])}, ...) is one we compare")
    events = read_events(events_csv)
    heel_strikes = {side: [int(f) for f in events.loc[(events["side"] == side) & (events["event"] == "heel_strike"), "frame"]]
                    for side in ("left", "right")}
    with contextlib.ExitStack() as stack:
        tmp_json = stack.enter_context(atomic_path(out_json))
        tmp_png = stack.enter_context(atomic_path(out_png))
        write_json(tmp_json, report, indent=1)
        if compared:
            la.plot_vs_lab(tmp_png, mot, lab, progression, compared, heel_strikes,
                           f"{trial}: gaitmimic IK vs the lab's Plug-in Gait outputs "
                           f"({report['n_agree']} of {report['n_compared']} angles agree)")
        else:
            _text_figure(tmp_png, f"{trial}: {report['reason']}")
    return report


def _text_figure(path: Path, text: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8, 1.2))
    fig.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=10)
    fig.savefig(path, dpi=90, format="png")
    plt.close(fig)
