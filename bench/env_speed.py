"""Environment and training throughput.

Prints (same run, same machine):
  1. env steps/s of our task (mimic evaluation env, mimic training env with the default config, seed
     mode) vs raw MuJoCo physics on the same model: mj_step x substeps replayed from exactly the
     states (and servo targets) our env stepped from, the two measured back to back in 5 rounds
     (medians: this VM's speed drifts by +-20 % from minute to minute);
  2. PPO env steps/s of our training vs stable-baselines3 PPO on dm_control's stock humanoid-walk
     (same PPO settings, rollout size and steps), each with SB3's SubprocVecEnv layout (one env per
     process) and with the default grouped workers (gaitmimic/train/vec_env.py).

Usage: .venv/bin/python bench/env_speed.py [--humanoid H.xml --reference R.npz] [--steps 4000]
       [--ppo-steps 8192] [--n-workers 2]
Without --humanoid/--reference it uses the stock suite humanoid and a synthetic walk.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import mujoco
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gaitmimic import settings  # noqa: E402
from gaitmimic.sim.humanoid import suite_humanoid_path  # noqa: E402
from gaitmimic.task import make_env  # noqa: E402
from gaitmimic.task.synthetic import write_synthetic_reference  # noqa: E402


def env_rate(env, n_steps: int, states: list | None = None) -> tuple[float, list[int]]:
    """Control steps/s of ``env.step`` with zero actions; the episode lengths; optionally records into
    ``states`` each step's start state and servo targets (qpos, qvel, ctrl; ctrl None when the step
    ended the episode and the reset overwrote it) so raw physics can replay the same work."""
    d = env.physics.data
    lengths, n = [], 0
    a = np.zeros(env.action_space.shape)
    elapsed = 0.0
    for _ in range(n_steps):
        if states is not None:
            states.append((d.qpos.copy(), d.qvel.copy()))
        t0 = time.perf_counter()
        _, _, term, trunc, _ = env.step(a)
        n += 1
        if term or trunc:
            lengths.append(n)
            n = 0
            env.reset()
        elapsed += time.perf_counter() - t0
        if states is not None:
            states[-1] += (d.ctrl.copy(),) if not (term or trunc) else (None,)
    return n_steps / elapsed, lengths + [n]


def raw_rate(env, states: list) -> float:
    """mj_step x substeps from exactly the states (and servo targets) our env stepped from."""
    task = env.task
    m, d = task._m, task._d
    ctrls = [c for _, _, c in states if c is not None]
    fallback = ctrls[0] if ctrls else d.ctrl.copy()
    elapsed = 0.0
    for q, v, c in states:
        d.qpos[:], d.qvel[:], d.ctrl[:] = q, v, fallback if c is None else c
        t0 = time.perf_counter()
        mujoco.mj_step(m, d, nstep=task.n_substeps)
        elapsed += time.perf_counter() - t0
    return len(states) / elapsed


def paired_rates(env, n_steps: int, rounds: int = 5) -> tuple[float, float, float, float]:
    """Median over ``rounds`` of (our steps/s, raw steps/s, ratio), our env and raw physics measured
    back to back on the same states (this VM's speed drifts by +-20 % between runs); mean episode."""
    env.reset(seed=0)
    d = env.physics.data
    ours, raw, ratio, lengths = [], [], [], []
    for _ in range(rounds):
        states: list = []
        r_ours, ln = env_rate(env, n_steps // rounds, states)
        saved = (d.qpos.copy(), d.qvel.copy(), d.ctrl.copy())
        r_raw = raw_rate(env, states)
        d.qpos[:], d.qvel[:], d.ctrl[:] = saved  # our env carries on from where it was
        mujoco.mj_forward(env.task._m, env.task._d)
        ours.append(r_ours)
        raw.append(r_raw)
        ratio.append(r_ours / r_raw)
        lengths += ln
    return float(np.median(ours)), float(np.median(raw)), float(np.median(ratio)), float(np.mean(lengths))


class StockWalk:
    """gymnasium view of dm_control suite humanoid-walk (flattened observations)."""

    def __new__(cls, seed: int = 0):
        import gymnasium as gym
        from dm_control import suite

        class _Env(gym.Env):
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

        return _Env()


def _stock_env(seed):
    return StockWalk(seed)


def ppo_rates(humanoid, refs, steps: int, n_workers: int) -> list[tuple[str, float]]:
    """PPO env steps/s (learn() only) for our training and SB3 PPO on stock humanoid-walk, each with
    SB3's SubprocVecEnv (1 env per process) and with the grouped workers of the default config."""
    import functools

    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import SubprocVecEnv, VecMonitor, VecNormalize

    from gaitmimic.train.stage import train_policy
    from gaitmimic.train.vec_env import GroupedSubprocVecEnv

    torch.set_num_threads(1)
    default = settings.section("train")
    per_worker = int(default.envs_per_worker)
    rollout = int(default.n_steps) * n_workers * per_worker
    rows = []
    for label, epw in ((f"{n_workers} x 1 env (SB3 SubprocVecEnv layout)", 1),
                       (f"{n_workers} x {per_worker} envs (default)", per_worker)):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = {"total_steps": steps, "checkpoint_every_steps": 10 ** 9, "envs_per_worker": epw,
                   "n_steps": rollout // (n_workers * epw)}
            info = train_policy(humanoid, refs, Path(tmp) / "ours", settings.section("task"),
                                settings.section("train", cfg), n_workers=n_workers)
            rows.append((f"ours (gaitmimic.train, mimic), {label}", float(info["steps_per_s_this_run"])))
    for label, make in ((f"{n_workers} x 1 env, SB3 SubprocVecEnv",
                         lambda: SubprocVecEnv([functools.partial(_stock_env, i) for i in range(n_workers)])),
                        (f"{n_workers} x {per_worker} envs, GroupedSubprocVecEnv",
                         lambda: GroupedSubprocVecEnv([functools.partial(_stock_env, i)
                                                       for i in range(n_workers * per_worker)], n_workers))):
        venv = VecNormalize(VecMonitor(make()))
        model = PPO("MlpPolicy", venv, n_steps=rollout // venv.num_envs, batch_size=512, n_epochs=10, gamma=0.99,
                    policy_kwargs={"net_arch": dict(pi=[256, 256], vf=[256, 256]), "log_std_init": -2.0},
                    device="cpu", seed=0)
        t0 = time.perf_counter()
        model.learn(steps)
        rows.append((f"SB3 PPO on dm_control humanoid-walk, {label}", steps / (time.perf_counter() - t0)))
        venv.close()
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--humanoid")
    ap.add_argument("--reference", action="append")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--ppo-steps", type=int, default=8192)
    ap.add_argument("--n-workers", type=int, default=2)
    ap.add_argument("--skip-ppo", action="store_true")
    args = ap.parse_args(argv)
    tmpdir = tempfile.TemporaryDirectory()
    humanoid = args.humanoid or str(suite_humanoid_path())
    refs = args.reference or [str(write_synthetic_reference(Path(tmpdir.name) / "walk.npz"))]
    rows = []
    for label, cfg, evaluation in (("mimic (evaluation)", {}, True), ("mimic (training, default config)", {}, False),
                                   ("seed", {"mode": "seed"}, True)):
        env = make_env(humanoid, refs, settings.section("task", cfg), seed=0, evaluation=evaluation)
        env_rate(env, 200)  # warm up
        ours, raw, ratio, mean_len = paired_rates(env, args.steps)
        rows.append((label, ours, raw, ratio, env.task.n_substeps, mean_len))
    print(f"\nenv speed: {args.steps} control steps, humanoid {humanoid}")
    print("| task | our env (steps/s) | raw mj_step x substeps (steps/s) | ratio | substeps | mean episode (steps) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, ours, raw, ratio, sub, ln in rows:
        print(f"| {label} | {ours:.0f} | {raw:.0f} | {ratio:.2f} | {sub} | {ln:.0f} |")
    if not args.skip_ppo:
        rows = ppo_rates(humanoid, refs, args.ppo_steps, args.n_workers)
        print(f"\nPPO end to end ({args.ppo_steps} steps, {args.n_workers} worker processes, rollouts of 2048, "
              "256x256, n_epochs 10)")
        print("| training | env steps/s |")
        print("| --- | --- |")
        for label, rate in rows:
            print(f"| {label} | {rate:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
