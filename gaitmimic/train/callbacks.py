"""stable-baselines3 callbacks for side concerns of training: atomic checkpoints with resume
bookkeeping, the progress CSV, and the training-helper schedule (assist decay, gravity ramp)."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from gaitmimic.atomic import atomic_path, write_text

LATEST = "latest.json"


def save_model_atomic(model, vecnorm, model_path: Path, vecnorm_path: Path | None) -> None:
    """Save the PPO model (and VecNormalize statistics) each through a temporary file."""
    with atomic_path(model_path) as tmp:
        model.save(tmp)
    if vecnorm is not None and vecnorm_path is not None:
        with atomic_path(vecnorm_path) as tmp:
            vecnorm.save(tmp)


def latest_checkpoint(ckpt_dir: Path) -> dict | None:
    """``{"steps", "model", "vecnormalize"}`` of the newest complete checkpoint, or None."""
    f = Path(ckpt_dir) / LATEST
    if not f.is_file():
        return None
    info = json.loads(f.read_text())
    if not (Path(ckpt_dir) / info["model"]).is_file():
        return None
    return info


class CheckpointCallback(BaseCallback):
    """Every ``every_steps`` env steps: save model + normalization, then point latest.json at them.

    latest.json is written last, so a run killed mid-save resumes from the previous checkpoint.
    """

    def __init__(self, ckpt_dir: Path, every_steps: int, keep: int = 2, on_save=None, fingerprint: str = ""):
        super().__init__()
        self.fingerprint = fingerprint
        self.dir = Path(ckpt_dir)
        self.every = max(int(every_steps), 1)
        self.keep = max(int(keep), 1)
        self.on_save = on_save
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
        save_model_atomic(self.model, vecnorm, self.dir / f"{name}.zip",
                          self.dir / f"{name}_vecnormalize.pkl" if vecnorm is not None else None)
        info = {"steps": steps, "model": f"{name}.zip",
                "vecnormalize": f"{name}_vecnormalize.pkl" if vecnorm is not None else None,
                "fingerprint": self.fingerprint}
        write_text(self.dir / LATEST, json.dumps(info))
        old = sorted(self.dir.glob("ckpt_*.zip"))[: -self.keep]
        for p in old:
            p.unlink(missing_ok=True)
            (self.dir / f"{p.stem}_vecnormalize.pkl").unlink(missing_ok=True)
        if self.on_save is not None:
            self.on_save(steps)


class ScheduleCallback(BaseCallback):
    """Tell every env the training progress (fraction of total steps) at each rollout start."""

    def __init__(self, total_steps: int):
        super().__init__()
        self.total = max(int(total_steps), 1)

    def _on_rollout_start(self) -> None:
        self.training_env.env_method("set_progress", self.num_timesteps / self.total)

    def _on_step(self) -> bool:
        return True


class ProgressCSVCallback(BaseCallback):
    """One row per rollout in progress.csv (rewritten atomically): steps, wall time, steps/s,
    mean episode return/length of recent episodes, helper levels, latest PPO losses."""

    COLUMNS = ["steps", "wall_s", "steps_per_s", "ep_return_mean", "ep_len_mean", "ep_len_s_mean",
               "assist_level", "gravity_mps2", "approx_kl", "entropy_loss", "value_loss", "explained_variance"]

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
        kv = getattr(self.model.logger, "name_to_value", {})
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
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.COLUMNS)
        w.writeheader()
        w.writerows(self.rows)
        write_text(self.path, buf.getvalue())
        if self.backup_path is not None:
            write_text(self.backup_path, buf.getvalue())


def read_progress_rows(path: Path, max_steps: int) -> list[dict]:
    """Rows of an existing progress.csv up to ``max_steps`` (for resuming)."""
    if not Path(path).is_file():
        return []
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if int(r["steps"]) <= max_steps]
