"""Gait-lab quantities from humanoid kinematics: clinical angles, heel strikes, strides, cadence.

The same functions run on the reference and on the simulated humanoid, so both are measured the
same way. Humanoid joint order (``qpos[7:]``): :data:`gaitmimic.sim.humanoid.JOINT_NAMES`. MuJoCo
frame, X forward, Y left, Z up; radians in, degrees out only where a name says ``_deg``.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from gaitmimic.sim.humanoid import JOINT_NAMES
from gaitmimic.sim.segment_angles import SEGMENT_ANGLES, humanoid_segment_rotations, segment_angles_deg

#: Index of each hinge joint in ``qpos[7:]``.
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}

#: Clinical angle -> (humanoid joint, sign). Gait-lab convention: flexion, dorsiflexion and adduction
#: positive. Signs of the retarget stage's joint mapping (suite hip_y = -hip_flexion, suite knee =
#: gait2392 knee_angle, negative in flexion, suite ankle_y = -ankle_angle); the right hip_x axis is +X and the
#: left one -X, so positive hip_x moves either foot toward the midline (adduction).
CLINICAL_ANGLES: dict[str, tuple[str, float]] = {
    "hip_flexion_r": ("right_hip_y", -1.0),
    "hip_flexion_l": ("left_hip_y", -1.0),
    "knee_flexion_r": ("right_knee", -1.0),
    "knee_flexion_l": ("left_knee", -1.0),
    "ankle_dorsiflexion_r": ("right_ankle_y", -1.0),
    "ankle_dorsiflexion_l": ("left_ankle_y", -1.0),
    "hip_adduction_r": ("right_hip_x", 1.0),
    "hip_adduction_l": ("left_hip_x", 1.0),
}

#: Sagittal hip/knee/ankle: headline RMSE groups (left and right pooled).
SAGITTAL_GROUPS: dict[str, tuple[str, str]] = {
    "hip_flexion": ("right_hip_y", "left_hip_y"),
    "knee_flexion": ("right_knee", "left_knee"),
    "ankle_dorsiflexion": ("right_ankle_y", "left_ankle_y"),
}


def clinical_angles_deg(qpos: np.ndarray) -> dict[str, np.ndarray]:
    """Clinical joint angles in degrees, ``{name: (T,)}``, from humanoid ``qpos (T, 28)``."""
    qpos = np.asarray(qpos, dtype=float)
    joints = qpos[:, 7:]
    return {
        name: sign * np.degrees(joints[:, JOINT_INDEX[joint]])
        for name, (joint, sign) in CLINICAL_ANGLES.items()
    }


def pelvic_obliquity_deg(body_xpos: np.ndarray, body_names: list[str]) -> np.ndarray:
    """Pelvic obliquity in degrees, positive when the right hip is higher than the left, ``(T,)``.

    Measured on the line between the hip joint centres (origins of the thigh bodies) in the frontal
    plane, so it is defined the same way for the reference and the simulation.
    """
    right = body_xpos[:, list(body_names).index("right_thigh")]
    left = body_xpos[:, list(body_names).index("left_thigh")]
    d = left - right
    return np.degrees(np.arctan2(-d[:, 2], np.hypot(d[:, 0], d[:, 1])))


def heel_strikes(
    body_xpos: np.ndarray,
    body_names: list[str],
    side: str = "right",
    min_stride_steps: int = 10,
) -> np.ndarray:
    """Frame indices of heel strikes, the maxima of the foot's forward position relative to the pelvis.

    This is Zeni et al.'s (2008) kinematic method with the foot body for the heel marker and the
    pelvis body for the sacrum; it works for overground and treadmill walking alike. Peaks closer
    than ``min_stride_steps`` frames are merged, and peaks smaller than a third of the signal's range
    are ignored (stumbling, standing still).
    """
    names = list(body_names)
    foot = body_xpos[:, names.index(f"{side}_foot")]
    pelvis = body_xpos[:, names.index("pelvis")]
    rel = foot[:, 0] - pelvis[:, 0]
    if rel.size < 3 or np.ptp(rel) < 1e-6:
        return np.zeros(0, dtype=int)
    peaks, _ = find_peaks(rel, distance=max(1, int(min_stride_steps)), prominence=np.ptp(rel) / 3.0)
    return peaks.astype(int)


def normalize_cycles(signal: np.ndarray, cycle_starts: np.ndarray, n_points: int = 101) -> np.ndarray:
    """Resample ``signal (T,)`` over each cycle ``[cycle_starts[i], cycle_starts[i+1]]`` to 0-100 %.

    Returns ``(C, n_points)``; the cycle end frame is included so 100 % is the next heel strike.
    """
    signal = np.asarray(signal, dtype=float)
    starts = np.asarray(cycle_starts, dtype=int)
    out = []
    pct = np.linspace(0.0, 1.0, n_points)
    for a, b in zip(starts[:-1], starts[1:]):
        if b <= a or b >= signal.size:
            continue
        t = np.arange(a, b + 1)
        out.append(np.interp(a + pct * (b - a), t, signal[a : b + 1]))
    return np.asarray(out).reshape(len(out), n_points)


#: The clinical angles compared over the normalized gait cycle (sagittal hip, knee, ankle, both sides).
CYCLE_ANGLES = ("hip_flexion_r", "hip_flexion_l", "knee_flexion_r", "knee_flexion_l",
                "ankle_dorsiflexion_r", "ankle_dorsiflexion_l")


def contact_cycles(model, qpos: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per side ("r", "l"): (contact (T,), heel strikes, toe offs) of the humanoid states ``qpos`` by the one
    foot-floor contact rule (:mod:`gaitmimic.sim.contact`)."""
    from gaitmimic.sim.contact import contact_events, foot_contacts

    return {side: (c, *contact_events(c)) for side, c in foot_contacts(model, qpos).items()}


