"""Entry functions of the evaluation stage, one per workflow rule.

INPUTS: the subject's humanoid MJCF and reference npz files (retarget), the trained policy folder
(train), IK summaries, marker TRCs and event CSVs (for the lab plots).
OUTPUTS: ``eval/metrics.json``, ``eval/metrics.csv``, ``eval/rollouts.npz``, ``eval/<subject>_<policy>.mp4``,
``eval/plots/*.png|svg``; ``summary.csv``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from gaitmimic.atomic import write_text
from gaitmimic.config import deep_merge
from gaitmimic.errors import InputError
from gaitmimic.evaluate import metrics as M
from gaitmimic.evaluate import plots, report_html, summary
from gaitmimic.evaluate.rollouts import Rollout, load_rollouts, run_rollout, save_rollouts, start_phases, zero_action

log = logging.getLogger(__name__)

#: Defaults of the ``evaluate:`` config section (config.yaml documents each key).
DEFAULT_EVAL_CFG: dict = {
    "episode_s": 10.0,
    "random_phases": 4,
    "seed": 0,
    "termination_error_threshold": M.DEFAULT_TERMINATION_ERROR,
    "key_bodies": ["head", "pelvis", "left_hand", "right_hand", "left_foot", "right_foot"],
    "zero_action_floor": True,
    "video": {"rollouts": ["policy", "zero_action"], "width": 640, "height": 480, "fps": 25.0,
              "ghost_alpha": 0.35, "ghost_offset_m": [0.0, 0.0, 0.0], "camera_distance_m": 4.0,
              "shadows": False},
    "plots": {"formats": ["png", "svg"],
              "heel_markers": {"right": ["RHEE"], "left": ["LHEE"]},
              "toe_markers": {"right": ["RTOE"], "left": ["LTOE"]}},
}


def eval_cfg_with_defaults(cfg: dict | None) -> dict:
    return deep_merge(DEFAULT_EVAL_CFG, cfg)


def collect_rollouts(make_env, act_fn_for_env, policy: str, n_references: int, cfg: dict) -> list[Rollout]:
    """Rollouts from phase 0 of reference 0 and from ``random_phases`` random phases (references in turn)."""
    env = make_env()
    act = act_fn_for_env(env)
    out = []
    for k, phase in enumerate(start_phases(int(cfg["random_phases"]), int(cfg["seed"]))):
        r = run_rollout(env, act, policy=policy, start_phase=phase, episode_s=float(cfg["episode_s"]),
                        reference_index=k % max(1, n_references))
        log.info("%s rollout %d (phase %.2f): %d/%d steps, fell=%s", policy, k, phase, r.n_steps,
                 r.n_planned_steps, bool(np.any(r.fell)))
        out.append(r)
    return out


def evaluate_subject(
    subject: str,
    humanoid_xml: str | Path,
    reference_npzs: list[str | Path],
    policy_dir: str | Path,
    task_cfg: dict,
    eval_cfg: dict,
    out_metrics_json: str | Path,
    out_metrics_csv: str | Path,
    out_rollouts_npz: str | Path,
    out_metrics_html: str | Path | None = None,
) -> dict:
    """Roll out the trained policy (and the zero-action floor) deterministically; write the metrics."""
    from gaitmimic.task import make_env
    from gaitmimic.train.stage import load_policy

    cfg = eval_cfg_with_defaults(eval_cfg)
    policy_dir = Path(policy_dir)
    log.info("evaluating %s: %s with %d references", subject, policy_dir, len(reference_npzs))
    if not (policy_dir / "model.zip").is_file():
        raise InputError(policy_dir / "model.zip", "trained policy not found", "run the train stage for this subject")
    policy = load_policy(policy_dir)
    # The task exactly as trained (mode, residual, servos), with the evaluation's episode length.
    tcfg = dict(getattr(policy, "task_cfg", None) or task_cfg or {})
    tcfg["episode_s"] = max(float(tcfg.get("episode_s", 0.0) or 0.0), float(cfg["episode_s"]))
    refs = [str(p) for p in reference_npzs]

    def env_factory():
        return make_env(str(humanoid_xml), refs, tcfg, seed=int(cfg["seed"]), evaluation=True)

    rollouts = collect_rollouts(env_factory, lambda env: policy.act, "policy", len(refs), cfg)
    if cfg["zero_action_floor"]:
        rollouts += collect_rollouts(env_factory, lambda env: zero_action(env.action_space.shape), "zero_action",
                                     len(refs), cfg)
    save_rollouts(out_rollouts_npz, rollouts)
    return write_metrics(subject, rollouts, cfg, out_metrics_json, out_metrics_csv, out_metrics_html, refs)


def reference_gait(reference_npzs: list[str | Path]) -> dict:
    """The subject's stride length (m, root advance per cycle) and cadence (steps/min) from the
    reference files' gait cycles, averaged over trials (NaN when no file has a complete cycle)."""
    lengths, cadences = [], []
    for p in reference_npzs:
        with np.load(p, allow_pickle=False) as z:
            starts = np.asarray(z["cycle_starts"]) if "cycle_starts" in z.files else np.zeros(0)
            if starts.size < 2 or "control_rate_hz" not in z.files:
                continue
            rate = float(z["control_rate_hz"])
            cadences.append(120.0 * rate / float(np.mean(np.diff(starts))))
            if "stride_m" in z.files:
                lengths.append(float(np.asarray(z["stride_m"])[0]))
    mean = lambda v: float(np.mean(v)) if v else float("nan")  # noqa: E731
    return {"stride_length_m": mean(lengths), "cadence_spm": mean(cadences)}


