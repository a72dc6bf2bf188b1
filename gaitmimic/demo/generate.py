"""Generate the demo subject: a static and a walking trial as Vicon-like C3D files, plus the truth.

``python -m gaitmimic.demo.generate --out data/demo01 --seed 0`` (also ``make demo-data`` and the
``gaitmimic-demo-data`` console script) writes, deterministically from the seed:

- ``static01.c3d``: 1.5 s standing; ``walk01.c3d``: >= 5 gait cycles at about 1.2 m/s. Both: lab frame with
  Z up, walking along -Y (the subject's right points to -X), millimetres, 100 Hz, Plug-in Gait labels with
  the ``demo01:`` prefix, Gaussian noise (1 mm SD per axis), residuals (-1 in gaps). The walk has a few
  short gaps (3-8 frames) and one long gap (70 frames on RUPA).
- ``subject.yaml``: mass_kg, height_m, static_trial.
- ``--marker-set anatomical | clusters | cgm2`` (``generate_demo(marker_set=...)``): the same walk labelled in
  another lab's set (:data:`gaitmimic.demo.export.MARKER_EXPORTS`: ISB landmarks without wands; thigh and
  shank cluster plates with anatomical markers in the static only; CGM2 names), for the marker-set tests.
- truth (ignored by the pipeline, used by tests): ``<trial>_truth.mot`` (model coordinates, degrees; pelvis
  translations in the OpenSim ground frame, before the lab transform), ``walk01_truth_events.csv``
  (side,event,time_s,frame; contact-based, see :func:`gaitmimic.demo.kinematics.contact_events`),
  ``truth_model.json`` (the generating model's de Leva segment lengths, joint widths, marker locations,
  walking speed, stride, cycle duration, gaps, lab transform).

The motion: the built-in model (:mod:`gaitmimic.opensim.model`) scaled to 1.75 m / 70 kg, driven by the Fourier
series fitted to real gait (:mod:`tools.fit_demo_gait`), adapted to the model's feet so that floor
contact matches the source subject's force plates (:mod:`gaitmimic.demo.adapt`); pelvis_ty puts the
lowest sole point on the floor and pelvis_tx rolls the stance foot without slip; the cycle duration is
set so the mean speed is the requested one.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from gaitmimic.atomic import write_text
from gaitmimic.demo.adapt import adapt_gait_to_model
from gaitmimic.demo.export import CLUSTER_PLATES, MARKER_EXPORTS, write_events_csv, write_vicon_c3d
from gaitmimic.demo.fourier import load_gait_fourier
from gaitmimic.demo.kinematics import (
    PoseSampler,
    contact_events,
    cycle_duration_for_speed,
    foot_clearance,
    gait_coordinates,
    root_translation,
    standing_coordinates,
)
from gaitmimic.io.mot import write_mot_arrays
from gaitmimic.io.reports import write_json
from gaitmimic.opensim.model.builtin import build_osim_model, coordinate_names
from gaitmimic.opensim.model.layout import build_layout

HEIGHT_M, MASS_KG, SPEED_MPS, RATE_HZ = 1.75, 70.0, 1.2, 100.0
NOISE_SD_MM = 1.0
N_CYCLES = 5.75  # walk duration in gait cycles: >= 5 complete cycles of each foot
STATIC_S = 1.5
STATIC_POSE_DEG = {"arm_add_r": -10.0, "arm_add_l": -10.0, "elbow_flex_r": 10.0, "elbow_flex_l": 10.0}
SHORT_GAP_CANDIDATES = ("LTOE", "RKNE", "LASI", "RHEE", "C7", "LWRA")
N_SHORT_GAPS, LONG_GAP_MARKER, LONG_GAP_FRAMES = 4, "RUPA", 70
#: Lab frame from OpenSim frame: walking direction X -> -Y, up Y -> Z, right Z -> -X.
LAB_FROM_OPENSIM = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
WALK_START_LAB_M = np.array([0.25, 3.5, 0.0])
STATIC_AT_LAB_M = np.array([0.0, 0.0, 0.0])
ROTATIONAL = set(coordinate_names()) - {"pelvis_tx", "pelvis_ty", "pelvis_tz"}


def _to_lab_mm(p_m: np.ndarray, offset_m: np.ndarray) -> np.ndarray:
    return (p_m @ LAB_FROM_OPENSIM.T + offset_m) * 1000.0


def _write_truth_mot(path: Path, time_s: np.ndarray, coords: dict[str, np.ndarray]) -> Path:
    """Model coordinates as an OpenSim .mot: degrees for rotations, metres for the pelvis translations."""
    names = list(coords)
    values = np.column_stack([np.degrees(coords[n]) if n in ROTATIONAL else coords[n] for n in names])
    write_mot_arrays(path, names, time_s, values, in_degrees=True, name=path.stem)
    return path


def _add_gaps(rng: np.random.Generator, pairs: list[tuple[str, str]], xyz: np.ndarray) -> list[dict]:
    """Short gaps on markers of :data:`SHORT_GAP_CANDIDATES` (others of the file when it has fewer) and one long
    gap (on :data:`LONG_GAP_MARKER`, else the file's last marker); ``pairs``: (file label, model marker)."""
    n = len(xyz)
    labels = [lab for lab, _ in pairs]
    candidates = [lab for m in SHORT_GAP_CANDIDATES for lab, mm in pairs if mm == m]
    candidates += [lab for lab in labels if lab not in candidates][:max(N_SHORT_GAPS - len(candidates), 0)]
    long_marker = next((lab for lab, m in pairs if m == LONG_GAP_MARKER), labels[-1])
    gaps = []
    for name in rng.choice(candidates, size=N_SHORT_GAPS, replace=False):
        length = int(rng.integers(3, 9))
        start = int(rng.integers(50, n - 60))
        gaps.append({"marker": str(name), "start_frame": start, "n_frames": length})
    start = int(rng.integers(n // 3, n // 2))
    gaps.append({"marker": long_marker, "start_frame": start, "n_frames": LONG_GAP_FRAMES})
    for g in gaps:
        xyz[g["start_frame"] : g["start_frame"] + g["n_frames"], labels.index(g["marker"])] = np.nan
    return gaps


def _noisy(rng: np.random.Generator, xyz_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    noisy = xyz_mm + rng.normal(0.0, NOISE_SD_MM, xyz_mm.shape)
    residuals = np.round(rng.uniform(0.6, 1.6, xyz_mm.shape[:2]), 1)
    return noisy, residuals


def _add_cluster_markers(model, layout) -> dict[str, tuple[str, tuple[float, float, float]]]:
    """Rigid 4-marker plates on each thigh and shank (:data:`~gaitmimic.demo.export.CLUSTER_PLATES`) added
    to ``model`` as markers ``{L,R}_{THIGH,SHANK}_{1..4}``; returns {name: (body, location)}."""
    import opensim as osim

    out = {}
    height = layout.height_m
    for seg, (body, frac, lateral) in CLUSTER_PLATES.items():
        length = layout.lengths["thigh" if body == "femur" else "shank"]
        for side, sign in (("R", 1.0), ("L", -1.0)):
            b = f"{body}_{side.lower()}"
            for i, (dx, dy) in enumerate(((0.03, 0.04), (-0.03, 0.04), (-0.03, -0.04), (0.03, -0.04)), start=1):
                loc = (dx, -frac * length + dy, sign * lateral * height)
                name = f"{side}_{seg}_{i}"
                model.addMarker(osim.Marker(name, model.getBodySet().get(b), osim.Vec3(*loc)))
                out[name] = (b, loc)
    model.finalizeConnections()
    return out


def generate_demo(out_dir: str | Path, seed: int = 0, subject: str | None = None, height_m: float = HEIGHT_M,
                  mass_kg: float = MASS_KG, speed_mps: float = SPEED_MPS, rate_hz: float = RATE_HZ,
                  marker_set: str = "plugin_gait") -> dict[str, Path]:
    """Write the demo subject's files into ``out_dir``; return {role: path}. ``marker_set``: the labels of the
    C3D files, one of :data:`~gaitmimic.demo.export.MARKER_EXPORTS` (the same motion, noise from the same seed)."""
    if marker_set not in MARKER_EXPORTS:
        raise ValueError(f"unknown marker_set {marker_set!r}: one of {', '.join(MARKER_EXPORTS)}")
    static_pairs, walk_pairs = MARKER_EXPORTS[marker_set]
    out_dir = Path(out_dir)
    subject = subject or out_dir.name
    rng = np.random.default_rng(seed)
    layout = build_layout(height_m)
    model = build_osim_model(height_m, mass_kg, name=f"{subject}_truth")
    clusters = _add_cluster_markers(model, layout) if any("_THIGH_" in m for _, m in walk_pairs) else {}
    sampler = PoseSampler(model, layout)
    fitted, meta = load_gait_fourier()
    contacts = meta["source_contact_phases"]
    series = adapt_gait_to_model(fitted, sampler, contacts["heel_strike"], contacts["toe_off"])

    # One cycle at fine resolution: stride length, hence the cycle duration for the requested speed.
    phase = np.arange(400) / 400
    cyc = sampler.sample(gait_coordinates(series, phase))
    dx, _ = root_translation(cyc.foot, cyc.foot_side, periodic=True)
    stride_m = float(dx.sum())
    cycle_s = cycle_duration_for_speed(stride_m, speed_mps)

    # Walk: start shortly before a right heel strike.
    n = int(math.ceil(N_CYCLES * cycle_s * rate_hz))
    time_s = np.arange(n) / rate_hz
    phase = 0.9 + 0.05 * rng.random() + time_s / cycle_s
    coords = gait_coordinates(series, phase)
    smp = sampler.sample(coords)
    tx, ty = root_translation(smp.foot, smp.foot_side)
    coords["pelvis_tx"], coords["pelvis_ty"] = tx, ty
    shift = np.stack([tx, ty, np.zeros(n)], axis=1)[:, None, :]
    markers_m, foot_m = smp.markers + shift, smp.foot + shift
    events = contact_events(foot_clearance(smp.foot, smp.foot_side, ty), rate_hz)
    order = [smp.marker_names.index(m) for _, m in walk_pairs]
    walk_mm = _to_lab_mm(markers_m[:, order], WALK_START_LAB_M)
    walk_mm, walk_res = _noisy(rng, walk_mm)
    gaps = _add_gaps(rng, walk_pairs, walk_mm)
    walk_res[np.isnan(walk_mm[..., 0])] = -1.0

    # Static: upright, arms slightly abducted.
    n_static = int(round(STATIC_S * rate_hz))
    st_coords = standing_coordinates(n_static)
    for name, deg in STATIC_POSE_DEG.items():
        st_coords[name][:] = math.radians(deg)
    st = sampler.sample({k: v[:1] for k, v in st_coords.items()})
    st_ty = float(-st.foot[0, :, 1].min())
    st_coords["pelvis_ty"][:] = st_ty
    static_m = np.repeat(st.markers + np.array([0.0, st_ty, 0.0]), n_static, axis=0)
    static_order = [smp.marker_names.index(m) for _, m in static_pairs]
    static_mm, static_res = _noisy(rng, _to_lab_mm(static_m[:, static_order], STATIC_AT_LAB_M))

    paths = {
        "static_c3d": write_vicon_c3d(out_dir / "static01.c3d", [lab for lab, _ in static_pairs], static_mm, static_res,
                                      rate_hz, subject),
        "walk_c3d": write_vicon_c3d(out_dir / "walk01.c3d", [lab for lab, _ in walk_pairs], walk_mm, walk_res, rate_hz,
                                    subject),
        "static_truth_mot": _write_truth_mot(out_dir / "static01_truth.mot", np.arange(n_static) / rate_hz, st_coords),
        "walk_truth_mot": _write_truth_mot(out_dir / "walk01_truth.mot", time_s, coords),
        "walk_truth_events": write_events_csv(out_dir / "walk01_truth_events.csv", events),
    }
    lowest_sole_mm = float(foot_m[..., 1].min() * 1000.0)
    truth = {
        "generator": "python -m gaitmimic.demo.generate", "seed": seed, "subject": subject,
        "height_m": height_m, "mass_kg": mass_kg,
        "model": "gaitmimic built-in (gaitmimic.opensim.model.builtin.build_model), de Leva 1996 segment lengths",
        "segment_lengths_m": {k: round(v, 5) for k, v in layout.lengths.items()},
        "hip_joint_centre_distance_m": round(2 * layout.dims["hip_half_width"], 5),
        "ankle_height_m": round(layout.dims["ankle_height"], 5),
        "markers": {k: {"body": b, "location_m": [round(x, 5) for x in loc]}
                    for k, (b, loc) in {**layout.markers, **clusters}.items()
                    if any(k == m for _, m in static_pairs + walk_pairs)},
        "kinematics_source": meta["source"],
        "walk": {
            "trial": "walk01", "n_frames": n, "rate_hz": rate_hz, "speed_mps": round(float((tx[-1] - tx[0]) / time_s[-1]), 4),
            "stride_m": round(stride_m, 4), "cycle_duration_s": round(cycle_s, 4),
            "lowest_sole_point_mm": round(lowest_sole_mm, 3),
            "n_right_heel_strikes": sum(1 for e in events if e[:2] == ("right", "heel_strike")),
            "gaps": gaps,
        },
        "static": {"trial": "static01", "n_frames": n_static, "pose_deg": STATIC_POSE_DEG},
        "noise_sd_mm_per_axis": NOISE_SD_MM,
        "lab_from_opensim": {"rotation": LAB_FROM_OPENSIM.tolist(), "walk_offset_m": WALK_START_LAB_M.tolist(),
                             "static_offset_m": STATIC_AT_LAB_M.tolist(),
                             "note": "lab = rotation @ p_opensim + offset; walking along lab -Y, Z up"},
    }
    if marker_set != "plugin_gait":
        truth["marker_set"] = {"export": marker_set, "static": dict(static_pairs), "walk": dict(walk_pairs)}
    paths["truth_model"] = out_dir / "truth_model.json"
    write_json(paths["truth_model"], truth, indent=1)
    paths["subject_yaml"] = out_dir / "subject.yaml"
    write_text(paths["subject_yaml"], (
        f"# Demo subject generated by `python -m gaitmimic.demo.generate --out data/{subject} --seed {seed}`.\n"
        f"# Synthetic data: the built-in model driven by gait fitted to OpenSim's tutorial subject.\n"
        f"mass_kg: {mass_kg}  # body mass\n"
        f"height_m: {height_m}  # standing height\n"
        f"static_trial: static01  # raw file stem of the static calibration trial\n"))
    return paths


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Generate the demo subject (C3D trials + truth files).")
    ap.add_argument("--out", type=Path, default=Path("data/demo01"), help="output folder (its name is the subject)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (noise, gaps, start phase)")
    ap.add_argument("--marker-set", default="plugin_gait", choices=list(MARKER_EXPORTS),
                    help="the labels of the C3D files (the same motion in another lab's marker set)")
    args = ap.parse_args(argv)
    import opensim as osim

    osim.Logger.removeFileSink()  # no opensim.log in the working directory
    paths = generate_demo(args.out, seed=args.seed, marker_set=args.marker_set)
    for role, p in paths.items():
        print(f"{role}: {p}")


if __name__ == "__main__":
    main()
