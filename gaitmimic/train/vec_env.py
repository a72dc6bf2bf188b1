"""The training humanoids as one stable-baselines3 ``VecEnv``: task cores in shared-memory worker processes.

The N humanoids are split over ``n_workers`` task cores (:class:`gaitmimic.task.core.GaitCore`): one in
the learner's own process and one in each of ``n_workers - 1`` forked worker processes. A control step
costs no message: the learner writes all actions into shared memory, bumps a step counter, steps its
own core while the workers step theirs, and reads every observation, reward and flag back from shared
memory. Workers wait for the counter by spinning for a few milliseconds (on the 2-core VM a thread or
process woken from sleep at every step made the parallel physics no faster than one core) and then
block on a semaphore, so they leave the cores to
the PPO update. Rare commands (reset with seeds and options, progress, close) go through a pipe.

Humanoid i always has random state ``seed + i`` and its own ``MjData``, so a run's results do not
depend on ``n_workers``.
"""

from __future__ import annotations

import mmap
import multiprocessing as mp
import time
from collections.abc import Callable
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

#: Seconds a worker spins on the step counter before it blocks on its semaphore.
SPIN_S = 0.005
_STEP, _COMMAND, _CLOSE = 1, 2, 3


def _shared_arrays(n: int, n_obs: int, nu: int) -> SimpleNamespace:
    """Arrays for one share of n humanoids in one anonymous shared mapping (inherited by a forked worker)."""
    layout = [("counter", (3,), np.int64),  # [step request, step done, command]
              ("sleeping", (1,), np.int64), ("actions", (n, nu), np.float64),
              ("obs", (n, n_obs), np.float32), ("terminal_obs", (n, n_obs), np.float32),
              ("reward", (n,), np.float64), ("terminated", (n,), np.bool_), ("truncated", (n,), np.bool_),
              ("fell", (n,), np.bool_), ("deviated", (n,), np.bool_)]
    sizes = [int(np.prod(shape)) * np.dtype(dt).itemsize for _, shape, dt in layout]
    offsets = np.concatenate([[0], np.cumsum([-(-s // 64) * 64 for s in sizes])])
    buf = mmap.mmap(-1, int(offsets[-1]))
    arrays = {name: np.ndarray(shape, dt, buffer=buf, offset=int(off))
              for (name, shape, dt), off in zip(layout, offsets)}
    arrays["counter"][:] = 0
    arrays["sleeping"][:] = 0
    return SimpleNamespace(buffer=buf, **arrays)


def step_share(core, actions: np.ndarray, out: SimpleNamespace) -> None:
    """One control step of a core's humanoids with auto-reset: results into ``out``'s arrays
    (``terminal_obs`` holds the last observation of each episode that ended)."""
    obs, reward, terminated, truncated = core.step(actions)
    out.fell[:], out.deviated[:] = core.fell, core.deviated
    done = np.flatnonzero(terminated | truncated)
    if done.size:
        out.terminal_obs[done] = obs[done]
        for i in done:
            core.reset(int(i))
        obs[done] = core.observe(done)
    out.obs[:], out.reward[:], out.terminated[:], out.truncated[:] = obs, reward, terminated, truncated


def _command(core, name: str, args: tuple):
    """The rare commands, run on a core: reset (seeds, options), set_progress, helper_levels."""
    if name == "reset":
        seeds, options = args
        for i, (seed, opt) in enumerate(zip(seeds, options)):
            if seed is not None:
                core.rngs[i] = np.random.RandomState(seed)
            core.reset(i, opt or None)
        return core.observe()
    if name == "set_progress":
        core.set_progress(*args)
        return None
    if name == "helper_levels":
        return core.assist_level(), core.gravity()
    raise ValueError(f"unknown command {name!r}")


def _worker(make_core: Callable, seeds: list[int], shared: SimpleNamespace, remote, wake) -> None:
    core = make_core(seeds)
    counter, sleeping = shared.counter, shared.sleeping
    seen_step, seen_cmd = 0, 0
    remote.send("ready")
    while True:
        t_spin = time.perf_counter()
        while counter[0] == seen_step and counter[2] == seen_cmd:
            if time.perf_counter() - t_spin > SPIN_S:
                sleeping[0] = 1
                if counter[0] == seen_step and counter[2] == seen_cmd:
                    wake.acquire(timeout=0.05)
                sleeping[0] = 0
                t_spin = time.perf_counter()
        if counter[2] != seen_cmd:
            seen_cmd = int(counter[2])
            name, args = remote.recv()
            if name == "close":
                remote.close()
                return
            remote.send(_command(core, name, args))
            continue
        seen_step = int(counter[0])
        step_share(core, shared.actions, shared)
        counter[1] = seen_step


class GaitVecEnv(VecEnv):
    """``len(seeds)`` humanoids of one subject's task (see module docstring).

    ``make_core(seeds)`` builds a :class:`~gaitmimic.task.core.GaitCore` with one humanoid per seed
    (``functools.partial`` of :func:`gaitmimic.task.make_core`); ``n_workers``: task cores, one per CPU
    given to training (the learner's process holds the first).
    """

    def __init__(self, make_core: Callable, seeds: list[int], n_workers: int = 1):
        n = len(seeds)
        if not 1 <= n_workers <= n:
            raise ValueError(f"n_workers must be in [1, {n}] for {n} humanoids, got {n_workers}")
        bounds = np.linspace(0, n, n_workers + 1).round().astype(int)
        self._shares = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        self.core = make_core(list(seeds[self._shares[0]]))
        n_obs, nu = self.core.observation_size(), self.core.nu
        self._own = _shared_arrays(self._shares[0].stop, n_obs, nu)
        ctx = mp.get_context("fork")  # workers inherit the shared mappings; no re-import of __main__
        self._workers = []
        for share in self._shares[1:]:
            shared = _shared_arrays(share.stop - share.start, n_obs, nu)
            remote, child = ctx.Pipe()
            wake = ctx.Semaphore(0)
            proc = ctx.Process(target=_worker, args=(make_core, list(seeds[share]), shared, child, wake), daemon=True)
            proc.start()
            child.close()
            self._workers.append(SimpleNamespace(shared=shared, remote=remote, wake=wake, process=proc))
        for w in self._workers:
            w.remote.recv()  # built its core
        self.rate_hz = self.core.rate_hz
        obs_space = gym.spaces.Box(-np.inf, np.inf, (n_obs,), np.float32)
        act_space = gym.spaces.Box(-1.0, 1.0, (nu,), np.float32)
        super().__init__(n, obs_space, act_space)
        self._actions = None
        self.closed = False

    # ---------------------------------------------------------------- stepping
    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float64).reshape(self.num_envs, -1)

    def step_wait(self):
        for w, share in zip(self._workers, self._shares[1:]):
            s = w.shared
            s.actions[:] = self._actions[share]
            s.counter[0] += 1
            if s.sleeping[0]:
                w.wake.release()
        step_share(self.core, self._actions[self._shares[0]], self._own)
        for w in self._workers:
            counter, t0 = w.shared.counter, time.perf_counter()
            while counter[1] != counter[0]:
                if time.perf_counter() - t0 > 1.0:  # a step takes milliseconds: is the worker still there?
                    if not w.process.is_alive():
                        raise RuntimeError(f"training env worker {w.process.pid} died "
                                           f"(exit code {w.process.exitcode})")
                    t0 = time.perf_counter()
        parts = [self._own] + [w.shared for w in self._workers]
        obs = np.concatenate([p.obs for p in parts])
        reward = np.concatenate([p.reward for p in parts]).astype(np.float32)
        terminated = np.concatenate([p.terminated for p in parts])
        truncated = np.concatenate([p.truncated for p in parts])
        fell = np.concatenate([p.fell for p in parts])
        deviated = np.concatenate([p.deviated for p in parts])
        terminal = np.concatenate([p.terminal_obs for p in parts])
        done = terminated | truncated
        infos = [{"fell": bool(f), "deviated": bool(d)} for f, d in zip(fell, deviated)]
        for i in np.flatnonzero(done):
            infos[i]["terminal_observation"] = terminal[i].copy()
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, reward, done, infos

    def _broadcast(self, name: str, args_for_share: Callable[[slice], tuple]) -> list:
        """Run a command on every core (workers first, through their pipes); the cores' results in order."""
        for w, share in zip(self._workers, self._shares[1:]):
            w.remote.send((name, args_for_share(share)))
            w.shared.counter[2] += 1
            if w.shared.sleeping[0]:
                w.wake.release()
        own = _command(self.core, name, args_for_share(self._shares[0]))
        return [own] + [w.remote.recv() for w in self._workers]

    def reset(self):
        results = self._broadcast("reset", lambda s: (self._seeds[s], self._options[s]))
        self._reset_seeds()
        self._reset_options()
        return np.concatenate(results)

    def close(self) -> None:
        if self.closed:
            return
        for w in self._workers:
            try:
                w.remote.send(("close", ()))
                w.shared.counter[2] += 1
                w.wake.release()
            except (BrokenPipeError, EOFError, OSError):
                pass
        for w in self._workers:
            w.process.join(timeout=10)
        self.closed = True

    # ------------------------------------------------- the schedule's hooks
    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list:
        """``set_progress(fraction)`` (all cores) and ``helper_levels()`` (assist level, gravity), as the
        training callbacks call them; one result per index."""
        n = len(self._get_indices(indices))
        if method_name == "set_progress":
            self._broadcast("set_progress", lambda s: tuple(method_args))
            return [None] * n
        if method_name == "helper_levels":
            return [_command(self.core, "helper_levels", ())] * n
        raise AttributeError(f"GaitVecEnv has no env method {method_name!r}")

    def get_attr(self, attr_name: str, indices=None) -> list:
        if attr_name == "render_mode":
            return [None] * len(self._get_indices(indices))
        raise AttributeError(f"GaitVecEnv has no env attribute {attr_name!r}")

    def set_attr(self, attr_name: str, value, indices=None) -> None:
        raise AttributeError(f"GaitVecEnv has no settable env attribute {attr_name!r}")

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._get_indices(indices))
