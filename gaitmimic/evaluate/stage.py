"""Entry of the ``evaluate`` rule: deterministic rollouts of the trained policy and the metrics.

INPUTS: the subject's humanoid MJCF and reference npz files (retarget), the trained policy bundle
(train); the ``evaluate`` settings (:func:`gaitmimic.settings.section`).
OUTPUTS: ``eval/metrics.json``, ``eval/metrics.csv``, ``eval/metrics.html``, ``eval/rollouts.npz``.

The stage's other rules enter through their own modules, so that editing one reruns only its rule:
``eval_video`` through :func:`gaitmimic.evaluate.video.render_videos`, ``eval_plots`` through
:func:`gaitmimic.evaluate.plots.subject_figures`, ``summary`` through
:func:`gaitmimic.evaluate.summary.write_summary`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from gaitmimic import settings
from gaitmimic.evaluate import metrics as M
from gaitmimic.evaluate import report_html, summary
from gaitmimic.evaluate.rollouts import push_trials, run_rollout, start_phases, zero_action
from gaitmimic.io.reference import read_reference
from gaitmimic.io.reports import write_json, write_table
from gaitmimic.io.rollouts import Rollout, write_rollouts
from gaitmimic.sim.humanoid import load_model

log = logging.getLogger(__name__)


def collect_rollouts(make_env, act_fn_for_env, policy: str, n_references: int, evaluate) -> list[Rollout]:
    """Rollouts from phase 0 of reference 0 and from ``evaluate.random_phases`` random phases (references in turn)."""
    env = make_env()
    act = act_fn_for_env(env)
    out = []
    for k, phase in enumerate(start_phases(int(evaluate.random_phases), int(evaluate.seed))):
        r = run_rollout(env, act, policy=policy, start_phase=phase, episode_s=float(evaluate.episode_s),
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
    evaluate,
    out_metrics_json: str | Path,
    out_metrics_csv: str | Path,
    out_rollouts_npz: str | Path,
    out_metrics_html: str | Path | None = None,
) -> dict:
    """Roll out the trained policy (and the zero-action floor) deterministically; write the metrics.

    ``evaluate``: the ``evaluate`` settings. The task is the one the policy was trained with (its
    train_info.json), with an episode at least ``evaluate.episode_s`` long.
    """
    from gaitmimic.task import make_env
    from gaitmimic.train.stage import load_policy

    policy_dir = Path(policy_dir)
    log.info("evaluating %s: %s with %d references", subject, policy_dir, len(reference_npzs))
    policy = load_policy(policy_dir)
    task = settings.replace(policy.task, {"episode_s": max(float(policy.task.episode_s), float(evaluate.episode_s))})
    refs = [str(p) for p in reference_npzs]

    def env_factory():
        return make_env(str(humanoid_xml), refs, task, seed=int(evaluate.seed), evaluation=True)

    rollouts = collect_rollouts(env_factory, lambda env: policy.act, "policy", len(refs), evaluate)
    if evaluate.zero_action_floor:
        rollouts += collect_rollouts(env_factory, lambda env: zero_action(env.action_space.shape), "zero_action",
                                     len(refs), evaluate)
    write_rollouts(out_rollouts_npz, rollouts)
    pushes = run_push_trials(env_factory, policy.act, evaluate, len(refs))
    return write_metrics(subject, rollouts, evaluate, out_metrics_json, out_metrics_csv, out_metrics_html, refs,
                         model=load_model(humanoid_xml), push_trials=pushes)


def run_push_trials(make_env, act, evaluate, n_references: int = 1) -> dict | None:
    """The policy's push trials (``evaluate.push_trials``, the references in turn): how many episodes walk on to
    the end after one push (forward and sideways); None when there are none."""
    cfg = evaluate.push_trials
    if int(cfg.episodes) <= 0:
        return None
    env = make_env()
    episode = float(evaluate.episode_s)
    rows = []
    trials = push_trials(int(cfg.episodes), float(cfg.force_n), float(cfg.duration_s), episode, int(evaluate.seed))
    for k, trial in enumerate(trials):
        r = run_rollout(env, act, policy="push", start_phase=trial["start_phase"], episode_s=episode,
                        reference_index=k % max(n_references, 1), push=trial["push"])
        rows.append({"direction": trial["direction"], "start_phase": trial["start_phase"], **trial["push"],
                     "walked_on": not bool(np.any(r.fell)), "time_up_s": float(M.steps_before_fall(r) * r.control_dt_s)})
    env.close()
    share = lambda rs: float(np.mean([x["walked_on"] for x in rs])) if rs else float("nan")  # noqa: E731
    return {"episodes": len(rows), "force_n": float(cfg.force_n), "duration_s": float(cfg.duration_s),
            "walked_on_share": share(rows),
            "forward_walked_on_share": share([x for x in rows if x["direction"] == "forward"]),
            "sideways_walked_on_share": share([x for x in rows if x["direction"] == "sideways"]),
            "trials": rows}


def reference_gait(reference_npzs: list[str | Path]) -> dict:
    """The subject's stride length (m, root advance per cycle) and cadence (steps/min) from the
    reference files' gait cycles, averaged over trials (NaN when no file has a complete cycle)."""
    lengths, cadences = [], []
    for p in reference_npzs:
        ref = read_reference(p)
        starts = np.asarray(ref.cycle_starts)
        if starts.size < 2:
            continue
        cadences.append(120.0 * float(ref.control_rate_hz) / float(np.mean(np.diff(starts))))
        lengths.append(float(np.asarray(ref.stride_m)[0]))
    mean = lambda v: float(np.mean(v)) if v else float("nan")  # noqa: E731
    return {"stride_length_m": mean(lengths), "cadence_spm": mean(cadences)}


