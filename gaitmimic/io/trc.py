"""Read and write TRC marker files (OpenSim, Vicon, Motion Analysis variants).

Read is tolerant: tab- or whitespace-separated headers, double tabs, a ``NumFrames`` that disagrees with
the data (the data win, with a warning), blank cells or ``nan`` -> NaN, a missing ``Time`` column (times
from ``DataRate``), trailing empty columns, ``Units`` of the table of :mod:`gaitmimic.io.markerdata`
(mm, cm, dm, m, in and their spelled-out names; converted to meters). A header that cannot be understood
raises :class:`InputError` naming the file.

Write produces the OpenSim layout (5 header lines, tabs, ``Units m`` by default, ``NaN`` for gaps) that
``opensim.TRCFileAdapter`` reads.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from gaitmimic.atomic import atomic_path
from gaitmimic.errors import InputError
from gaitmimic.io.markerdata import UNIT_TO_M, MarkerTrial, strip_prefix, unit_to_m

log = logging.getLogger(__name__)

__all__ = ["read_trc", "write_trc", "TIME_DECIMALS"]

#: Decimals of the Time column that write_trc writes (OpenSim reads the times from the file).
TIME_DECIMALS = 6

_HEADER_KEYS = ("DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units", "OrigDataRate",
                "OrigDataStartFrame", "OrigNumFrames")


def _cells(line: str) -> list[str]:
    """Split a line on tabs (keeping empty cells); fall back to whitespace when it has no tab."""
    line = line.rstrip("\r\n")
    return line.split("\t") if "\t" in line else line.split()


def _num(cell: str) -> float:
    cell = cell.strip()
    if not cell or cell.lower() in ("nan", "-nan", "na"):
        return np.nan
    return float(cell)


def looks_like_trc(head: bytes) -> bool:
    """Whether the first bytes of a file are a TRC header (a TRC named otherwise is then recognised)."""
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"PathFileType")


def read_trc(path: str | Path) -> MarkerTrial:
    """Read a TRC file into a :class:`MarkerTrial` (meters, NaN gaps, file's own axes)."""
    path = Path(path)
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc})", "check that the file exists and is readable") from exc
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise InputError(path, "not a TRC file (first line must start with 'PathFileType')",
                         "export the markers as TRC (OpenSim/Vicon/Motion Analysis) or as C3D")
    keys = [k.strip() for k in _cells(lines[1]) if k.strip()]
    vals = [v.strip() for v in _cells(lines[2]) if v.strip()]
    if "DataRate" not in keys or "Units" not in keys or len(vals) <= max(keys.index("DataRate"), keys.index("Units")):
        raise InputError(path, f"broken TRC header: line 2 has keys {keys}, line 3 values {vals}",
                         "fix lines 2-3 (DataRate CameraRate NumFrames NumMarkers Units ...) and their values")
    hdr = dict(zip(keys, vals))
    try:
        rate = float(hdr["DataRate"])
    except ValueError as exc:
        raise InputError(path, f"DataRate {hdr['DataRate']!r} is not a number", "fix the TRC header") from exc
    if not rate > 0:
        raise InputError(path, f"DataRate {rate} must be > 0", "fix the TRC header")
    scale = unit_to_m(hdr["Units"])
    if scale is None:
        raise InputError(path, f"unknown Units {hdr['Units']!r}", f"use one of {', '.join(UNIT_TO_M)}")
    first_frame = 0
    try:
        first_frame = max(int(float(hdr.get("OrigDataStartFrame", "1"))) - 1, 0)
    except ValueError:
        pass

    names_cells = _cells(lines[3])
    if len(names_cells) < 2 or names_cells[0].strip().lower() not in ("frame#", "frame"):
        raise InputError(path, "broken TRC header: line 4 must start with 'Frame#' then 'Time' and marker names",
                         "fix the marker-name line of the TRC")
    has_time = names_cells[1].strip().lower() == "time"
    first_col = 2 if has_time else 1
    # marker names sit every 3rd column; tolerate double tabs by taking non-empty names in order
    labels = [strip_prefix(c) for c in names_cells[first_col:] if c.strip()]
    if not labels:
        raise InputError(path, "no marker names on line 4", "fix the marker-name line of the TRC")
    # data start after the X1/Y1/Z1 line and any blank lines
    start = 5 if len(lines) > 4 and (lines[4].strip() == "" or lines[4].strip().upper().startswith("X")) else 4
    rows = []
    for ln_no, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        cells = _cells(line)
        try:
            rows.append([_num(c) for c in cells])
        except ValueError as exc:
            raise InputError(path, f"line {ln_no}: non-numeric cell ({exc})", "fix or remove that line") from exc
    if not rows:
        raise InputError(path, "no data rows", "the TRC holds no frames; re-export it")
    n_cols = first_col + 3 * len(labels)
    data = np.full((len(rows), n_cols), np.nan)
    for i, r in enumerate(rows):
        r = r[:n_cols]
        data[i, :len(r)] = r
    nf_hdr = hdr.get("NumFrames")
    if nf_hdr is not None:
        try:
            if int(float(nf_hdr)) != len(rows):
                log.warning("%s: header NumFrames=%s but %d data rows; using the data", path, nf_hdr, len(rows))
        except ValueError:
            log.warning("%s: header NumFrames=%r is not a number; using the data", path, nf_hdr)
    xyz = data[:, first_col:].reshape(len(rows), len(labels), 3) * scale
    # keep first occurrence of duplicate names
    seen, keep = set(), []
    for i, lab in enumerate(labels):
        if lab not in seen:
            seen.add(lab)
            keep.append(i)
    frames = data[:, 0]
    if np.isfinite(frames[0]) and "OrigDataStartFrame" not in hdr:
        first_frame = max(int(frames[0]) - 1, 0)
    start = float(data[0, 1]) if has_time and np.isfinite(data[0, 1]) else first_frame / rate
    return MarkerTrial(labels=[labels[i] for i in keep], xyz_m=xyz[:, keep, :], rate_hz=rate,
                       first_frame=first_frame, source=path, start_time_s=start)


