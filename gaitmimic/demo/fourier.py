"""Per-coordinate Fourier series over the gait cycle: evaluate, fit, load the shipped coefficients.

A coordinate's value at gait phase ``phi`` (0 = right heel strike, 1 = the next one) is
``a0 + sum_k a[k] cos(2 pi (k+1) phi) + b[k] sin(2 pi (k+1) phi)``.
The shipped coefficients (``gait_fourier.json`` beside this module) and their origin are described in
:mod:`tools.fit_demo_gait`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitmimic.io.reports import read_json

COEFFICIENTS_JSON = Path(__file__).with_name("gait_fourier.json")


@dataclass(frozen=True)
class FourierSeries:
    a0: float
    a: tuple[float, ...]
    b: tuple[float, ...]

    def __call__(self, phase: np.ndarray) -> np.ndarray:
        phase = np.asarray(phase, dtype=float)
        out = np.full(phase.shape, self.a0)
        for k, (ak, bk) in enumerate(zip(self.a, self.b), start=1):
            out = out + ak * np.cos(2 * np.pi * k * phase) + bk * np.sin(2 * np.pi * k * phase)
        return out

    def shifted(self, dphase: float) -> "FourierSeries":
        """The series of ``f(phi - dphase)`` (e.g. 0.5 moves a left-heel-strike series to right-HS phase)."""
        a, b = [], []
        for k, (ak, bk) in enumerate(zip(self.a, self.b), start=1):
            c, s = np.cos(2 * np.pi * k * dphase), np.sin(2 * np.pi * k * dphase)
            a.append(float(ak * c - bk * s))
            b.append(float(ak * s + bk * c))
        return FourierSeries(self.a0, tuple(a), tuple(b))

    def scaled(self, gain: float, offset: float = 0.0) -> "FourierSeries":
        return FourierSeries(self.a0 * gain + offset, tuple(gain * x for x in self.a), tuple(gain * x for x in self.b))

    def to_dict(self, ndigits: int = 5) -> dict:
        return {"a0": round(self.a0, ndigits), "a": [round(x, ndigits) for x in self.a],
                "b": [round(x, ndigits) for x in self.b]}


def fit_fourier(phase: np.ndarray, values: np.ndarray, n_harmonics: int) -> FourierSeries:
    """Least-squares Fourier series of ``values`` sampled at ``phase`` (any range; taken modulo 1)."""
    phase = np.asarray(phase, float)
    values = np.asarray(values, float)
    ok = np.isfinite(values)
    phase, values = phase[ok], values[ok]
    cols = [np.ones_like(phase)]
    for k in range(1, n_harmonics + 1):
        cols += [np.cos(2 * np.pi * k * phase), np.sin(2 * np.pi * k * phase)]
    A = np.stack(cols, axis=1)
    coef, *_ = np.linalg.lstsq(A, values, rcond=None)
    return FourierSeries(float(coef[0]), tuple(float(x) for x in coef[1::2]), tuple(float(x) for x in coef[2::2]))


def load_gait_fourier(path: str | Path = COEFFICIENTS_JSON) -> tuple[dict[str, FourierSeries], dict]:
    """Load shipped coefficients: ({coordinate: series in degrees or metres}, metadata dict)."""
    doc = read_json(path)
    series = {name: FourierSeries(c["a0"], tuple(c["a"]), tuple(c["b"])) for name, c in doc["coordinates"].items()}
    meta = {k: v for k, v in doc.items() if k != "coordinates"}
    return series, meta
