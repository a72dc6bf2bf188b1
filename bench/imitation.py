"""Imitation benchmark: train one subject in ``seed`` and ``mimic`` mode on the same budget and
seed, then evaluate each deterministic policy over 20 episodes (evaluation=True: no helpers).

Prints per mode: tracked fraction (share of the 10 s episode before the first fall or deviation),
fall rate (a fall anywhere in the 10 s: the episode goes on after a deviation; a fall is the task's
termination test on torso height, head height and non-foot contacts, with the policy's own task
settings unless --eval-task-json overrides them), mean time up before a fall (10 s when none),
sagittal joint RMSE (deg, hips/knees/ankles flexion + abdomen pitch, over the tracked part), forward
speed relative to the reference, training wall time.

Usage:
  .venv/bin/python bench/imitation.py --humanoid H.xml --reference R.npz [--reference R2.npz]
      [--modes mimic seed] [--steps 1000000] [--seed 0] [--out bench_out/imitation]
      [--eval-only] [--episodes 20] [--task-json J] [--train-json J] [--eval-task-json J]
A rerun resumes unfinished training from its checkpoints; --eval-only evaluates what exists
(the final model, else the latest checkpoint). --curve evaluates every checkpoint kept (train with
e.g. --train-json '{"checkpoint_every_steps": 100000, "keep_checkpoints": 20}') and prints the time to
walk: the training wall time at the first checkpoint whose episodes are all full.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gaitmimic import settings  # noqa: E402
from gaitmimic.io.policy import load_model, load_vecnormalize, read_progress  # noqa: E402
from gaitmimic.io.reports import write_json  # noqa: E402
from gaitmimic.task import make_env  # noqa: E402
from gaitmimic.train.callbacks import latest_checkpoint  # noqa: E402
from gaitmimic.train.stage import Policy, load_policy, train_policy  # noqa: E402

SAGITTAL = ("abdomen_y", "right_hip_y", "right_knee", "right_ankle_y", "left_hip_y", "left_knee", "left_ankle_y")


def evaluate_policy(policy, humanoid_xml, refs, task, episodes: int = 20) -> dict:
    """Roll out ``policy`` (``.act(obs)``) from phases i/episodes in the ``task`` settings; aggregate the bench
    metrics."""
    env = make_env(humanoid_xml, refs, task, seed=123, evaluation=True)
    names = env.physics.joint_names
    sag = [names.index(n) for n in SAGITTAL if n in names]
    tracked, falls, sq, speed_ratio, time_up = [], 0, [], [], []

    def root_x():  # simulated and reference root x now
        return float(env.physics.data.qpos[0]), float(env.core.r_qpos[env.task.reference_row(), 0])

    for ep in range(episodes):
        obs, _ = env.reset(options={"phase": ep / episodes, "reference_index": ep % len(refs)})
        x0, rx0 = root_x()
        n_ok, n_up, tracking, fell, done, tracked_end = 0, 0, True, False, False, None
        while not done:  # an evaluation env ends the episode at a fall only; drift ends the tracked part
            obs, _, term, trunc, info = env.step(policy.act(obs))
            done = term or trunc
            if info["fell"]:
                fell = True
                break
            n_up += 1
            if tracking and info["deviated"]:
                tracking, tracked_end = False, root_x()
            if tracking:
                n_ok += 1
                e = env.physics.data.qpos[7:] - info["ref_qpos"][7:]
                sq.append(e[sag] ** 2)
        x1, rx1 = tracked_end or root_x()  # speed over the tracked part
        tracked.append(n_ok / env.task.episode_frames)
        time_up.append(n_up / env.task.rate_hz)
        falls += int(fell)
        if abs(rx1 - rx0) > 0.05:
            speed_ratio.append((x1 - x0) / (rx1 - rx0))
    return {
        "tracked_fraction": float(np.mean(tracked)),
        "full_episodes": int(np.sum(np.array(tracked) >= 0.999)),
        "fall_rate": falls / episodes,
        "time_up_s": float(np.mean(time_up)),
        "sagittal_rmse_deg": float(np.degrees(np.sqrt(np.mean(sq)))) if sq else float("nan"),
        "speed_ratio": float(np.mean(speed_ratio)) if speed_ratio else float("nan"),
        "episodes": episodes,
    }


class _ZeroPolicy:
    def __init__(self, n):
        self.n = n

    def act(self, obs):
        return np.zeros(self.n)


def _load_for_eval(out: Path, task, checkpoint: str | None = None):
    """The final policy if training finished, else the latest checkpoint (with the ``task`` settings it
    was trained with); ``checkpoint`` (a ckpt_*.zip path) picks one explicitly."""
    if checkpoint:
        ck_path = Path(checkpoint)
        steps = int(ck_path.stem.split("_")[1])
        ck = {"steps": steps, "model": ck_path.name, "vecnormalize": f"{ck_path.stem}_vecnormalize.pkl"}
        src = ck_path.parent
    elif (out / "model.zip").is_file():
        return load_policy(out), "final"
    else:
        ck = latest_checkpoint(out / "checkpoints")
        src = out / "checkpoints"
    if ck is None:
        return None, "none"
    vecnorm = load_vecnormalize(src / ck["vecnormalize"]) if ck["vecnormalize"] else None
    return Policy(load_model(src / ck["model"], "cpu"), vecnorm, task, {}), f"checkpoint@{ck['steps']}"


def learning_curve(out: Path, task, humanoid_xml, refs, eval_task_cfg: dict, episodes: int) -> list[dict]:
    """Bench metrics of every checkpoint kept in ``out/checkpoints`` with the training wall time it was
    written at (interpolated in the progress table, one row per rollout)."""
    prog = read_progress(out / "progress.csv")
    steps_col, wall_col = [int(r["steps"]) for r in prog], [float(r["wall_s"]) for r in prog]
    rows = []
    for ck in sorted((out / "checkpoints").glob("ckpt_*.zip")):
        pol, which = _load_for_eval(out, task, str(ck))
        steps = int(ck.stem.split("_")[1])
        m = evaluate_policy(pol, humanoid_xml, refs, settings.replace(pol.task, eval_task_cfg), episodes)
        rows.append({"steps": steps, "train_wall_s": float(np.interp(steps, steps_col, wall_col)), **m})
    return rows


def print_curve(mode: str, curve: list[dict]) -> None:
    print(f"\n{mode}: learning curve (every kept checkpoint)")
    print("| steps | train wall (s) | full 10 s episodes | fall rate | tracked fraction | sagittal RMSE (deg) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in curve:
        print(f"| {r['steps']} | {r['train_wall_s']:.0f} | {r['full_episodes']}/{r['episodes']} | {r['fall_rate']:.2f} | "
              f"{r['tracked_fraction']:.3f} | {r['sagittal_rmse_deg']:.1f} |")
    walks = [r for r in curve if r["full_episodes"] == r["episodes"]]
    print(f"time to walk ({mode}): " + (f"{walks[0]['train_wall_s']:.0f} s at {walks[0]['steps']} steps"
                                       if walks else "not reached"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--humanoid", required=True)
    ap.add_argument("--reference", action="append", required=True)
    ap.add_argument("--modes", nargs="+", default=["seed", "mimic"])
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-workers", type=int, default=2, help="task cores (CPUs) stepping the train.n_envs humanoids")
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--out", default="bench_out/imitation")
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--checkpoint", help="with --eval-only and one mode: evaluate this ckpt_*.zip")
    ap.add_argument("--curve", action="store_true", help="also evaluate every kept checkpoint (time to walk)")
    ap.add_argument("--no-pd-row", action="store_true", help="skip the zero-residual PD reference row")
    ap.add_argument("--task-json", default="{}", help="extra task config (JSON) for every mode")
    ap.add_argument("--train-json", default="{}", help="extra train config (JSON)")
    ap.add_argument("--eval-task-json", default="{}",
                    help="task config (JSON) merged over each policy's own for evaluation, e.g. one fall "
                         "criterion for policies trained with different termination settings")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    log = logging.getLogger("bench.imitation")
    rows = {}
    for mode in args.modes:
        out = Path(args.out) / mode
        task = settings.section("task", {**json.loads(args.task_json), "mode": mode})
        train = settings.section("train", {**json.loads(args.train_json), "total_steps": args.steps, "seed": args.seed})
        wall = None
        if not args.eval_only:
            t0 = time.time()
            info = train_policy(args.humanoid, args.reference, out, task, train, n_workers=args.n_workers, log=log)
            wall = time.time() - t0
            log.info("%s trained %d steps in %.0f s", mode, info["total_steps"], wall)
        pol, which = _load_for_eval(out, task, args.checkpoint)
        if pol is None:
            log.warning("%s: nothing trained in %s", mode, out)
            continue
        eval_task = settings.replace(pol.task, json.loads(args.eval_task_json))
        metrics = evaluate_policy(pol, args.humanoid, args.reference, eval_task, args.episodes)
        prog = out / "progress.csv"
        if wall is None and prog.is_file():
            wall = float(read_progress(prog)[-1]["wall_s"])
        metrics.update(policy=which, train_wall_s=wall)
        rows[mode] = metrics
        tag = f"_{which.replace('@', '_')}" if which != "final" else ""
        write_json(Path(args.out) / f"{mode}{tag}_metrics.json", metrics)
        if args.curve:
            curve = learning_curve(out, task, args.humanoid, args.reference, json.loads(args.eval_task_json),
                                   args.episodes)
            write_json(Path(args.out) / f"{mode}_curve.json", curve)
            print_curve(mode, curve)
    if "mimic" in args.modes and not args.no_pd_row:  # reference point: PD servos with zero residual, no policy
        env_task = settings.replace(settings.section("task", {**json.loads(args.task_json), "mode": "mimic"}),
                                    json.loads(args.eval_task_json))
        rows["pd_only (zero residual)"] = {**evaluate_policy(_ZeroPolicy(21), args.humanoid, args.reference,
                                                             env_task, args.episodes), "policy": "-", "train_wall_s": 0}
    print(f"\nimitation bench: {args.steps} steps, seed {args.seed}, {args.episodes} eval episodes of "
          f"10 s, reference {', '.join(args.reference)}")
    print(f"| mode | policy | tracked fraction | full 10 s episodes | fall rate | time up (s) | sagittal RMSE (deg) | "
          f"speed / reference | train wall (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for mode, m in rows.items():
        w = "-" if m["train_wall_s"] is None else f"{m['train_wall_s']:.0f}"
        print(f"| {mode} | {m['policy']} | {m['tracked_fraction']:.3f} | {m['full_episodes']}/{m['episodes']} | "
              f"{m['fall_rate']:.2f} | {m['time_up_s']:.1f} | {m['sagittal_rmse_deg']:.1f} | {m['speed_ratio']:.2f} | {w} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
