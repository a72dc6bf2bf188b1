"""Imitation metrics: pure functions from :class:`~gaitmimic.evaluate.rollouts.Rollout` arrays to numbers.

Definitions (the field's, adapted to one humanoid and a looping gait reference):

- **Tracking error** (CoMic, Hasenclever et al. 2020; dm_control ``reference_pose.tracking``):
  ``0.5 * mean|body positions - reference| (m) + 0.5 * mean|joint angles - reference| (rad)`` at every
  control step, over all recorded bodies and the 21 hinge joints.
- **Tracked fraction** (MoCapAct's normalized episode length, Wagener et al. 2022): the episode ends
  at the first step where the tracking error exceeds its threshold (0.3 by default, as CoMic) or the
  humanoid falls; tracked fraction = steps before that / steps asked for.
- **Joint-angle RMSE** (deg), **key-body position error** (cm, Euclidean, world frame): over the
  tracked part of each episode, pooled over episodes.
- **Forward speed ratio**: simulated / reference root advance, until a fall.
- **Stride length and cadence**: heel strikes found the same way in the simulation and in the
  reference (:func:`gaitmimic.evaluate.gait.heel_strikes`), until a fall.
- **Normalized return**: return / steps asked for (1.0 = maximal per-step reward of 1 for the
  whole episode when rewards lie in [0, 1]).
- **Over the gait cycle** (:func:`gaitmimic.evaluate.gait.gait_cycle_metrics`), until a fall, the simulated
  and the reference humanoid both cut by one foot-floor contact rule (:mod:`gaitmimic.sim.contact`):
  stance % per side, heel-strike timing error (% of the reference cycle, mean absolute; bias: mean signed,
  + = late), RMSE (deg) between the mean cycle-normalized hip, knee and ankle flexion curves.
- **Push trials**: the share of episodes with one horizontal push on the torso (``evaluate.push_trials``)
  that walk on to the episode's end without a fall.
"""

from __future__ import annotations

import numpy as np

from gaitmimic.evaluate import gait
from gaitmimic.io.rollouts import Rollout


def tracking_error(r: Rollout) -> np.ndarray:
    """CoMic tracking error per control step, ``(N,)``."""
    body = np.mean(np.abs(r.body_xpos - r.ref_body_xpos), axis=(1, 2))
    joints = np.mean(np.abs(r.qpos[:, 7:] - r.ref_qpos[:, 7:]), axis=1)
    return 0.5 * body + 0.5 * joints


def tracked_steps(r: Rollout, threshold: float) -> int:
    """Control steps completed before the tracking error exceeds ``threshold`` or the humanoid falls."""
    bad = (tracking_error(r) > threshold) | np.asarray(r.fell, dtype=bool)
    return int(np.argmax(bad)) if bad.any() else r.n_steps


def tracked_fraction(r: Rollout, threshold: float) -> float:
    """MoCapAct normalized episode length in [0, 1]."""
    return tracked_steps(r, threshold) / max(1, r.n_planned_steps)


def steps_before_fall(r: Rollout) -> int:
    """Rows recorded before the fall (all of them when the humanoid stays up)."""
    fell = np.asarray(r.fell, dtype=bool)
    return int(np.argmax(fell)) if fell.any() else r.n_steps


def joint_sq_errors(r: Rollout, n: int) -> np.ndarray:
    """Squared joint-angle errors (rad^2) of the first ``n`` rows, ``(n, 21)``."""
    return (r.qpos[:n, 7:] - r.ref_qpos[:n, 7:]) ** 2


def key_body_distances_m(r: Rollout, n: int, key_bodies: list[str]) -> np.ndarray:
    """Euclidean distances (m) of the key bodies to the reference, first ``n`` rows, ``(n, K)``."""
    idx = [r.body_names.index(b) for b in key_bodies if b in r.body_names]
    d = r.body_xpos[:n, idx] - r.ref_body_xpos[:n, idx]
    return np.linalg.norm(d, axis=-1)


def forward_speed_mps(root_x_m: np.ndarray, dt_s: float) -> float:
    """Mean forward speed over a trajectory of root positions (m/s); NaN when too short."""
    x = np.asarray(root_x_m, dtype=float)
    return float((x[-1] - x[0]) / ((x.size - 1) * dt_s)) if x.size >= 2 else float("nan")


def _strides(xpos: np.ndarray, root_x: np.ndarray, body_names: list[str], dt: float) -> tuple[list, list]:
    hs = gait.heel_strikes(xpos, body_names, "right", min_stride_steps=max(2, int(0.5 / dt)))
    if hs.size < 2:
        return [], []
    return list(np.diff(hs) * dt), list(np.diff(root_x[hs]))


def _ratio(a: float, b: float) -> float:
    return float(a / b) if np.isfinite(a) and np.isfinite(b) and abs(b) > 1e-9 else float("nan")


