"""OpenSim ``.mot`` / ``.sto`` storage files: read and write.

API (pandas)::

    from gaitmimic.io.mot import read_mot, write_mot, MotTable

    table = read_mot("ik/walk.mot")        # -> MotTable
    table.data                              # pandas DataFrame, column "time" first, then one column per coordinate
    table.in_degrees                        # True when the header says inDegrees=yes
    table.header                            # dict of the other ``key=value`` header lines (e.g. {"version": "1"})
    table.name                              # first header line (the table's name), e.g. "Coordinates"

    write_mot("out.mot", df, in_degrees=True, name="Coordinates")   # df must have a "time" column

    # array API, for code that prefers numpy
    names, time_s, values = read_mot_arrays("ik/walk.mot")   # names: list[str] (without time), values (n, len(names))
    write_mot_arrays("out.mot", names, time_s, values, in_degrees=True)

    forces = read_grf("subject01_walk1_grf.mot")   # OpenSim GRF .mot -> [GroundReaction] (N, m, ground frame)

Units: this module never converts. ``.mot`` files of joint angles hold degrees when ``inDegrees=yes``
(OpenSim's convention); convert with ``numpy.deg2rad`` on the rotational columns yourself.

Format handled on read: an optional name line, ``key=value`` lines (``version``, ``nRows``, ``nColumns``,
``inDegrees``, ``DataType``...), free text lines, then ``endheader``; then a tab- or whitespace-separated
column-label line and numeric rows. Old files without ``endheader`` (header of 4 lines, labels on the 5th
beginning with ``time``) are accepted too. ``nRows``/``nColumns`` are trusted for nothing: the data decide.
Blank/``nan`` cells become NaN. Files written by :func:`write_mot` load in OpenSim (``TimeSeriesTable``/
``Storage``) and the GUI.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gaitmimic.atomic import atomic_path
from gaitmimic.errors import InputError
from gaitmimic.io.markerdata import GroundReaction

__all__ = ["MotTable", "read_mot", "write_mot", "read_mot_arrays", "write_mot_arrays", "read_grf"]


@dataclass
class MotTable:
    """An OpenSim storage table: ``data`` has a ``time`` column (seconds) then one column per quantity."""

    data: pd.DataFrame
    in_degrees: bool = True
    name: str = ""
    header: dict[str, str] = field(default_factory=dict)

    @property
    def time_s(self) -> np.ndarray:
        return self.data["time"].to_numpy(dtype=float)

    @property
    def names(self) -> list[str]:
        return [c for c in self.data.columns if c != "time"]


def _parse_header(lines: list[str], path: Path) -> tuple[int, str, dict[str, str]]:
    """Return (index of the column-label line, name, header dict)."""
    header: dict[str, str] = {}
    name = ""
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line.lower() == "endheader":
            # labels are on the next non-blank line
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j >= len(lines):
                raise InputError(path, "no column labels after 'endheader'", "write the column labels (time ...) after endheader")
            return j, name, header
        if "=" in line:
            key, _, value = line.partition("=")
            header[key.strip()] = value.strip()
        elif i == 0 and line:
            name = line
        # old-style headerless: first token 'time' on a labels line
        if i > 0 and line.split() and line.split()[0].lower() == "time" and "=" not in line:
            return i, name, header
        if i > 200:
            break
    raise InputError(path, "no 'endheader' line and no 'time' column-label line found", "check that this is an OpenSim .mot/.sto file")


def read_mot(path: str | Path) -> MotTable:
    """Read an OpenSim ``.mot``/``.sto`` file into a :class:`MotTable` (no unit conversion)."""
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc})", "check that the file exists and is readable") from exc
    lines = text.splitlines()
    if not lines:
        raise InputError(path, "file is empty", "regenerate the file")
    label_idx, name, header = _parse_header(lines, path)
    labels = lines[label_idx].strip("\r\n").split("\t") if "\t" in lines[label_idx] else lines[label_idx].split()
    labels = [lab.strip() for lab in labels]
    while labels and labels[-1] == "":
        labels.pop()
    if not labels or labels[0].lower() != "time":
        raise InputError(path, f"first column is {labels[:1]!r}, expected 'time'", "the first column of a .mot/.sto must be time")
    labels[0] = "time"
    body = "\n".join(ln for ln in lines[label_idx + 1:] if ln.strip())
    if not body:
        values = np.zeros((0, len(labels)))
    else:
        sep = "\t" if "\t" in body.split("\n", 1)[0] else r"\s+"
        try:
            df = pd.read_csv(io.StringIO(body), sep=sep, header=None, engine="python" if sep != "\t" else "c",
                             na_values=["nan", "NaN", ""], keep_default_na=True)
        except Exception as exc:  # pandas raises many types
            raise InputError(path, f"cannot parse the numeric rows ({exc})", "check the data rows") from exc
        # drop trailing all-empty columns (trailing tabs)
        while df.shape[1] > len(labels) and df.iloc[:, -1].isna().all():
            df = df.iloc[:, :-1]
        if df.shape[1] != len(labels):
            raise InputError(path, f"{len(labels)} column labels but {df.shape[1]} data columns",
                             "make the label line match the data")
        try:
            values = df.to_numpy(dtype=float)
        except ValueError as exc:
            raise InputError(path, f"non-numeric data ({exc})", "check the data rows") from exc
    data = pd.DataFrame(values, columns=labels)
    in_deg = header.get("inDegrees", "yes").strip().lower() in ("yes", "true", "1")
    return MotTable(data=data, in_degrees=in_deg, name=name, header={k: v for k, v in header.items() if k != "inDegrees"})


_GRF_FORCE = re.compile(r"^(.*)force_v([xyz])$")


def read_grf(path: str | Path) -> list[GroundReaction]:
    """The ground reaction forces of an OpenSim GRF ``.mot`` (the tutorial's ``subject01_walk1_grf.mot``):
    one :class:`~gaitmimic.io.markerdata.GroundReaction` per column prefix ``P`` with ``Pforce_vx/vy/vz`` and
    ``Pforce_px/py/pz`` (``ground_``, ``1_ground_``, ``l_ground_``, ...), newtons and metres, ground frame
    (Y up). No such columns -> :class:`InputError`."""
    table = read_mot(path)
    names = set(table.names)
    prefixes = dict.fromkeys(m.group(1) for m in map(_GRF_FORCE.match, table.names) if m)
    forces = []
    for p in prefixes:
        f, c = [f"{p}force_v{a}" for a in "xyz"], [f"{p}force_p{a}" for a in "xyz"]
        if names.issuperset(f + c):
            forces.append(GroundReaction(p.rstrip("_") or "ground", table.time_s, table.data[f].to_numpy(float),
                                         table.data[c].to_numpy(float)))
    if not forces or len(table.time_s) < 2:
        raise InputError(path, "no ground reaction force in this .mot: expected columns <prefix>force_vx/vy/vz with "
                         "<prefix>force_px/py/pz (OpenSim's GRF convention) over at least 2 rows",
                         "export the force plates as an OpenSim GRF .mot, or remove the file (events then come from the markers)")
    return forces


def read_mot_arrays(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read a ``.mot``/``.sto``; return ``(names, time_s (n,), values (n, len(names)))``."""
    t = read_mot(path)
    return t.names, t.time_s, t.data[t.names].to_numpy(dtype=float)


def _format(v: float) -> str:
    return "nan" if not np.isfinite(v) else f"{v:.8f}"


def write_mot(path: str | Path, data: pd.DataFrame, in_degrees: bool = True, name: str | None = None,
              extra_header: dict[str, str] | None = None) -> None:
    """Write ``data`` (must hold a ``time`` column; it is written first) as an OpenSim ``.mot``/``.sto``.

    Written atomically. ``name`` defaults to the file name; ``extra_header`` adds ``key=value`` lines.
    """
    path = Path(path)
    if "time" not in data.columns:
        raise ValueError("write_mot: the DataFrame needs a 'time' column")
    cols = ["time"] + [c for c in data.columns if c != "time"]
    values = data[cols].to_numpy(dtype=float)
    lines = [name or path.name, "version=1", f"nRows={values.shape[0]}", f"nColumns={len(cols)}",
             f"inDegrees={'yes' if in_degrees else 'no'}"]
    for k, v in (extra_header or {}).items():
        if k not in ("version", "nRows", "nColumns", "inDegrees"):
            lines.append(f"{k}={v}")
    lines.append("endheader")
    lines.append("\t".join(str(c) for c in cols))
    for row in values:
        lines.append("\t".join(_format(v) for v in row))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def write_mot_arrays(path: str | Path, names: list[str], time_s: np.ndarray, values: np.ndarray,
                     in_degrees: bool = True, name: str | None = None) -> None:
    """Array form of :func:`write_mot`: ``values`` is ``(len(time_s), len(names))``."""
    values = np.asarray(values, dtype=float)
    time_s = np.asarray(time_s, dtype=float)
    if values.shape != (time_s.shape[0], len(names)):
        raise ValueError(f"write_mot_arrays: values shape {values.shape} != ({time_s.shape[0]}, {len(names)})")
    df = pd.DataFrame(values, columns=list(names))
    df.insert(0, "time", time_s)
    write_mot(path, df, in_degrees=in_degrees, name=name)
