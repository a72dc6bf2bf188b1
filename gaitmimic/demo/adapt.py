"""Adapt the recorded gait (fitted on the gait2354 tutorial subject) to the built-in model's feet.

The fitted joint angles come from a model with other segment proportions and a locked mtp joint. Played
on the built-in model with the lowest sole point on the floor, they give too short a double support (the
trailing foot leaves the floor ~0.1 s before its toe marker stops moving back). Two small corrections make
the feet's floor contact match the source subject's force plates:

1. toes flat during stance: mtp extension follows the calcaneus pitch (``flat_toes_mtp_deg``) from heel
   strike to toe off, fading out in early swing (gait2354's mtp is locked);
2. during each double support (lead heel strike to trailing toe off, phases from the source's force
   plates, see ``source_contact_phases`` in gait_fourier.json) the trailing ankle plantarflexes (at most
   20 deg more) and the leading knee flexes (at most 20 deg more) so that both feet are on the floor,
   solved per phase sample by damped Gauss-Newton on the sole-height difference.

Corrections are refitted as Fourier series (``N_HARMONICS_ADAPTED``) so the motion stays smooth and periodic.
"""

from __future__ import annotations

import numpy as np

from gaitmimic.demo.fourier import FourierSeries, fit_fourier
from gaitmimic.demo.kinematics import PoseSampler, flat_toes_mtp_deg, gait_coordinates

N_SAMPLES = 200
N_HARMONICS_ADAPTED = 12
N_ITERATIONS = 8
ANKLE_BOUNDS_DEG = (-20.0, 8.0)
KNEE_BOUNDS_DEG = (-20.0, 3.0)
DAMPING = 0.8
TOE_FADE_CYCLES = 0.08
SMOOTH_CYCLES = 0.02
WINDOW_EXTRA_CYCLES = 0.03  # correct slightly past toe off: the smoothing would otherwise weaken it there
_OTHER = {"r": "l", "l": "r"}
_OFFSET = {"r": 0.0, "l": 0.5}  # phase of each foot's heel strike in the (right) gait cycle


def _lowest(samples) -> dict[str, np.ndarray]:
    h = samples.foot[:, :, 1]
    return {s: h[:, samples.foot_side == s].min(axis=1) for s in ("r", "l")}


def _smooth(x: np.ndarray, sigma_cycles: float = SMOOTH_CYCLES) -> np.ndarray:
    """Circular Gaussian smoothing of a periodic sampled signal (removes the corrections' sharp edges)."""
    n = len(x)
    k = np.fft.fftfreq(n) * n
    return np.real(np.fft.ifft(np.fft.fft(x) * np.exp(-0.5 * (2 * np.pi * k * sigma_cycles) ** 2)))


def _stance_weight(grid: np.ndarray, side: str, to_phase: float) -> np.ndarray:
    """1 from this foot's heel strike to its toe off, cosine fade to 0 over TOE_FADE_CYCLES, 0 in swing."""
    own = (grid - _OFFSET[side]) % 1.0
    w = np.where(own <= to_phase, 1.0, 0.0)
    fade = (own > to_phase) & (own < to_phase + TOE_FADE_CYCLES)
    w[fade] = 0.5 * (1 + np.cos(np.pi * (own[fade] - to_phase) / TOE_FADE_CYCLES))
    return w


def adapt_gait_to_model(series: dict[str, FourierSeries], sampler: PoseSampler, hs_phase: float,
                        to_phase: float) -> dict[str, FourierSeries]:
    """Return ``series`` with mtp, ankle and knee corrected for the sampler's model (see module docstring).

    ``hs_phase``/``to_phase``: heel strike and toe off of the right foot as gait-cycle phases (the left foot's
    are half a cycle later).
    """
    grid = np.arange(N_SAMPLES) / N_SAMPLES
    cur = dict(series)
    base = {f"{j}_{s}": series[f"{j}_{s}"](grid) for s in ("r", "l") for j in ("ankle_angle", "knee_angle")}
    delta = {k: np.zeros(N_SAMPLES) for k in base}
    window = {}  # trailing foot -> phases of the double support that ends with its toe off
    for s in ("r", "l"):
        start, end = (_OFFSET[_OTHER[s]] + hs_phase) % 1.0, (_OFFSET[s] + to_phase + WINDOW_EXTRA_CYCLES) % 1.0
        window[s] = (grid >= start) & (grid <= end) if start <= end else (grid >= start) | (grid <= end)
    stance = {s: _stance_weight(grid, s, to_phase) for s in ("r", "l")}

    def update_mtp():
        samples = sampler.sample(gait_coordinates(cur, grid))
        for s in ("r", "l"):
            mtp = flat_toes_mtp_deg(samples.foot_pitch[s]) * stance[s]
            cur[f"mtp_angle_{s}"] = fit_fourier(grid, mtp, N_HARMONICS_ADAPTED)
        return samples

    for _ in range(N_ITERATIONS):
        h = _lowest(update_mtp())
        plus_ankle, plus_knee = dict(cur), dict(cur)
        for s in ("r", "l"):
            plus_ankle[f"ankle_angle_{s}"] = cur[f"ankle_angle_{s}"].scaled(1.0, 1.0)
            plus_knee[f"knee_angle_{s}"] = cur[f"knee_angle_{s}"].scaled(1.0, 1.0)
        ha = _lowest(sampler.sample(gait_coordinates(plus_ankle, grid)))
        hk = _lowest(sampler.sample(gait_coordinates(plus_knee, grid)))
        for s in ("r", "l"):
            o, w = _OTHER[s], window[s]
            err = (h[s] - h[o])[w]  # trailing minus leading sole height (m): 0 when both touch
            j_ankle = (ha[s] - h[s])[w]  # per degree of trailing ankle
            j_knee = -(hk[o] - h[o])[w]  # per degree of leading knee
            den = j_ankle**2 + j_knee**2 + 1e-6
            da, dk = DAMPING * (-j_ankle * err / den), DAMPING * (-j_knee * err / den)
            delta[f"ankle_angle_{s}"][w] = np.clip(delta[f"ankle_angle_{s}"][w] + da, *ANKLE_BOUNDS_DEG)
            delta[f"knee_angle_{o}"][w] = np.clip(delta[f"knee_angle_{o}"][w] + dk, *KNEE_BOUNDS_DEG)
        for k in base:
            cur[k] = fit_fourier(grid, base[k] + _smooth(delta[k]), N_HARMONICS_ADAPTED)
    update_mtp()
    return cur