def _nanmean(values: list[float]) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def rollout_metrics(r: Rollout, threshold: float) -> dict:
    """Per-episode numbers (for the per-rollout table in ``metrics.json``)."""
    n_tr = tracked_steps(r, threshold)
    n_up = steps_before_fall(r)
    sim_speed = forward_speed_mps(r.qpos[:n_up, 0], r.control_dt_s)
    ref_speed = forward_speed_mps(r.ref_qpos[:n_up, 0], r.control_dt_s)
    return {
        "start_phase": r.start_phase,
        "reference_index": r.reference_index,
        "steps_planned": r.n_planned_steps,
        "steps_simulated": r.n_steps,
        "steps_tracked": n_tr,
        "tracked_fraction": n_tr / max(1, r.n_planned_steps),
        "fell": bool(np.any(r.fell)),
        "time_to_fall_s": float(n_up * r.control_dt_s) if np.any(r.fell) else None,
        "forward_speed_mps": sim_speed,
        "reference_speed_mps": ref_speed,
        "normalized_return": float(np.sum(r.reward)) / max(1, r.n_planned_steps),
        "mean_tracking_error": float(np.mean(tracking_error(r)[: max(1, n_tr)])) if r.n_steps else float("nan"),
    }


def aggregate_metrics(
    rollouts: list[Rollout],
    *,
    threshold: float,
    key_bodies: list[str] | None = None,
    model=None,
) -> dict:
    """Metrics over a set of episodes of one policy: the numbers in ``metrics.json`` and ``summary.csv``.

    Errors are pooled over the tracked steps of every episode (at least the first step of each, so
    an episode that deviates at once still counts); speed, stride and cadence over the steps
    before a fall.
    """
    if not rollouts:
        raise ValueError("aggregate_metrics needs at least one rollout")
    names = rollouts[0].body_names
    key_bodies = [b for b in (key_bodies or names) if b in names]
    per = [rollout_metrics(r, threshold) for r in rollouts]
    sq, kb = [], []
    sim_t, sim_l, ref_t, ref_l = [], [], [], []
    sim_d = ref_d = 0.0
    dur = 0
    for r, m in zip(rollouts, per):
        n = max(1, min(m["steps_tracked"], r.n_steps))
        sq.append(joint_sq_errors(r, n))
        kb.append(key_body_distances_m(r, n, key_bodies))
        n_up = steps_before_fall(r)
        if n_up >= 2:
            sim_d += r.qpos[n_up - 1, 0] - r.qpos[0, 0]
            ref_d += r.ref_qpos[n_up - 1, 0] - r.ref_qpos[0, 0]
            dur += n_up - 1
        t, l = _strides(r.body_xpos[:n_up], r.qpos[:n_up, 0], names, r.control_dt_s)
        sim_t += t
        sim_l += l
        t, l = _strides(r.ref_body_xpos[:n_up], r.ref_qpos[:n_up, 0], names, r.control_dt_s)
        ref_t += t
        ref_l += l
    sq_all = np.concatenate(sq, axis=0)
    rmse = np.degrees(np.sqrt(np.mean(sq_all, axis=0)))
    per_joint = {name: float(v) for name, v in zip(gait.JOINT_NAMES, rmse)}
    sagittal = {
        f"{group}_rmse_deg": float(np.degrees(np.sqrt(np.mean(sq_all[:, [gait.JOINT_INDEX[j] for j in joints]]))))
        for group, joints in gait.SAGITTAL_GROUPS.items()
    }
    dt = rollouts[0].control_dt_s
    sim_stride_t, ref_stride_t = _nanmean(sim_t), _nanmean(ref_t)
    sim_cad = 120.0 / sim_stride_t if np.isfinite(sim_stride_t) else float("nan")
    ref_cad = 120.0 / ref_stride_t if np.isfinite(ref_stride_t) else float("nan")
    out = {
        "n_rollouts": len(rollouts),
        "tracked_fraction": float(np.mean([m["tracked_fraction"] for m in per])),
        "tracked_fraction_phase0": float(per[0]["tracked_fraction"]),
        "fall_rate": float(np.mean([m["fell"] for m in per])),
        "normalized_return": float(np.mean([m["normalized_return"] for m in per])),
        "joint_rmse_deg": float(np.degrees(np.sqrt(np.mean(sq_all)))),
        **sagittal,
        "key_body_error_cm": float(100.0 * np.mean(np.concatenate(kb, axis=0))),
        "forward_speed_mps": sim_d / (dur * dt) if dur else float("nan"),
        "reference_speed_mps": ref_d / (dur * dt) if dur else float("nan"),
        "forward_speed_ratio": _ratio(sim_d, ref_d),
        "stride_length_m": _nanmean(sim_l),
        "reference_stride_length_m": _nanmean(ref_l),
        "stride_length_ratio": _ratio(_nanmean(sim_l), _nanmean(ref_l)),
        "cadence_spm": sim_cad,
        "reference_cadence_spm": ref_cad,
        "cadence_ratio": _ratio(sim_cad, ref_cad),
        "joint_rmse_deg_per_joint": per_joint,
        "key_bodies": key_bodies,
        "rollouts": per,
    }
    if model is not None:  # over the gait cycle, by foot-floor contact (gait.gait_cycle_metrics)
        out.update(gait.gait_cycle_metrics(model, [(r.qpos[:steps_before_fall(r)], r.ref_qpos[:steps_before_fall(r)])
                                                   for r in rollouts]))
    return out
