"""The trained policy of the train stage: the files of ``<subject>/policy/``.

- ``model.zip``: the stable-baselines3 PPO model (SB3's own format: saved and loaded by SB3, here only);
- ``vecnormalize.pkl``: SB3's ``VecNormalize`` running statistics of observations and rewards (pickled by
  SB3's layout, without its env); an empty file when training normalized neither;
- ``train_info.json``: the run's record (steps, seed, fingerprint, the task and train settings as plain
  mappings under ``task_cfg`` and ``train_cfg``, ...);
- ``progress.csv``: one row per PPO rollout, columns :data:`PROGRESS_COLUMNS` (values as written: a
  number, or empty when not known yet).

The train stage's checkpoints (``checkpoints/ckpt_<steps>.zip`` and ``..._vecnormalize.pkl``, and a copy of
the progress table) use the same formats through :func:`save_model`, :func:`save_vecnormalize` and
:func:`write_progress`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import pickle
from pathlib import Path
from typing import Any

from gaitmimic.atomic import atomic_path, write_text
from gaitmimic.errors import InputError
from gaitmimic.io.reports import read_json, write_json

__all__ = ["MODEL", "VECNORMALIZE", "TRAIN_INFO", "PROGRESS", "PROGRESS_COLUMNS", "PolicyBundle", "write_policy",
           "read_policy", "save_model", "load_model", "save_vecnormalize", "load_vecnormalize", "write_progress",
           "read_progress", "write_train_info", "read_train_info"]

MODEL, VECNORMALIZE, TRAIN_INFO, PROGRESS = "model.zip", "vecnormalize.pkl", "train_info.json", "progress.csv"

#: Columns of progress.csv: env steps, wall time (s), steps/s, mean return and length (steps and s) of recent
#: training episodes, helper levels (root assist in [0, 1], gravity m/s^2), the latest PPO losses.
PROGRESS_COLUMNS = ["steps", "wall_s", "steps_per_s", "ep_return_mean", "ep_len_mean", "ep_len_s_mean",
                    "assist_level", "gravity_mps2", "approx_kl", "entropy_loss", "value_loss", "explained_variance"]

_FIX = "run the train stage for this subject first"


@dataclasses.dataclass
class PolicyBundle:
    """A trained policy as the train stage leaves it."""

    model: Any  # stable_baselines3.PPO
    vecnormalize: Any  # stable_baselines3 VecNormalize (statistics only, no env), or None: no normalization
    train_info: dict  # train_info.json
    progress: list[dict]  # progress.csv rows, column -> value


def write_policy(policy_dir: str | Path, bundle: PolicyBundle) -> Path:
    """Write the four files of ``bundle`` into ``policy_dir``, each atomically."""
    policy_dir = Path(policy_dir)
    save_model(policy_dir / MODEL, bundle.model)
    save_vecnormalize(policy_dir / VECNORMALIZE, bundle.vecnormalize)
    write_progress(policy_dir / PROGRESS, bundle.progress)
    write_train_info(policy_dir / TRAIN_INFO, bundle.train_info)
    return policy_dir


def read_policy(policy_dir: str | Path) -> PolicyBundle:
    """Read the policy written by :func:`write_policy` (the model on the CPU, for evaluation)."""
    policy_dir = Path(policy_dir)
    return PolicyBundle(model=load_model(policy_dir / MODEL, "cpu"),
                        vecnormalize=load_vecnormalize(policy_dir / VECNORMALIZE),
                        train_info=read_train_info(policy_dir / TRAIN_INFO),
                        progress=read_progress(policy_dir / PROGRESS))


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise InputError(path, f"{what} not found", _FIX)
    return path


def save_model(path: str | Path, model) -> None:
    """Save an SB3 model (SB3's zip) atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)


def load_model(path: str | Path, device: str, env=None):
    """Load a PPO model saved by :func:`save_model` onto ``device`` (torch's name); ``env`` to go on training it."""
    from stable_baselines3 import PPO

    return PPO.load(str(_require(Path(path), "trained policy")), env=env, device=device)


def save_vecnormalize(path: str | Path, vecnorm) -> None:
    """Save a ``VecNormalize``'s statistics atomically (SB3's pickle); None writes the empty file."""
    if vecnorm is None:
        write_text(path, "")
        return
    with atomic_path(path) as tmp:
        vecnorm.save(tmp)


def load_vecnormalize(path: str | Path, venv=None):
    """The ``VecNormalize`` saved by :func:`save_vecnormalize` (None for the empty file); with ``venv``,
    wrapped around it (to go on training), else statistics only."""
    path = _require(Path(path), "normalization statistics")
    if path.stat().st_size == 0:
        return None
    if venv is not None:
        from stable_baselines3.common.vec_env import VecNormalize

        return VecNormalize.load(str(path), venv)
    with open(path, "rb") as f:  # statistics only: VecNormalize.load needs an env
        return pickle.load(f)


def write_progress(path: str | Path, rows: list[dict]) -> None:
    """Write the progress table (header and ``rows``) atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=PROGRESS_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buf.getvalue())


def read_progress(path: str | Path) -> list[dict[str, str]]:
    """The rows of a progress table, values as stored (strings; empty where not known)."""
    path = _require(Path(path), "training progress table")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != PROGRESS_COLUMNS:
            raise InputError(path, f"columns {reader.fieldnames} are not {PROGRESS_COLUMNS}",
                             "delete the policy folder and rerun the train stage")
        return list(reader)


def write_train_info(path: str | Path, info: dict) -> None:
    """Write the run record (JSON, atomically)."""
    write_json(path, info, indent=2)


#: Keys of train_info.json that other stages read.
TRAIN_INFO_KEYS = ("task_cfg", "train_cfg", "total_steps")


def read_train_info(path: str | Path) -> dict:
    """The run record written by :func:`write_train_info` (:class:`InputError` when it lacks a key that
    other stages read)."""
    path = _require(Path(path), "training record")
    info = read_json(path)
    missing = [k for k in TRAIN_INFO_KEYS if k not in info]
    if missing:
        raise InputError(path, f"training record lacks {missing}", "retrain this subject (delete its policy folder)")
    return info
