"""Environment and training throughput, every row measured in the same run on the same machine.

Prints:
  1. env steps/s per humanoid of the task core (gaitmimic/task/core.py) with N = 1 (the evaluation
     env) and with the default share of one CPU (train.n_envs / --n-workers humanoids), each against raw
     MuJoCo physics: mj_step x substeps replayed from exactly the states and servo targets the core
     stepped from, the two measured back to back in 5 rounds (medians: this VM's speed drifts by
     +-20 % from minute to minute). Zero actions: the humanoids track the reference on their servos
     and balance feedback until they fall and are reset, as early in training;
  2. PPO env steps/s end to end (after the first iteration): our training with the default settings,
     our training at a baseline commit (a checkout of --baseline-rev), and stable-baselines3 PPO with
     all its defaults on dm_control's stock humanoid-walk with SB3's SubprocVecEnv (one env per CPU);
     each in its own process, the three interleaved over --rounds rounds (medians);
  3. the profile of one PPO iteration (collect rollouts, PPO update, other) per 1000 env steps, for ours
     now and at the baseline commit.

Usage: .venv/bin/python bench/env_speed.py [--humanoid H.xml --reference R.npz] [--steps 4000]
       [--ppo-steps 24576] [--n-workers 2] [--baseline-rev 66c7a39] [--rounds 3] [--skip-ppo]
Without --humanoid/--reference it uses the stock suite humanoid and a synthetic walk.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def core_rates(core, n_steps: int, rounds: int = 5) -> tuple[float, float, float]:
    """Median over ``rounds`` of (core steps/s per humanoid, raw steps/s, ratio): the core's step (actions,
    physics, rewards, status, observations, resets) timed, then raw ``mj_step`` x substeps replayed on one
    MjData from the same states and servo targets."""
    import mujoco

    n = core.n
    for i in range(n):
        core.reset(i)
    zeros = np.zeros((n, core.nu))
    scratch = mujoco.MjData(core.model)
    ours, raw, ratio = [], [], []
    for _ in range(rounds):
        states, elapsed = [], 0.0
        for _ in range(max(n_steps // (rounds * n), 1)):
            t0 = time.perf_counter()
            core.apply_actions(zeros)
            t1 = time.perf_counter()
            states += [(d.qpos.copy(), d.qvel.copy(), d.ctrl.copy()) for d in core.datas]  # not timed
            t2 = time.perf_counter()
            core.step_physics()
            _, _, terminated, truncated = core.after_physics()
            done = np.flatnonzero(terminated | truncated)
            for i in done:
                core.reset(int(i))
            if done.size:
                core.observe(done)
            elapsed += (t1 - t0) + (time.perf_counter() - t2)
        t_raw = 0.0
        for q, v, c in states:
            scratch.qpos[:], scratch.qvel[:], scratch.ctrl[:] = q, v, c
            t0 = time.perf_counter()
            mujoco.mj_step(core.model, scratch, nstep=core.n_substeps)
            t_raw += time.perf_counter() - t0
        ours.append(len(states) / elapsed)
        raw.append(len(states) / t_raw)
        ratio.append(ours[-1] / raw[-1])
    return float(np.median(ours)), float(np.median(raw)), float(np.median(ratio))


def _profile_callback():
    """An SB3 callback timing each PPO iteration: collect (rollout start -> end), update (PPO.train) and the
    rest; rates from the second iteration on (the first includes start-up)."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Profile(BaseCallback):
        def __init__(self):
            super().__init__()
            self.rows, self._start, self._collect, self._update = [], None, 0.0, 0.0

        def _on_training_start(self):
            train = self.model.train

            def timed_train(*a, **k):
                t0 = time.perf_counter()
                train(*a, **k)
                self._update = time.perf_counter() - t0
            self.model.train = timed_train

        def _on_training_end(self):
            del self.model.train  # the class's own method again (a saved model pickles its attributes)

        def _on_rollout_start(self):
            now = time.perf_counter()
            if self._start is not None:
                self.rows.append({"steps": self.num_timesteps - self._steps, "wall": now - self._start,
                                  "collect": self._collect, "update": self._update})
            self._start, self._steps = now, self.num_timesteps

        def _on_rollout_end(self):
            self._collect = time.perf_counter() - self._start

        def _on_step(self):
            return True

        def summary(self) -> dict:
            rows = self.rows[1:]  # without the first iteration
            steps = sum(r["steps"] for r in rows)
            wall = sum(r["wall"] for r in rows)
            per_k = {k: 1e6 * sum(r[k] for r in rows) / steps for k in ("collect", "update")}
            per_k["other"] = 1e6 * wall / steps - per_k["collect"] - per_k["update"]
            return {"steps_per_s": steps / wall, "iterations": len(rows), "ms_per_1000_steps": per_k}

    return Profile()


