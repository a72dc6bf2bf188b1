"""Gap filling: cubic-spline interpolation of marker gaps up to a maximum length.

Gaps longer than ``max_gap_frames`` (and gaps touching the start or end of the trial, which cannot be
interpolated) stay NaN and are reported; OpenSim IK skips missing markers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

__all__ = ["Gap", "find_gaps", "fill_gaps", "fill_gaps_1d"]


@dataclass
class Gap:
    """A run of missing samples ``[start, stop)`` of one marker (stored frames)."""

    marker: str
    start: int
    stop: int
    filled: bool

    @property
    def length(self) -> int:
        return self.stop - self.start

    def as_dict(self) -> dict:
        return {"marker": self.marker, "start_frame": self.start, "stop_frame": self.stop,
                "length_frames": self.length, "filled": self.filled}


def find_gaps(missing: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a 1-D boolean array as ``[(start, stop), ...]`` (stop exclusive)."""
    m = np.asarray(missing, dtype=bool).astype(np.int8)
    d = np.diff(np.concatenate([[0], m, [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def fill_gaps_1d(y: np.ndarray, max_gap_frames: int, context_frames: int = 10) -> tuple[np.ndarray, list[tuple[int, int, bool]]]:
    """Fill NaN runs of ``y`` up to ``max_gap_frames`` long with a cubic spline through the valid samples
    around each gap (``context_frames`` on each side). Returns ``(filled copy, [(start, stop, filled), ...])``.
    """
    y = np.asarray(y, dtype=float).copy()
    n = y.size
    report = []
    valid = np.isfinite(y)
    for start, stop in find_gaps(~valid):
        fillable = 0 < start and stop < n and (stop - start) <= max_gap_frames
        if fillable:
            lo = max(0, start - context_frames)
            hi = min(n, stop + context_frames)
            idx = np.arange(lo, hi)
            idx = idx[valid[idx]]
            if idx.size >= 4:
                y[start:stop] = CubicSpline(idx, y[idx])(np.arange(start, stop))
            elif idx.size >= 2:
                y[start:stop] = np.interp(np.arange(start, stop), idx, y[idx])
            else:
                fillable = False
        report.append((start, stop, bool(fillable)))
    return y, report


def fill_gaps(xyz_m: np.ndarray, labels: list[str], max_gap_frames: int, context_frames: int = 10
              ) -> tuple[np.ndarray, list[Gap]]:
    """Fill gaps of every marker of ``xyz_m`` (n_frames, n_markers, 3); a sample is missing when any of its
    coordinates is NaN (all three are then filled or blanked together)."""
    out = np.asarray(xyz_m, dtype=float).copy()
    gaps: list[Gap] = []
    for j, lab in enumerate(labels):
        missing = ~np.all(np.isfinite(out[:, j, :]), axis=1)
        if not missing.any():
            continue
        if missing.all():
            gaps.append(Gap(lab, 0, out.shape[0], False))
            continue
        out[missing, j, :] = np.nan
        rep = None
        for k in range(3):
            out[:, j, k], rep = fill_gaps_1d(out[:, j, k], max_gap_frames, context_frames)
        gaps.extend(Gap(lab, s, e, f) for s, e, f in rep)
    return out, gaps
