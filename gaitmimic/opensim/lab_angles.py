"""Our joint angles against the lab's own model outputs (Plug-in Gait's ``LHipAngles``, ``RPelvisAngles``, ...).

A Vicon C3D processed by Plug-in Gait carries its angles as points (:func:`gaitmimic.io.c3d.read_model_angles`).
:func:`compare_with_lab` puts our IK ``.mot`` beside them, frame by frame (the marker stage keeps the C3D's
stored frames, so row i of the .mot is stored frame i), per angle: the mean offset (ours - lab), the RMSE,
the RMSE once the offset is removed and the correlation; :func:`plot_vs_lab` draws both over the gait cycle.

Conventions: :data:`CONVENTIONS` (also written into each report).

Agreement (:data:`AGREEMENT`): what a gait lab expects between two conventional models of the same walk:
sagittal angles within 3 deg of offset and r >= 0.95, the others within 5 deg and r >= 0.9.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gaitmimic.io.mot import MotTable


@dataclass(frozen=True)
class LabAngle:
    """One angle: our coordinate (or ``foot_progression_<s>``) times ``sign`` against component ``axis``
    of the lab's point ``label`` (without the Vicon ``V`` suffix)."""

    name: str
    ours: str
    sign: float
    label: str
    axis: int
    plane: str      # sagittal | frontal | transverse

    @property
    def side(self) -> str:
        return "left" if self.label.startswith("L") else "right"


def _angles() -> tuple[LabAngle, ...]:
    out = [LabAngle("pelvis tilt (anterior +)", "pelvis_tilt", -1.0, "RPelvisAngles", 0, "sagittal"),
           LabAngle("pelvis obliquity (right up +)", "pelvis_list", -1.0, "RPelvisAngles", 1, "frontal"),
           LabAngle("pelvis rotation (right forward +)", "pelvis_rotation", 1.0, "RPelvisAngles", 2, "transverse")]
    for S, s, side in (("R", "r", "right"), ("L", "l", "left")):
        out += [LabAngle(f"{side} hip flexion", f"hip_flexion_{s}", 1.0, f"{S}HipAngles", 0, "sagittal"),
                LabAngle(f"{side} hip adduction", f"hip_adduction_{s}", 1.0, f"{S}HipAngles", 1, "frontal"),
                LabAngle(f"{side} hip internal rotation", f"hip_rotation_{s}", 1.0, f"{S}HipAngles", 2, "transverse"),
                LabAngle(f"{side} knee flexion", f"knee_angle_{s}", -1.0, f"{S}KneeAngles", 0, "sagittal"),
                LabAngle(f"{side} ankle dorsiflexion", f"ankle_angle_{s}", 1.0, f"{S}AnkleAngles", 0, "sagittal"),
                LabAngle(f"{side} foot progression (internal +)", f"foot_progression_{s}", 1.0,
                         f"{S}FootProgressAngles", 2, "transverse")]
    return tuple(out)


#: How our coordinates are read against the lab's, in words.
CONVENTIONS = (
    "Each angle is compared in Plug-in Gait's sign convention. Our coordinates keep OpenSim's signs, so some read "
    "negated: anterior pelvic tilt = -pelvis_tilt, right pelvic obliquity (up +) = -pelvis_list, knee flexion = "
    "-knee_angle. Foot progression is the calcaneus's forward axis in the horizontal plane against the walking "
    "direction (OpenSim X after the marker stage's rotation), internal +. Plug-in Gait's pelvis angles are global, "
    "its left ones the right ones mirrored, so the pelvis is compared on the right only.")

#: The angles compared, in Plug-in Gait's sign convention.
ANGLES: tuple[LabAngle, ...] = _angles()


def mot_conventions(builtin: bool) -> str:
    """The sign convention of an IK ``.mot``, for its header (``conventions``; no ``=`` in it, which OpenSim's
    readers take as the key's end): OpenSim's signs, the coordinates Plug-in Gait reads negated (from
    :data:`ANGLES`), and for the built-in model its ISB / Plug-in Gait pelvis frame."""
    negated = [f"{a.name.removeprefix('right ')} is -{a.ours.removesuffix('_r')}" for a in ANGLES
               if a.sign < 0 and not a.ours.endswith("_l")]
    text = ("OpenSim coordinate signs (gait2392), rotations in degrees; in Plug-in Gait's convention " + ", ".join(negated)
            + " (each side); hip adduction and internal rotation positive on both sides")
    if builtin:
        text += "; pelvis frame ISB / Plug-in Gait (ASIS-PSIS line level at pelvis_tilt 0)"
    return text
