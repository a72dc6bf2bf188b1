"""Figures for people: the gait-lab joint-angle figure, learning curve, IK error, gait events.
Entry of the ``eval_plots`` rule: :func:`subject_figures`.

Each function writes one figure (PNG, plus the other formats asked for, e.g. SVG) atomically and
returns the paths written. Matplotlib runs headless (Agg).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from gaitmimic import settings  # noqa: E402
from gaitmimic.atomic import atomic_path  # noqa: E402
from gaitmimic.errors import InputError  # noqa: E402
from gaitmimic.evaluate import gait  # noqa: E402
from gaitmimic.evaluate.metrics import steps_before_fall  # noqa: E402
from gaitmimic.io.events import read_events  # noqa: E402
from gaitmimic.io.reference import Reference, read_reference  # noqa: E402
from gaitmimic.io.policy import read_progress, read_train_info  # noqa: E402
from gaitmimic.io.reports import read_json  # noqa: E402
from gaitmimic.io.rollouts import Rollout, read_rollouts  # noqa: E402
from gaitmimic.io.trc import read_trc  # noqa: E402
from gaitmimic.sim.segment_angles import humanoid_segment_rotations, segment_angles_deg  # noqa: E402

REF_COLOR = "0.45"
SIM_COLOR = "tab:red"

#: Panels of the gait-lab figure: (key, title, y label), in the gait lab's layout: rows pelvis, hip, knee, ankle;
#: columns sagittal, frontal, transverse (``None``: no panel; the humanoid's knee is a hinge). Right side,
#: Plug-in Gait's signs. The pelvis angles and foot progression are segment angles (:mod:`gaitmimic.sim.segment_angles`,
#: 0 = upright standing), drawn when the humanoid model is given.
GAIT_PANELS = [
    ("pelvic_tilt", "Pelvic tilt (from standing)", "post (-) / ant (+) [deg]"),
    ("pelvic_obliquity", "Pelvic obliquity (from standing)", "down (-) / up (+) [deg]"),
    ("pelvic_rotation", "Pelvic rotation (from standing)", "back (-) / forward (+) [deg]"),
    ("hip_flexion_r", "Hip flexion/extension", "ext (-) / flex (+) [deg]"),
    ("hip_adduction_r", "Hip ab/adduction", "abd (-) / add (+) [deg]"),
    ("hip_rotation_r", "Hip rotation (from standing)", "ext (-) / int (+) [deg]"),
    ("knee_flexion_r", "Knee flexion/extension", "ext (-) / flex (+) [deg]"),
    None,
    None,
    ("ankle_dorsiflexion_r", "Ankle dorsi/plantarflexion", "plant (-) / dors (+) [deg]"),
    None,
    ("foot_progression_r", "Foot progression", "out (-) / in (+) [deg]"),
]
PANEL_KEYS = [p[0] for p in GAIT_PANELS if p is not None]


def save_figure(fig, out_png: str | Path, formats: list[str] | tuple[str, ...] = ("png",)) -> list[Path]:
    """Save ``fig`` as ``out_png`` and as the same stem with the other ``formats``; close it."""
    out_png = Path(out_png)
    written = []
    for fmt in dict.fromkeys(["png", *formats]):
        path = out_png.with_suffix(f".{fmt}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=120, bbox_inches="tight")
        written.append(path)
    plt.close(fig)
    return written


def gait_signals(qpos: np.ndarray, body_xpos: np.ndarray, body_names: list[str], model=None) -> dict[str, np.ndarray]:
    """The gait-lab panel signals (deg) for a trajectory: the clinical joint angles and, given the humanoid
    ``model``, the segment angles (pelvis, hip rotation, foot progression; else the obliquity of the hip line)."""
    sig = gait.clinical_angles_deg(qpos)
    if model is not None:
        sig.update(segment_angles_deg(humanoid_segment_rotations(model, qpos)))
    else:
        sig["pelvic_obliquity"] = gait.pelvic_obliquity_deg(body_xpos, body_names)
    return sig


def right_heel_strikes(qpos: np.ndarray, body_xpos: np.ndarray, body_names: list[str], dt: float, model=None) -> np.ndarray:
    """Right heel strikes of one trajectory, by the one rule used for the simulation and the reference alike:
    foot-floor contact given the humanoid ``model`` (:mod:`gaitmimic.sim.contact`), else Zeni's kinematic
    rule on the bodies."""
    if model is not None:
        return gait.contact_cycles(model, qpos)["r"][1]
    return gait.heel_strikes(body_xpos, body_names, "right", max(2, int(0.5 / dt)))


def reference_cycles(ref: Reference, model=None) -> dict[str, np.ndarray]:
    """Each panel's signal over the reference humanoid's gait cycles (right heel strike to the next, by
    :func:`right_heel_strikes`), ``{key: (C, 101)}``."""
    names = [str(b) for b in ref.body_names]
    sig = gait_signals(ref.qpos, ref.body_xpos, names, model)
    hs = right_heel_strikes(ref.qpos, ref.body_xpos, names, ref.dt, model)
    return {k: gait.normalize_cycles(v, hs) for k, v in sig.items()}


def simulated_cycles(rollouts: list[Rollout], model=None) -> dict[str, np.ndarray]:
    """Each panel's signal over the simulated humanoid's own gait cycles (right heel strike to the next, by
    :func:`right_heel_strikes`, before any fall), pooled over rollouts."""
    out: dict[str, list] = {key: [] for key in PANEL_KEYS}
    for r in rollouts:
        n = steps_before_fall(r)
        hs = right_heel_strikes(r.qpos[:n], r.body_xpos[:n], r.body_names, r.control_dt_s, model)
        if hs.size < 2:
            continue
        sig = gait_signals(r.qpos[:n], r.body_xpos[:n], r.body_names, model)
        for key in out:
            if key in sig:
                out[key].append(gait.normalize_cycles(sig[key], hs))
    return {k: (np.concatenate(v) if v else np.zeros((0, 101))) for k, v in out.items()}


def _toe_off_pct(qpos_runs: list[np.ndarray], model) -> float:
    """Mean right toe off (% of the contact cycle) over trajectories, by foot-floor contact; NaN if none."""
    pct = []
    for q in qpos_runs:
        c, hs, to = gait.contact_cycles(model, q)["r"]
        for a, b in zip(hs[:-1], hs[1:]):
            inside = to[(to > a) & (to < b)]
            if inside.size:
                pct.append(100.0 * (inside[0] - a) / (b - a))
    return float(np.mean(pct)) if pct else float("nan")


def marker_events_pct(ref: Reference, events: pd.DataFrame, model) -> dict[str, float]:
    """Where the subject's own (marker or force-plate) right heel strikes and toe offs fall in the reference
    humanoid's contact cycles (%): {"heel_strike": .., "toe_off": ..} (NaN when not found). The events'
    times are put on the reference's frames through its heel-strike frames (``cycle_starts``)."""
    hs_contact = gait.contact_cycles(model, ref.qpos)["r"][1]
    right = events[events["side"] == "right"]
    t_hs = np.sort(right.loc[right["event"] == "heel_strike", "time_s"].to_numpy(float))
    if len(hs_contact) < 2 or len(t_hs) == 0 or len(ref.cycle_starts) == 0:
        return {"heel_strike": float("nan"), "toe_off": float("nan")}
    starts_t = np.asarray(ref.cycle_starts) * ref.dt
    t0 = float(np.median([t - starts_t[np.argmin(np.abs(starts_t - t))] for t in t_hs]))  # events' time of frame 0
    out = {}
    for name in ("heel_strike", "toe_off"):
        frames = (right.loc[right["event"] == name, "time_s"].to_numpy(float) - t0) / ref.dt
        pct = []
        for f in frames:
            k = np.searchsorted(hs_contact, f, side="right") - 1
            if 0 <= k < len(hs_contact) - 1:
                a, b = hs_contact[k], hs_contact[k + 1]
                p = 100.0 * (f - a) / (b - a)
                pct.append(p - 100.0 if p > 50.0 and name == "heel_strike" else p)  # a strike just before contact
        out[name] = float(np.mean(pct)) if pct else float("nan")
    return out


