"""Low-pass filters for marker trajectories (applied along time, per coordinate, NaN-aware).

- :func:`butterworth`: 4th-order zero-lag Butterworth (2nd-order design run forward and backward with
  ``filtfilt``, so the effective order is 4 and the cutoff is corrected for the double pass).
- :func:`moving_mean`: centred moving mean over ``window`` frames (the original study's filter).
- :func:`filter_markers`: the one the marker stage calls, as the ``markers.filter`` settings say.

NaN handling: each finite segment is filtered on its own; segments shorter than the filter needs are
left as they are; NaN stays NaN.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, filtfilt

from gaitmimic.markers.gaps import find_gaps

__all__ = ["butterworth", "moving_mean", "filter_markers"]


def _segments(y: np.ndarray):
    return find_gaps(np.isfinite(y))


def butterworth(y: np.ndarray, rate_hz: float, cutoff_hz: float, order: int) -> np.ndarray:
    """Zero-lag Butterworth low-pass of ``y`` along axis 0; overall ``order`` (even) after forward-backward.

    The cutoff of the single-pass design is raised by ``(2**(1/n_passes) - 1)**(-1/(2*order_1))``
    (Winter's correction) so the -3 dB point of the double pass is ``cutoff_hz``.
    """
    y = np.asarray(y, dtype=float)
    if cutoff_hz <= 0 or cutoff_hz >= rate_hz / 2:
        raise ValueError(f"cutoff {cutoff_hz} Hz must be in (0, {rate_hz / 2}) for rate {rate_hz} Hz")
    n1 = max(order // 2, 1)
    correction = (2 ** 0.5 - 1) ** (-1.0 / (2 * n1))
    wc = min(cutoff_hz * correction / (rate_hz / 2), 0.99)
    b, a = butter(n1, wc)
    padlen = 3 * max(len(a), len(b))
    flat = y.reshape(y.shape[0], -1)
    out = flat.copy()
    for c in range(flat.shape[1]):
        col = flat[:, c]
        for s, e in _segments(col):
            if e - s > padlen:
                out[s:e, c] = filtfilt(b, a, col[s:e], padlen=min(padlen * 3, e - s - 1))
    return out.reshape(y.shape)


def moving_mean(y: np.ndarray, window: int) -> np.ndarray:
    """Centred moving mean of ``window`` frames (odd; shrinks at segment ends) along axis 0, NaN-aware."""
    y = np.asarray(y, dtype=float)
    window = int(window)
    if window < 1:
        raise ValueError("window must be >= 1")
    half = window // 2
    flat = y.reshape(y.shape[0], -1)
    out = flat.copy()
    for c in range(flat.shape[1]):
        col = flat[:, c]
        for s, e in _segments(col):
            seg = col[s:e]
            cs = np.concatenate([[0.0], np.cumsum(seg)])
            i = np.arange(e - s)
            lo = np.maximum(i - half, 0)
            hi = np.minimum(i + half + 1, e - s)
            out[s:e, c] = (cs[hi] - cs[lo]) / (hi - lo)
    return out.reshape(y.shape)


def filter_markers(xyz_m: np.ndarray, rate_hz: float, filt) -> np.ndarray:
    """Filter (n_frames, n_markers, 3) as the ``markers.filter`` settings ``filt`` say (``method``
    butterworth | moving_mean | none, ``cutoff_hz``, ``order``, ``window_frames``)."""
    if filt.method == "none":
        return np.asarray(xyz_m, dtype=float).copy()
    if filt.method == "butterworth":
        return butterworth(xyz_m, rate_hz, float(filt.cutoff_hz), int(filt.order))
    if filt.method == "moving_mean":
        return moving_mean(xyz_m, int(filt.window_frames))
    raise ValueError(f"unknown filter method {filt.method!r}")
