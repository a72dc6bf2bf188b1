"""A subject's mean gait cycle as an exactly periodic reference the humanoid can loop.

Every complete gait cycle (right heel strike to the next) of every walking trial is put on a common heading
(the cycle's own direction of travel becomes +x), time-normalized and averaged, as a gait lab averages
cycles; each channel of the mean cycle (the 21 joint angles, root height, sway, roll, pitch, yaw about the
heading, and the forward position less the mean speed's advance) is then a truncated Fourier series, so the
reference is smooth and exactly periodic: position and velocity are continuous across the seam. The root
height is then set, frame by frame, so that the lowest foot point is on the floor (as the retarget grounds
every trial); the averaged height only seeds it. The root
moves along +x at the subject's mean speed (total stride length over total cycle time), and the cycle lasts
the mean cycle time, rounded to whole control frames. Left and right stay half a cycle apart as in the data
(the left leg's curves are the left leg's own, not a mirrored right leg). The per-cycle spread (SD) of every
channel is kept in the report, for the variability band.
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np
from scipy.spatial.transform import Rotation

from gaitmimic.errors import InputError
from gaitmimic.io.reference import Reference, read_reference, write_reference
from gaitmimic.io.reports import write_json
from gaitmimic.retarget.grounding import put_on_floor
from gaitmimic.retarget.reference import central_velocities
from gaitmimic.sim.humanoid import JOINT_NAMES, KEY_BODIES, body_positions, load_model

__all__ = ["CHANNELS", "cycle_channels", "mean_cycle_reference", "write_mean_cycle"]

#: The channels averaged over cycles, in order: root (heading frame) then the joints.
CHANNELS = ("forward_residual_m", "lateral_m", "height_m", "yaw_rad", "pitch_rad", "roll_rad", *JOINT_NAMES)
#: Samples per normalized cycle for the averaging (0 % .. 99 %).
SAMPLES = 100


def _heading_frame(qpos: np.ndarray, s: int, e: int) -> np.ndarray:
    """Channels (e - s + 1, len(CHANNELS)) of frames s..e in the cycle's heading frame (+x = from s to e)."""
    q = qpos[s:e + 1]
    travel = q[-1, :2] - q[0, :2]
    heading = float(np.arctan2(travel[1], travel[0]))
    c, sn = np.cos(-heading), np.sin(-heading)
    xy = (q[:, :2] - q[0, :2]) @ np.array([[c, -sn], [sn, c]]).T
    stride = float(np.hypot(*travel))
    u = np.linspace(0.0, 1.0, len(q))
    rot = Rotation.from_euler("z", -heading) * Rotation.from_quat(q[:, [4, 5, 6, 3]])  # MuJoCo w,x,y,z
    yaw, pitch, roll = rot.as_euler("ZYX").T
    yaw = np.unwrap(yaw)
    root = np.stack([xy[:, 0] - stride * u, xy[:, 1] - xy[-1, 1] * u, q[:, 2], yaw, pitch, roll], axis=1)
    return np.concatenate([root, q[:, 7:]], axis=1)