def partial_cycles(rollouts: list[Rollout], cycle_s: float, model=None) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Simulated samples before a fall placed on the reference's gait phase, for episodes too short
    for a complete simulated cycle: ``{key: [(percent, degrees), ...]}``, split where the phase wraps.

    The phase of a sample is ``start_phase + time_s / cycle_s`` (the reference loops at constant cadence).
    """
    out: dict[str, list] = {key: [] for key in PANEL_KEYS}
    for r in rollouts:
        n = steps_before_fall(r)
        if n < 2:
            continue
        pct = 100.0 * ((r.start_phase + np.asarray(r.time_s[:n]) / cycle_s) % 1.0)
        sig = gait_signals(r.qpos[:n], r.body_xpos[:n], r.body_names, model)
        cuts = np.flatnonzero(np.diff(pct) < 0) + 1
        for key in (k for k in out if k in sig):
            for idx in np.split(np.arange(n), cuts):
                if idx.size >= 2:
                    out[key].append((pct[idx], sig[key][idx]))
    return out


def gait_cycle_figure(
    references: list[Reference], rollouts: list[Rollout], out_png: str | Path, title: str = "",
    formats: tuple[str, ...] = ("png",), cycle_s: float | None = None, model=None,
    events: list[pd.DataFrame | None] | None = None,
) -> list[Path]:
    """The standard gait-lab figure: the subject's cycles (mean +/- SD, grey band: the cycle-to-cycle
    variability) and the simulated humanoid (red: mean of its own cycles, thin lines: single cycles) over
    0-100 % of the gait cycle, both cut by the same rule (:func:`right_heel_strikes`).

    With the humanoid ``model``, the right toe offs by foot-floor contact are marked (grey dashed: reference,
    red dashed: simulated) and, with each reference's ``events``, where the subject's own heel strike and toe
    off fall (black dotted). When the humanoid never completes a cycle (it falls first) and ``cycle_s`` is
    given, its samples are drawn dotted against the reference's phase instead (:func:`partial_cycles`)."""
    ref_cyc: dict[str, list] = {key: [] for key in PANEL_KEYS}
    for ref in references:
        for k, v in reference_cycles(ref, model).items():
            if k in ref_cyc:
                ref_cyc[k].append(v)
    sim = simulated_cycles(rollouts, model)
    marks = []  # (percent, colour, style, label)
    if model is not None:
        marks.append((_toe_off_pct([r.qpos for r in references], model), REF_COLOR, "--", "toe off, reference (contact)"))
        marks.append((_toe_off_pct([r.qpos[:steps_before_fall(r)] for r in rollouts], model), SIM_COLOR, "--",
                      "toe off, simulated (contact)"))
        found = [marker_events_pct(ref, ev, model) for ref, ev in zip(references, events or []) if ev is not None]
        for name in ("heel_strike", "toe_off"):
            v = [f[name] for f in found if np.isfinite(f[name])]
            if v:
                marks.append((float(np.mean(v)) % 100.0, "k", ":", f"{name.replace('_', ' ')}, subject's events"))
    partial = partial_cycles(rollouts, cycle_s, model) if cycle_s and not len(sim["hip_flexion_r"]) else None
    pct = np.linspace(0, 100, 101)
    fig, axes = plt.subplots(4, 3, figsize=(13, 13))
    for ax, panel in zip(axes.flat, GAIT_PANELS):
        if panel is None:
            ax.axis("off")
            continue
        key, name, ylabel = panel
        if not ref_cyc[key] and not len(sim[key]):
            ax.set_title(name)
            ax.text(0.5, 0.5, "needs the humanoid model", transform=ax.transAxes, ha="center", color="0.4")
            continue
        rc = np.concatenate(ref_cyc[key]) if ref_cyc[key] else np.zeros((0, 101))
        if len(rc):
            m, sd = rc.mean(0), rc.std(0)
            ax.fill_between(pct, m - sd, m + sd, color=REF_COLOR, alpha=0.35, lw=0, label=f"reference mean ± SD ({len(rc)} cycles)")
            ax.plot(pct, m, color=REF_COLOR, lw=1.5)
        sc = sim[key]
        for c in sc[:20]:
            ax.plot(pct, c, color=SIM_COLOR, lw=0.5, alpha=0.35)
        if len(sc):
            ax.plot(pct, sc.mean(0), color=SIM_COLOR, lw=2, label=f"simulated mean ({len(sc)} cycles)")
        elif partial and partial[key]:
            for i, (x, y) in enumerate(partial[key]):
                ax.plot(x, y, color=SIM_COLOR, lw=1.2, ls=":",
                        label="simulated before its fall (by reference phase)" if i == 0 else None)
        else:
            ax.text(0.5, 0.5, "no complete simulated cycle", transform=ax.transAxes, ha="center", color=SIM_COLOR)
        for x, colour, style, label in marks:
            if np.isfinite(x):
                ax.axvline(x, color=colour, ls=style, lw=1, label=f"{label}: {x:.0f} %")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel("gait cycle [%]  (0 = right heel strike" + (", foot-floor contact)" if model is not None else ")"))
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, 100)
    handles, labels = axes[1, 0].get_legend_handles_labels()     # hip flexion: every curve and mark
    axes[2, 1].legend(handles, labels, loc="center", frameon=False)
    fig.suptitle(title or "Joint angles over the gait cycle (right side)")
    fig.tight_layout()
    return save_figure(fig, out_png, formats)


