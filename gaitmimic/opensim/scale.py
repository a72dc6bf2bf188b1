"""Scale the generic model to one subject with OpenSim's ScaleTool: measurements + marker placement.

INPUTS: the subject's processed static trial (TRC, OpenSim frame), mass and height, the ``model:``
and ``scale:`` config sections. OUTPUTS: the scaled, marker-placed ``.osim`` and
``scale_report.json`` (scale factors, static-pose marker errors, warnings).
Entry point: :func:`scale_subject`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from gaitmimic.atomic import atomic_path, write_text
from gaitmimic.errors import InputError
from gaitmimic.opensim import marker_sets
from gaitmimic.opensim.generic import prepare_generic, remove_markers
from gaitmimic.opensim.reports import is_bony_landmark, marker_positions_at_pose, per_marker_errors
from gaitmimic.opensim.runtime import import_opensim, load_model, opensim_log, work_dir
from gaitmimic.opensim.setup_xml import write_scale_setup
from gaitmimic.opensim.trcdata import TrcData, apply_marker_map, read_trc, write_trc

log = logging.getLogger(__name__)

SCALE_DEFAULTS: dict[str, Any] = {
    "min_static_s": 0.2,
    "time_range_s": None,
    "placement_time_range_s": None,
    "measurements": None,
    "manual_scale_factors": {},
    "marker_weights": {},
    "coordinate_tasks": None,
    "plausible_scale_range": [0.7, 1.4],
    "move_fixed_markers": True,
    "max_bony_error_m": 0.02,
    "max_rms_error_m": 0.01,
}

#: Built-in model size when subject.yaml gives none (scaling then sets the segment lengths).
DEFAULT_HEIGHT_M, DEFAULT_MASS_KG = 1.75, 70.0

#: Coordinates the markers cannot resolve in a standing pose: held at the model default / upright.
DEFAULT_PLACER_COORDINATE_TASKS = {
    **{c: {"weight": 1000.0, "value_deg": None} for c in ("subtalar_angle_r", "subtalar_angle_l", "mtp_angle_r", "mtp_angle_l")},
    "lumbar_extension": {"weight": 1000.0, "value_deg": 0.0},
}


def _coordinate_names(model) -> set[str]:
    cs = model.getCoordinateSet()
    return {cs.get(i).getName() for i in range(cs.getSize())}


def _longest_complete_run(data: TrcData, markers: list[str]) -> tuple[int, int]:
    """[start, stop) of the longest run of frames where every marker in ``markers`` is present."""
    idx = [data.labels.index(m) for m in markers]
    ok = np.isfinite(data.xyz_m[:, idx]).all(axis=(1, 2)) if idx else np.ones(len(data.time_s), bool)
    best, start = (0, 0), None
    for i, good in enumerate(np.append(ok, False)):
        if good and start is None:
            start = i
        elif not good and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def _usable_duration_s(data: TrcData, model_markers: list[str]) -> float:
    """Length (s) of the longest run of frames where every model marker the data holds is present."""
    if len(data.time_s) < 2:
        return 0.0
    markers = [m for m in model_markers if m in data.labels and np.isfinite(data.marker(m)).any()]
    start, stop = _longest_complete_run(data, markers)
    return (stop - start) / data.rate_hz


def _usable_static(static_trc: Path | None, min_static_s: float, marker_map, model_markers: list[str]) -> tuple[TrcData | None, str]:
    """The static trial's data, or None with the reason it cannot be used (missing, or too short after cleaning)."""
    if static_trc is None or not Path(static_trc).is_file():
        return None, "there is no static (standing calibration) trial"
    data = apply_marker_map(read_trc(static_trc), marker_map)
    duration = _usable_duration_s(data, model_markers)
    if duration < min_static_s - 1e-9:
        return None, (f"the static trial {Path(static_trc).name} has only {duration:.3f} s ({len(data.time_s)} frame(s)) "
                      f"with every marker present (at least {min_static_s} s needed)")
    return data, ""


