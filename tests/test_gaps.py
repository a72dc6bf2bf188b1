"""Gap filling: exact on smooth signals, long and edge gaps left empty and reported."""

from __future__ import annotations

import numpy as np

from gaitmimic.markers.gaps import fill_gaps, fill_gaps_1d, find_gaps


def test_find_gaps():
    assert find_gaps(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 3), (4, 5), (7, 8)]


def test_cubic_spline_exact_on_cubic():
    t = np.arange(100) / 100.0
    y = 0.3 + 0.5 * t - 2.0 * t**2 + 1.5 * t**3
    holed = y.copy()
    holed[40:52] = np.nan
    filled, report = fill_gaps_1d(holed, max_gap_frames=15)
    assert report == [(40, 52, True)]
    assert np.max(np.abs(filled - y)) < 1e-12


def test_smooth_marker_filled_below_a_millimetre():
    t = np.arange(300) / 100.0
    xyz = np.stack([np.sin(2 * np.pi * 1.0 * t), 0.05 * np.cos(2 * np.pi * 2 * t) + 1, 0.1 * t], axis=1)[:, None, :]
    holed = xyz.copy()
    holed[100:110, 0, :] = np.nan
    filled, gaps = fill_gaps(holed, ["LASI"], max_gap_frames=20)
    err = np.max(np.abs(filled - xyz))
    print(f"max error filling a 10-frame gap in a 1 Hz sine at 100 Hz: {err * 1e6:.2f} um")
    assert err < 1e-3  # a cubic through a 0.1 s hole in a 1 m, 1 Hz sine: ~0.5 mm (theory h^4 f4/384)
    assert [(g.start, g.stop, g.filled) for g in gaps] == [(100, 110, True)]


def test_long_and_edge_gaps_stay_empty():
    xyz = np.tile(np.linspace(0, 1, 200)[:, None, None], (1, 2, 3))
    xyz[50:120, 0, :] = np.nan       # 70 frames: too long
    xyz[0:5, 1, 2] = np.nan          # at the start: cannot be interpolated (one coordinate missing)
    xyz[150:153, 1, :] = np.nan      # short: filled
    filled, gaps = fill_gaps(xyz, ["A", "B"], max_gap_frames=20)
    assert np.isnan(filled[50:120, 0]).all() and np.isfinite(filled[:50, 0]).all()
    assert np.isnan(filled[0:5, 1]).all()  # all three coordinates blank together
    np.testing.assert_allclose(filled[150:153, 1, 0], np.linspace(0, 1, 200)[150:153], atol=1e-12)
    summary = sorted((g.marker, g.start, g.stop, g.filled) for g in gaps)
    assert summary == [("A", 50, 120, False), ("B", 0, 5, False), ("B", 150, 153, True)]
    assert gaps[0].as_dict()["length_frames"] in (70, 5, 3)
