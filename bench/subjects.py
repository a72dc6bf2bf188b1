"""Subject table: does every benchmark subject walk, and walk like that person? (issue 21)

For each subject of the imitation benchmark and each PPO seed: train the default budget on the subject's
reference (``--reference trials``: every walking trial's own cycles; ``mean_cycle``: the subject's periodic
mean cycle), then evaluate 20 deterministic 10 s episodes (phase 0 and 19 random phases, the evaluation
stage's own rollouts) and 20 push trials, and print one row per subject and seed:

full 10 s episodes (tracked to the end without a fall), fall rate, tracked fraction, sagittal RMSE (hip,
knee, ankle flexion over the tracked steps), forward speed ratio, stance % simulated vs reference and
heel-strike timing error (% of the cycle; both by foot-floor contact on the simulated and the reference
humanoid, gaitmimic.evaluate.gait.gait_cycle_metrics), share walking on after a push, train wall time,
and the code version (git) each row was trained with.

The subjects are prepared by the workflow itself (``snakemake retarget_all``) in ``--work``: the demo
(data/demo01), BTK BELT_C, ANTO_M (the -Hole pair) and the lower-body subject (PiG_*3_FF) from
../shared/data/btk-plugingait, OpenSim's tutorial subject01 (its gait2354 model), and the Qualisys hybrid
subject (anatomical markers and thigh/shank clusters, five 240 Hz walks; no marker map). A row whose result
JSON exists is not run again (delete it to rerun); a trained policy is reused.

    .venv/bin/python bench/subjects.py [--reference trials|mean_cycle] [--seeds 0 1] [--subjects beltc ...]
        [--work bench_out/subjects] [--steps 1000000] [--episodes 20]
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gaitmimic import settings  # noqa: E402
from gaitmimic.evaluate import metrics as M  # noqa: E402
from gaitmimic.evaluate.stage import collect_rollouts, run_push_trials  # noqa: E402
from gaitmimic.io.reports import read_json, write_json  # noqa: E402
from gaitmimic.sim.humanoid import load_model  # noqa: E402
from gaitmimic.task import make_env  # noqa: E402
from gaitmimic.train.stage import load_policy, train_policy  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
#: subject -> (data group, raw files). Groups share a data folder and a config (the tutorial has its model).
SUBJECTS = {
    "demo01": ("demo", [REPO / "data" / "demo01" / f for f in ("static01.c3d", "walk01.c3d", "subject.yaml")]),
    "beltc": ("pig", [SHARED / "btk-plugingait" / f"PiG_{k}-FlatFoot-Full.c3d" for k in ("Calibration", "Motion")]),
    "antom": ("pig", [SHARED / "btk-plugingait" / f"PiG_{k}-FlatFoot-Hole.c3d" for k in ("Calibration", "Motion")]),
    "pig3": ("pig", [SHARED / "btk-plugingait" / f"PiG_{k}3_FF.c3d" for k in ("Calibration", "Motion")]),
    "tutorial": ("tutorial", [SHARED / "opensim-tutorial5" / f"subject01_{k}.trc" for k in ("static", "walk1")]),
    "qualisys": ("qualisys", [SHARED / "qualisys-clusters" / f for f in
                              ["Standing_Hybrid_1.c3d"] + [f"Walking_Hybrid_1_{i}.c3d" for i in range(1, 6)]]),
}
GROUP_CONFIG = {"tutorial": {"model": {"generic": str(SHARED / "opensim-tutorial5" / "gait2354_simbody.osim"),
                                       "marker_set": str(SHARED / "opensim-tutorial5" / "gait2354_Scale_MarkerSet.xml")}}}
SAGITTAL = ("right_hip_y", "left_hip_y", "right_knee", "left_knee", "right_ankle_y", "left_ankle_y")


def prepare(work: Path, names: list[str]) -> dict[str, Path]:
    """Run the workflow up to the references for ``names``; {subject: its results folder}."""
    out = {}
    for group in dict.fromkeys(SUBJECTS[n][0] for n in names):
        base = work / group
        members = [n for n in names if SUBJECTS[n][0] == group]
        for name in members:
            folder = base / "data" / name
            folder.mkdir(parents=True, exist_ok=True)
            for raw in SUBJECTS[name][1]:
                if not raw.is_file():
                    raise SystemExit(f"{raw}: not found (the benchmark needs ../shared/data and data/demo01)")
                link = folder / raw.name
                if not link.exists():
                    link.symlink_to(raw)
        config = {"data_dir": str(base / "data"), "results_dir": str(base / "results"), **GROUP_CONFIG.get(group, {})}
        (base / "config.yaml").write_text(json.dumps(config))
        subprocess.run([str(Path(sys.executable).parent / "snakemake"), "retarget_all", "--cores", "2",
                        "--configfile", str(base / "config.yaml"), "-s", str(REPO / "Snakefile"), "-d", str(base)],
                       check=True, stdout=subprocess.DEVNULL)
        out.update({n: base / "results" / n for n in members})
    return out


def references(results: Path, which: str) -> list[str]:
    ref = results / "reference"
    if which == "mean_cycle":
        return [str(ref / "mean_cycle.npz")]
    return sorted(str(p) for p in ref.glob("*.npz") if not p.name.endswith(("_joint_centres.npz", "mean_cycle.npz")))


def _code_version() -> str:
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "gaitmimic"], cwd=REPO, capture_output=True, text=True).stdout
    return rev + ("+changes" if dirty.strip() else "")


def run_row(name: str, results: Path, which: str, seed: int, steps: int, episodes: int, out: Path, log) -> dict:
    """Train (or reuse) one subject's policy at one seed and evaluate it; the row's numbers (``code``: the
    version the row started on, which trained it)."""
    code = _code_version()
    refs = references(results, which)
    xml = str(results / "reference" / "humanoid.xml")
    policy_dir = out / "policy"
    task = settings.section("task", {"reference": which})
    wall = None
    if not (policy_dir / "model.zip").is_file():
        t0 = time.time()
        train_policy(xml, refs, policy_dir, task, settings.section("train", {"total_steps": steps, "seed": seed}),
                     n_workers=2, log=log)
        wall = time.time() - t0
    policy = load_policy(policy_dir)
    evaluate = settings.section("evaluate", {"random_phases": episodes - 1, "zero_action_floor": False,
                                             "push_trials": {"episodes": episodes}})
    eval_task = settings.replace(policy.task, {"episode_s": float(evaluate.episode_s)})

    def env_factory():
        return make_env(xml, refs, eval_task, seed=int(evaluate.seed), evaluation=True)

    rollouts = collect_rollouts(env_factory, lambda env: policy.act, "policy", len(refs), evaluate)
    m = M.aggregate_metrics(rollouts, threshold=float(evaluate.termination_error_threshold),
                            key_bodies=list(evaluate.key_bodies), model=load_model(xml))
    per = m["joint_rmse_deg_per_joint"]
    pushes = run_push_trials(env_factory, policy.act, evaluate, len(refs))
    if wall is None:
        from gaitmimic.io.policy import read_progress

        wall = float(read_progress(policy_dir / "progress.csv")[-1]["wall_s"])
    return {
        "subject": name, "reference": which, "seed": seed, "steps": steps, "code": code,
        "full_episodes": int(sum(r["tracked_fraction"] >= 1.0 - 1e-9 and not r["fell"] for r in m["rollouts"])),
        "episodes": len(rollouts), "fall_rate": m["fall_rate"], "tracked_fraction": m["tracked_fraction"],
        "sagittal_rmse_deg": float(np.sqrt(np.mean([per[j] ** 2 for j in SAGITTAL]))),
        "speed_ratio": m["forward_speed_ratio"],
        "stance_pct": [m["stance_pct_right"], m["stance_pct_left"]],
        "reference_stance_pct": [m["reference_stance_pct_right"], m["reference_stance_pct_left"]],
        "stance_pct_difference": m["stance_pct_difference"],
        "heel_strike_timing_error_pct": m["heel_strike_timing_error_pct"],
        "cycle_rmse_sagittal_deg": m["cycle_rmse_sagittal_deg"],
        "push_walked_on_share": pushes["walked_on_share"], "train_wall_s": wall,
    }


def _fmt(v, spec=".2f"):
    return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, spec)


def print_table(rows: list[dict]) -> None:
    print("| subject | reference | seed | full 10 s episodes | fall rate | tracked fraction | sagittal RMSE (deg) | "
          "speed ratio | stance % sim / ref (R, L) | heel-strike timing error (% cycle) | walks on after a push | "
          "train wall (s) | code |")
    print("| --- " * 13 + "|")
    for r in rows:
        stance = ", ".join(f"{_fmt(a, '.0f')}/{_fmt(b, '.0f')}" for a, b in zip(r["stance_pct"], r["reference_stance_pct"]))
        print(f"| {r['subject']} | {r['reference']} | {r['seed']} | {r['full_episodes']}/{r['episodes']} | "
              f"{_fmt(r['fall_rate'])} | {_fmt(r['tracked_fraction'], '.3f')} | {_fmt(r['sagittal_rmse_deg'], '.1f')} | "
              f"{_fmt(r['speed_ratio'])} | {stance} | {_fmt(r['heel_strike_timing_error_pct'], '.1f')} | "
              f"{_fmt(r['push_walked_on_share'])} | {_fmt(r['train_wall_s'], '.0f')} | {r['code']} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", choices=["trials", "mean_cycle"], default=str(settings.section("task").reference),
                    help="the reference trained on (default: the config's task.reference)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--subjects", nargs="+", default=list(SUBJECTS), choices=list(SUBJECTS))
    ap.add_argument("--work", type=Path, default=REPO / "bench_out" / "subjects")
    ap.add_argument("--steps", type=int, default=int(settings.section("train").total_steps))
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--table-only", action="store_true", help="print the rows already measured")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    log = logging.getLogger("bench.subjects")
    rows = []
    folders = {} if args.table_only else prepare(args.work, args.subjects)
    for seed in args.seeds:
        for name in args.subjects:
            out = args.work / "runs" / args.reference / f"{name}_s{seed}"
            result = out / "row.json"
            if not result.is_file() and not args.table_only:
                write_json(result, run_row(name, folders[name], args.reference, seed, args.steps, args.episodes, out, log))
            if result.is_file():
                rows.append(read_json(result))
    print(f"\nsubject table: {args.steps} steps, {args.episodes} episodes of 10 s and {args.episodes} push trials")
    print_table(sorted(rows, key=lambda r: (r["subject"], r["seed"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