def _select_static(static_trc, standing_trc, standing_window_s, cfg: dict, marker_map,
                   model_markers: list[str]) -> tuple[TrcData, Path, str]:
    """Marker data to scale from: the static trial, else the standing window of a walking trial, else an error."""
    same = standing_trc is not None and static_trc is not None and Path(standing_trc) == Path(static_trc)
    data, why = (None, "there is no static (standing calibration) trial") if same else \
        _usable_static(static_trc, cfg["min_static_s"], marker_map, model_markers)
    if data is not None:
        return data, Path(static_trc), f"static trial {Path(static_trc).name}"
    if standing_window_s and standing_trc is not None:
        t0, t1 = map(float, standing_window_s)
        data = apply_marker_map(read_trc(standing_trc), marker_map).select_time(t0, t1)
        return data, Path(standing_trc), f"standing window {t0}-{t1} s of {Path(standing_trc).name}"
    raise InputError(static_trc if static_trc else None, f"no usable standing data for scaling: {why}",
                     "record a static trial of at least 0.2 s (name it *static*/*calibration* or set static_trial in subject.yaml), "
                     "or set standing_trial and standing_window_s in subject.yaml to a quiet-standing part of a walking trial")


def _check_markers(model_markers: list[str], data: TrcData, optional: set[str], lenient: bool, source: Path) -> tuple[list[str], list[str]]:
    """Markers to use (in model and data) and warnings; an absent required marker is an InputError."""
    present = [m for m in model_markers if m in data.labels and np.isfinite(data.marker(m)).any()]
    missing = [m for m in model_markers if m not in present]
    required_missing = [m for m in missing if m not in optional and not lenient]
    if required_missing or len(present) < 6:
        raise InputError(source, f"the marker set names markers that are not in the data: {', '.join(missing)}"
                         f" (found {len(present)} of {len(model_markers)})",
                         "map the data's marker names with model.marker_map, remove those markers from the marker set, "
                         "or list them in model.optional_markers")
    warnings = [f"markers absent from the static data, not used: {', '.join(missing)}"] if missing else []
    return present, warnings


def _model_pair_distance(model, state, a: str, b: str) -> float:
    ms = model.getMarkerSet()
    pa, pb = ms.get(a).getLocationInGround(state), ms.get(b).getLocationInGround(state)
    return float(np.sqrt(sum((pa[i] - pb[i]) ** 2 for i in range(3))))


def _plan_measurements(generic_osim: Path, data: TrcData, measurements: dict, present: set[str]) -> tuple[dict, dict[str, float], list[str]]:
    """Usable measurements, manual scale factors for bodies left without one, and warnings.

    A marker pair with an absent marker is dropped; a measurement with no pair left scales its
    bodies by the mean of the other measurements' factors (computed here as OpenSim does: mean
    over pairs of experimental distance averaged over the frames / model distance in default pose).
    """
    model = load_model(generic_osim)
    state = model.initSystem()
    bodies = {model.getBodySet().get(i).getName() for i in range(model.getBodySet().getSize())}
    usable, factors, orphans, warnings = {}, [], [], []
    for name, m in measurements.items():
        pairs = [p for p in m["pairs"] if p[0] in present and p[1] in present]
        body_list = [b for b in m["bodies"] if b in bodies]
        if len(body_list) < len(m["bodies"]):
            warnings.append(f"measurement {name}: bodies not in the model ignored: {sorted(set(m['bodies']) - bodies)}")
        if not body_list:
            continue
        if not pairs:
            orphans.extend(body_list)
            warnings.append(f"measurement {name}: no marker pair present in the data; {', '.join(body_list)} scaled by the mean factor of the other segments")
            continue
        ratios = []
        for a, b in pairs:
            exp = np.nanmean(np.linalg.norm(data.marker(a) - data.marker(b), axis=1))
            ratios.append(exp / _model_pair_distance(model, state, a, b))
        factors.append(float(np.mean(ratios)))
        usable[name] = {"pairs": pairs, "bodies": body_list, "axes": m.get("axes", "X Y Z")}
    if not usable:
        raise InputError(data.source, "no scale measurement has a marker pair present in the data",
                         "check the marker names (model.marker_map) or give scale.measurements")
    mean_factor = float(np.mean(factors))
    return usable, {b: mean_factor for b in orphans}, warnings


