"""Per-subject PPO training (stable-baselines3) on the gait tracking task, and policy loading.

INPUTS: the subject's humanoid MJCF and reference npz files, the ``task`` and ``train`` settings
(:func:`gaitmimic.settings.section`). OUTPUTS (in ``out_dir``): the policy bundle of
:mod:`gaitmimic.io.policy` (model.zip, vecnormalize.pkl, progress.csv, train_info.json), checkpoints/,
tb/ (TensorBoard). A rerun with checkpoints present resumes from the latest one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from gaitmimic import settings
from gaitmimic.io.policy import (PROGRESS, TRAIN_INFO, PolicyBundle, load_model, load_vecnormalize, read_policy,
                                 write_policy, write_progress)


def total_steps(train) -> int:
    """The env steps of the ``train`` settings' budget: ``long_total_steps`` for ``budget: long``."""
    return int(train.long_total_steps if train.budget == "long" else train.total_steps)


def make_vec_env(humanoid_xml, reference_npzs, task, n_envs: int, n_workers: int, seed: int):
    """``n_envs`` training humanoids (random states seed, seed+1, ...) of the ``task`` settings in
    ``n_workers`` task cores (:class:`~gaitmimic.train.vec_env.GaitVecEnv`), with episode statistics."""
    from stable_baselines3.common.vec_env import VecMonitor

    from gaitmimic.task import make_core
    from gaitmimic.train.vec_env import GaitVecEnv

    factory = functools.partial(make_core, str(humanoid_xml), [str(p) for p in reference_npzs], task)
    venv = GaitVecEnv(factory, [seed + i for i in range(n_envs)], n_workers=max(1, min(n_workers, n_envs)))
    venv.seed(seed)
    return VecMonitor(venv)


#: Train keys that may change without invalidating checkpoints (a longer budget resumes).
RESUMABLE_KEYS = ("total_steps", "budget", "long_total_steps", "checkpoint_every_steps", "keep_checkpoints",
                  "device", "torch_threads")


