"""Scaling mechanics: the standing data to scale from, the measurements, OpenSim's ScaleTool, the checks.

The entry :func:`gaitmimic.opensim.stage.scale_subject` strings these together. Marker positions are in
metres in the processed TRC's (OpenSim) frame; times in seconds as the TRC holds them
(:func:`gaitmimic.opensim.trials.frame_times`).
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.markerdata import MarkerTrial
from gaitmimic.io.trc import read_trc, write_trc
from gaitmimic.opensim.generic import model_marker_bodies
from gaitmimic.opensim.runtime import import_opensim, load_model
from gaitmimic.opensim.setup_xml import write_scale_setup
from gaitmimic.opensim.trials import (
    frame_times,
    frames,
    longest_complete_run,
    present_markers,
    time_window,
    tool_time_range,
    to_model_markers,
)

#: Size of the built-in generic model when subject.yaml gives no height / mass (scaling then sets the
#: segment lengths, and the generic model's mass is the subject's).
BUILTIN_HEIGHT_M, BUILTIN_MASS_KG = 1.75, 70.0

#: What ``scale.coordinate_tasks: null`` means: coordinates the markers cannot resolve in a standing
#: pose, held at the model's default value (upright trunk: 0 in gait2392, the standing pose's lumbar
#: extension in the built-in model).
PLACEMENT_COORDINATE_TASKS = {c: {"weight": 1000.0, "value_deg": None} for c in (
    "subtalar_angle_r", "subtalar_angle_l", "mtp_angle_r", "mtp_angle_l", "lumbar_extension")}


@dataclass
class StandingData:
    """Marker data to scale from: ``trial`` (model marker names) and its frames' times in ``source``."""

    trial: MarkerTrial
    times_s: np.ndarray
    source: Path
    text: str          # what it is, for the report ("static trial static01.trc", "standing window ...")

    def part(self, start: int, stop: int) -> "StandingData":
        return StandingData(frames(self.trial, start, stop), self.times_s[start:stop], self.source, self.text)

    def window(self, start_s: float, end_s: float) -> "StandingData":
        return self.part(*time_window(self.times_s, start_s, end_s))


def _read_mapped(trc: Path, model_to_data_markers: Mapping[str, Any] | None, text: str) -> StandingData:
    trial = to_model_markers(read_trc(trc), model_to_data_markers)
    return StandingData(trial, frame_times(trial), Path(trc), text)


def _duration_s(trial: MarkerTrial, run: tuple[int, int]) -> float:
    """Length (s) of a run of frames (0 for a trial of fewer than 2 frames)."""
    return (run[1] - run[0]) / trial.rate_hz if trial.n_frames > 1 else 0.0


def _usable_static(static_trc: Path | None, min_static_s: float, model_to_data_markers, model_markers: list[str]) -> tuple[StandingData | None, str]:
    """The static trial's data, or None with the reason it cannot be used (missing, or too short after cleaning)."""
    if static_trc is None or not Path(static_trc).is_file():
        return None, "there is no static (standing calibration) trial"
    data = _read_mapped(Path(static_trc), model_to_data_markers, f"static trial {Path(static_trc).name}")
    duration = _duration_s(data.trial, longest_complete_run(data.trial, present_markers(data.trial, model_markers)))
    if duration < min_static_s - 1e-9:
        return None, (f"the static trial {Path(static_trc).name} has only {duration:.3f} s ({data.trial.n_frames} frame(s)) "
                      f"with every marker present (at least {min_static_s} s needed)")
    return data, ""


