"""Read C3D files with ``ezc3d`` into a :class:`gaitmimic.io.markerdata.MarkerTrial`.

- Points: residual < 0 (invalid) or an exact (0, 0, 0) sample -> NaN gap.
- Units from ``POINT:UNITS`` -> meters (the table of :mod:`gaitmimic.io.markerdata`: mm, cm, dm, m, in
  and their spelled-out names).
- Labels: a subject prefix (``BELT_C:LASI``) is stripped; duplicate names keep the first occurrence.
- ``first_frame``: ``header.points.first_frame`` (0-based capture frame of stored frame 0).
- ``EVENT`` annotations: times are validated; placeholder 0.0 times and times outside the stored frames
  are discarded with a warning.
- Model outputs (:func:`read_model_angles`): the angle points that ``POINT:ANGLES`` lists (Plug-in Gait's
  ``LHipAngles``, ``RPelvisAngles``, ...; Vicon's ``...V`` variants) in degrees after ``POINT:ANGLE_UNITS``.
- Force plates: ezc3d's force-platform reader (plate types 1-4: Kistler's 8 channels summed, type 4's
  calibration matrix), forces (N) and moments (converted to N·m) in the lab frame, corners and origin in m.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.markerdata import UNIT_TO_M, AnnotatedEvent, ForcePlate, MarkerTrial, strip_prefix, unit_to_m

log = logging.getLogger(__name__)

__all__ = ["read_c3d", "read_model_angles"]

_EVENT_NAMES = {"foot strike": "heel_strike", "foot off": "toe_off", "heel strike": "heel_strike",
                "toe off": "toe_off", "heel_strike": "heel_strike", "toe_off": "toe_off"}


def _param(params: dict, group: str, name: str, default=None):
    try:
        return params[group][name]["value"]
    except (KeyError, TypeError):
        return default


def _point_scale(params: dict, path: Path) -> float:
    """Metres per POINT unit. An absent or empty POINT:UNITS (some BTS exports write an empty list) is
    read as millimetres, the C3D default, with a warning; the marker stage's height checks catch a file
    that is really in metres."""
    units = [str(u).strip() for u in np.asarray(_param(params, "POINT", "UNITS", []) or [], dtype=object).ravel()]
    if not units or not units[0]:
        log.warning("%s: POINT:UNITS is empty; millimetres assumed", path)
        return 1e-3
    return _units_to_m(units[0], path)


def _units_to_m(units: str, path: Path) -> float:
    scale = unit_to_m(units)
    if scale is None:
        raise InputError(path, f"unknown POINT:UNITS {units!r}", f"use a C3D with units {', '.join(UNIT_TO_M)}")
    return scale


def _read_events(params: dict, rate: float, first_frame: int, n_frames: int, path: Path) -> list[AnnotatedEvent]:
    labels = list(_param(params, "EVENT", "LABELS", []) or [])
    contexts = list(_param(params, "EVENT", "CONTEXTS", []) or [])
    times = np.asarray(_param(params, "EVENT", "TIMES", []), dtype=float)
    n = min(len(labels), len(contexts))
    if n == 0:
        return []
    if times.ndim == 2 and times.shape[0] == 2:
        t = 60.0 * times[0] + times[1]
    elif times.ndim == 1 and times.size == 2 * n:
        pairs = times.reshape(n, 2)  # (minutes, seconds) per event
        t = 60.0 * pairs[:, 0] + pairs[:, 1]
    elif times.ndim == 1 and times.size == n:
        t = times
    else:
        log.warning("%s: EVENT:TIMES has shape %s for %d events; events ignored", path, times.shape, n)
        return []
    out, dropped = [], 0
    for lab, ctx, ti in zip(labels[:n], contexts[:n], t[:n]):
        ev = _EVENT_NAMES.get(str(lab).strip().lower())
        side = str(ctx).strip().lower()
        if ev is None or side not in ("left", "right"):
            dropped += 1
            continue
        frame = int(round(ti * rate)) - first_frame
        if ti <= 0.0 or not np.isfinite(ti) or frame < 0 or frame >= n_frames:
            dropped += 1
            continue
        out.append(AnnotatedEvent(side=side, event=ev, time_s=float(ti), frame=frame))
    if dropped:
        log.warning("%s: %d of %d EVENT annotations discarded (placeholder 0.0 time, time outside the stored "
                    "frames %d..%d, or unknown label/context)", path, dropped, n, first_frame, first_frame + n_frames - 1)
    out.sort(key=lambda e: e.time_s)
    return out


def _open(path: Path, with_plates: bool):
    """The file through ezc3d, its plates extracted by ezc3d's force-platform reader when ``with_plates``;
    ``(c3d, plates_read)``. A FORCE_PLATFORM group that reader cannot take (malformed, a plate type it does
    not know) costs the plates only: a warning, and the file read again without them."""
    import ezc3d

    if with_plates:
        try:
            return ezc3d.c3d(str(path), extract_forceplat_data=True), True
        except Exception as exc:  # noqa: BLE001 (ezc3d raises RuntimeError/IOError with terse messages)
            first = exc
    try:
        c3d = ezc3d.c3d(str(path), extract_forceplat_data=False)
    except Exception as exc:
        raise InputError(path, f"unreadable or truncated C3D ({exc})", "re-export the trial from the capture software") from exc
    if with_plates:
        log.warning("%s: FORCE_PLATFORM group unreadable (%s); force plates ignored", path, first)
    return c3d, False


def _read_force_plates(c3d, params: dict, path: Path) -> list[ForcePlate]:
    """The plates ezc3d's force-platform reader extracted (types 1-4 of the C3D standard: 6 channels,
    Kistler's 8 channels summed, the type-4 calibration matrix applied), forces and moments in the lab frame;
    none when ``FORCE_PLATFORM`` declares none."""
    used = int(np.asarray(_param(params, "FORCE_PLATFORM", "USED", [0])).ravel()[0] or 0)
    if used <= 0:
        return []
    platforms = c3d["data"].get("platform", [])
    types = np.asarray(_param(params, "FORCE_PLATFORM", "TYPE", []), dtype=int).ravel()
    a_rate = float(np.asarray(_param(params, "ANALOG", "RATE", [0])).ravel()[0])
    plates = []
    for p, plate in enumerate(platforms):
        length = unit_to_m(str(plate.get("unit_position", "mm"))) or 1e-3
        moment_scale = 1e-3 if str(plate.get("unit_moment", "Nmm")).strip().lower() == "nmm" else 1.0
        plates.append(ForcePlate(type=int(types[p]) if p < types.size else 2,
                                 corners_m=np.asarray(plate["corners"], dtype=float).T * length,
                                 origin_m=np.asarray(plate["origin"], dtype=float).ravel() * length,
                                 force_n=np.asarray(plate["force"], dtype=float).T,
                                 moment_nm=np.asarray(plate["moment"], dtype=float).T * moment_scale,
                                 rate_hz=a_rate))
    return plates


def _sniff(head: bytes) -> tuple[str, str]:
    """What a file that is not a C3D looks like: (' but ...' for the problem, the fix)."""
    from gaitmimic.io.trc import looks_like_trc

    if looks_like_trc(head):
        return ": it is an OpenSim/Motion Analysis TRC text file named .c3d", "rename it to .trc"
    if not head:
        return ": the file is empty", "re-export the trial from the capture software, or remove this file"
    return "", "export the trial as C3D from the capture software, or remove this file"


def _expected_size(head: bytes, param_head: bytes) -> tuple[int, int] | None:
    """(frames, words per frame) announced by the raw header; None when unknown (overflowed frame count)."""
    import struct

    endian = ">" if len(param_head) == 4 and param_head[3] == 86 else "<"  # 86 = MIPS (big-endian)
    n_points, analog_per_frame, first, last = struct.unpack(endian + "HHHH", head[2:10])
    if last == 0xFFFF or last < first:
        return None
    return last - first + 1, 4 * n_points + analog_per_frame


def read_c3d(path: str | Path, *, with_analogs: bool = True) -> MarkerTrial:
    """Read a C3D file; return a :class:`MarkerTrial` in the lab frame, meters, NaN gaps.

    Raises :class:`InputError` for a file that is not a C3D, is truncated, or has no points.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", "check the path")
    with open(path, "rb") as fh:
        head = fh.read(512)
        # C3D header: byte 0 = pointer to the parameter block, byte 1 = 0x50 (the C3D key).
        if len(head) < 512 or head[1] != 0x50:
            what = _sniff(head)
            raise InputError(path, f"not a C3D file (missing the C3D header key byte 0x50){what[0]}", what[1])
        fh.seek((max(head[0], 1) - 1) * 512)
        param_head = fh.read(4)
    expected_bytes = _expected_size(head, param_head)
    c3d, plates_read = _open(path, with_analogs)
    header, params = c3d["header"], c3d["parameters"]
    size = path.stat().st_size
    if expected_bytes is not None:
        data_start = int(np.asarray(_param(params, "POINT", "DATA_START", [0])).ravel()[0])
        scale_ = float(np.asarray(_param(params, "POINT", "SCALE", [-1.0])).ravel()[0])
        n_frames_h, frame_words = expected_bytes
        need = (data_start - 1) * 512 + n_frames_h * frame_words * (4 if scale_ < 0 else 2)
        if data_start > 0 and size < need:
            raise InputError(path, f"truncated C3D: {size} bytes, the header announces {n_frames_h} frames "
                                   f"({need} bytes)", "re-export or re-copy the trial")
    pts = np.asarray(c3d["data"]["points"], dtype=float)  # (4, n_markers, n_frames)
    n_expected = int(header["points"]["last_frame"]) - int(header["points"]["first_frame"]) + 1
    if pts.ndim != 3 or pts.shape[1] == 0 or pts.shape[2] == 0:
        raise InputError(path, "C3D holds no marker points", "export the trial with its marker trajectories")
    if pts.shape[2] < n_expected:
        raise InputError(path, f"truncated C3D: header announces {n_expected} frames, file holds {pts.shape[2]}",
                         "re-export or re-copy the trial")
    rate = float(np.asarray(_param(params, "POINT", "RATE", [header["points"]["frame_rate"]])).ravel()[0])
    if not rate > 0:
        rate = float(header["points"]["frame_rate"])
    scale = _point_scale(params, path)
    labels_raw = list(_param(params, "POINT", "LABELS", []))
    for extra in ("LABELS2", "LABELS3", "LABELS4"):
        labels_raw += list(_param(params, "POINT", extra, []) or [])
    labels_raw = labels_raw[:pts.shape[1]]
    labels_raw += [f"M{i:03d}" for i in range(len(labels_raw), pts.shape[1])]
    xyz = np.transpose(pts[:3], (2, 1, 0)) * scale  # (n_frames, n_markers, 3)
    meta = c3d["data"].get("meta_points", {})
    if "residuals" in meta:
        res = np.asarray(meta["residuals"], dtype=float)[0].T  # (n_frames, n_markers)
        xyz[res < 0] = np.nan
    xyz[np.all(xyz == 0.0, axis=2)] = np.nan
    labels, keep = [], []
    for i, lab in enumerate(labels_raw):
        name = strip_prefix(str(lab))
        if name and name not in labels:
            labels.append(name)
            keep.append(i)
    xyz = xyz[:, keep, :]
    first_frame = int(header["points"]["first_frame"])
    events = _read_events(params, rate, first_frame, xyz.shape[0], path)
    plates = _read_force_plates(c3d, params, path) if plates_read else []
    return MarkerTrial(labels=labels, xyz_m=xyz, rate_hz=rate, first_frame=first_frame,
                       events=events, force_plates=plates, source=path)


