"""Marker-error numbers for the scale and IK reports."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gaitmimic.io.mot import read_mot
from gaitmimic.opensim.runtime import load_model

#: Markers on soft tissue or wands (not bony landmarks) in the two known marker sets.
_NON_BONY = re.compile(r"(THI|TIB|Thigh|Shank|Bicep|FHD|BHD|Head|RBAK|Midfoot)", re.IGNORECASE)

#: ``getMotionType()`` of a rotational coordinate.
_ROTATIONAL = 1


def is_bony_landmark(name: str) -> bool:
    """True for markers on bony landmarks (ASIS, knee/ankle epicondyles, heel, toe, acromion, ...)."""
    return _NON_BONY.search(name) is None


def pose_model(model, mot_path: Path, row: int = -1):
    """An initialised state of ``model`` (an ``opensim.Model``) in the pose of one row of a .mot/.sto
    (coordinate columns by name, or ``/.../<coordinate>/value`` columns of a states file), positions realised."""
    state = model.initSystem()
    table = read_mot(mot_path)
    values = table.data.iloc[row]
    coords = model.getCoordinateSet()
    for label in table.names:
        if label.startswith("/"):
            if not label.endswith("/value"):
                continue                      # /speed columns of a states file
            name = label.split("/")[-2]
        else:
            name = label
        if not coords.contains(name):
            continue
        c = coords.get(name)
        v = float(values[label])
        if table.in_degrees and c.getMotionType() == _ROTATIONAL:
            v = np.deg2rad(v)
        c.setValue(state, float(v), False)
    model.assemble(state)
    model.realizePosition(state)
    return state


def marker_positions_at_pose(model_path: Path, mot_path: Path, marker_names: list[str], row: int = -1) -> np.ndarray:
    """Ground positions (k, 3), metres, of ``marker_names`` with the model in the pose of one row of a .mot/.sto
    (coordinate columns by name, or ``/.../<coordinate>/value`` columns of a states file)."""
    model = load_model(model_path)
    state = pose_model(model, mot_path, row)
    ms = model.getMarkerSet()
    return np.array([[ms.get(n).getLocationInGround(state)[i] for i in range(3)] for n in marker_names])


def per_marker_errors(model_xyz: np.ndarray, data_xyz: np.ndarray, names: list[str]) -> dict:
    """``{"rms_m", "max_m", "per_marker": {name: {"rms_m", "max_m"}}}`` from (n, k, 3) arrays (NaN = missing)."""
    d = np.linalg.norm(model_xyz - data_xyz, axis=-1)         # (n, k)
    per = {}
    for k, name in enumerate(names):
        col = d[:, k][np.isfinite(d[:, k])]
        if col.size:
            per[name] = {"rms_m": float(np.sqrt(np.mean(col ** 2))), "max_m": float(col.max())}
    frame_rms = np.sqrt(np.nanmean(d ** 2, axis=1))
    return {"rms_m": float(np.nanmean(frame_rms)), "max_m": float(np.nanmax(d)), "per_marker": per}