def select_standing_data(static_trc, standing_trc, standing_window_s, min_static_s: float, model_to_data_markers,
                         model_markers: list[str]) -> StandingData:
    """Marker data to scale from: the static trial, else the standing window of a walking trial, else an error."""
    same = standing_trc is not None and static_trc is not None and Path(standing_trc) == Path(static_trc)
    data, why = (None, "there is no static (standing calibration) trial") if same else \
        _usable_static(static_trc, min_static_s, model_to_data_markers, model_markers)
    if data is not None:
        return data
    if standing_window_s and standing_trc is not None:
        t0, t1 = map(float, standing_window_s)
        text = f"standing window {t0}-{t1} s of {Path(standing_trc).name}"
        return _read_mapped(Path(standing_trc), model_to_data_markers, text).window(t0, t1)
    raise InputError(static_trc if static_trc else None, f"no usable standing data for scaling: {why}",
                     "record a static trial of at least 0.2 s (name it *static*/*calibration* or set static_trial in subject.yaml), "
                     "or set standing_trial and standing_window_s in subject.yaml to a quiet-standing part of a walking trial")


def check_markers(model_markers: list[str], trial: MarkerTrial, optional: set[str], lenient: bool, source: Path) -> tuple[list[str], list[str]]:
    """Markers to use (in model and data) and warnings; an absent required marker is an InputError."""
    present = present_markers(trial, model_markers)
    missing = [m for m in model_markers if m not in present]
    required_missing = [m for m in missing if m not in optional and not lenient]
    if required_missing or len(present) < 6:
        raise InputError(source, f"the marker set names markers that are not in the data: {', '.join(missing)}"
                         f" (found {len(present)} of {len(model_markers)})",
                         "map the data's marker names with model.model_to_data_markers, remove those markers from the "
                         "marker set, or list them in model.optional_markers")
    warnings = [f"markers absent from the static data, not used: {', '.join(missing)}"] if missing else []
    return present, warnings


def complete_standing_data(data: StandingData, present: list[str], min_static_s: float) -> StandingData:
    """The longest run of ``data``'s frames with every marker of ``present``, those markers only;
    shorter than ``min_static_s`` -> :class:`InputError`."""
    run = longest_complete_run(data.trial, present)
    duration = _duration_s(data.trial, run)
    if duration < min_static_s - 1e-9:
        raise InputError(data.source, f"no usable standing data: {data.text} has only {duration:.3f} s with every marker present "
                         f"(at least {min_static_s} s needed)",
                         "widen scale.time_range_s / standing_window_s, or record a longer static trial")
    part = data.part(*run)
    return StandingData(part.trial.select(present), part.times_s, part.source, part.text)


def _model_pair_distance(model, state, a: str, b: str) -> float:
    ms = model.getMarkerSet()
    pa, pb = ms.get(a).getLocationInGround(state), ms.get(b).getLocationInGround(state)
    return float(np.sqrt(sum((pa[i] - pb[i]) ** 2 for i in range(3))))


def plan_measurements(generic_osim: Path, trial: MarkerTrial, measurements: dict, present: set[str]) -> tuple[dict, dict[str, float], list[str]]:
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
        pairs = [list(p) for p in m["pairs"] if p[0] in present and p[1] in present]
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
            exp = np.nanmean(np.linalg.norm(trial.marker(a) - trial.marker(b), axis=1))
            ratios.append(exp / _model_pair_distance(model, state, a, b))
        factors.append(float(np.mean(ratios)))
        usable[name] = {"pairs": pairs, "bodies": body_list, "axes": m["axes"]}
    if not usable:
        raise InputError(trial.source, "no scale measurement has a marker pair present in the data",
                         "check the marker names (model.model_to_data_markers) or give scale.measurements")
    mean_factor = float(np.mean(factors))
    return usable, {b: mean_factor for b in orphans}, warnings