def _fill_reference_gait(m: dict, ref: dict) -> None:
    """Use the reference files' stride and cadence (``ref``, empty when none were given) where the episodes
    were too short to measure them; the ratios again from what is then known."""
    for key in ("stride_length_m", "cadence_spm"):
        if key in ref and not np.isfinite(m[f"reference_{key}"]) and np.isfinite(ref[key]):
            m[f"reference_{key}"] = ref[key]
    for key, ratio in (("stride_length_m", "stride_length_ratio"), ("cadence_spm", "cadence_ratio")):
        a, b = m[key], m[f"reference_{key}"]
        m[ratio] = float(a / b) if np.isfinite(a) and np.isfinite(b) and b else float("nan")


def write_metrics(subject: str, rollouts: list[Rollout], evaluate, out_json: str | Path, out_csv: str | Path,
                  out_html: str | Path | None = None, reference_npzs: list[str | Path] | None = None,
                  model=None, push_trials: dict | None = None) -> dict:
    """Aggregate rollouts per policy into ``metrics.json``, the per-subject table ``metrics.csv`` and,
    for the report, the same table as HTML. ``evaluate``: the ``evaluate`` settings. ``reference_npzs``
    supply the subject's stride length and cadence when the episodes are too short to measure them on
    the reference (fewer than two strides). ``model`` (the humanoid): also the gait-cycle numbers (stance %,
    heel-strike timing, cycle-normalized RMSE) by foot-floor contact. ``push_trials``: the policy's push
    trials (:func:`run_push_trials`), kept under ``policy.push_trials``."""
    threshold = float(evaluate.termination_error_threshold)
    result = {
        "subject": subject,
        "episode_s": float(evaluate.episode_s),
        "control_dt_s": rollouts[0].control_dt_s,
        "termination_error_threshold": threshold,
        "definitions": (M.__doc__ or "").strip(),
    }
    ref_gait = reference_gait(reference_npzs) if reference_npzs else {}
    if ref_gait:
        result["reference_gait"] = ref_gait
    for name in dict.fromkeys(r.policy for r in rollouts):
        result[name] = M.aggregate_metrics([r for r in rollouts if r.policy == name], threshold=threshold,
                                           key_bodies=list(evaluate.key_bodies), model=model)
        _fill_reference_gait(result[name], ref_gait)
    if push_trials is not None and "policy" in result:
        result["policy"]["push_trials"] = push_trials
        result["policy"]["push_walked_on_share"] = push_trials["walked_on_share"]
    result = summary.json_safe(result)
    write_json(out_json, result, indent=2)
    table = summary.metrics_table(result)
    write_table(out_csv, table)
    if out_html is not None:
        report_html.table_page(
            table, out_html, f"{subject}: imitation metrics", transpose=True,
            note=f"{len([r for r in rollouts if r.policy == 'policy'])} deterministic episodes of "
                 f"{float(evaluate.episode_s):g} s per policy (phase 0 and random phases). zero_action = PD tracking "
                 "of the reference without the policy (floor). Per-episode numbers: eval/metrics.json.")
    return result
