"""The batched task core (gaitmimic/task/core.py) against its N = 1 views: N humanoids stepped together give,
humanoid by humanoid, the observation, reward, termination and next state of the dm_control Task run in
dm_control's own ``control.Environment``."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
from dm_control import mjcf
from dm_control.rl import control

from gaitmimic import settings
from gaitmimic.sim.humanoid import suite_humanoid_path
from gaitmimic.task import GaitTracking, load_task, make_core
from gaitmimic.task.synthetic import write_synthetic_reference

N = 6


@pytest.fixture(scope="module")
def subject(tmp_path_factory):
    d = tmp_path_factory.mktemp("core_subject")
    mjcf.export_with_assets(mjcf.from_path(str(suite_humanoid_path())), str(d), "humanoid.xml")
    return str(d / "humanoid.xml"), [str(write_synthetic_reference(d / "walk.npz", d / "humanoid.xml"))]


def _perturb(m, d, rng):
    """A random state near the episode's first frame: pose and velocity noise, some humanoids far off."""
    d.qpos[:3] += rng.normal(0.0, 0.03, 3)
    d.qpos[3:7] += rng.normal(0.0, 0.05, 4)
    d.qpos[3:7] /= np.linalg.norm(d.qpos[3:7])
    d.qpos[7:] += rng.normal(0.0, 0.2, m.nq - 7)
    d.qvel[:] += rng.normal(0.0, 0.5, m.nv)
    mujoco.mj_forward(m, d)


@pytest.mark.parametrize("cfg", [{}, {"mode": "seed"}, {"assist": {"enabled": True}},
                                 {"mimic": {"balance": {"enabled": False}}}],
                         ids=["mimic", "seed", "mimic-assist", "mimic-no-balance"])
def test_batched_core_equals_the_dm_control_task_per_humanoid(subject, cfg):
    xml, refs = subject
    task = settings.section("task", cfg)
    seeds = [11 + i for i in range(N)]
    core = make_core(xml, refs, task, seeds)
    envs = []
    for seed in seeds:
        physics, clips = load_task(xml, refs, task)
        view = GaitTracking(clips, task, random=np.random.RandomState(seed))
        envs.append(control.Environment(physics, view, n_sub_steps=core.n_substeps, legacy_step=False))
    for i in range(N):
        core.reset(i)
        envs[i].reset()  # same random state: same reference and start frame
        assert envs[i].task.core.start_frame[0] == core.start_frame[i]
        a, b = np.random.default_rng(i), np.random.default_rng(i)
        _perturb(core.model, core.datas[i], a)
        _perturb(envs[i].physics.model.ptr, envs[i].physics.data.ptr, b)
    rng = np.random.default_rng(0)
    alive = np.ones(N, dtype=bool)
    ended, steps = 0, 0
    for _ in range(40):
        actions = rng.uniform(-1, 1, (N, core.nu))
        obs, reward, terminated, truncated = core.step(actions)
        for i in np.flatnonzero(alive):
            ts = envs[i].step(actions[i])
            d = envs[i].physics.data
            np.testing.assert_allclose(core.obs64[i], ts.observation["observations"], rtol=0, atol=1e-9)
            np.testing.assert_allclose(obs[i], ts.observation["observations"].astype(np.float32), rtol=1e-6,
                                       atol=1e-6)
            assert reward[i] == pytest.approx(ts.reward, abs=1e-9)
            assert bool(terminated[i]) == (ts.discount == 0.0)
            np.testing.assert_allclose(core.datas[i].qpos, d.qpos, rtol=0, atol=1e-9)
            np.testing.assert_allclose(core.datas[i].qvel, d.qvel, rtol=0, atol=1e-9)
            steps += 1
            if terminated[i]:
                alive[i] = False
                ended += 1
        if not alive.any():
            break
    assert steps > 3 * N  # compared over several steps
    if task.mode == "mimic" and not task.assist.enabled:
        assert ended > 0  # some perturbed humanoids fall or drift: termination was compared too


def test_reset_of_one_humanoid_leaves_the_others(subject):
    xml, refs = subject
    task = settings.section("task")
    core = make_core(xml, refs, task, [0, 1, 2])
    for i in range(3):
        core.reset(i, {"phase": 0.1 * i})
    for _ in range(5):
        core.step(np.zeros((3, core.nu)))
    before = [d.qpos.copy() for d in core.datas]
    t = core.t.copy()
    core.reset(1, {"phase": 0.5})
    assert core.t[1] == 0 and core.t[0] == t[0] and core.t[2] == t[2]
    np.testing.assert_array_equal(core.datas[0].qpos, before[0])
    np.testing.assert_array_equal(core.datas[2].qpos, before[2])
    np.testing.assert_allclose(core.datas[1].qpos, core.r_qpos[core.frame([1])[0]], atol=1e-12)
    np.testing.assert_allclose(core.observe([1]), core.observe()[1:2])


def test_a_push_trial_pushes_the_torso_for_its_duration_only(subject):
    """reset(options={"push": ...}): the torso gets the force from the push's first step for its duration,
    in an evaluation core too, and nothing before or after; the pushed humanoid ends up elsewhere."""
    xml, refs = subject
    core = make_core(xml, refs, settings.section("task"), [3, 3], evaluation=True)
    rate = core.rate_hz
    push = {"at_s": 5 / rate, "duration_s": 3 / rate, "force_n": [0.0, 150.0, 0.0]}
    core.reset(0, {"phase": 0.0, "reference_index": 0, "push": push})
    core.reset(1, {"phase": 0.0, "reference_index": 0})
    torso = core.torso
    seen = []
    for _ in range(12):
        core.apply_actions(np.zeros((2, core.nu)))
        seen.append((core.xfrc[0][torso, :3].copy(), core.xfrc[1][torso, :3].copy()))
        core.step_physics()
        core.after_physics()
    pushed = [k for k, (f0, _) in enumerate(seen) if np.any(f0)]
    assert pushed == [5, 6, 7] and all(np.allclose(seen[k][0], [0, 150, 0]) for k in pushed)
    assert not any(np.any(f1) for _, f1 in seen), "the other humanoid is not pushed"
    assert core.datas[0].qpos[1] - core.datas[1].qpos[1] > 0.005, "pushed along +y"
