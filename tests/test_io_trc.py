"""TRC read/write: round trip on OpenSim's tutorial walk, OpenSim's own reader, header variants, bad headers."""

from __future__ import annotations

import numpy as np
import pytest

from gaitmimic.errors import InputError
from gaitmimic.io.trc import read_trc, write_trc
from gaitmimic.io.markerdata import MarkerTrial


def test_round_trip_opensim_walk(shared_data, tmp_path):
    src = shared_data / "opensim-tutorial5" / "subject01_walk1.trc"
    t = read_trc(src)
    assert t.xyz_m.shape == (151, 41, 3) and t.rate_hz == 60.0
    assert t.labels[:3] == ["R.ASIS", "L.ASIS", "V.Sacral"]
    assert t.marker("R.ASIS")[0] == pytest.approx([0.61724762, 1.05527502, 0.17078198])  # mm -> m
    for units in ("m", "mm"):
        out = tmp_path / f"walk_{units}.trc"
        write_trc(out, t, units=units)
        back = read_trc(out)
        assert back.labels == t.labels and back.rate_hz == t.rate_hz
        np.testing.assert_allclose(back.xyz_m, t.xyz_m, atol=1e-6)  # 1 micrometre of rounding
        # and a second round trip is exact
        write_trc(tmp_path / "again.trc", back, units=units)
        np.testing.assert_array_equal(read_trc(tmp_path / "again.trc").xyz_m, back.xyz_m)


def test_opensim_reads_what_we_write(shared_data, tmp_path):
    opensim = pytest.importorskip("opensim")
    t = read_trc(shared_data / "opensim-tutorial5" / "subject01_walk1.trc")
    t.xyz_m[3, 2, :] = np.nan  # a gap is written as blank cells
    out = tmp_path / "ours.trc"
    write_trc(out, t)
    table = opensim.TimeSeriesTableVec3(str(out))
    assert table.getNumRows() == 151 and table.getNumColumns() == 41
    assert table.getTableMetaDataAsString("Units") == "m"
    assert list(table.getColumnLabels()) == t.labels
    v = table.getDependentColumn("R.ASIS")[0]
    assert [v.get(i) for i in range(3)] == pytest.approx(list(t.xyz_m[0, 0]), abs=1e-6)
    assert np.isnan(table.getDependentColumn("V.Sacral")[3].get(0))
    assert table.getIndependentColumn()[1] == pytest.approx(1 / 60.0, abs=1e-6)


VARIANT = (
    "PathFileType\t4\t(X/Y/Z)\tx.trc\n"
    "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n"
    "100.00\t100.00\t999\t2\tmm\t100.00\t11\t999\n"         # wrong NumFrames
    "Frame#\tTime\tSubj:LASI\t\t\t\tRASI\t\t\n"              # prefix, a double tab
    "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n"
    "\n"
    "11\t0.00\t1000\t2000\t3000\t10\t20\t30\n"
    "12\t0.01\t1001\t\t3001\t11\t21\t31\n"                  # a blank cell
    "13\t0.02\t1002\t2002\t3002\tnan\tnan\tnan\t\t\n"       # nan and trailing tabs
)


def test_variants(tmp_path):
    p = tmp_path / "v.trc"
    p.write_text(VARIANT)
    t = read_trc(p)
    assert t.labels == ["LASI", "RASI"]
    assert t.n_frames == 3 and t.rate_hz == 100.0 and t.first_frame == 10
    assert t.marker("LASI")[0] == pytest.approx([1.0, 2.0, 3.0])
    assert np.isnan(t.marker("LASI")[1, 1]) and t.marker("LASI")[1, 2] == pytest.approx(3.001)
    assert np.isnan(t.marker("RASI")[2]).all()


def test_whitespace_separated(tmp_path):
    p = tmp_path / "ws.trc"
    p.write_text(VARIANT.replace("\t\t\t\t", "\t").replace("\t\t\n", "\n").replace("\t", "  ")
                 .replace("1001    3001", "1001  2001  3001"))
    t = read_trc(p)
    assert t.labels == ["LASI", "RASI"] and t.n_frames == 3
    assert t.marker("LASI")[1] == pytest.approx([1.001, 2.001, 3.001])


@pytest.mark.parametrize("broken", [
    VARIANT.replace("DataRate", "Rate"),                      # key line damaged
    VARIANT.replace("100.00\t100.00\t999", "abc\t100.00\t999"),  # rate not a number
    VARIANT.replace("Frame#\tTime", "Time\tFrame#"),          # name line damaged
    "hello\n",
])
def test_broken_header(tmp_path, broken):
    p = tmp_path / "broken.trc"
    p.write_text(broken)
    with pytest.raises(InputError, match=r"broken\.trc"):
        read_trc(p)


def test_write_is_atomic_on_error(tmp_path):
    bad = MarkerTrial(labels=["A"], xyz_m=np.zeros((2, 2, 3)), rate_hz=100.0)  # labels do not match data
    with pytest.raises(Exception):
        write_trc(tmp_path / "x.trc", bad)
    assert list(tmp_path.iterdir()) == []
