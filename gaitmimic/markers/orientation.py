"""Rotation of lab-frame markers into the OpenSim frame: X = walking direction, Y up, Z right, floor at y = 0.

Detection (``mode: auto``)
- vertical: direction from the feet (heel/toe) to the pelvis and head, averaged over the trial (the
  posture); snapped to the nearest lab axis when within ``snap_vertical_deg`` (labs have level floors).
- forward (overground): principal direction of the horizontal pelvis path, signed by its travel;
  forward (treadmill or static, pelvis travel < ``treadmill_travel_m``): the foot's long axis (heel -> toe)
  averaged over the trial, which on a treadmill agrees with the direction opposite to the stance-foot
  motion; for the static trial it is checked against the pelvis (ASIS midpoint minus PSIS/sacrum midpoint).
- floor: when the lowest foot marker sits within [-3, 15] cm of the lab floor after rotation, the lab's
  floor (height 0) is kept; otherwise heights are shifted so the lowest foot marker is at ``marker_radius_m``.

Override (``mode: explicit``): ``vertical_axis`` and ``forward_axis`` as lab axes such as ``"+z"``, ``"-y"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaitmimic.errors import InputError

__all__ = ["Orientation", "rotation_from_axes", "detect_orientation", "apply_orientation", "axis_vector"]

_AXES = {"x": 0, "y": 1, "z": 2}


@dataclass
class Orientation:
    """``R`` (3x3) maps lab vectors to OpenSim vectors (``p_os = R @ p_lab + offset_m``)."""

    R: np.ndarray
    offset_m: np.ndarray
    vertical_lab: np.ndarray
    forward_lab: np.ndarray
    method: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"rotation_lab_to_opensim": np.round(self.R, 6).tolist(), "offset_m": np.round(self.offset_m, 6).tolist(),
                "vertical_lab": np.round(self.vertical_lab, 6).tolist(), "forward_lab": np.round(self.forward_lab, 6).tolist(),
                "method": self.method, "notes": self.notes}


def axis_vector(spec: str) -> np.ndarray:
    """``"+z"`` / ``"-x"`` / ``"y"`` -> unit vector in the lab frame."""
    s = spec.strip().lower()
    sign = -1.0 if s.startswith("-") else 1.0
    ax = s.lstrip("+-")
    if ax not in _AXES:
        raise ValueError(f"axis {spec!r} must be one of +x -x +y -y +z -z")
    v = np.zeros(3)
    v[_AXES[ax]] = sign
    return v


def rotation_from_axes(up_lab: np.ndarray, forward_lab: np.ndarray) -> np.ndarray:
    """Rotation whose rows are (forward, up, right) in lab coordinates; ``forward`` is made horizontal."""
    u = np.asarray(up_lab, float) / np.linalg.norm(up_lab)
    f = np.asarray(forward_lab, float)
    f = f - u * (f @ u)
    nf = np.linalg.norm(f)
    if nf < 1e-9:
        raise ValueError("forward direction is parallel to the vertical")
    f = f / nf
    r = np.cross(f, u)
    return np.vstack([f, u, r])


def _nanmean(a: np.ndarray, axis=None):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


def _snap(v: np.ndarray, max_deg: float) -> tuple[np.ndarray, bool]:
    v = v / np.linalg.norm(v)
    k = int(np.argmax(np.abs(v)))
    if np.degrees(np.arccos(min(abs(v[k]), 1.0))) <= max_deg:
        s = np.zeros(3)
        s[k] = np.sign(v[k])
        return s, True
    return v, False


def _stance_foot_velocity(heels: list[np.ndarray], up: np.ndarray, min_speed_per_frame: float = 0.002
                          ) -> np.ndarray | None:
    """Mean horizontal velocity (m/frame) of the heels while they are low (stance); None when they barely move
    (not a treadmill) or the data are missing."""
    vs = []
    for h in heels:
        height = h @ up
        v = np.gradient(h, axis=0)
        good = np.isfinite(height) & np.all(np.isfinite(v), axis=1)
        if good.sum() < 10:
            continue
        low = good & (height <= np.nanpercentile(height[good], 20))
        vs.append(v[low])
    if not vs:
        return None
    v = np.concatenate(vs).mean(axis=0)
    v = v - up * (v @ up)
    return v if np.linalg.norm(v) >= min_speed_per_frame else None


def detect_orientation(pelvis_front: np.ndarray, pelvis_back: np.ndarray, feet: list[np.ndarray],
                       head: np.ndarray | None, orientation, path=None, is_static: bool = False) -> Orientation:
    """Detect the lab->OpenSim rotation from landmark trajectories (each (n_frames, 3), lab frame, meters).

    ``feet``: [heel_l, toe_l, heel_r, toe_r] trajectories. ``orientation``: the ``markers.orientation`` settings.
    """
    notes: list[str] = []
    mode = orientation.mode
    pelvis = _nanmean(np.stack([pelvis_front, pelvis_back]), axis=0)
    feet_all = np.concatenate(feet, axis=0)
    if mode == "explicit":
        up = axis_vector(orientation.vertical_axis)
        fwd = axis_vector(orientation.forward_axis)
        method = "explicit"
    else:
        top = pelvis if head is None or not np.isfinite(head).any() else _nanmean(np.stack([pelvis, head]), axis=0)
        up_raw = _nanmean(top, axis=0) - _nanmean(feet_all, axis=0)
        if not np.all(np.isfinite(up_raw)):
            raise InputError(path, "cannot detect the vertical (pelvis or foot markers never visible)",
                             "set markers.orientation.mode: explicit with vertical_axis/forward_axis")
        up, snapped = _snap(up_raw, float(orientation.snap_vertical_deg))
        notes.append(f"vertical from posture ({'snapped to lab axis' if snapped else 'not snapped'})")
        ok = np.all(np.isfinite(pelvis), axis=1)
        travel = pelvis[ok][-1] - pelvis[ok][0] if ok.sum() >= 2 else np.zeros(3)
        travel_h = travel - up * (travel @ up)
        pelvis_dir = _nanmean(pelvis_front - pelvis_back, axis=0)   # frame by frame: gaps differ
        foot_dir = _nanmean(feet[1] - feet[0], axis=0) + _nanmean(feet[3] - feet[2], axis=0)
        if not is_static and np.linalg.norm(travel_h) >= float(orientation.treadmill_travel_m):
            # principal horizontal direction of the pelvis path (robust to side-to-side sway), signed by travel
            path_h = pelvis[ok] - np.outer(pelvis[ok] @ up, up)
            _, _, vt = np.linalg.svd(path_h - path_h.mean(axis=0), full_matrices=False)
            fwd = vt[0] if vt[0] @ travel_h > 0 else -vt[0]
            method = "pelvis_travel"
        elif is_static and np.all(np.isfinite(pelvis_dir)):
            fwd = pelvis_dir
            method = "static_pelvis"
        else:
            belt = _stance_foot_velocity([feet[0], feet[2]], up)
            if not is_static and belt is not None:
                fwd = -belt  # on a treadmill the stance feet ride the belt backwards
                method = "stance_foot_motion"
            else:
                fwd = foot_dir
                method = "foot_axis"
        if not np.all(np.isfinite(fwd)) or np.linalg.norm(fwd - up * (fwd @ up)) < 1e-6:
            raise InputError(path, "cannot detect the walking direction", "set markers.orientation.mode: explicit")
        # sanity: pelvis front-back and foot axis should agree with the chosen forward (within 90 deg)
        for name, d in (("pelvis ASIS-PSIS", pelvis_dir), ("foot heel-toe", foot_dir)):
            if np.all(np.isfinite(d)) and (d - up * (d @ up)) @ (fwd - up * (fwd @ up)) < 0:
                notes.append(f"warning: {name} direction points backwards relative to the detected forward")
    R = rotation_from_axes(up, fwd)
    # floor
    h = feet_all @ R[1]
    lowest = float(np.nanpercentile(h, 0.5)) if np.isfinite(h).any() else 0.0
    offset = np.zeros(3)
    if not (-0.03 <= lowest <= 0.15):
        offset[1] = float(orientation.marker_radius_m) - lowest
        notes.append(f"floor moved by {offset[1]:.3f} m (lowest foot marker was at {lowest:.3f} m)")
    return Orientation(R=R, offset_m=offset, vertical_lab=R[1].copy(), forward_lab=R[0].copy(), method=method, notes=notes)


def apply_orientation(xyz_m: np.ndarray, orient: Orientation) -> np.ndarray:
    """Rotate (…, 3) lab points into the OpenSim frame."""
    return np.asarray(xyz_m) @ orient.R.T + orient.offset_m