def _shares(contact: np.ndarray, strikes: np.ndarray) -> list[float]:
    return [float(np.mean(contact[a:b])) for a, b in zip(strikes[:-1], strikes[1:]) if b > a]


def gait_cycle_metrics(model, pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """A gait lab's comparison of simulated and reference walking over the gait cycle.

    ``pairs``: (simulated qpos, reference qpos) per episode, the same frames (before any fall). Both are cut
    into cycles by the same foot-floor contact rule. Returns stance % per side (simulated and reference,
    over complete cycles), the heel-strike timing error (each simulated heel strike against the reference's
    nearest one of the same side, % of the reference cycle; mean absolute and mean signed, + = late), and the
    RMSE (deg) between the mean cycle-normalized curves of :data:`CYCLE_ANGLES` (cycles from right heel strike
    to right heel strike), and of the segment angles (:data:`~gaitmimic.sim.segment_angles.SEGMENT_ANGLES`: pelvis,
    hip rotation, foot progression; ``cycle_rmse_segment_deg``). NaN where no complete cycle was simulated.
    """
    share = {k: [] for k in ("sim_r", "sim_l", "ref_r", "ref_l")}
    timing: list[float] = []
    compared = CYCLE_ANGLES + SEGMENT_ANGLES
    curves: dict[str, dict[str, list]] = {"sim": {a: [] for a in compared}, "ref": {a: [] for a in compared}}
    n_cycles = 0
    for sim_q, ref_q in pairs:
        if len(sim_q) < 3:
            continue
        cyc = {"sim": contact_cycles(model, sim_q), "ref": contact_cycles(model, ref_q)}
        for side in ("r", "l"):
            for who in ("sim", "ref"):
                c, strikes, _ = cyc[who][side]
                share[f"{who}_{side}"] += _shares(c, strikes)
            s_hs, r_hs = cyc["sim"][side][1], cyc["ref"][side][1]
            if len(r_hs) >= 2:
                period = float(np.mean(np.diff(r_hs)))
                for h in s_hs:
                    k = int(np.argmin(np.abs(r_hs - h)))
                    if abs(h - r_hs[k]) <= period / 2:
                        timing.append(100.0 * float(h - r_hs[k]) / period)
        for who, q in (("sim", sim_q), ("ref", ref_q)):
            strikes = cyc[who]["r"][1]
            if len(strikes) < 2:
                continue
            angles = {**clinical_angles_deg(q), **segment_angles_deg(humanoid_segment_rotations(model, q))}
            for a in compared:
                curves[who][a].append(normalize_cycles(angles[a], strikes))
            n_cycles += (len(strikes) - 1) if who == "sim" else 0
    pct = lambda v: 100.0 * float(np.mean(v)) if v else float("nan")  # noqa: E731
    rmse = {}
    for a in compared:
        sim_c = np.concatenate(curves["sim"][a]) if curves["sim"][a] else np.zeros((0, 101))
        ref_c = np.concatenate(curves["ref"][a]) if curves["ref"][a] else np.zeros((0, 101))
        rmse[a] = float(np.sqrt(np.mean((sim_c.mean(0) - ref_c.mean(0)) ** 2))) if len(sim_c) and len(ref_c) else float("nan")
    segment_rmse = {a: rmse.pop(a) for a in SEGMENT_ANGLES}
    finite = [v for v in rmse.values() if np.isfinite(v)]
    out = {
        "simulated_cycles": int(n_cycles),
        "stance_pct_right": pct(share["sim_r"]), "reference_stance_pct_right": pct(share["ref_r"]),
        "stance_pct_left": pct(share["sim_l"]), "reference_stance_pct_left": pct(share["ref_l"]),
        "heel_strike_timing_error_pct": float(np.mean(np.abs(timing))) if timing else float("nan"),
        "heel_strike_timing_bias_pct": float(np.mean(timing)) if timing else float("nan"),
        "cycle_rmse_deg": rmse,
        "cycle_rmse_segment_deg": segment_rmse,
        "cycle_rmse_sagittal_deg": float(np.sqrt(np.mean(np.square(finite)))) if len(finite) == len(rmse) else float("nan"),
    }
    diffs = [abs(out[f"stance_pct_{s}"] - out[f"reference_stance_pct_{s}"]) for s in ("right", "left")]
    out["stance_pct_difference"] = float(max(diffs)) if all(np.isfinite(diffs)) else float("nan")
    return out