def run_scale_tool(data: StandingData, placement_range_s: tuple[float, float], work: Path, *, subject: str,
                   mass_kg: float, height_m: float | None, generic_osim: Path, measurements: dict,
                   manual_scales: dict[str, float], marker_weights: dict[str, float], coordinate_tasks: dict,
                   log_file) -> tuple[dict[str, Path], Path]:
    """Write ``data`` as a TRC and a ScaleTool setup into ``work``, run the tool; the paths of the files it
    wrote and of its setup.

    The TRC's time starts at 0 (its first frame), so the setup names frames by the TRC's own times: all of
    them for the measurements, and for marker placement the frames whose time in the source
    (``data.times_s``) lies in ``placement_range_s``; none -> :class:`InputError`.
    """
    osim = import_opensim()
    start, stop = time_window(data.times_s, *placement_range_s)
    if stop == start:
        raise InputError(data.source, f"the marker-placement time range {list(placement_range_s)} s holds no frame of "
                         f"the standing data ({data.times_s[0]}-{data.times_s[-1]} s)",
                         "set scale.placement_time_range_s inside scale.time_range_s and the static trial")
    trc = work / "static.trc"
    write_trc(trc, data.trial)
    tool_times = frame_times(data.trial)
    setup = work / "scale_setup.xml"
    outs = write_scale_setup(setup, name=subject, mass_kg=mass_kg, height_m=height_m or -0.001, generic_model=generic_osim,
                             marker_file=trc, time_range=tool_time_range(tool_times, 0, len(tool_times)),
                             placement_time_range=tool_time_range(tool_times, start, stop),
                             measurements=measurements, manual_scales=manual_scales, marker_weights=marker_weights,
                             coordinate_tasks=coordinate_tasks, out_dir=work)
    with contextlib.chdir(work):          # OpenSim resolves some setup paths from the working folder
        ok = osim.ScaleTool(str(setup)).run()
    if not ok or not outs["output_model"].is_file():
        raise RuntimeError(f"OpenSim ScaleTool failed for {subject}; see the log {log_file}")
    return outs, setup


def read_scale_set(path: Path) -> dict[str, list[float]]:
    """Scale factors (x, y, z) per body from the ScaleTool's scale-set XML."""
    root = ET.parse(path).getroot()
    out = {}
    for scale in root.iter("Scale"):
        seg = scale.findtext("segment", "").strip()
        if seg and seg != "ground" and not seg.endswith("_offset"):   # PhysicalOffsetFrames scale with their body
            out[seg] = [float(v) for v in scale.findtext("scales", "").split()]
    return out


def check_scale_factors(scale_factors: dict[str, list[float]], scaled_bodies: set[str], plausible: Sequence[float],
                        source: Path) -> None:
    """:class:`InputError` when a measured body's factor lies outside ``plausible`` (low, high)."""
    lo, hi = plausible
    bad = {b: f for b, f in scale_factors.items() if b in scaled_bodies and not all(lo <= x <= hi for x in f)}
    if bad:
        listing = ", ".join(f"{b} {max(f, key=lambda x: abs(x - 1)):.2f}" for b, f in sorted(bad.items()))
        raise InputError(source, f"implausible segment scale factors (outside {lo}-{hi}): {listing}; "
                         "the static trial may be of another subject, or its markers mislabelled",
                         "check that the static trial belongs to this subject and that mass/height and marker names are right")


def check_static_fit(errors: dict, landmarks: Sequence[str], limit_m: float, source: Path) -> dict:
    """The scaled model's fit to the static pose on its segment-defining ``landmarks`` (RMS over them of
    ``errors["per_marker"]``, the scaled model's markers before placement against the averaged static
    markers): ``{"markers", "rms_m", "limit_m", "worst"}``. Above ``limit_m`` -> :class:`InputError` naming
    the worst markers: the labels, the marker map or the static trial are wrong, and a model that does not
    fit must not go on to IK and training."""
    per = {m: errors["per_marker"][m]["rms_m"] for m in landmarks if m in errors["per_marker"]}
    if not per:
        raise InputError(source, "none of the segment-defining landmarks (ASIS, PSIS or sacrum, knee, ankle, heel, toe) "
                         "is in the static data, so the scaled model's fit cannot be checked",
                         "label those markers, or map the lab's names onto them (lab_to_model_markers in subject.yaml)")
    rms = float(np.sqrt(np.mean(np.square(list(per.values())))))
    worst = sorted(per.items(), key=lambda kv: -kv[1])[:3]
    fit = {"markers": sorted(per), "rms_m": rms, "limit_m": float(limit_m), "worst": {m: float(e) for m, e in worst}}
    if rms > limit_m:
        listing = ", ".join(f"{m} {e * 100:.1f} cm" for m, e in worst)
        raise InputError(source, f"the scaled model does not fit the static pose: RMS error {rms * 100:.1f} cm over its "
                         f"{len(per)} landmark markers is above scale.max_static_rms_error_m ({limit_m * 100:.1f} cm); "
                         f"worst: {listing}",
                         "check those markers' labels and the marker map (lab_to_model_markers in subject.yaml), and that the "
                         "static trial is this subject standing; set scale.max_static_rms_error_m higher to accept the model anyway")
    return fit


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = float(np.clip((p - a) @ ab / (ab @ ab), 0.0, 1.0)) if ab @ ab > 1e-12 else 0.0
    return float(np.linalg.norm(p - (a + t * ab)))