def _row_ours(humanoid: str, refs: list[str], steps: int, n_workers: int) -> dict:
    """Our training with the default settings (or, run from a baseline checkout, that commit's defaults)."""
    from gaitmimic import settings
    from gaitmimic.train.stage import train_policy

    prof = _profile_callback()
    with tempfile.TemporaryDirectory() as tmp:
        train = settings.section("train", {"total_steps": steps, "checkpoint_every_steps": 10 ** 9})
        train_policy(humanoid, refs, Path(tmp) / "policy", settings.section("task"), train, n_workers=n_workers,
                     extra_callbacks=[prof])
    return prof.summary()


def _row_stock(steps: int, n_workers: int) -> dict:
    """stable-baselines3 PPO, all its defaults, on dm_control humanoid-walk, SubprocVecEnv with one env per CPU."""
    import functools

    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import SubprocVecEnv

    prof = _profile_callback()
    venv = SubprocVecEnv([functools.partial(stock_walk, i) for i in range(n_workers)])
    model = PPO("MlpPolicy", venv, device="cpu", seed=0)
    model.learn(steps, callback=prof)
    venv.close()
    return prof.summary()


def stock_walk(seed: int = 0):
    """gymnasium view of dm_control suite humanoid-walk (flattened observations)."""
    import gymnasium as gym
    from dm_control import suite

    class StockWalk(gym.Env):
        def __init__(self):
            self.env = suite.load("humanoid", "walk", task_kwargs={"random": seed})
            spec = self.env.action_spec()
            n_obs = sum(int(np.prod(v.shape)) for v in self.env.observation_spec().values())
            self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n_obs,), np.float32)
            self.action_space = gym.spaces.Box(spec.minimum.astype(np.float32), spec.maximum.astype(np.float32))

        def _obs(self, ts):
            return np.concatenate([np.ravel(v) for v in ts.observation.values()]).astype(np.float32)

        def reset(self, *, seed=None, options=None):
            return self._obs(self.env.reset()), {}

        def step(self, action):
            ts = self.env.step(action)
            return self._obs(ts), float(ts.reward or 0.0), False, ts.last(), {}

    return StockWalk()