def cycle_channels(refs: list[Reference]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every complete cycle of ``refs``, time-normalized: (cycles (C, SAMPLES, len(CHANNELS)), durations (C,) s,
    strides (C,) m)."""
    cycles, durations, strides = [], [], []
    u = np.arange(SAMPLES) / SAMPLES
    for ref in refs:
        for s, e in zip(ref.cycle_starts[:-1], ref.cycle_starts[1:]):
            s, e = int(s), int(e)
            if e - s < 4 or e >= ref.n_frames:
                continue
            ch = _heading_frame(ref.qpos, s, e)
            t = np.linspace(0.0, 1.0, e - s + 1)
            cycles.append(np.stack([np.interp(u, t, ch[:, j]) for j in range(ch.shape[1])], axis=1))
            durations.append((e - s) * ref.dt)
            strides.append(float(np.hypot(*(ref.qpos[e, :2] - ref.qpos[s, :2]))))
    return np.asarray(cycles), np.asarray(durations), np.asarray(strides)


def _fourier(mean: np.ndarray, n_harmonics: int) -> np.ndarray:
    """Complex Fourier coefficients (n_harmonics + 1, channels) of uniformly sampled periodic rows."""
    return np.fft.rfft(mean, axis=0)[: n_harmonics + 1] / mean.shape[0]


def _evaluate(coef: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The truncated series at phases ``u`` (any real values): (len(u), channels)."""
    k = np.arange(coef.shape[0])
    waves = np.exp(2j * np.pi * np.outer(u, k))  # (n, K)
    weights = np.where(k == 0, 1.0, 2.0)
    return np.real(waves @ (coef * weights[:, None]))


def mean_cycle_reference(refs: list[Reference], model: mujoco.MjModel, *, n_harmonics: int = 8, n_cycles: int = 4,
                         sources: list[str | Path] | None = None) -> tuple[Reference, dict]:
    """The exactly periodic mean-cycle reference of ``refs`` on the humanoid ``model`` (see the module docstring),
    ``n_cycles`` cycles long, and its report (cycles used, mean cycle time, speed, stride, per-channel SD)."""
    cycles, durations, strides = cycle_channels(refs)
    names = [str(s) for s in (sources or [r.source_mot for r in refs])]
    if len(cycles) == 0:
        raise InputError(names[0] if names else None, "no complete gait cycle in any walking trial",
                         "record walking trials with at least two right heel strikes")
    rate = float(refs[0].control_rate_hz)
    if any(abs(r.control_rate_hz - rate) > 1e-9 for r in refs):
        raise InputError(names[0], "the trials' references have different control rates", "retarget them again")
    mean = cycles.mean(axis=0)
    coef = _fourier(mean, n_harmonics)
    cycle_s = float(durations.mean())
    speed = float(strides.sum() / durations.sum())
    n = max(int(round(cycle_s * rate)), 4)
    frames = n * n_cycles + 1
    t = np.arange(-1, frames + 1) / rate  # one frame either side, for the velocities at the ends
    u = t * rate / n
    ch = _evaluate(coef, u)
    qpos = np.zeros((len(t), 7 + len(JOINT_NAMES)))
    qpos[:, 0] = speed * (n / rate) * u + ch[:, 0]  # the mean stride per cycle of n frames
    qpos[:, 1] = ch[:, 1]
    qpos[:, 2] = ch[:, 2]
    quat = Rotation.from_euler("ZYX", ch[:, 3:6]).as_quat()  # x, y, z, w
    qpos[:, 3:7] = quat[:, [3, 0, 1, 2]]
    qpos[:, 7:] = ch[:, 6:]
    qpos = put_on_floor(model, qpos)
    qvel = central_velocities(qpos, 1.0 / rate)[1:-1]
    qpos = qpos[1:-1]
    stride = speed * n / rate
    ref = Reference(
        time_s=np.arange(frames) / rate, control_rate_hz=rate, qpos=qpos, qvel=qvel,
        phase=(np.arange(frames) % n) / n, cycle_starts=np.arange(n_cycles + 1) * n,
        joint_names=list(JOINT_NAMES), body_names=list(KEY_BODIES),
        body_xpos=body_positions(model, qpos, KEY_BODIES), stride_m=np.array([stride, 0.0, 0.0]),
        treadmill=all(r.treadmill for r in refs), belt_speed_mps=float(np.mean([r.belt_speed_mps for r in refs])),
        source_mot="mean cycle of " + ", ".join(names),
    )
    sd = cycles.std(axis=0, ddof=1) if len(cycles) > 1 else np.zeros_like(mean)  # the sample SD, as gait labs report
    fit_error = np.sqrt(np.mean((_evaluate(coef, np.arange(SAMPLES) / SAMPLES) - mean) ** 2, axis=0))
    report = {
        "cycles": int(len(cycles)), "trials": names, "n_harmonics": int(n_harmonics),
        "cycle_s": cycle_s, "cycle_s_sd": float(durations.std()), "cycle_frames": int(n),
        "cadence_spm": 120.0 / cycle_s, "reference_cadence_spm": 120.0 * rate / n,
        "speed_mps": speed, "stride_m": float(strides.mean()), "reference_stride_m": float(stride),
        "channel_sd_mean": {name: float(sd[:, j].mean()) for j, name in enumerate(CHANNELS)},
        "fourier_fit_rmse": {name: float(fit_error[j]) for j, name in enumerate(CHANNELS)},
        "band_sd": {name: sd[:, j].round(5).tolist() for j, name in enumerate(CHANNELS)},
        "mean": {name: mean[:, j].round(5).tolist() for j, name in enumerate(CHANNELS)},
    }
    return ref, report


def seam_jump(ref: Reference, cycle_frames: int) -> tuple[float, float]:
    """How far one cycle's end is from the next cycle's start: (largest qpos difference other than the forward
    advance, largest qvel difference) between frame ``cycle_frames`` and frame 0; 0 for an exactly periodic
    reference."""
    dq = ref.qpos[cycle_frames] - ref.qpos[0]
    dq[0] -= ref.stride_m[0]
    return float(np.abs(dq).max()), float(np.abs(ref.qvel[cycle_frames] - ref.qvel[0]).max())


def write_mean_cycle(reference_npzs: list[str | Path], humanoid_xml: str | Path, out_npz: str | Path,
                     out_report: str | Path, cfg) -> dict:
    """Rule ``retarget_mean_cycle``: the mean-cycle reference of a subject's trial references (``cfg``: the
    ``retarget.mean_cycle`` settings) -> ``mean_cycle.npz`` and ``mean_cycle.json``."""
    refs = [read_reference(p) for p in reference_npzs]
    ref, report = mean_cycle_reference(refs, load_model(humanoid_xml), n_harmonics=int(cfg.harmonics),
                                       n_cycles=int(cfg.cycles), sources=[Path(p).name for p in reference_npzs])
    report["seam_position_jump"], report["seam_velocity_jump"] = seam_jump(ref, report["cycle_frames"])
    write_reference(out_npz, ref)
    write_json(out_report, report)
    return report