#: plane -> (largest |offset| in deg, smallest r) for "agrees".
AGREEMENT = {"sagittal": (3.0, 0.95), "frontal": (5.0, 0.9), "transverse": (5.0, 0.9)}


def lab_series(lab: dict[str, np.ndarray], label: str) -> np.ndarray | None:
    """The lab's point ``label`` or its Vicon ``V`` variant (``LHipAnglesV``), (n, 3) deg; None when absent."""
    for name in (label, label + "V"):
        if name in lab:
            return lab[name]
    return None


def foot_progression_deg(model_osim: str | Path, mot: MotTable) -> dict[str, np.ndarray]:
    """Foot progression (deg, internal +) per side and .mot row: the calcaneus's forward (X) axis in the
    horizontal plane against ground X, from the model posed at each row."""
    from gaitmimic.opensim.runtime import load_model

    model = load_model(model_osim)
    state = model.initSystem()
    cs = model.getCoordinateSet()
    cols = [c for c in mot.names if cs.contains(c)]
    rotational = {c: cs.get(c).getMotionType() != 2 for c in cols}  # 2 = translational
    values = mot.data[cols].to_numpy(dtype=float)
    out = {s: np.full(len(values), np.nan) for s in ("r", "l")}
    bodies = {s: model.getBodySet().get(f"calcn_{s}") for s in out}
    for k, row in enumerate(values):
        if not np.isfinite(row).all():
            continue
        for c, v in zip(cols, row):
            cs.get(c).setValue(state, float(np.deg2rad(v) if (mot.in_degrees and rotational[c]) else v), False)
        model.realizePosition(state)
        for s, body in bodies.items():
            R = body.getTransformInGround(state).R()
            fx, fz = R.get(0, 0), R.get(2, 0)
            out[s][k] = np.degrees(np.arctan2(-fz if s == "r" else fz, fx))  # Z is right: internal = toward -Z on the right
    return out


def agreement(ours: np.ndarray, lab: np.ndarray) -> dict[str, Any]:
    """Offset (mean ours - lab), RMSE, RMSE after removing the offset, Pearson r over frames where both exist."""
    ok = np.isfinite(ours) & np.isfinite(lab)
    n = int(ok.sum())
    if n < 3:
        return {"n_frames": n, "offset_deg": None, "rmse_deg": None, "rmse_minus_offset_deg": None, "r": None}
    d = ours[ok] - lab[ok]
    offset = float(d.mean())
    r = float(np.corrcoef(ours[ok], lab[ok])[0, 1]) if np.std(ours[ok]) > 0 and np.std(lab[ok]) > 0 else None
    return {"n_frames": n, "offset_deg": round(offset, 3), "rmse_deg": round(float(np.sqrt(np.mean(d ** 2))), 3),
            "rmse_minus_offset_deg": round(float(np.sqrt(np.mean((d - offset) ** 2))), 3),
            "r": None if r is None else round(r, 4)}


def our_series(mot: MotTable, progression: dict[str, np.ndarray], angle: LabAngle) -> np.ndarray | None:
    if angle.ours.startswith("foot_progression_"):
        return progression[angle.ours[-1]]
    if angle.ours not in mot.names:
        return None
    return angle.sign * mot.data[angle.ours].to_numpy(dtype=float)


