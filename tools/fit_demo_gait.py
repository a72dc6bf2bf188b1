"""Fit the demo subject's gait Fourier coefficients to real recorded gait (OpenSim tutorial 5).

Where ``gaitmimic/demo/gait_fourier.json`` comes from:

1. Copy the ``opensim-tutorial5`` data folder (OpenSim's Scale/IK example, subject01, 1.80 m, 72.6 kg,
   gait2354 model, Apache-2.0; given on the command line) to a temporary folder; never write into it.
2. Run its setups unchanged with opensim 4.6: ``ScaleTool(gait2354_Setup_Scale.xml)``, then
   ``InverseKinematicsTool(subject01_Setup_IK.xml)`` over the whole walk (0-2.5 s instead of 0.4-1.6 s).
3. Heel strikes and toe offs from the TRC heel and toe markers: the frames of
   :func:`gaitmimic.markers.events.zeni_events` (heel most anterior / toe most posterior relative to the
   sacral marker), refined to sub-frame times by a parabola through each peak, separately for each foot.
   Times are those of the IK motion (the TRC's own time column, as OpenSim reads it).
4. Gait phase per frame: 0 at right (or left) heel strike, linear between strikes, extrapolated with the
   neighbouring cycle's duration at both ends. Right-side coordinates, pelvis and lumbar: fitted against the
   right-heel-strike phase; left-side coordinates against the left one, then shifted by half a cycle, so
   left and right are exactly half a cycle apart.
5. Least-squares Fourier series with ``N_HARMONICS`` harmonics per coordinate (degrees). pelvis_tx/ty are
   not used (the generator sets the root translation); pelvis_tz keeps only its oscillation.
6. Contact phases from the force plates (``subject01_walk1_grf.mot``, vertical force > 20 N): heel strike
   and toe off as phases of the same foot's cycle, averaged over feet (``source_contact_phases``); the
   generator uses them to adapt the motion to the built-in model's feet (:mod:`gaitmimic.demo.adapt`).
7. gait2354 has no arms: arm swing is derived, not recorded: ``arm_flex = -0.6 (hip_flexion - mean)``,
   ``elbow_flex = 20 + 0.5 arm_flex``, ``arm_add = -6``, ``arm_rot = 0`` (degrees), same side.

Regenerate: ``.venv/bin/python -m tools.fit_demo_gait ../shared/data/opensim-tutorial5`` (about a minute).
Only the coefficients are committed, never the recording.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from pathlib import Path

import numpy as np

from gaitmimic import settings
from gaitmimic.demo.fourier import COEFFICIENTS_JSON, FourierSeries, fit_fourier
from gaitmimic.io.mot import read_mot_arrays
from gaitmimic.io.reports import write_json
from gaitmimic.io.trc import read_trc
from gaitmimic.markers.events import zeni_events
from gaitmimic.opensim.runtime import import_opensim

N_HARMONICS = 6
ARM_GAIN = -0.6
ELBOW_MEAN_DEG, ELBOW_GAIN = 20.0, 0.5
ARM_ADD_DEG = -6.0


def run_tutorial_ik(tutorial_dir: Path, workdir: Path) -> Path:
    """Scale + IK of the tutorial subject in a copy under ``workdir``; return the IK .mot path."""
    osim = import_opensim()
    work = workdir / "opensim-tutorial5"
    shutil.copytree(tutorial_dir, work)
    osim.Logger.setLevelString("error")
    with contextlib.chdir(work):  # the setups name their files relative to themselves
        osim.ScaleTool("gait2354_Setup_Scale.xml").run()
        ik = osim.InverseKinematicsTool("subject01_Setup_IK.xml")
        ik.setStartTime(0.0)
        ik.setEndTime(2.5)
        ik.setOutputMotionFileName("walk_ik_full.mot")
        ik.run()
    return work / "walk_ik_full.mot"


def refined_peak_times(time_s: np.ndarray, d: np.ndarray, peaks: list[int]) -> np.ndarray:
    """Sub-frame times (s) of the maxima of ``d`` at frames ``peaks``: the vertex of the parabola through
    each peak and its two neighbours (a peak on the first or last frame has none and is left out)."""
    dt = float(np.median(np.diff(time_s)))
    out: list[float] = []
    for i in peaks:
        if not 0 < i < len(d) - 1:
            continue
        den = d[i - 1] - 2 * d[i] + d[i + 1]
        frac = 0.5 * (d[i - 1] - d[i + 1]) / den if den != 0 else 0.0
        out.append(float(time_s[i] + frac * dt))
    return np.array(out)


def gait_events(time_s: np.ndarray, heel: np.ndarray, toe: np.ndarray, sacrum: np.ndarray, rate_hz: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Heel-strike and toe-off times (s) of one foot: Zeni frames (heel most anterior, toe most posterior
    relative to the sacrum along X), refined by :func:`refined_peak_times`. Trajectories (n, 3), OpenSim frame."""
    kinematic = settings.section("events").kinematic  # the marker stage's detector and settings
    strikes, toe_offs = zeni_events(heel, toe, sacrum, rate_hz, kinematic.min_step_s, kinematic.prominence_m)
    return (refined_peak_times(time_s, heel[:, 0] - sacrum[:, 0], strikes),
            refined_peak_times(time_s, sacrum[:, 0] - toe[:, 0], toe_offs))