def learning_curve_figure(progress, out_png: str | Path, title: str = "",
                          formats: tuple[str, ...] = ("png",), episode_s: float | None = None) -> list[Path]:
    """Return and tracked fraction against environment steps, from the train stage's progress table
    (``progress``: its rows, :func:`gaitmimic.io.policy.read_progress`, or a DataFrame; values may be text).

    The tracked fraction of training episodes is ``ep_len_s_mean / episode_s`` (training episodes end at a
    fall or a large deviation, so this is the training counterpart of the evaluation's tracked fraction,
    helped by any root assist, which is drawn dashed); without ``episode_s``, the episode length.
    Columns: :data:`gaitmimic.io.policy.PROGRESS_COLUMNS`.
    """
    df = pd.DataFrame(progress).apply(pd.to_numeric, errors="coerce")  # an empty value is "not known yet"
    missing = [c for c in ("steps", "ep_return_mean", "ep_len_mean", "ep_len_s_mean") if c not in df.columns]
    if missing or not df["steps"].notna().any():
        raise InputError(None, f"the training progress table lacks {missing or ['steps values']}",
                         "train the policy for at least one rollout (progress.csv gets a row per rollout)")
    x, ret, frac = "steps", "ep_return_mean", "ep_len_mean"
    if episode_s:
        df["tracked_fraction"] = df["ep_len_s_mean"] / float(episode_s)
        frac = "tracked_fraction"
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, col in ((a1, ret), (a2, frac)):
        d = df[[x, col]].dropna()
        ax.plot(d[x], d[col], color="tab:blue", lw=1.5, marker="o", ms=3, label=col)
        ax.set_xlabel("environment steps")
        ax.set_ylabel(col)
        ax.grid(alpha=0.3)
    if frac == "tracked_fraction":
        a2.set_ylim(0, 1.05)
        a2.set_ylabel("episode length / episode_s")
    if "assist_level" in df.columns:
        d = df[[x, "assist_level"]].dropna()
        a2.plot(d[x], d["assist_level"], color="0.5", ls="--", lw=1, label="root assist level")
        a2.legend(fontsize=8, loc="lower right")
    a1.set_title("Return (training episodes)")
    a2.set_title("Tracked fraction (training episodes)" if frac == "tracked_fraction" else "Episode length")
    fig.suptitle(title or "Learning curve")
    fig.tight_layout()
    return save_figure(fig, out_png, formats)