def _fmt(v: float, decimals: int) -> str:
    return "NaN" if not np.isfinite(v) else f"{v:.{decimals}f}"


def write_trc(path: str | Path, trial: MarkerTrial, units: str = "m", decimals: int | None = None,
              name: str | None = None) -> None:
    """Write ``trial`` as an OpenSim-style TRC (atomically). ``units``: an abbreviation of
    :data:`~gaitmimic.io.markerdata.UNIT_TO_M` (``"m"``, the default, or ``"mm"`` for the marker stage).

    ``name`` is the file name on the header's first line, ``path``'s own name by default (pass the final
    name when ``path`` is a temporary path of the caller's).

    Time column starts at 0.0 (stored frame 0); ``Frame#`` starts at 1; ``OrigDataStartFrame`` records
    ``first_frame + 1``. Gaps are written as ``NaN``: OpenSim's reader rejects blank cells; IK skips NaN markers.
    """
    path = Path(path)
    if units not in UNIT_TO_M:
        raise ValueError(f"write_trc: units {units!r} not in {sorted(UNIT_TO_M)}")
    scale = 1.0 / UNIT_TO_M[units]
    if decimals is None:
        decimals = 6 if units == "m" else 3
    n, m = trial.n_frames, len(trial.labels)
    rate = float(trial.rate_hz)
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name if name is None else name}",
        "\t".join(_HEADER_KEYS),
        f"{rate:.6g}\t{rate:.6g}\t{n}\t{m}\t{units}\t{rate:.6g}\t{trial.first_frame + 1}\t{n}",
        "\t".join(["Frame#", "Time"] + [f"{lab}\t\t" for lab in trial.labels]).rstrip("\t"),
        "\t".join(["", ""] + [f"X{i}\tY{i}\tZ{i}" for i in range(1, m + 1)]),
        "",
    ]
    xyz = trial.xyz_m.reshape(n, m * 3) * scale
    t = np.arange(n) / rate
    for i in range(n):
        lines.append("\t".join([str(i + 1), f"{t[i]:.{TIME_DECIMALS}f}"] + [_fmt(v, decimals) for v in xyz[i]]))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