def read_model_angles(path: str | Path) -> dict[str, np.ndarray]:
    """The joint and segment angles a lab's own model wrote into a C3D (the points ``POINT:ANGLES`` lists):
    {label without subject prefix: (n_frames, 3) degrees}, NaN where the sample is invalid (residual < 0)
    or exactly (0, 0, 0). Empty when the file holds none. Frames are the stored frames of :func:`read_c3d`."""
    import ezc3d

    path = Path(path)
    try:
        c3d = ezc3d.c3d(str(path), extract_forceplat_data=False)
    except Exception as exc:
        raise InputError(path, f"unreadable or truncated C3D ({exc})", "re-export the trial from the capture software") from exc
    params = c3d["parameters"]
    names = [strip_prefix(str(a)) for a in (_param(params, "POINT", "ANGLES", []) or [])]
    if not names:
        return {}
    units = [str(u).strip().lower() for u in (_param(params, "POINT", "ANGLE_UNITS", []) or ["deg"])]
    scale = 180.0 / np.pi if units and units[0].startswith("rad") else 1.0
    labels = [strip_prefix(str(lab)) for lab in _param(params, "POINT", "LABELS", [])]
    for extra in ("LABELS2", "LABELS3", "LABELS4"):
        labels += [strip_prefix(str(lab)) for lab in (_param(params, "POINT", extra, []) or [])]
    pts = np.asarray(c3d["data"]["points"], dtype=float)
    res = c3d["data"].get("meta_points", {}).get("residuals")
    out = {}
    for name in names:
        if name not in labels or name in out or labels.index(name) >= pts.shape[1]:
            continue
        i = labels.index(name)
        xyz = pts[:3, i, :].T * scale
        bad = np.all(xyz == 0.0, axis=1)
        if res is not None:
            bad |= np.asarray(res, dtype=float)[0, i, :] < 0
        xyz[bad] = np.nan
        out[name] = xyz
    return out