def run_fingerprint(humanoid_xml, reference_npzs, task, train, n_envs: int) -> str:
    """Hash of everything a checkpoint depends on: inputs' bytes, task settings, training settings."""
    h = hashlib.sha256()
    for p in [humanoid_xml, *reference_npzs]:
        h.update(Path(p).read_bytes())
    cfg = {k: v for k, v in settings.as_dict(train).items() if k not in RESUMABLE_KEYS}
    h.update(json.dumps([settings.as_dict(task), cfg, n_envs], sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _lr(train):
    lr0 = float(train.learning_rate)
    if train.lr_schedule == "constant":
        return lr0
    lr1 = lr0 * float(train.lr_final_fraction)
    return lambda remaining: lr1 + (lr0 - lr1) * remaining  # remaining goes 1 -> 0


def _policy_kwargs(train) -> dict:
    import torch.nn as nn

    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU}[train.activation]
    return {"net_arch": dict(pi=list(train.net_arch.pi), vf=list(train.net_arch.vf)),
            "activation_fn": act, "log_std_init": float(train.log_std_init)}


def train_policy(humanoid_xml, reference_npzs: list, out_dir, task, train, n_workers: int,
                 log: logging.Logger | None = None, extra_callbacks: list | None = None) -> dict:
    """Train (or resume) one subject's policy; returns the train_info dict also written to disk.

    ``task``, ``train``: the settings (``gaitmimic.settings.section("task" | "train", ...)``).
    ``n_workers``: task cores stepping the ``train.n_envs`` humanoids (the job's threads; the results do
    not depend on it).
    ``extra_callbacks`` are appended to the SB3 callback list (tests use one to simulate a kill).
    """
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecNormalize

    from gaitmimic.train.callbacks import (CheckpointCallback, ProgressCSVCallback, ScheduleCallback,
                                           TorchThreadsCallback, latest_checkpoint, progress_rows_up_to)

    log = log or logging.getLogger("gaitmimic.train")
    out = Path(out_dir)
    ckpt_dir, tb_dir = out / "checkpoints", out / "tb"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    total = total_steps(train)
    import torch

    update_threads = int(train.torch_threads) if train.torch_threads is not None else max(int(n_workers), 1)
    torch.set_num_threads(update_threads)
    seed = int(train.seed)
    venv = make_vec_env(humanoid_xml, reference_npzs, task, int(train.n_envs), n_workers, seed)
    n_envs = venv.num_envs
    rate_hz = float(venv.unwrapped.rate_hz)
    fingerprint = run_fingerprint(humanoid_xml, reference_npzs, task, train, n_envs)
    latest = latest_checkpoint(ckpt_dir)
    if latest is not None and latest["fingerprint"] != fingerprint:
        stale = out / "checkpoints.stale"
        log.warning("checkpoints in %s come from other inputs or settings: moved to %s, training from scratch",
                    ckpt_dir, stale)
        shutil.rmtree(stale, ignore_errors=True)
        ckpt_dir.rename(stale)
        ckpt_dir.mkdir()
        latest = None
    resumed_from = 0
    if latest is not None:
        resumed_from = int(latest["steps"])
        log.info("resuming from checkpoint at %d steps (%s)", resumed_from, latest["model"])
        if latest["vecnormalize"]:
            venv = load_vecnormalize(ckpt_dir / latest["vecnormalize"], venv)
            venv.training = True
        model = load_model(ckpt_dir / latest["model"], train.device, env=venv)
        model.num_timesteps = resumed_from
    else:
        if train.normalize_obs or train.normalize_reward:
            venv = VecNormalize(venv, norm_obs=bool(train.normalize_obs), norm_reward=bool(train.normalize_reward),
                                gamma=float(train.gamma))
        model = PPO("MlpPolicy", venv, learning_rate=_lr(train), n_steps=int(train.n_steps),
                    batch_size=int(train.batch_size), n_epochs=int(train.n_epochs), gamma=float(train.gamma),
                    gae_lambda=float(train.gae_lambda), clip_range=float(train.clip_range),
                    ent_coef=float(train.ent_coef), vf_coef=float(train.vf_coef),
                    max_grad_norm=float(train.max_grad_norm), target_kl=train.target_kl,
                    policy_kwargs=_policy_kwargs(train), seed=seed, device=train.device, verbose=0)
    model.set_logger(configure(str(tb_dir), ["tensorboard"]))
    progress = ProgressCSVCallback(out / PROGRESS, rate_hz, log,
                                   progress_rows_up_to(ckpt_dir / PROGRESS, resumed_from),
                                   backup_path=ckpt_dir / PROGRESS)
    callbacks = [TorchThreadsCallback(update_threads), ScheduleCallback(total),
                 CheckpointCallback(ckpt_dir, train.checkpoint_every_steps, train.keep_checkpoints,
                                    fingerprint=fingerprint),
                 progress] + list(extra_callbacks or [])
    t0 = time.time()
    remaining = total - resumed_from
    log.info("training %d steps (%d done) with %d envs, task mode %s", total, resumed_from, n_envs, task.mode)
    try:
        if remaining > 0:
            model.learn(total_timesteps=remaining, callback=CallbackList(callbacks), reset_num_timesteps=False,
                        progress_bar=_is_terminal())
    finally:
        venv.close()  # the worker processes end with the run, also when it is killed
    wall = time.time() - t0
    if not progress.rows:  # nothing trained in this call (already complete): keep the output contract
        progress.rows = progress_rows_up_to(ckpt_dir / PROGRESS, int(model.num_timesteps))
    task_dict = settings.as_dict(task)
    info = {
        "total_steps": int(model.num_timesteps), "resumed_from_steps": resumed_from, "wall_s_this_run": round(wall, 1),
        "steps_per_s_this_run": round((model.num_timesteps - resumed_from) / max(wall, 1e-9), 1),
        "n_envs": n_envs, "seed": seed, "fingerprint": fingerprint, "device": str(model.device), "control_rate_hz": rate_hz,
        "humanoid_xml": str(humanoid_xml), "reference_npzs": [str(p) for p in reference_npzs],
        "task_cfg": task_dict, "train_cfg": {**settings.as_dict(train), "total_steps": total},
        "progress_last": progress.rows[-1] if progress.rows else None,
        "model_changes": ("mimic mode: stock motors replaced by PD position servos, torque limits gear x "
                          f"{task_dict['mimic']['servo']['torque_scale']}") if task.mode == "mimic" else "none",
    }
    write_policy(out, PolicyBundle(model, model.get_vec_normalize_env(), info, progress.rows))
    write_progress(ckpt_dir / PROGRESS, progress.rows)  # the copy beside the checkpoints
    return info


def _is_terminal() -> bool:
    try:
        import rich  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return sys.stderr.isatty()


class Policy:
    """A trained policy: ``act(obs)`` returns the deterministic action for one observation
    (or a batch), after the saved observation normalization.

    ``task``: the task settings it was trained with; ``info``: its train_info.json.
    """

    def __init__(self, model, vecnormalize, task, info: dict):
        self.model = model
        self.task = task
        self.info = info
        self._norm = None  # (mean, std, clip) of the observation normalization, read once
        if vecnormalize is not None and vecnormalize.norm_obs:
            rms = vecnormalize.obs_rms
            self._norm = (rms.mean, np.sqrt(rms.var + float(vecnormalize.epsilon)), float(vecnormalize.clip_obs))

    def normalize(self, obs: np.ndarray) -> np.ndarray:
        if self._norm is None:
            return obs
        mean, std, clip = self._norm
        return np.clip((obs - mean) / std, -clip, clip).astype(np.float32)

    def act(self, obs: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(self.normalize(np.asarray(obs, dtype=np.float32)), deterministic=True)
        return action


def load_policy(policy_dir) -> Policy:
    """The policy bundle in ``policy_dir`` (:func:`gaitmimic.io.policy.read_policy`) as a :class:`Policy`,
    with the task settings recorded in its train_info.json."""
    bundle = read_policy(policy_dir)
    task = settings.section("task", bundle.train_info["task_cfg"], source=str(Path(policy_dir) / TRAIN_INFO))
    return Policy(bundle.model, bundle.vecnormalize, task, bundle.train_info)