def compare_with_lab(mot: MotTable, lab: dict[str, np.ndarray], progression: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per angle of :data:`ANGLES` that both sides have: the numbers of :func:`agreement`, whether they are
    within :data:`AGREEMENT`, and where each side's values come from."""
    out: dict[str, Any] = {}
    for a in ANGLES:
        theirs, ours = lab_series(lab, a.label), our_series(mot, progression, a)
        if theirs is None or ours is None:
            continue
        n = min(len(ours), len(theirs))
        stats = agreement(ours[:n], theirs[:n, a.axis])
        max_offset, min_r = AGREEMENT[a.plane]
        agrees = (stats["offset_deg"] is not None and stats["r"] is not None
                  and abs(stats["offset_deg"]) <= max_offset and stats["r"] >= min_r)
        ours_text = a.ours if a.ours.startswith("foot_") else f"{'-' if a.sign < 0 else ''}{a.ours}"
        out[a.name] = {"ours": ours_text, "lab": f"{a.label}[{'XYZ'[a.axis]}]", "plane": a.plane, **stats,
                       "agrees": bool(agrees), "limits": {"max_abs_offset_deg": max_offset, "min_r": min_r}}
    return out


def cycles(heel_strike_frames: list[int], n_frames: int) -> list[tuple[int, int]]:
    """Consecutive heel strikes of one side inside the trial, as (start, stop) frames."""
    hs = sorted(f for f in heel_strike_frames if 0 <= f < n_frames)
    return [(a, b) for a, b in zip(hs, hs[1:]) if b > a + 2]


def normalized(x: np.ndarray, spans: list[tuple[int, int]], n_points: int = 101) -> np.ndarray:
    """Each cycle of ``x`` resampled to 0-100 % of the cycle: (n_cycles, n_points)."""
    grid = np.linspace(0.0, 1.0, n_points)
    rows = []
    for a, b in spans:
        seg = x[a:b + 1]
        if np.isfinite(seg).sum() < 3:
            continue
        t = np.linspace(0.0, 1.0, len(seg))
        ok = np.isfinite(seg)
        rows.append(np.interp(grid, t[ok], seg[ok]))
    return np.array(rows).reshape(-1, n_points)


def plot_vs_lab(path: str | Path, mot: MotTable, lab: dict[str, np.ndarray], progression: dict[str, np.ndarray],
                stats: dict[str, Any], heel_strikes: dict[str, list[int]], title: str) -> None:
    """Write a PNG: one panel per compared angle, ours and the lab's over the gait cycle (mean and +-1 SD of
    the trial's cycles, cut at that side's heel strikes; the pelvis at the right's), or over time when a
    side has no complete cycle. The caller makes the write atomic (pass a temporary path)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [a for a in ANGLES if a.name in stats]
    cols = 3
    rows = max(1, int(np.ceil(len(shown) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax in axes.ravel()[len(shown):]:
        ax.axis("off")
    for ax, a in zip(axes.ravel(), shown):
        ours, theirs = our_series(mot, progression, a), lab_series(lab, a.label)[:, a.axis]
        n = min(len(ours), len(theirs))
        spans = cycles(heel_strikes.get(a.side, []), n)
        for values, colour, label in ((ours[:n], "C0", "gaitmimic"), (theirs[:n], "k", "lab model")):
            curves = normalized(values, spans) if spans else np.empty((0, 0))
            if len(curves):
                x = np.linspace(0, 100, curves.shape[1])
                m, sd = curves.mean(axis=0), curves.std(axis=0)
                ax.plot(x, m, color=colour, label=f"{label} ({len(curves)} cycles)")
                ax.fill_between(x, m - sd, m + sd, color=colour, alpha=0.15, lw=0)
                ax.set_xlabel(f"% gait cycle ({a.side} heel strike to heel strike)")
            else:
                ax.plot(np.arange(n) / max(n - 1, 1) * 100, values, color=colour, label=label)
                ax.set_xlabel("% of the trial (no complete cycle)")
        s = stats[a.name]
        verdict = "agrees" if s["agrees"] else "differs"
        offset = "n/a" if s["offset_deg"] is None else f"{s['offset_deg']:+.1f}"
        r = "n/a" if s["r"] is None else f"{s['r']:.2f}"
        ax.set_title(f"{a.name}\noffset {offset} deg, r {r}: {verdict}", fontsize=9,
                     color="k" if s["agrees"] else "C3")
        ax.set_ylabel(f"deg (ours: {s['ours']})", fontsize=8)
        ax.grid(alpha=0.3)
    axes.ravel()[0].legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png")
    plt.close(fig)