def check_marker_bodies(bodies: Mapping[str, str], model, attach: bool, table: str | Path | None,
                        source: Path) -> None:
    """The bodies a marker-set table names (``bodies``: marker -> body, the markers of the trial) against
    ``model``: a marker the model carries must ride the same body there; with ``attach`` (the built-in model,
    which takes a lab's markers), the body of a marker it lacks must be one of its bodies. Else
    :class:`InputError` naming the table, the markers and the model's bodies."""
    body_set = model.getBodySet()
    model_bodies = sorted(body_set.get(i).getName() for i in range(body_set.getSize()))
    on_model = model_marker_bodies(model)
    problems = []
    for marker, body in bodies.items():
        if marker in on_model and on_model[marker] != body:
            problems.append(f"{marker} on {body}, where the model's {marker} rides {on_model[marker]}")
        elif marker not in on_model and attach and body not in model_bodies:
            problems.append(f"{marker} on {body}, a body the model lacks")
    if problems:
        raise InputError(table or source, "the marker-set table puts " + "; ".join(problems),
                         f"name one of the model's bodies ({', '.join(model_bodies)}) for each marker in the "
                         "table's markers section, or rename a marker that is not the model's")


def attach_markers(model, static_motion: Path, positions: Mapping[str, np.ndarray],
                   bodies: Mapping[str, str] | None = None) -> dict[str, dict]:
    """Attach markers the model lacks (a lab's clusters and extra markers) to the segment each rides on: the
    body its marker-set table names (``bodies``: marker -> body, checked by :func:`check_marker_bodies`),
    else the body whose bone (its joint centre to each child's joint centre, in the static pose
    ``static_motion``) is nearest the marker's static position (``positions``: name -> ground xyz, m). Each
    is added at that position, in that body's frame, not fixed. Returns ``{name: {"body", "body_from"
    ("table" or "nearest segment"), "distance_to_segment_m", "nearest_body"}}``.
    ``model``: the scaled, marker-placed ``opensim.Model`` (edited in place)."""
    from gaitmimic.opensim.reports import pose_model

    osim = import_opensim()
    if not positions:
        return {}
    state = pose_model(model, static_motion)
    vec3 = lambda v: np.array([v.get(i) for i in range(3)])  # noqa: E731
    body_set = model.getBodySet()
    origin = {body_set.get(i).getName(): vec3(body_set.get(i).getPositionInGround(state))
              for i in range(body_set.getSize())}
    bones: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in origin}
    joints = model.getJointSet()
    for i in range(joints.getSize()):
        parent = joints.get(i).getParentFrame().findBaseFrame().getName()
        child = joints.get(i).getChildFrame().findBaseFrame().getName()
        if parent in origin and child in origin:
            bones[parent].append((origin[parent], origin[child]))
    for name, segs in bones.items():
        if not segs:                                 # a last segment (toes, hands): its own origin
            segs.append((origin[name], origin[name]))
    out, placed = {}, []
    for marker, p in positions.items():
        dist = {b: min(_segment_distance(np.asarray(p), a, c) for a, c in segs) for b, segs in bones.items()}
        nearest = min(dist, key=dist.get)
        body = (bodies or {}).get(marker, nearest)
        loc = model.getGround().findStationLocationInAnotherFrame(state, osim.Vec3(*map(float, p)), body_set.get(body))
        placed.append((marker, body, osim.Vec3(loc.get(0), loc.get(1), loc.get(2))))
        out[marker] = {"body": body, "body_from": "table" if marker in (bodies or {}) else "nearest segment",
                       "distance_to_segment_m": float(dist[body]), "nearest_body": nearest}
    for marker, body, loc in placed:        # adding a marker invalidates the system: locations first
        m = osim.Marker(marker, body_set.get(body), loc)
        m.set_fixed(False)
        model.addMarker(m)
    model.finalizeConnections()
    return out


