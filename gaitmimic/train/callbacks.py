"""stable-baselines3 callbacks for side concerns of training: atomic checkpoints with resume
bookkeeping, the progress table, the training-helper schedule (assist decay, gravity ramp) and the
torch threads of each PPO phase.

Checkpoints (``checkpoints/ckpt_<steps>.zip``, ``ckpt_<steps>_vecnormalize.pkl``) are written in the policy
bundle's formats (:mod:`gaitmimic.io.policy`); ``latest.json`` names the newest complete one.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from gaitmimic.io.policy import read_progress, save_model, save_vecnormalize, write_progress
from gaitmimic.io.reports import read_json, write_json

LATEST = "latest.json"


def latest_checkpoint(ckpt_dir: Path) -> dict | None:
    """``{"steps", "model", "vecnormalize", "fingerprint"}`` of the newest complete checkpoint, or None."""
    f = Path(ckpt_dir) / LATEST
    if not f.is_file():
        return None
    info = read_json(f)
    if not (Path(ckpt_dir) / info["model"]).is_file():
        return None
    return info


def progress_rows_up_to(path: Path, max_steps: int) -> list[dict]:
    """Rows of a progress table kept beside the checkpoints, up to ``max_steps`` (for resuming); none
    when there is no table yet."""
    if not Path(path).is_file():
        return []
    return [r for r in read_progress(path) if int(r["steps"]) <= max_steps]


class CheckpointCallback(BaseCallback):
    """Every ``every_steps`` env steps: save model + normalization, then point latest.json at them.

    latest.json is written last, so a run killed mid-save resumes from the previous checkpoint.
    """

    def __init__(self, ckpt_dir: Path, every_steps: int, keep: int, fingerprint: str):
        super().__init__()
        self.fingerprint = fingerprint
        self.dir = Path(ckpt_dir)
        self.every = max(int(every_steps), 1)
        self.keep = max(int(keep), 1)
        self._last = 0

    def _on_training_start(self) -> None:
        self._last = self.num_timesteps - self.num_timesteps % self.every

    def _on_step(self) -> bool:
        if self.num_timesteps - self._last >= self.every:
            self._last = self.num_timesteps - self.num_timesteps % self.every
            self.save()
        return True

    def save(self) -> None:
        steps = int(self.num_timesteps)
        name = f"ckpt_{steps:010d}"
        vecnorm = self.model.get_vec_normalize_env()
        save_model(self.dir / f"{name}.zip", self.model)
        if vecnorm is not None:
            save_vecnormalize(self.dir / f"{name}_vecnormalize.pkl", vecnorm)
        info = {"steps": steps, "model": f"{name}.zip",
                "vecnormalize": f"{name}_vecnormalize.pkl" if vecnorm is not None else None,
                "fingerprint": self.fingerprint}
        write_json(self.dir / LATEST, info, indent=None)  # last: the checkpoint is complete
        old = sorted(self.dir.glob("ckpt_*.zip"))[: -self.keep]
        for p in old:
            p.unlink(missing_ok=True)
            (self.dir / f"{p.stem}_vecnormalize.pkl").unlink(missing_ok=True)


class ScheduleCallback(BaseCallback):
    """Tell every env the training progress (fraction of total steps) at each rollout start."""

    def __init__(self, total_steps: int):
        super().__init__()
        self.total = max(int(total_steps), 1)

    def _on_rollout_start(self) -> None:
        self.training_env.env_method("set_progress", self.num_timesteps / self.total)

    def _on_step(self) -> bool:
        return True


class TorchThreadsCallback(BaseCallback):
    """One torch thread while rollouts are collected, ``update_threads`` for the PPO update.

    During collection the task cores' worker processes use the other CPUs, and a second torch thread
    only competes with them (measured: collection 2.5x slower); during the update the workers sleep."""

    def __init__(self, update_threads: int):
        super().__init__()
        self.update_threads = max(int(update_threads), 1)

    def _on_rollout_start(self) -> None:
        import torch

        torch.set_num_threads(1)

    def _on_rollout_end(self) -> None:
        import torch

        torch.set_num_threads(self.update_threads)

    def _on_step(self) -> bool:
        return True


class ProgressCSVCallback(BaseCallback):
    """One row per rollout in progress.csv (rewritten atomically; columns
    :data:`gaitmimic.io.policy.PROGRESS_COLUMNS`): steps, wall time, steps/s, mean episode return/length
    of recent episodes, helper levels, latest PPO losses."""

    def __init__(self, path: Path, rate_hz: float, log: logging.Logger | None = None, start_rows=None,
                 backup_path: Path | None = None):
        super().__init__()
        self.path = Path(path)
        self.backup_path = backup_path  # kept beside the checkpoints: survives output deletion
        self.rate_hz = rate_hz
        self.log = log
        self.rows: list[dict] = list(start_rows or [])
        self._t0 = time.time()
        self._steps0 = 0
        self._wall0 = float(self.rows[-1]["wall_s"]) if self.rows else 0.0

    def _on_training_start(self) -> None:
        self._t0 = time.time()
        self._steps0 = self.num_timesteps

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        ep = list(self.model.ep_info_buffer)
        elapsed = time.time() - self._t0
        kv = self.model.logger.name_to_value
        assist, gravity = self.training_env.env_method("helper_levels", indices=[0])[0]
        row = {
            "steps": self.num_timesteps,
            "wall_s": round(self._wall0 + elapsed, 2),
            "steps_per_s": round((self.num_timesteps - self._steps0) / max(elapsed, 1e-9), 1),
            "ep_return_mean": round(float(np.mean([e["r"] for e in ep])), 3) if ep else "",
            "ep_len_mean": round(float(np.mean([e["l"] for e in ep])), 1) if ep else "",
            "ep_len_s_mean": round(float(np.mean([e["l"] for e in ep])) / self.rate_hz, 2) if ep else "",
            "assist_level": round(assist, 3),
            "gravity_mps2": round(gravity, 3),
        }
        for col, key in (("approx_kl", "train/approx_kl"), ("entropy_loss", "train/entropy_loss"),
                         ("value_loss", "train/value_loss"), ("explained_variance", "train/explained_variance")):
            v = kv.get(key, "")
            row[col] = round(float(v), 5) if v != "" else ""
        self.rows.append(row)
        self.write()
        if self.log is not None:
            self.log.info("steps %d  %.0f steps/s  ep_len %.2f s  return %s  assist %.2f", row["steps"],
                          row["steps_per_s"], row["ep_len_s_mean"] or 0.0, row["ep_return_mean"], row["assist_level"])

    def write(self) -> None:
        write_progress(self.path, self.rows)
        if self.backup_path is not None:
            write_progress(self.backup_path, self.rows)
