"""PPO training: outputs, kill-and-resume from the latest checkpoint, seeding, policy loading."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from stable_baselines3.common.callbacks import BaseCallback

from gaitmimic import settings
from gaitmimic.sim.humanoid import suite_humanoid_path
from gaitmimic.task import make_env
from gaitmimic.task.synthetic import write_synthetic_reference
from gaitmimic.train.stage import load_policy, total_steps, train_policy

TASK = settings.section("task")
TINY = {"total_steps": 512, "n_steps": 64, "batch_size": 64, "n_epochs": 1, "checkpoint_every_steps": 128,
        "net_arch": {"pi": [32], "vf": [32]}, "n_envs": 2}


def train(cfg):
    """The train settings with ``cfg`` over the schema's defaults."""
    return settings.section("train", cfg)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return write_synthetic_reference(tmp_path_factory.mktemp("rl_ref") / "walk.npz")


class _Kill(BaseCallback):
    """Simulates the job being killed once training passes ``at`` steps."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def _on_step(self):
        if self.num_timesteps >= self.at:
            raise KeyboardInterrupt("simulated kill")
        return True


def _progress_steps(path):
    with open(path, newline="") as f:
        return [int(r["steps"]) for r in csv.DictReader(f)]


def test_kill_and_resume_continues_from_checkpoint(tmp_path, reference):
    out = tmp_path / "policy"
    with pytest.raises(KeyboardInterrupt):
        train_policy(suite_humanoid_path(), [reference], out, TASK, train(TINY), n_workers=2,
                     extra_callbacks=[_Kill(300)])
    latest = json.loads((out / "checkpoints" / "latest.json").read_text())
    assert latest["steps"] == 256  # checkpoints at 128 and 256; killed at 300
    assert not (out / "model.zip").exists()
    assert not list(out.glob("**/.*tmp*"))  # no half-written files left behind
    info = train_policy(suite_humanoid_path(), [reference], out, TASK, train(TINY), n_workers=2)
    assert info["resumed_from_steps"] == 256
    assert info["total_steps"] == 512
    steps = _progress_steps(out / "progress.csv")
    assert steps == sorted(steps) and steps[-1] == 512
    assert 256 in steps  # rows before the kill kept, rows after it rewritten
    assert len(steps) == len(set(steps))  # no duplicated rows after the resume
    for name in ("model.zip", "vecnormalize.pkl", "train_info.json"):
        assert (out / name).is_file()
    assert any((out / "tb").iterdir())
    # rerunning a finished job trains nothing more
    again = train_policy(suite_humanoid_path(), [reference], out, TASK, train(TINY), n_workers=2)
    assert again["total_steps"] == 512 and again["resumed_from_steps"] == 512


def test_same_seed_same_policy_and_load_policy(tmp_path, reference):
    cfg = {**TINY, "total_steps": 256, "checkpoint_every_steps": 10_000}
    a = train_policy(suite_humanoid_path(), [reference], tmp_path / "a", TASK, train(cfg), n_workers=1)
    train_policy(suite_humanoid_path(), [reference], tmp_path / "b", TASK, train(cfg), n_workers=1)
    pa, pb = load_policy(tmp_path / "a"), load_policy(tmp_path / "b")
    env = make_env(suite_humanoid_path(), [reference], pa.task, seed=0, evaluation=True)
    obs, _ = env.reset(options={"phase": 0.0})
    act_a, act_b = pa.act(obs), pb.act(obs)
    np.testing.assert_array_equal(act_a, act_b)
    assert act_a.shape == (21,) and np.all(np.abs(act_a) <= 1.0)
    # act() applies the saved normalization: raw predict on the raw obs differs
    raw, _ = pa.model.predict(obs, deterministic=True)
    assert not np.allclose(raw, act_a)
    assert a["task_cfg"]["mode"] == "mimic" and pa.info["task_cfg"]["mimic"]["servo"]["kp_base"] > 0


def test_long_budget_setting():
    assert total_steps(train({"budget": "long"})) == train({}).long_total_steps
    assert total_steps(train({})) == 1_000_000


def test_changed_settings_do_not_resume_old_checkpoints(tmp_path, reference):
    out = tmp_path / "policy"
    cfg = {**TINY, "total_steps": 128}
    train_policy(suite_humanoid_path(), [reference], out, TASK, train(cfg), n_workers=1)
    longer = train_policy(suite_humanoid_path(), [reference], out, TASK, train({**cfg, "total_steps": 256}),
                          n_workers=1)
    assert longer["resumed_from_steps"] == 128  # a longer budget continues
    changed = train_policy(suite_humanoid_path(), [reference], out, TASK, train({**cfg, "gamma": 0.9}),
                           n_workers=1)
    assert changed["resumed_from_steps"] == 0 and changed["total_steps"] == 128
    assert (out / "checkpoints.stale" / "latest.json").is_file()