def phase_from_events(time_s: np.ndarray, strikes_s: np.ndarray) -> np.ndarray:
    """Continuous gait phase (cycles) at each time: integer at each strike, linear in between,
    extrapolated with the first/last cycle's duration."""
    if len(strikes_s) < 2:
        raise ValueError("need at least two heel strikes of the same foot")
    k = np.arange(len(strikes_s), dtype=float)
    first = (strikes_s[1] - strikes_s[0])
    last = (strikes_s[-1] - strikes_s[-2])
    t_ext = np.concatenate([[strikes_s[0] - 10 * first], strikes_s, [strikes_s[-1] + 10 * last]])
    k_ext = np.concatenate([[-10.0], k, [k[-1] + 10.0]])
    return np.interp(time_s, t_ext, k_ext)


def contact_phases(tutorial_dir: Path, strikes: dict[str, np.ndarray], toe_offs: dict[str, np.ndarray],
                   threshold_n: float) -> dict[str, float]:
    """Mean phase of force-plate heel strikes and toe offs, each given to the foot whose Zeni event of the
    same kind is nearest (within 0.1 s); phases count from that foot's Zeni heel strike."""
    names, t, grf = read_mot_arrays(Path(tutorial_dir) / "subject01_walk1_grf.mot")
    found: dict[str, list[float]] = {"heel_strike": [], "toe_off": []}
    for col in (n for n in names if n.endswith("force_vy")):
        loaded = (grf[:, names.index(col)] > threshold_n).astype(int)
        for i in np.flatnonzero(np.diff(loaded) != 0):
            kind = "heel_strike" if loaded[i + 1] else "toe_off"
            when = 0.5 * (t[i] + t[i + 1])
            ref = strikes if kind == "heel_strike" else toe_offs
            side, dist = min(((s, float(np.min(np.abs(ref[s] - when)))) for s in ref if len(ref[s])), key=lambda x: x[1])
            if dist < 0.1:
                found[kind].append(float(phase_from_events(np.array([when]), strikes[side])[0] % 1.0))
    out = {}
    for kind, phases in found.items():
        if not phases:
            raise ValueError(f"no force-plate {kind} found in {tutorial_dir}")
        ang = np.angle(np.mean(np.exp(2j * np.pi * np.array(phases))))  # circular mean
        out[kind] = round(float(ang / (2 * np.pi) % 1.0), 4)
    return out


