"""Reference motion for the tracking task: loaded once, looped, and with the quantities the
rewards need (body positions, centre of mass) precomputed by forward kinematics on the
simulated humanoid itself, so that reference and simulation are measured the same way.

INPUTS: the retarget stage's reference npz files, read with :func:`gaitmimic.io.reference.read_reference`
(``qpos`` (T,28), ``qvel`` (T,27), ``phase`` (T,), ``cycle_starts`` (C+1,), ``control_rate_hz``).
OUTPUTS: :class:`TaskReference`, arrays long enough for any episode start plus its horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.reference import Reference, read_reference
from gaitmimic.sim.humanoid import forward_kinematics, lowest_foot_z


@dataclass
class TaskReference:
    """A reference clip looped over whole gait cycles, sampled at the control rate.

    Arrays have ``n_frames`` rows; frame ``i`` of the looped clip is frame ``i % clip_frames`` of
    the source cycles with the root moved forward by ``i // clip_frames`` strides.
    ``body_xpos`` and ``com`` come from forward kinematics on the task's own model.
    """

    qpos: np.ndarray  # (N, nq)
    qvel: np.ndarray  # (N, nv)
    phase: np.ndarray  # (N,) in [0, 1)
    body_xpos: np.ndarray  # (N, nbody, 3) world positions, MuJoCo frame
    com: np.ndarray  # (N, 3) whole-body centre of mass
    clip_frames: int  # frames in one pass through the source cycles
    cycle_frames: np.ndarray  # start frames of gait cycles within the first clip pass
    control_rate_hz: float
    source: str

    @property
    def n_frames(self) -> int:
        return self.qpos.shape[0]


def _clean_clip(ref: Reference, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut the recording to whole gait cycles; return qpos, qvel, phase, stride (3,), cycle starts."""
    qpos, qvel, phase = ref.qpos.astype(float), ref.qvel.astype(float), ref.phase.astype(float)
    if qpos.ndim != 2 or qpos.shape[1] != 28 or qvel.shape != (qpos.shape[0], 27):
        raise InputError(path, f"qpos/qvel shapes {qpos.shape}/{qvel.shape} are not (T,28)/(T,27)",
                         "regenerate the reference for the suite humanoid")
    t = qpos.shape[0]
    starts = np.asarray(ref.cycle_starts, dtype=int).ravel()
    starts = starts[(starts >= 0) & (starts <= t)]
    if starts.size >= 2 and starts[-1] - starts[0] >= 10:
        a, b = int(starts[0]), int(starts[-1])
    else:  # no usable cycles: loop the whole recording
        a, b = 0, t
        starts = np.array([0, t])
    if b < t:
        stride = qpos[b, :3] - qpos[a, :3]
    else:  # last cycle end is past the data: extrapolate from the mean velocity
        stride = (qpos[b - 1, :3] - qpos[a, :3]) * (b - a) / max(b - 1 - a, 1)
    stride = stride.copy()
    stride[2] = 0.0
    rel_starts = starts[(starts >= a) & (starts < b)] - a
    return qpos[a:b], qvel[a:b], phase[a:b], stride, rel_starts


def loop_reference(qpos: np.ndarray, qvel: np.ndarray, phase: np.ndarray, stride: np.ndarray,
                   n_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat a clip of whole cycles to ``n_frames``, advancing the root by ``stride`` each pass."""
    clip = qpos.shape[0]
    idx = np.arange(n_frames)
    k, j = np.divmod(idx, clip)
    q = qpos[j].copy()
    q[:, :3] += k[:, None] * stride[None, :]
    return q, qvel[j].copy(), phase[j].copy()


def build_task_reference(path: str | Path, model: mujoco.MjModel, min_seconds: float,
                         control_rate_hz: float | None = None) -> TaskReference:
    """Load ``path`` and loop it to cover ``min_seconds`` after any start frame in the first pass.

    ``control_rate_hz`` (when given and different from the file's) resamples by linear
    interpolation of joint angles (root quaternion renormalized).
    """
    path = Path(path)
    ref = read_reference(path)
    rate = float(ref.control_rate_hz)
    qpos, qvel, phase, stride, starts = _clean_clip(ref, path)
    if control_rate_hz and abs(control_rate_hz - rate) > 1e-6:
        qpos, qvel, phase, starts = _resample(qpos, qvel, phase, starts, rate, control_rate_hz)
        rate = float(control_rate_hz)
    clip = qpos.shape[0]
    min_frames = int(np.ceil(min_seconds * rate)) + 32
    n = (int(np.ceil(min_frames / clip)) + 1) * clip
    q, v, ph = loop_reference(qpos, qvel, phase, stride, n)
    xpos, com = forward_kinematics(model, q)
    return TaskReference(q, v, ph, xpos, com, clip, starts, rate, str(path))


def _resample(qpos, qvel, phase, starts, rate, new_rate):
    t_old = np.arange(qpos.shape[0]) / rate
    n_new = max(int(round(qpos.shape[0] * new_rate / rate)), 2)
    t_new = np.arange(n_new) / new_rate
    q = np.stack([np.interp(t_new, t_old, qpos[:, i]) for i in range(qpos.shape[1])], axis=1)
    q[:, 3:7] /= np.linalg.norm(q[:, 3:7], axis=1, keepdims=True)
    v = np.stack([np.interp(t_new, t_old, qvel[:, i]) for i in range(qvel.shape[1])], axis=1)
    ph = np.interp(t_new, t_old, np.unwrap(phase * 2 * np.pi)) / (2 * np.pi) % 1.0
    st = np.unique(np.round(starts * new_rate / rate).astype(int))
    return q, v, ph, st[st < n_new]


def standing_reference(model: mujoco.MjModel, path: str | Path, min_seconds: float,
                       control_rate_hz: float | None = None) -> TaskReference:
    """The stand task: hold the humanoid's zero pose (upright, arms as modelled), feet on the floor.

    Uses the reference file only for its rate and its first frame's heading and position.
    """
    ref = read_reference(path)
    rate = float(control_rate_hz or ref.control_rate_hz)
    q0 = np.asarray(ref.qpos, dtype=float)[0].copy()
    q0[7:] = 0.0
    q0[2] -= lowest_foot_z(model, q0)
    n = int(np.ceil(min_seconds * rate)) + 64
    q = np.repeat(q0[None], n, axis=0)
    v = np.zeros((n, model.nv))
    ph = (np.arange(n) % 40) / 40.0
    xpos, com = forward_kinematics(model, q)
    return TaskReference(q, v, ph, xpos, com, 40, np.array([0]), rate, f"stand:{path}")
