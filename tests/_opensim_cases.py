"""Shared helpers of the OpenSim-stage tests (owner opensim): processed marker files and angle metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitmimic.io.mot import read_mot_arrays

#: BTK Plug-in Gait subjects: static, walk, mass (kg), height (m). ANTO_M's C3D has no mass/height
#: (zeros): 1.77 m is estimated from its head markers (front head 1.71 m above the floor), mass guessed.
PIG_SUBJECTS = {
    "BELT_C": ("PiG_Calibration-FlatFoot-Full", "PiG_Motion-FlatFoot-Full", 47.5, 1.505),
    "ANTO_M": ("PiG_Calibration-FlatFoot-Hole", "PiG_Motion-FlatFoot-Hole", 65.0, 1.77),
    "flatFoot": ("PiG_Calibration3_FF", "PiG_Motion3_FF", 74.0, 1.76),
}


def marker_stage_trc(raw: Path, out_dir: Path, is_static: bool, tables=()) -> Path:
    """Run the project's marker stage on one raw trial (with a lab's marker-set ``tables``); return the
    processed TRC (OpenSim frame, m). Its report is ``<stem>_markers.json`` beside it."""
    from gaitmimic import settings
    from gaitmimic.markers.stage import process_trial

    out = out_dir / f"{raw.stem}.trc"
    if not out.exists():
        process_trial(raw, out, None, out_dir / f"{raw.stem}_markers.json", None, settings.section("markers"),
                      settings.section("events"), {}, is_static, marker_tables=tables)
    return out


def mot_columns(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    labels, time, values = read_mot_arrays(path)
    return time, {c: values[:, i] for i, c in enumerate(labels)}


def rmse_deg(t_ref: np.ndarray, ref: np.ndarray, t: np.ndarray, x: np.ndarray) -> float:
    """RMSE of ``x`` against ``ref`` over the times both cover (``x`` interpolated to ``t_ref``)."""
    keep = (t_ref >= t[0] - 1e-9) & (t_ref <= t[-1] + 1e-9)
    return float(np.sqrt(np.mean((np.interp(t_ref[keep], t, x) - ref[keep]) ** 2)))


def gait_numbers(mot: Path) -> dict[str, float]:
    """Peak knee flexion (deg, gait2392 sign: knee_angle negative in flexion) and hip flexion range per side."""
    _, c = mot_columns(mot)
    out = {}
    for s in ("r", "l"):
        out[f"knee_peak_flexion_{s}"] = float(-np.min(c[f"knee_angle_{s}"]))
        out[f"hip_flexion_range_{s}"] = float(np.ptp(c[f"hip_flexion_{s}"]))
    return out


def angle_rmse(ref_mot: Path, mot: Path, names) -> dict[str, float]:
    """RMSE (deg) of each coordinate of ``names`` in ``mot`` against ``ref_mot`` (:func:`rmse_deg`)."""
    t_ref, ref = mot_columns(ref_mot)
    t, x = mot_columns(mot)
    return {c: rmse_deg(t_ref, ref[c], t, x[c]) for c in names}