def _in_subprocess(row: str, args, code_dir: Path) -> dict:
    """One PPO row in a fresh process importing gaitmimic from ``code_dir``; its JSON result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_row", row, "--_code-dir", str(code_dir),
           "--humanoid", args.humanoid, "--ppo-steps", str(args.ppo_steps), "--n-workers", str(args.n_workers)]
    for r in args.reference:
        cmd += ["--reference", r]
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(code_dir))
    if out.returncode != 0:
        raise RuntimeError(f"PPO row {row!r} from {code_dir} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median_run(rows: list[dict]) -> dict:
    """Median steps/s and median phase times of repeated PPO rows."""
    return {"steps_per_s": float(np.median([r["steps_per_s"] for r in rows])),
            "ms_per_1000_steps": {k: float(np.median([r["ms_per_1000_steps"][k] for r in rows]))
                                  for k in ("collect", "update", "other")}}


def _checkout(rev: str, into: Path) -> Path:
    """The tree of commit ``rev`` of this repository, unpacked into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--humanoid")
    ap.add_argument("--reference", action="append")
    ap.add_argument("--steps", type=int, default=4000, help="control steps per env-speed row")
    ap.add_argument("--ppo-steps", type=int, default=24576)
    ap.add_argument("--n-workers", type=int, default=2)
    ap.add_argument("--baseline-rev", default="66c7a39", help="commit whose training is the 'before' row")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repetitions of the PPO rows (medians)")
    ap.add_argument("--skip-ppo", action="store_true")
    ap.add_argument("--_row", help=argparse.SUPPRESS)
    ap.add_argument("--_code-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(args._code_dir) if args._code_dir else REPO))
    if args._row == "ours":
        print(json.dumps(_row_ours(args.humanoid, args.reference, args.ppo_steps, args.n_workers)))
        return 0
    if args._row == "stock":
        print(json.dumps(_row_stock(args.ppo_steps, args.n_workers)))
        return 0

    from gaitmimic import settings
    from gaitmimic.sim.humanoid import suite_humanoid_path
    from gaitmimic.task import make_core
    from gaitmimic.task.synthetic import write_synthetic_reference

    tmpdir = tempfile.TemporaryDirectory()
    args.humanoid = args.humanoid or str(suite_humanoid_path())
    args.reference = args.reference or [str(write_synthetic_reference(Path(tmpdir.name) / "walk.npz"))]
    share = -(-int(settings.section("train").n_envs) // args.n_workers)
    rows = []
    for label, cfg, n in (("mimic (training), N = 1", {}, 1), (f"mimic (training), N = {share}", {}, share),
                          (f"seed, N = {share}", {"mode": "seed"}, share)):
        core = make_core(args.humanoid, args.reference, settings.section("task", cfg), list(range(n)))
        core_rates(core, 400)  # warm up
        rows.append((label, *core_rates(core, args.steps), core.n_substeps))
    print(f"\nenv speed: {args.steps} control steps per row, humanoid {args.humanoid}")
    print("| task core | ours (steps/s per humanoid) | raw mj_step x substeps (steps/s) | ratio | substeps |")
    print("| --- | --- | --- | --- | --- |")
    for label, ours, raw, ratio, sub in rows:
        print(f"| {label} | {ours:.0f} | {raw:.0f} | {ratio:.2f} | {sub} |")
    if args.skip_ppo:
        return 0
    base = _checkout(args.baseline_rev, Path(tmpdir.name) / "baseline")
    runs: dict[str, list[dict]] = {"ours": [], f"ours at {args.baseline_rev}": [], "stock": []}
    for _ in range(args.rounds):  # interleaved, so a drift of the machine's speed hits every row alike
        runs["ours"].append(_in_subprocess("ours", args, REPO))
        runs[f"ours at {args.baseline_rev}"].append(_in_subprocess("ours", args, base))
        runs["stock"].append(_in_subprocess("stock", args, REPO))
    ppo = {key: _median_run(rs) for key, rs in runs.items()}
    now, before, stock = ppo["ours"], ppo[f"ours at {args.baseline_rev}"], ppo["stock"]
    print(f"\nPPO end to end: {args.ppo_steps} env steps per row, {args.n_workers} CPUs, rates after the first "
          f"iteration, medians of {args.rounds} interleaved rounds")
    print("| training | env steps/s | ours now / this |")
    print("| --- | --- | --- |")
    labels = {"ours": "ours (this checkout, default settings)",
              f"ours at {args.baseline_rev}": f"ours at {args.baseline_rev} (its default settings)",
              "stock": f"SB3 PPO defaults, dm_control humanoid-walk, SubprocVecEnv x {args.n_workers}"}
    for key, row in ppo.items():
        print(f"| {labels[key]} | {row['steps_per_s']:.0f} | {now['steps_per_s'] / row['steps_per_s']:.2f}x |")
    print("\nOne PPO iteration, ms per 1000 env steps (iterations after the first)")
    print(f"| phase | ours at {args.baseline_rev} | ours now |")
    print("| --- | --- | --- |")
    for phase in ("collect", "update", "other"):
        print(f"| {phase} | {before['ms_per_1000_steps'][phase]:.0f} | {now['ms_per_1000_steps'][phase]:.0f} |")
    total_b = sum(before["ms_per_1000_steps"].values())
    total_n = sum(now["ms_per_1000_steps"].values())
    print(f"| total | {total_b:.0f} | {total_n:.0f} |")
    print(f"\nours vs stock SB3: {now['steps_per_s'] / stock['steps_per_s']:.2f}x; ours vs {args.baseline_rev}: "
          f"{now['steps_per_s'] / before['steps_per_s']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
