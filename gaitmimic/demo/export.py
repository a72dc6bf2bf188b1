"""Writers for the demo subject's raw files: a Vicon-like C3D, and the truth events next to it.

Private to the demo generator: the project reads C3D with :mod:`gaitmimic.io.c3d` but has no other C3D
writer. The truth ``.mot`` files are written with :func:`gaitmimic.io.mot.write_mot_arrays`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitmimic.atomic import atomic_path, write_text

#: Plug-in Gait label order as a Vicon Nexus full-body export lists them.
PIG_EXPORT_ORDER = [
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN",
    "LSHO", "LUPA", "LELB", "LFRM", "LWRA", "LWRB", "LFIN",
    "RSHO", "RUPA", "RELB", "RFRM", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI",
    "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
    "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
]


def write_vicon_c3d(path: str | Path, labels: list[str], xyz_mm: np.ndarray, residuals: np.ndarray,
                    rate_hz: float, subject: str) -> Path:
    """Write markers ``xyz_mm`` (T, M, 3; NaN = gap) as a C3D shaped like a Vicon Nexus export.

    Labels get the ``<subject>:`` prefix; POINT:UNITS mm; residuals (T, M) with -1 for gaps; float storage
    with POINT:SCALE -0.1 (residual resolution 0.1 mm). No analog channels, no events. The file holds no
    date or time, so the same inputs give the same bytes.
    """
    import ezc3d

    path = Path(path)
    n_frames, n_markers, _ = xyz_mm.shape
    c3d = ezc3d.c3d()
    prm = c3d["parameters"]
    prm["POINT"]["RATE"]["value"] = [float(rate_hz)]
    prm["POINT"]["LABELS"]["value"] = [f"{subject}:{name}" for name in labels]
    prm["POINT"]["SCALE"]["value"] = [-0.1]
    c3d.add_parameter("POINT", "UNITS", "mm")
    c3d.add_parameter("POINT", "DESCRIPTIONS", [""] * n_markers)
    c3d.add_parameter("SUBJECTS", "NAMES", [subject])
    c3d.add_parameter("SUBJECTS", "LABEL_PREFIXES", [f"{subject}:"])
    c3d.add_parameter("SUBJECTS", "USES_PREFIXES", [1])
    c3d.add_parameter("SUBJECTS", "IS_STATIC", [0])
    c3d.add_parameter("MANUFACTURER", "COMPANY", "gaitmimic")
    c3d.add_parameter("MANUFACTURER", "SOFTWARE", "gaitmimic demo generator (synthetic data)")
    pts = np.ones((4, n_markers, n_frames))
    pts[:3] = np.transpose(xyz_mm, (2, 1, 0))
    c3d["data"]["points"] = pts
    res = np.asarray(residuals, float).T[None, :, :].copy()
    c3d["data"]["meta_points"] = {"residuals": res}
    with atomic_path(path) as tmp:
        c3d.write(str(tmp))
    return path


def write_events_csv(path: str | Path, events: list[tuple[str, str, float, int]]) -> Path:
    """Truth events: columns side,event,time_s,frame (time_s 0.0 = first stored frame), sorted by time."""
    lines = ["side,event,time_s,frame"] + [f"{s},{e},{t:.4f},{f}" for s, e, t, f in events]
    write_text(path, "\n".join(lines) + "\n")
    return Path(path)
