"""Filters: Butterworth gain at the cutoff and at twice the cutoff, zero lag, NaN segments, moving mean."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.markers.filtering import butterworth, filter_markers, moving_mean

RATE = 100.0


def _gain(filtered, freq, t):
    # amplitude of the sinusoid at freq in the middle of the record (edges excluded)
    mid = slice(len(t) // 4, 3 * len(t) // 4)
    s, c = np.sin(2 * np.pi * freq * t[mid]), np.cos(2 * np.pi * freq * t[mid])
    a = 2 * np.mean(filtered[mid] * s)
    b = 2 * np.mean(filtered[mid] * c)
    return np.hypot(a, b), np.arctan2(b, a)


@pytest.mark.parametrize("freq, expected, tol", [(1.0, 1.0, 0.01), (6.0, 0.5 ** 0.5, 0.02), (12.0, 0.131, 0.02)])
def test_butterworth_gain(freq, expected, tol):
    t = np.arange(2000) / RATE
    y = np.sin(2 * np.pi * freq * t)
    gain, phase = _gain(butterworth(y, RATE, cutoff_hz=6.0, order=4), freq, t)
    print(f"Butterworth 4th order zero-lag, 6 Hz cutoff: gain at {freq:g} Hz = {gain:.4f} "
          f"({20 * np.log10(gain):.1f} dB), phase {np.degrees(phase):.2f} deg")
    assert gain == pytest.approx(expected, abs=tol)
    assert abs(phase) < np.radians(1.0)  # zero lag


def test_attenuation_twice_cutoff_is_about_minus_17_db():
    t = np.arange(2000) / RATE
    gain, _ = _gain(butterworth(np.sin(2 * np.pi * 12.0 * t), RATE, 6.0, 4), 12.0, t)
    assert -19.0 < 20 * np.log10(gain) < -16.0


def test_nan_segments_filtered_separately():
    t = np.arange(400) / RATE
    y = np.sin(2 * np.pi * 1.0 * t) + 0.01 * np.sin(2 * np.pi * 30 * t)
    y[150:200] = np.nan
    f = butterworth(y, RATE, 6.0, 4)
    assert np.isnan(f[150:200]).all() and np.isfinite(f[:150]).all() and np.isfinite(f[200:]).all()
    clean = np.sin(2 * np.pi * 1.0 * t)
    assert np.nanmax(np.abs(f[20:130] - clean[20:130])) < 2e-3  # 30 Hz ripple removed


def test_moving_mean():
    y = np.full(50, 3.0)
    assert np.allclose(moving_mean(y, 5), 3.0)
    ramp = np.arange(20.0)
    assert np.allclose(moving_mean(ramp, 5)[2:-2], ramp[2:-2])  # linear signals pass unchanged
    alt = np.tile([1.0, -1.0], 50)
    assert np.abs(moving_mean(alt, 5)[5:-5]).max() == pytest.approx(0.2)


def _filter(**given):
    return settings.section("markers", {"filter": given}).filter


def test_filter_markers_dispatch():
    xyz = np.random.default_rng(0).normal(size=(300, 2, 3))
    assert filter_markers(xyz, RATE, _filter(method="none")) is not xyz
    assert filter_markers(xyz, RATE, _filter(method="butterworth")).std() < xyz.std() / 2
    with pytest.raises(ValueError):
        filter_markers(xyz, RATE, dataclasses.replace(_filter(), method="kalman"))  # past the schema's check
