"""OpenSim .mot/.sto read/write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaitmimic.errors import InputError
from gaitmimic.io.mot import read_mot, read_mot_arrays, write_mot, write_mot_arrays


def test_read_real_grf_mot(shared_data):
    t = read_mot(shared_data / "opensim-tutorial5" / "subject01_walk1_grf.mot")
    assert t.in_degrees
    assert t.data.shape == (1501, 19)
    assert t.names[0] == "ground_force_vx"
    assert t.data["ground_force_vy"].iloc[0] == pytest.approx(745.4661142)
    assert t.time_s[-1] > t.time_s[0]


def test_round_trip_and_opensim_reads(tmp_path):
    names = ["pelvis_tilt", "knee_angle_r", "pelvis_tx"]
    time_s = np.arange(50) / 100.0
    values = np.column_stack([np.sin(time_s), -30 * np.cos(time_s), np.linspace(0, 1, 50)])
    values[3, 1] = np.nan
    out = tmp_path / "x.mot"
    write_mot_arrays(out, names, time_s, values, in_degrees=True, name="Coordinates")
    n2, t2, v2 = read_mot_arrays(out)
    assert n2 == names
    np.testing.assert_allclose(t2, time_s, atol=1e-8)
    np.testing.assert_allclose(v2, values, atol=1e-7)
    assert np.isnan(v2[3, 1])
    assert read_mot(out).in_degrees
    opensim = pytest.importorskip("opensim")
    table = opensim.TimeSeriesTable(str(out))
    assert table.getNumRows() == 50
    assert list(table.getColumnLabels()) == names
    assert table.getDependentColumn("pelvis_tx")[49] == pytest.approx(1.0)


def test_write_dataframe_puts_time_first(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0], "time": [0.0, 0.01]})
    write_mot(tmp_path / "y.sto", df, in_degrees=False)
    t = read_mot(tmp_path / "y.sto")
    assert list(t.data.columns) == ["time", "a"]
    assert not t.in_degrees


def test_bad_mot(tmp_path):
    bad = tmp_path / "bad.mot"
    bad.write_text("hello\nthis is not\n")
    with pytest.raises(InputError, match="bad.mot"):
        read_mot(bad)


def test_read_grf_groups_force_and_point_columns(tmp_path):
    """Forces by column prefix (OpenSim's GRF convention), each with its centre of pressure; a .mot of joint
    angles is refused naming the columns it lacks."""
    from gaitmimic.io.mot import read_grf

    t = np.linspace(0, 1, 101)
    cols = {"time": t}
    for p, fy in (("r_ground_", 700 * np.sin(np.pi * t)), ("l_ground_", 0 * t)):
        cols.update({f"{p}force_vx": 0 * t, f"{p}force_vy": fy, f"{p}force_vz": 0 * t,
                     f"{p}force_px": t, f"{p}force_py": 0 * t, f"{p}force_pz": 0 * t + 0.1})
    cols["r_ground_torque_y"] = 0 * t
    write_mot(tmp_path / "grf.mot", pd.DataFrame(cols), in_degrees=False)
    forces = read_grf(tmp_path / "grf.mot")
    assert [f.name for f in forces] == ["r_ground", "l_ground"]
    assert forces[0].rate_hz == pytest.approx(100.0) and forces[0].force_n[50, 1] == pytest.approx(700.0)
    assert forces[0].point_m[30, 0] == pytest.approx(0.3)
    write_mot(tmp_path / "ik.mot", pd.DataFrame({"time": t, "knee_angle_r": 0 * t}))
    with pytest.raises(InputError, match="force_vx/vy/vz") as err:
        read_grf(tmp_path / "ik.mot")
    assert "ik.mot" in str(err.value)