def _fill_reference_gait(m: dict, ref: dict) -> None:
    """Use the reference files' stride and cadence where the episodes were too short to measure them."""
    for key in ("stride_length_m", "cadence_spm"):
        if not np.isfinite(m.get(f"reference_{key}", float("nan"))) and np.isfinite(ref.get(key, float("nan"))):
            m[f"reference_{key}"] = ref[key]
    for key, ratio in (("stride_length_m", "stride_length_ratio"), ("cadence_spm", "cadence_ratio")):
        a, b = m.get(key, float("nan")), m.get(f"reference_{key}", float("nan"))
        m[ratio] = float(a / b) if np.isfinite(a) and np.isfinite(b) and b else float("nan")


def write_metrics(subject: str, rollouts: list[Rollout], cfg: dict, out_json: str | Path, out_csv: str | Path,
                  out_html: str | Path | None = None, reference_npzs: list[str | Path] | None = None) -> dict:
    """Aggregate rollouts per policy into ``metrics.json``, the per-subject table ``metrics.csv`` and,
    for the report, the same table as HTML. ``reference_npzs`` supply the subject's stride length and
    cadence when the episodes are too short to measure them on the reference (fewer than two strides)."""
    cfg = eval_cfg_with_defaults(cfg)
    result = {
        "subject": subject,
        "episode_s": float(cfg["episode_s"]),
        "control_dt_s": rollouts[0].control_dt_s,
        "termination_error_threshold": float(cfg["termination_error_threshold"]),
        "definitions": (M.__doc__ or "").strip(),
    }
    ref_gait = reference_gait(reference_npzs) if reference_npzs else {}
    if ref_gait:
        result["reference_gait"] = ref_gait
    for name in dict.fromkeys(r.policy for r in rollouts):
        result[name] = M.aggregate_metrics([r for r in rollouts if r.policy == name],
                                           threshold=float(cfg["termination_error_threshold"]),
                                           key_bodies=list(cfg["key_bodies"]))
        _fill_reference_gait(result[name], ref_gait)
    result = summary.json_safe(result)
    write_text(out_json, json.dumps(result, indent=2) + "\n")
    table = summary.metrics_table(result)
    summary.write_csv(table, out_csv)
    if out_html is not None:
        report_html.table_page(
            table, out_html, f"{subject}: imitation metrics", transpose=True,
            note=f"{len([r for r in rollouts if r.policy == 'policy'])} deterministic episodes of "
                 f"{float(cfg['episode_s']):g} s per policy (phase 0 and random phases). zero_action = PD tracking "
                 "of the reference without the policy (floor). Per-episode numbers: eval/metrics.json.")
    return result


