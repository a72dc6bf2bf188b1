"""Per-subject PPO training (stable-baselines3) on the gait tracking task, and policy loading.

INPUTS: the subject's humanoid MJCF and reference npz files, the ``task:`` and ``train:`` config
sections. OUTPUTS (in ``out_dir``): model.zip, vecnormalize.pkl, checkpoints/, tb/ (TensorBoard),
progress.csv, train_info.json. A rerun with checkpoints present resumes from the latest one.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import shutil
import logging
import pickle
import sys
import time
from pathlib import Path

import numpy as np

from gaitmimic.atomic import write_text
from gaitmimic.config import deep_merge
from gaitmimic.task.config import merge_task_cfg

DEFAULT_TRAIN_CFG: dict = {
    "total_steps": 1_000_000,  # env steps for the default budget (make run in ~30 min)
    "budget": "default",  # default | long (uses long_total_steps)
    "long_total_steps": 3_000_000,
    "seed": 0,
    "device": "auto",
    "n_steps": 128,  # rollout length per env
    "batch_size": 512,
    "n_epochs": 10,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "learning_rate": 3.0e-4,
    "lr_schedule": "linear",  # constant | linear (to learning_rate * lr_final_fraction)
    "lr_final_fraction": 0.1,
    "clip_range": 0.2,
    "ent_coef": 0.0,
    "vf_coef": 0.5,
    "max_grad_norm": 0.5,
    "target_kl": None,
    "net_arch": {"pi": [256, 256], "vf": [256, 256]},
    "activation": "tanh",  # tanh | relu | elu
    "log_std_init": -2.0,
    "normalize_obs": True,
    "normalize_reward": True,
    "checkpoint_every_steps": 50_000,
    "keep_checkpoints": 2,
    "torch_threads": 1,  # torch CPU threads in the learner (more threads thrash on a busy machine)
    "vec_env": "subproc",  # subproc: one worker process per thread | dummy: all envs in this process
    "envs_per_worker": 8,  # envs stepped by each worker per message
}


def merge_train_cfg(train_cfg: dict | None) -> dict:
    cfg = deep_merge(DEFAULT_TRAIN_CFG, train_cfg or {})
    if cfg["budget"] == "long":
        cfg["total_steps"] = int(cfg["long_total_steps"])
    return cfg


def _make_one(humanoid_xml, reference_npzs, task_cfg, seed):
    from gaitmimic.task import make_env

    return make_env(humanoid_xml, reference_npzs, task_cfg, seed=seed, evaluation=False)


def make_vec_env(humanoid_xml, reference_npzs, task_cfg: dict, n_workers: int, envs_per_worker: int, seed: int,
                 kind: str = "subproc"):
    """``n_workers * envs_per_worker`` training envs (seeded seed, seed+1, ...).

    ``subproc``: one worker process per thread, each stepping its group of envs per message
    (:class:`~gaitmimic.train.vec_env.GroupedSubprocVecEnv`); ``dummy``: all in this process.
    """
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    from gaitmimic.train.vec_env import GroupedSubprocVecEnv

    n_envs = max(n_workers, 1) * max(envs_per_worker, 1)
    fns = [functools.partial(_make_one, str(humanoid_xml), [str(p) for p in reference_npzs], task_cfg, seed + i)
           for i in range(n_envs)]
    if kind == "subproc" and n_workers > 1:
        # fork: workers must not re-import __main__ (a Snakemake script runs as __main__).
        venv = GroupedSubprocVecEnv(fns, n_workers, start_method="fork")
    else:
        venv = DummyVecEnv(fns)
    venv.seed(seed)
    return VecMonitor(venv)


#: Train keys that may change without invalidating checkpoints (a longer budget resumes).
RESUMABLE_KEYS = ("total_steps", "budget", "long_total_steps", "checkpoint_every_steps", "keep_checkpoints",
                  "device", "torch_threads", "vec_env")


def run_fingerprint(humanoid_xml, reference_npzs, task_cfg: dict, train_cfg: dict, n_envs: int) -> str:
    """Hash of everything a checkpoint depends on: inputs' bytes, task config, training config."""
    h = hashlib.sha256()
    for p in [humanoid_xml, *reference_npzs]:
        h.update(Path(p).read_bytes())
    cfg = {k: v for k, v in train_cfg.items() if k not in RESUMABLE_KEYS}
    h.update(json.dumps([task_cfg, cfg, n_envs], sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _lr(cfg: dict):
    lr0 = float(cfg["learning_rate"])
    if cfg["lr_schedule"] == "constant":
        return lr0
    lr1 = lr0 * float(cfg["lr_final_fraction"])
    return lambda remaining: lr1 + (lr0 - lr1) * remaining  # remaining goes 1 -> 0


def _policy_kwargs(cfg: dict) -> dict:
    import torch.nn as nn

    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU}[cfg["activation"]]
    return {"net_arch": dict(pi=list(cfg["net_arch"]["pi"]), vf=list(cfg["net_arch"]["vf"])),
            "activation_fn": act, "log_std_init": float(cfg["log_std_init"])}


def train_policy(humanoid_xml, reference_npzs: list, out_dir, task_cfg: dict | None, train_cfg: dict | None,
                 n_workers: int = 2, log: logging.Logger | None = None, extra_callbacks: list | None = None) -> dict:
    """Train (or resume) one subject's policy; returns the train_info dict also written to disk.

    ``n_workers`` env processes (the job's threads) each run ``train.envs_per_worker`` envs.

    ``extra_callbacks`` are appended to the SB3 callback list (tests use one to simulate a kill).
    """
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecNormalize

    from gaitmimic.train.callbacks import (CheckpointCallback, ProgressCSVCallback, ScheduleCallback,
                                           latest_checkpoint, read_progress_rows, save_model_atomic)

    log = log or logging.getLogger("gaitmimic.train")
    out = Path(out_dir)
    ckpt_dir, tb_dir = out / "checkpoints", out / "tb"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tcfg = merge_task_cfg(task_cfg or {})
    cfg = merge_train_cfg(train_cfg)
    total = int(cfg["total_steps"])
    import torch

    torch.set_num_threads(max(int(cfg["torch_threads"]), 1))
    seed = int(cfg["seed"])
    venv = make_vec_env(humanoid_xml, reference_npzs, tcfg, n_workers, int(cfg["envs_per_worker"]), seed,
                        cfg["vec_env"])
    n_envs = venv.num_envs
    rate_hz = float(venv.env_method("control_rate_hz", indices=[0])[0])
    fingerprint = run_fingerprint(humanoid_xml, reference_npzs, tcfg, cfg, n_envs)
    latest = latest_checkpoint(ckpt_dir)
    if latest is not None and latest.get("fingerprint", fingerprint) != fingerprint:
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
        if latest.get("vecnormalize"):
            venv = VecNormalize.load(str(ckpt_dir / latest["vecnormalize"]), venv)
            venv.training = True
        model = PPO.load(str(ckpt_dir / latest["model"]), env=venv, device=cfg["device"])
        model.num_timesteps = resumed_from
    else:
        if cfg["normalize_obs"] or cfg["normalize_reward"]:
            venv = VecNormalize(venv, norm_obs=bool(cfg["normalize_obs"]), norm_reward=bool(cfg["normalize_reward"]),
                                gamma=float(cfg["gamma"]))
        model = PPO("MlpPolicy", venv, learning_rate=_lr(cfg), n_steps=int(cfg["n_steps"]),
                    batch_size=int(cfg["batch_size"]), n_epochs=int(cfg["n_epochs"]), gamma=float(cfg["gamma"]),
                    gae_lambda=float(cfg["gae_lambda"]), clip_range=float(cfg["clip_range"]),
                    ent_coef=float(cfg["ent_coef"]), vf_coef=float(cfg["vf_coef"]),
                    max_grad_norm=float(cfg["max_grad_norm"]), target_kl=cfg["target_kl"],
                    policy_kwargs=_policy_kwargs(cfg), seed=seed, device=cfg["device"], verbose=0)
    model.set_logger(configure(str(tb_dir), ["tensorboard"]))
    progress = ProgressCSVCallback(out / "progress.csv", rate_hz, log,
                                   read_progress_rows(ckpt_dir / "progress.csv", resumed_from),
                                   backup_path=ckpt_dir / "progress.csv")
    callbacks = [ScheduleCallback(total),
                 CheckpointCallback(ckpt_dir, cfg["checkpoint_every_steps"], cfg["keep_checkpoints"],
                                    fingerprint=fingerprint),
                 progress] + list(extra_callbacks or [])
    t0 = time.time()
    remaining = total - resumed_from
    log.info("training %d steps (%d done) with %d envs, task mode %s", total, resumed_from, n_envs, tcfg["mode"])
    if remaining > 0:
        model.learn(total_timesteps=remaining, callback=CallbackList(callbacks), reset_num_timesteps=False,
                    progress_bar=_is_terminal())
    wall = time.time() - t0
    vecnorm = model.get_vec_normalize_env()
    save_model_atomic(model, vecnorm, out / "model.zip", out / "vecnormalize.pkl" if vecnorm is not None else None)
    if vecnorm is None:  # keep the output contract: an identity normalizer marker
        write_text(out / "vecnormalize.pkl", "")
    if not progress.rows:  # nothing trained in this call (already complete): keep the output contract
        progress.rows = read_progress_rows(ckpt_dir / "progress.csv", int(model.num_timesteps))
    progress.write()
    info = {
        "total_steps": int(model.num_timesteps), "resumed_from_steps": resumed_from, "wall_s_this_run": round(wall, 1),
        "steps_per_s_this_run": round((model.num_timesteps - resumed_from) / max(wall, 1e-9), 1),
        "n_envs": n_envs, "seed": seed, "fingerprint": fingerprint, "device": str(model.device), "control_rate_hz": rate_hz,
        "humanoid_xml": str(humanoid_xml), "reference_npzs": [str(p) for p in reference_npzs],
        "task_cfg": tcfg, "train_cfg": cfg, "progress_last": progress.rows[-1] if progress.rows else None,
        "model_changes": ("mimic mode: stock motors replaced by PD position servos, torque limits gear x "
                          f"{tcfg['mimic']['servo']['torque_scale']}") if tcfg["mode"] == "mimic" else "none",
    }
    write_text(out / "train_info.json", json.dumps(info, indent=2, default=str))
    venv.close()
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
    (or a batch), after the saved observation normalization."""

    def __init__(self, model, obs_rms, clip_obs: float, epsilon: float, task_cfg: dict | None, info: dict):
        self.model = model
        self.obs_rms = obs_rms
        self.clip_obs = clip_obs
        self.epsilon = epsilon
        self.task_cfg = task_cfg
        self.info = info

    def normalize(self, obs: np.ndarray) -> np.ndarray:
        if self.obs_rms is None:
            return obs
        return np.clip((obs - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + self.epsilon),
                       -self.clip_obs, self.clip_obs).astype(np.float32)

    def act(self, obs: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(self.normalize(np.asarray(obs, dtype=np.float32)), deterministic=True)
        return action


def load_policy(policy_dir) -> Policy:
    """Load ``policy_dir``/model.zip with its vecnormalize.pkl and train_info.json (task config)."""
    from stable_baselines3 import PPO

    from gaitmimic.errors import InputError

    policy_dir = Path(policy_dir)
    if not (policy_dir / "model.zip").is_file():
        raise InputError(policy_dir / "model.zip", "trained policy not found", "run the train stage first")
    model = PPO.load(str(policy_dir / "model.zip"), device="cpu")
    obs_rms, clip_obs, eps = None, 10.0, 1e-8
    vn = policy_dir / "vecnormalize.pkl"
    if vn.is_file() and vn.stat().st_size > 0:
        with open(vn, "rb") as f:
            norm = pickle.load(f)
        if getattr(norm, "norm_obs", False):
            obs_rms, clip_obs, eps = norm.obs_rms, float(norm.clip_obs), float(norm.epsilon)
    info = {}
    if (policy_dir / "train_info.json").is_file():
        info = json.loads((policy_dir / "train_info.json").read_text())
    return Policy(model, obs_rms, clip_obs, eps, copy.deepcopy(info.get("task_cfg")), info)