def ik_error_figure(ik_summaries: list[str | Path], out_png: str | Path, title: str = "",
                    formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Marker RMS (solid) and max (dotted) error over time for each IK trial, in cm."""
    fig, ax = plt.subplots(figsize=(10, 3.8))
    for i, p in enumerate(ik_summaries):
        s = read_json(p)
        pf = s["per_frame"]
        t = np.asarray(pf["time_s"], dtype=float)
        color = f"C{i % 10}"
        name = Path(p).name.replace("_ik_summary.json", "")
        if t.size:
            ax.plot(t, 100 * np.asarray(pf["rms_m"], dtype=float), color=color, lw=1.2,
                    label=f"{name} RMS (median {100 * s['marker_rms_m']['median']:.1f} cm)")
            ax.plot(t, 100 * np.asarray(pf["max_m"], dtype=float), color=color, lw=0.8, ls=":", label=f"{name} max")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("marker error [cm]")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(title or "Inverse kinematics marker error")
    fig.tight_layout()
    return save_figure(fig, out_png, formats)


def _marker_height(trial, candidates: list[str]) -> tuple[str, np.ndarray] | None:
    for name in candidates:
        if name in trial.labels:
            return name, trial.xyz_m[:, trial.labels.index(name), 1]  # OpenSim frame: Y up
    return None


def gait_events_figure(trials: list[tuple[str, str | Path, str | Path]], out_png: str | Path,
                       heel_markers: dict[str, list[str]], toe_markers: dict[str, list[str]],
                       title: str = "", formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Heel and toe marker heights per side with the detected heel strikes (solid) and toe offs (dashed),
    two rows (right, left) per walking trial.

    ``trials``: ``[(label, marker TRC, events CSV), ...]``. ``heel_markers``/``toe_markers``:
    ``{"right": [candidate names], "left": [...]}``. Time is from the first frame stored in the file, as
    the events CSV's ``time_s``.
    """
    fig, axes = plt.subplots(2 * len(trials), 1, figsize=(11, 5.5 * len(trials)), squeeze=False)
    for k, (label, trc_path, events_csv) in enumerate(trials):
        trial = read_trc(trc_path)
        t = np.arange(trial.xyz_m.shape[0]) / trial.rate_hz
        ev = read_events(events_csv)
        for ax, side in zip(axes[2 * k:2 * k + 2, 0], ("right", "left")):
            for kind, cands, style in (("heel", heel_markers[side], "-"), ("toe", toe_markers[side], "--")):
                got = _marker_height(trial, cands)
                if got:
                    ax.plot(t, 100 * got[1], style, color="tab:blue" if kind == "heel" else "tab:green", lw=1.2,
                            label=f"{got[0]} ({kind}) height")
            for _, row in ev[ev["side"] == side].iterrows():
                hs = row["event"] == "heel_strike"
                ax.axvline(row["time_s"], color="tab:red" if hs else "tab:orange", ls="-" if hs else "--", lw=1)
            ax.plot([], [], color="tab:red", label="heel strike")
            ax.plot([], [], color="tab:orange", ls="--", label="toe off")
            ax.set_ylabel(f"{side} height [cm]")
            ax.set_title(f"{label}: {side} foot", fontsize=10, loc="left")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="upper right", ncol=2)
        axes[2 * k + 1, 0].set_xlabel("time [s]")
    fig.suptitle(title or "Gait events over heel and toe marker heights")
    fig.tight_layout()
    return save_figure(fig, out_png, formats)