def _read_scale_set(path: Path) -> dict[str, list[float]]:
    root = ET.parse(path).getroot()
    out = {}
    for scale in root.iter("Scale"):
        seg = scale.findtext("segment", "").strip()
        if seg and seg != "ground" and not seg.endswith("_offset"):   # PhysicalOffsetFrames scale with their body
            out[seg] = [float(v) for v in scale.findtext("scales", "").split()]
    return out


def scale_subject(static_trc: str | Path | None, out_osim: str | Path, out_report: str | Path, *, subject: str,
                  mass_kg: float | None, height_m: float | None, model_cfg: dict[str, Any],
                  scale_cfg: dict[str, Any] | None = None, standing_trc: str | Path | None = None,
                  standing_window_s: tuple[float, float] | None = None, log_file: str | Path | None = None) -> dict[str, Any]:
    """Scale the generic model to ``subject`` and place its markers; write ``out_osim`` and ``out_report``.

    ``static_trc``: processed static trial (TRC, OpenSim frame), or None. When it is missing or shorter
    than ``scale_cfg["min_static_s"]``, the ``standing_window_s`` [start, end] of ``standing_trc`` (a
    processed walking trial) is used if given, else :class:`InputError`. ``mass_kg``/``height_m`` None:
    the generic model's mass / the built-in model's default height. Returns the report dict.
    Raises :class:`InputError` for bad input (no usable static trial, not a model, markers absent,
    implausible scale factors); nothing is written then.
    """
    cfg = {**SCALE_DEFAULTS, **(scale_cfg or {})}
    osim = import_opensim()
    with opensim_log(log_file), work_dir("gaitmimic_scale_") as work:
        generic = prepare_generic(model_cfg, height_m or DEFAULT_HEIGHT_M, mass_kg or DEFAULT_MASS_KG, work)
        generic_model = load_model(generic.osim)
        model_markers = [generic_model.getMarkerSet().get(i).getName() for i in range(generic_model.getMarkerSet().getSize())]
        data, source, source_text = _select_static(static_trc, standing_trc, standing_window_s, cfg, generic.marker_map,
                                                   model_markers)
        if mass_kg is None:
            mass_kg = generic_model.getTotalMass(generic_model.initSystem())
        all_markers = list(model_markers)
        if generic.marker_map:
            all_markers = [m for m in all_markers if m in generic.marker_map or m in data.labels]
        present, warnings = _check_markers(all_markers, data, generic.optional_markers, generic.builtin, source)

        if cfg["time_range_s"]:
            data = data.select_time(*map(float, cfg["time_range_s"]))
        start, stop = _longest_complete_run(data, present)
        duration = (stop - start) / data.rate_hz if len(data.time_s) > 1 else 0.0
        if duration < cfg["min_static_s"] - 1e-9:
            raise InputError(source, f"no usable standing data: {source_text} has only {duration:.3f} s with every marker present "
                             f"(at least {cfg['min_static_s']} s needed)",
                             "widen scale.time_range_s / standing_window_s, or record a longer static trial")
        data = TrcData(present, data.time_s[start:stop], data.xyz_m[start:stop][:, [data.labels.index(m) for m in present]], source)
        time_range = (float(data.time_s[0]), float(data.time_s[-1]))
        placement_range = tuple(map(float, cfg["placement_time_range_s"])) if cfg["placement_time_range_s"] else time_range

        prepared = work / "generic_markers.osim"
        remove_markers(generic.osim, prepared, set(present), unfix=cfg["move_fixed_markers"])
        measurements = cfg["measurements"] or generic.measurements or marker_sets.default_measurements(generic.marker_set)
        measurements = marker_sets.normalise_measurements(measurements)
        usable, manual, plan_warnings = _plan_measurements(prepared, data, measurements, set(present))
        warnings += plan_warnings
        manual.update({b: float(f) for b, f in (cfg["manual_scale_factors"] or {}).items()})

        coords = _coordinate_names(generic_model)
        coord_tasks = cfg["coordinate_tasks"] if cfg["coordinate_tasks"] is not None else DEFAULT_PLACER_COORDINATE_TASKS
        coord_tasks = {c: t for c, t in coord_tasks.items() if c in coords}
        weights = marker_sets.placement_weights(present, generic.marker_set, cfg["marker_weights"])

        trc = work / "static.trc"
        write_trc(trc, data)
        setup = work / "scale_setup.xml"
        outs = write_scale_setup(setup, name=subject, mass_kg=mass_kg, height_m=height_m or -0.001, generic_model=prepared,
                                 marker_file=trc, time_range=time_range, placement_time_range=placement_range, measurements=usable, manual_scales=manual,
                                 marker_weights=weights, coordinate_tasks=coord_tasks, out_dir=work)
        with contextlib.chdir(work):          # OpenSim resolves some setup paths from the working folder
            ok = osim.ScaleTool(str(setup)).run()
        if not ok or not outs["output_model"].is_file():
            raise RuntimeError(f"OpenSim ScaleTool failed for {subject}; see the log {log_file}")

        scale_factors = _read_scale_set(outs["scale_set_file"])
        lo, hi = cfg["plausible_scale_range"]
        scaled_bodies = {b for m in usable.values() for b in m["bodies"]}
        bad = {b: f for b, f in scale_factors.items() if b in scaled_bodies and not all(lo <= x <= hi for x in f)}
        if bad:
            listing = ", ".join(f"{b} {max(f, key=lambda x: abs(x - 1)):.2f}" for b, f in sorted(bad.items()))
            raise InputError(source, f"implausible segment scale factors (outside {lo}-{hi}): {listing}; "
                             "the static trial may be of another subject, or its markers mislabelled",
                             "check that the static trial belongs to this subject and that mass/height and marker names are right")

        # Static-pose marker errors as OpenSim's marker placer reports them: scaled (not yet moved)
        # markers against the averaged experimental markers, in the solved static pose.
        exp_mean = np.nanmean(data.select_time(*placement_range).xyz_m, axis=0)
        model_xyz = marker_positions_at_pose(outs["scaled_only_model"], outs["static_motion"], present)
        errors = per_marker_errors(model_xyz[None], exp_mean[None], present)
        bony_over = {m: e["max_m"] for m, e in errors["per_marker"].items() if is_bony_landmark(m) and e["max_m"] > cfg["max_bony_error_m"]}
        if bony_over:
            warnings.append("bony-landmark marker error above OpenSim's best-practice 2 cm: "
                            + ", ".join(f"{m} {v * 100:.1f} cm" for m, v in sorted(bony_over.items(), key=lambda kv: -kv[1])))
        if errors["rms_m"] > cfg["max_rms_error_m"]:
            warnings.append(f"static-pose marker RMS error {errors['rms_m'] * 100:.2f} cm is above OpenSim's best-practice 1 cm")
        for w in warnings:
            log.warning("%s: %s", subject, w)

        report = {
            "subject": subject, "source": source_text, "time_range_s": list(time_range),
            "generic_model": str(model_cfg.get("generic", "builtin")), "marker_set": generic.marker_set,
            "scale_factors": scale_factors, "manual_scale_bodies": sorted(manual),
            "measurements": {k: [f"{a}-{b}" for a, b in m["pairs"]] for k, m in usable.items()},
            "marker_errors": errors, "markers_used": present,
            "mass_kg": float(mass_kg), "height_m": None if height_m is None else float(height_m), "warnings": warnings,
        }
        scaled = load_model(outs["output_model"])
        scaled.setName(subject)
        with atomic_path(out_osim) as tmp:
            scaled.printToXML(str(tmp))
        note = ("<!-- Record of the ScaleTool setup that produced this model (gaitmimic.opensim.scale); "
                "its file names pointed into a scratch folder that no longer exists. -->\n")
        head, _, body = setup.read_text().partition("\n")
        write_text(Path(out_osim).with_name(f"{Path(out_osim).stem}_setup_scale.xml"), head + "\n" + note + body)
        write_text(out_report, json.dumps(report, indent=2) + "\n")
    return report