def render_video(
    subject: str, humanoid_xml: str | Path, rollouts_npz: str | Path, metrics_json: str | Path,
    which: str, eval_cfg: dict, out_mp4: str | Path, out_html: str | Path | None = None,
) -> dict:
    """Film the phase-0 rollout of ``which`` ("policy" or "zero_action") with the reference ghost."""
    from gaitmimic.evaluate.video import VideoSettings, render_rollout

    cfg = eval_cfg_with_defaults(eval_cfg)
    vcfg = dict(cfg["video"])
    alpha = float(vcfg.pop("ghost_alpha", 0.35))
    settings = VideoSettings.from_config(vcfg)
    settings.ghost_rgba = (*settings.ghost_rgba[:3], alpha)
    candidates = [r for r in load_rollouts(rollouts_npz) if r.policy == which]
    if not candidates:
        raise InputError(rollouts_npz, f"no {which!r} rollout recorded",
                         "enable evaluate.zero_action_floor or drop it from evaluate.video.rollouts")
    r = candidates[0]
    m = json.loads(Path(metrics_json).read_text()).get(which, {})
    per = (m.get("rollouts") or [{}])[0]

    def fmt(v, spec):
        return format(v, spec) if isinstance(v, (int, float)) else "n/a"

    sim_v, ref_v = per.get("forward_speed_mps"), per.get("reference_speed_mps")
    ratio = sim_v / ref_v if isinstance(sim_v, (int, float)) and isinstance(ref_v, (int, float)) and ref_v else None
    lines = [f"tracked {fmt(per.get('tracked_fraction'), '.2f')}   joint RMSE {fmt(m.get('joint_rmse_deg'), '.1f')} deg"
             f"   speed ratio {fmt(ratio, '.2f')}"]
    title = f"{subject}   {which.replace('_', '-')}   start phase {r.start_phase:.2f}"
    info = render_rollout(humanoid_xml, r, out_mp4, settings, title=title, caption_lines=lines)
    if out_html is not None:
        report_html.video_page(out_mp4, out_html, title, lines + [
            f"{info['frames']} frames, {info['width']}x{info['height']} at {info['fps']:g} fps; "
            "translucent blue = the reference (ghost), solid = the simulated humanoid."])
    return info


def gait_figure(subject: str, reference_npzs: list[str | Path], rollouts_npz: str | Path, eval_cfg: dict,
                out_png: str | Path) -> list[Path]:
    """The gait-lab figure: reference cycles (mean +/- SD) against the trained policy's cycles."""
    cfg = eval_cfg_with_defaults(eval_cfg)
    refs, cycle_times = [], []
    for p in reference_npzs:
        with np.load(p, allow_pickle=False) as z:
            missing = [k for k in ("qpos", "body_xpos", "body_names", "cycle_starts") if k not in z.files]
            if missing:
                raise InputError(p, f"reference npz lacks {missing}", "regenerate it with the retarget stage")
            refs.append({k: z[k] for k in ("qpos", "body_xpos", "body_names", "cycle_starts")})
            rate = float(z["control_rate_hz"]) if "control_rate_hz" in z.files else None
            starts = np.asarray(z["cycle_starts"])
            if rate and starts.size >= 2:
                cycle_times.append(float(np.mean(np.diff(starts))) / rate)
    rollouts = [r for r in load_rollouts(rollouts_npz) if r.policy == "policy"]
    return plots.gait_cycle_figure(refs, rollouts, out_png, title=f"{subject}: joint angles over the gait cycle "
                                   "(right side; grey = reference, red = simulated humanoid)",
                                   formats=tuple(cfg["plots"]["formats"]),
                                   cycle_s=float(np.mean(cycle_times)) if cycle_times else None)


def learning_curve(subject: str, progress_csv: str | Path, task_cfg: dict, out_png: str | Path) -> list[Path]:
    """Learning curve from the policy's ``progress.csv`` (the training episode length from ``task.episode_s``)."""
    episode_s = float((task_cfg or {}).get("episode_s") or 10.0)
    train_info = Path(progress_csv).with_name("train_info.json")
    if train_info.is_file():
        episode_s = float((json.loads(train_info.read_text()).get("task_cfg") or {}).get("episode_s") or episode_s)
    return plots.learning_curve_figure(progress_csv, out_png, title=f"{subject}: learning curve", episode_s=episode_s)
