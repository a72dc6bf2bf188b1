"""GaitVecEnv: the training humanoids in task cores over shared-memory worker processes; results do not
depend on how many processes step them."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.sim.humanoid import suite_humanoid_path
from gaitmimic.task import make_core
from gaitmimic.task.synthetic import write_synthetic_reference
from gaitmimic.train.vec_env import GaitVecEnv


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    ref = write_synthetic_reference(tmp_path_factory.mktemp("vec_ref") / "walk.npz")
    task = settings.section("task", {"episode_s": 0.4})  # 16 steps: time limits within the run
    return functools.partial(make_core, str(suite_humanoid_path()), [str(ref)], task)


def _run(venv, steps=120):
    venv.seed(7)
    out = [venv.reset()]
    rng = np.random.default_rng(0)
    for _ in range(steps):
        obs, rew, done, infos = venv.step(rng.uniform(-1, 1, (venv.num_envs, 21)).astype(np.float32))
        terminal = [info.get("terminal_observation") for info in infos]
        truncated = [info.get("TimeLimit.truncated") for info in infos]
        out.append((obs, rew, done, terminal, truncated))
    return out


def test_worker_processes_step_exactly_like_one_process(factory):
    """5 humanoids in 1 core, in 2 cores (2 + 3: the learner's and one worker's) and in 3: identical
    observations, rewards, dones and terminal observations, auto-resets included."""
    runs = []
    for n_workers in (1, 2, 3):
        venv = GaitVecEnv(factory, list(range(5)), n_workers=n_workers)
        try:
            assert venv.num_envs == 5
            runs.append(_run(venv))
            venv.env_method("set_progress", 0.5)
            assert venv.env_method("helper_levels", indices=[0]) == [(0.0, pytest.approx(-9.81))]
        finally:
            venv.close()
        assert all(not w.process.is_alive() for w in venv._workers)  # close ends the workers
    first = runs[0]
    n_done = sum(int(step[2].sum()) for step in first[1:])
    assert n_done > 0  # random actions end episodes, so auto-reset was exercised
    assert any(any(step[4]) for step in first[1:])  # and some reached the time limit (truncated)
    for other in runs[1:]:
        np.testing.assert_array_equal(other[0], first[0])
        for a, b in zip(other[1:], first[1:]):
            for x, y in zip(a[:3], b[:3]):
                np.testing.assert_array_equal(x, y)
            for x, y in zip(a[3], b[3]):
                assert (x is None) == (y is None)
                if x is not None:
                    np.testing.assert_array_equal(x, y)
            assert a[4] == b[4]


def test_seeds_set_the_humanoids_random_states(factory):
    venv = GaitVecEnv(factory, [3, 4], n_workers=2)
    try:
        venv.seed(3)  # humanoid i gets seed 3 + i: the seeds it was built with
        again = venv.reset()
        venv.seed(100)
        other = venv.reset()
    finally:
        venv.close()
    core = factory([3, 4])
    for i in range(2):
        core.reset(i)
    np.testing.assert_array_equal(again, core.observe())
    assert not np.array_equal(other, again)


def test_worker_count_is_checked(factory):
    with pytest.raises(ValueError, match="n_workers"):
        GaitVecEnv(factory, [0, 1], n_workers=3)