def gait_figure(subject: str, reference_npzs: list[str | Path], rollouts_npz: str | Path, evaluate,
                out_png: str | Path, humanoid_xml: str | Path | None = None,
                events_csvs: list[str | Path] | None = None) -> list[Path]:
    """The gait-lab figure: the subject's cycles (mean +/- SD) against the trained policy's cycles
    (``evaluate.plots.formats``), cut by foot-floor contact on the humanoid ``humanoid_xml``, with the
    subject's own events (``events_csvs``, one per reference) marked."""
    from gaitmimic.sim.humanoid import load_model

    refs = [read_reference(p) for p in reference_npzs]
    model = load_model(humanoid_xml) if humanoid_xml is not None else None
    events = [read_events(p) for p in events_csvs] if events_csvs else None
    cycle_times = [float(np.mean(np.diff(r.cycle_starts))) / float(r.control_rate_hz)
                   for r in refs if np.asarray(r.cycle_starts).size >= 2]
    rollouts = [r for r in read_rollouts(rollouts_npz) if r.policy == "policy"]
    return gait_cycle_figure(refs, rollouts, out_png, title=f"{subject}: joint angles over the gait cycle "
                                   "(right side; grey = reference, red = simulated humanoid)",
                                   formats=tuple(evaluate.plots.formats),
                                   cycle_s=float(np.mean(cycle_times)) if cycle_times else None, model=model,
                                   events=events)


def learning_curve(subject: str, progress_csv: str | Path, train_info_json: str | Path,
                   out_png: str | Path) -> list[Path]:
    """Learning curve from the policy's ``progress.csv``; the training episode length (``task.episode_s``)
    from its ``train_info.json``."""
    episode_s = float(read_train_info(train_info_json)["task_cfg"]["episode_s"])
    return learning_curve_figure(read_progress(progress_csv), out_png, title=f"{subject}: learning curve",
                                       episode_s=episode_s)


def subject_figures(subject: str, reference_npzs: list[str | Path], rollouts_npz: str | Path,
                    progress_csv: str | Path, train_info_json: str | Path, ik_summaries: list[str | Path],
                    trials: list[tuple[str, str | Path, str | Path]], evaluate, out_gait: str | Path,
                    out_learning_curve: str | Path, out_ik: str | Path, out_events: str | Path,
                    humanoid_xml: str | Path | None = None) -> None:
    """Entry of the ``eval_plots`` rule: one subject's gait-lab figures (joint angles over the gait cycle,
    learning curve, IK marker error, gait events over every walking trial's heel and toe heights).
    ``trials``: (name, processed TRC, events CSV) per walking trial; ``evaluate``: the settings."""
    gait_figure(subject, reference_npzs, rollouts_npz, evaluate, out_gait, humanoid_xml,
                [events for _, _, events in trials] if len(trials) == len(reference_npzs) else None)
    learning_curve(subject, progress_csv, train_info_json, out_learning_curve)
    ik_error_figure(ik_summaries, out_ik, title=f"{subject}: IK marker error")
    gait_events_figure(trials, out_events, settings.as_dict(evaluate.plots.heel_markers),
                       settings.as_dict(evaluate.plots.toe_markers), title=f"{subject}: gait events over heel and toe heights")