#: The markers that define the ISB / Plug-in Gait pelvis frame of the built-in model.
PELVIS_FRAME_MARKERS = {"asis": ("LASI", "RASI"), "psis": ("LPSI", "RPSI")}


def _rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def align_pelvis_frame(model, present: Sequence[str]) -> float | None:
    """Tilt the built-in model's pelvis frame so the subject's placed ASIS-PSIS line is level in it, as the
    ISB / Plug-in Gait pelvis is defined (the sacrum marker stands for the PSIS mid-point when the PSIS are
    absent); return the correction (deg, + = the frame turned posteriorly), or None when the static data
    lack the ASIS or both the PSIS and the sacrum.

    Everything attached to the pelvis (markers, hip and lumbar joint locations, centre of mass, inertia) is
    re-expressed in the rotated frame, and the default pose (upright standing) keeps its physical posture:
    pelvis_tilt's default drops by the correction, the hips' and the lumbar joint's flexion defaults rise by it.
    ``model``: the scaled, marker-placed ``opensim.Model`` (edited in place)."""
    osim = import_opensim()
    back = PELVIS_FRAME_MARKERS["psis"] if all(m in present for m in PELVIS_FRAME_MARKERS["psis"]) else ("SACR",)
    names = list(PELVIS_FRAME_MARKERS["asis"]) + list(back)
    if not all(m in present for m in names):
        return None
    ms = model.updMarkerSet()
    loc = {m: np.array([ms.get(m).get_location()[i] for i in range(3)]) for m in names}
    asis = 0.5 * (loc["LASI"] + loc["RASI"])
    psis = np.mean([loc[m] for m in back], axis=0)   # the PSIS mid-point, or the sacrum marker on it
    d = asis - psis
    alpha = -float(np.arctan2(d[1], d[0]))
    R = _rot_z(alpha)
    vec = lambda v: osim.Vec3(*(float(x) for x in v))  # noqa: E731
    arr = lambda v: np.array([v[i] for i in range(3)])  # noqa: E731
    pelvis = model.updBodySet().get("pelvis")
    for name, body in model_marker_bodies(model).items():
        if body == "pelvis":
            marker = ms.get(name)
            marker.set_location(vec(R @ arr(marker.get_location())))
    pelvis.setMassCenter(vec(R @ arr(pelvis.getMassCenter())))
    inertia = pelvis.getInertia()
    m, p = inertia.getMoments(), inertia.getProducts()
    tensor = np.array([[m[0], p[0], p[1]], [p[0], m[1], p[2]], [p[1], p[2], m[2]]])
    t = R @ tensor @ R.T
    pelvis.setInertia(osim.Inertia(t[0, 0], t[1, 1], t[2, 2], t[0, 1], t[0, 2], t[1, 2]))
    joints = model.updJointSet()
    coords = model.updCoordinateSet()
    for i in range(joints.getSize()):
        joint = joints.get(i)
        parent = joint.upd_frames(0)
        if joint.getParentFrame().findBaseFrame().getName() != "pelvis":
            continue
        parent.set_translation(vec(R @ arr(parent.get_translation())))
    for name, sign in (("pelvis_tilt", -1.0), ("hip_flexion_r", 1.0), ("hip_flexion_l", 1.0), ("lumbar_extension", 1.0)):
        if coords.contains(name):
            c = coords.get(name)
            c.setDefaultValue(c.getDefaultValue() + sign * alpha)
    model.finalizeConnections()
    return float(np.degrees(alpha))