def fit_gait_coefficients(tutorial_dir: Path, n_harmonics: int = N_HARMONICS) -> dict:
    """Run the whole fit (see the module docstring) on the ``opensim-tutorial5`` folder ``tutorial_dir``;
    return the JSON document as a dict."""
    with tempfile.TemporaryDirectory(prefix="gaitmimic_fit_") as tmp:
        mot = run_tutorial_ik(Path(tutorial_dir), Path(tmp))
        names, t, ik = read_mot_arrays(mot)
    walk = read_trc(Path(tutorial_dir) / "subject01_walk1.trc")
    if walk.n_frames != len(t):
        raise ValueError(f"the IK motion has {len(t)} frames, the walk {walk.n_frames}")
    sac = walk.marker("V.Sacral")
    hs, to = {}, {}
    for s in ("r", "l"):
        hs[s], to[s] = gait_events(t, walk.marker(f"{s.upper()}.Heel"), walk.marker(f"{s.upper()}.Toe.Tip"), sac, walk.rate_hz)
    contacts = contact_phases(Path(tutorial_dir), hs, to, settings.section("events").force_threshold_n)
    phase = {s: phase_from_events(t, hs[s]) for s in ("r", "l")}
    series: dict[str, FourierSeries] = {}
    for j, name in enumerate(names):
        if name in ("pelvis_tx", "pelvis_ty"):
            continue
        side = "l" if name.endswith("_l") else "r"
        fs = fit_fourier(phase[side], ik[:, j], n_harmonics)
        if side == "l":
            fs = fs.shifted(0.5)
        if name == "pelvis_tz":
            fs = FourierSeries(0.0, fs.a, fs.b)
        series[name] = fs
    for s in ("r", "l"):
        hip = series[f"hip_flexion_{s}"]
        arm = FourierSeries(0.0, hip.a, hip.b).scaled(ARM_GAIN)
        series[f"arm_flex_{s}"] = arm
        series[f"arm_add_{s}"] = FourierSeries(ARM_ADD_DEG, (0.0,) * n_harmonics, (0.0,) * n_harmonics)
        series[f"arm_rot_{s}"] = FourierSeries(0.0, (0.0,) * n_harmonics, (0.0,) * n_harmonics)
        series[f"elbow_flex_{s}"] = arm.scaled(ELBOW_GAIN, ELBOW_MEAN_DEG)
    cycle_s = {s: float(np.mean(np.diff(hs[s]))) for s in ("r", "l")}
    return {
        "source": "OpenSim tutorial 5 (opensim-core, Apache-2.0), subject01_walk1: ScaleTool + IK with its "
        "own setups in opensim 4.6, gait2354 model; see tools/fit_demo_gait.py",
        "fitted_by": "python tools/fit_demo_gait.py ../shared/data/opensim-tutorial5",
        "n_harmonics": n_harmonics,
        "phase_origin": "right heel strike (Zeni, TRC heel markers); left coordinates shifted by half a cycle",
        "units": "degrees for rotations, metres for pelvis_tz (oscillation only)",
        "source_cycle_duration_s": round(0.5 * (cycle_s["r"] + cycle_s["l"]), 4),
        "source_heel_strikes_s": {s: [round(float(x), 4) for x in hs[s]] for s in ("r", "l")},
        "source_contact_phases": {**contacts, "from": "force plates, vertical force > 20 N (subject01_walk1_grf.mot)"},
        "derived_not_recorded": sorted(k for k in series if k.startswith(("arm_", "elbow_"))),
        "coordinates": {k: v.to_dict(ndigits=5) for k, v in series.items()},
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tutorial_dir", type=Path, help="the opensim-tutorial5 data folder (e.g. ../shared/data/opensim-tutorial5)")
    ap.add_argument("--out", type=Path, default=COEFFICIENTS_JSON)
    ap.add_argument("--harmonics", type=int, default=N_HARMONICS)
    args = ap.parse_args(argv)
    import_opensim().Logger.removeFileSink()  # no opensim.log in the working directory
    doc = fit_gait_coefficients(args.tutorial_dir, args.harmonics)
    write_json(args.out, doc, indent=1)
    print(f"wrote {args.out}: {len(doc['coordinates'])} coordinates, heel strikes {doc['source_heel_strikes_s']}")


if __name__ == "__main__":
    main()
