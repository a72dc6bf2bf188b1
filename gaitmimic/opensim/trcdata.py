"""Marker trajectories as OpenSim reads them: a small TRC reader/writer for the OpenSim stages.

Every TRC the OpenSim tools see is rewritten by :func:`write_trc` (meters, missing = NaN), so the
tools and our reports read exactly the same numbers. Positions are kept in meters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitmimic.errors import InputError

_UNIT_TO_M = {"m": 1.0, "mm": 1e-3, "cm": 1e-2, "meters": 1.0, "millimeters": 1e-3}


@dataclass
class TrcData:
    labels: list[str]
    time_s: np.ndarray          # (n_frames,)
    xyz_m: np.ndarray           # (n_frames, n_markers, 3), meters, NaN = missing
    source: Path | None = None

    @property
    def rate_hz(self) -> float:
        return float(1.0 / np.median(np.diff(self.time_s))) if len(self.time_s) > 1 else 0.0

    def marker(self, name: str) -> np.ndarray:
        return self.xyz_m[:, self.labels.index(name)]

    def select_time(self, start_s: float, end_s: float) -> "TrcData":
        keep = (self.time_s >= start_s - 1e-9) & (self.time_s <= end_s + 1e-9)
        return TrcData(list(self.labels), self.time_s[keep], self.xyz_m[keep], self.source)


def read_trc(path: str | Path) -> TrcData:
    """Read a TRC file into meters (blank or NaN fields = missing); raises :class:`InputError` if unreadable.

    Tolerant of blank fields and short rows, which OpenSim 4.6's own TRC reader rejects.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the marker file does not exist", "run the marker stage first or check the trial name")
    lines = path.read_text(errors="replace").splitlines()
    try:
        keys = lines[1].split("\t")
        values = lines[2].split("\t")
        header = dict(zip((k.strip() for k in keys), (v.strip() for v in values)))
        units = header.get("Units", "m")
        labels = [c.strip() for c in lines[3].split("\t")[2:] if c.strip()]
    except IndexError as exc:
        raise InputError(path, "not a TRC marker file (header too short)", "write it with the marker stage or OpenSim") from exc
    if not lines[0].startswith("PathFileType") or "Units" not in header:
        raise InputError(path, "not a TRC marker file (no PathFileType/Units header)", "write it with the marker stage or OpenSim")
    if units.lower() not in _UNIT_TO_M:
        raise InputError(path, f"unknown marker units '{units}'", "use Units m or mm in the TRC header")
    n_cols = 2 + 3 * len(labels)
    rows = []
    for line in lines[5:]:
        if not line.strip():
            continue
        cells = line.rstrip("\n").split("\t")[:n_cols]
        cells += [""] * (n_cols - len(cells))
        try:
            rows.append([float(c) if c.strip() else np.nan for c in cells])
        except ValueError as exc:
            raise InputError(path, f"unreadable number in row '{line[:40]}...'", "write it with the marker stage or OpenSim") from exc
    if not rows:
        raise InputError(path, "the marker file has no frames", "check the recording and the marker stage output")
    table = np.asarray(rows, dtype=float)
    xyz = table[:, 2:].reshape(len(table), len(labels), 3) * _UNIT_TO_M[units.lower()]
    return TrcData(labels, table[:, 1].copy(), xyz, path)


def write_trc(path: str | Path, data: TrcData) -> None:
    """Write ``data`` as a TRC file in meters (missing markers as blank fields)."""
    n_frames, n_markers = data.xyz_m.shape[:2]
    rate = data.rate_hz or 100.0
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{Path(path).name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate:.6f}\t{rate:.6f}\t{n_frames}\t{n_markers}\tm\t{rate:.6f}\t1\t{n_frames}",
        "Frame#\tTime\t" + "\t".join(f"{name}\t\t" for name in data.labels),
        "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(n_markers)),
        "",
    ]
    for f in range(n_frames):
        vals = []
        for m in range(n_markers):
            p = data.xyz_m[f, m]
            # OpenSim 4.6 cannot read blank fields: missing markers are written as NaN (IK skips them)
            vals.append("NaN\tNaN\tNaN" if np.isnan(p).any() else f"{p[0]:.6f}\t{p[1]:.6f}\t{p[2]:.6f}")
        lines.append(f"{f + 1}\t{data.time_s[f]:.6f}\t" + "\t".join(vals))
    Path(path).write_text("\n".join(lines) + "\n")


def apply_marker_map(data: TrcData, marker_map: dict[str, str | list[str]] | None) -> TrcData:
    """Rename data markers to model marker names.

    ``marker_map`` maps a model marker name to a data marker name, or to a list of data marker
    names whose mean position (a virtual marker, e.g. V.Sacral = mean of LPSI and RPSI) is used;
    the mean is missing in a frame where any of them is. Data markers not named in the map keep
    their names. Without a map the data is returned unchanged.
    """
    if not marker_map:
        return data
    used_sources: set[str] = set()
    labels: list[str] = []
    columns: list[np.ndarray] = []
    for model_name, source in marker_map.items():
        sources = [source] if isinstance(source, str) else list(source)
        if not all(s in data.labels for s in sources):
            continue          # missing ones are reported by the caller against the marker set
        stacked = np.stack([data.marker(s) for s in sources])
        labels.append(model_name)
        columns.append(stacked.mean(axis=0))
        used_sources.update(sources)
    for i, name in enumerate(data.labels):
        if name not in used_sources and name not in labels:
            labels.append(name)
            columns.append(data.xyz_m[:, i])
    xyz = np.stack(columns, axis=1) if columns else np.zeros((len(data.time_s), 0, 3))
    return TrcData(labels, data.time_s.copy(), xyz, data.source)
