"""Gait events (heel strikes and toe offs) and treadmill recognition, in the OpenSim frame.

Sources (``events.source``)
- ``force_plate``: vertical force crossing ``force_threshold_n`` up (heel strike) and down (toe off); the
  side is the foot whose heel is nearest the plate centre at the strike. Only strikes that start unloaded;
  a contact under way at the recording's start gives its toe off.
  The plates of a C3D, or the ground reaction forces of an OpenSim GRF ``.mot`` beside a TRC trial
  (``<trial>_grf.mot``; side from the heel nearest the centre of pressure).
- ``c3d``: the validated ``EVENT`` annotations of the C3D (see :mod:`gaitmimic.io.c3d`).
- ``kinematic``: Zeni et al. (2008): heel strike at the maxima of (heel - pelvis) along the walking
  direction, toe off at the minima of (toe - pelvis), each then refined (``refine``) from the marker's own
  vertical motion, which needs no belt speed and no absolute marker height:

  * heel strike = the frame of peak upward acceleration of the heel marker within ``refine_window_s``
    after the Zeni estimate: the floor arrests the heel's descent (the impact), whatever the marker's
    height above the sole. Plain Zeni strikes come 2-5 frames early; the previous refinement (first frame
    where the heel's horizontal speed drops below 0.3 m/s) waits for the foot to stop sliding, which
    agrees with annotations and force plates on real walks (BTK, OpenSim tutorial) but lags the contact by
    2-3 frames on the demo subject, whose heel still moves at 0.45-0.7 m/s when it touches. The impact
    frame agrees with both within 2 frames (numbers in tests/test_events.py, tests/test_marker_stage.py).
  * toe off = the earlier of the Zeni estimate and the first frame at which the toe marker (the table's
    ``toe_rise`` role) is ``toe_rise_m`` above its stance level (its lowest height in the ``refine_window_s``
    before the Zeni estimate). The Zeni toe off (foot furthest behind the pelvis) matches the force plates of the real
    walks (mostly within 1 frame), but the demo subject's feet lift 2-4 frames before they are furthest
    back; by then their toe marker has risen 6-15 mm, as the real walks' toe markers have at force-plate
    toe off (5-19 mm). Heights are relative to each foot's own stance level, so the marker's placement
    and height above the sole do not matter. On the real walks the rule moves Zeni toe offs by at most
    1 frame, except one annotated toe off without a force plate (PiG_Motion-FlatFoot-Full, left, frame
    118, toe marker already 43 mm up at the annotation), which it puts 5 frames earlier. Markers on the
    first and fifth metatarsal heads are no toe marker: the forefoot rolls over them, and they stand 30-40 mm
    above their stance level at force-plate toe off (Qualisys walks, 240 Hz; toe-tip markers 0-1 mm, Plug-in
    Gait's TOE 14-19 mm), so the 15 mm rise comes 5-8 frames early. The anatomical table's ``toe_rise`` role
    is the toe (2nd metatarsal head) marker alone; a foot with MT1/MT5 only keeps its Zeni toe off.
  A strike with the heel marker more than ``max_strike_height_m`` above its stance level (5th-percentile
  height) is dropped: a Zeni peak in swing, where the pelvis reference is broken at a trial's edge.
- ``auto``: force-plate events first, then C3D events, then kinematic events, each added only where no
  event of the same side and kind from a preferred source lies within ``merge_window_s``.

Treadmill: pelvis travel along X below ``treadmill_travel_m``; belt speed = median backward speed of the
heels while they are low (stance).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from gaitmimic.io.events import EVENT_COLUMNS
from gaitmimic.io.markerdata import AnnotatedEvent, ForcePlate, GroundReaction

log = logging.getLogger(__name__)

__all__ = ["GaitEvent", "zeni_events", "kinematic_events", "force_plate_events", "ground_reaction_events",
           "c3d_events", "merge_events", "detect_events", "stance_belt_speed", "treadmill_state", "events_dataframe"]


@dataclass
class GaitEvent:
    side: str  # left | right
    event: str  # heel_strike | toe_off
    frame: int  # 0-based stored frame
    source: str  # force_plate | c3d_event | kinematic


def _peaks(y: np.ndarray, min_distance: int, prominence: float, edges: bool = True,
           edge_tolerance: float = 0.05) -> list[int]:
    """Local maxima of ``y`` (NaN ignored) with at least ``prominence``, at least ``min_distance`` apart.

    Near the ends of the record a peak's prominence cannot be measured, so there (``edges``) a local
    maximum, or the first/last sample when the signal starts by falling (ends by rising), is kept when its
    value is within ``edge_tolerance`` of the typical peak value: an event at the very start or end of the
    recording. Without ``edges`` these are the peaks of ``scipy.signal.find_peaks(y, distance=min_distance,
    prominence=prominence)``.
    """
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return []
    idx = np.flatnonzero(ok)
    first, last = int(idx[0]), int(idx[-1])
    yy = np.where(ok, y, np.nanmin(y) - 1.0)
    pk, props = find_peaks(yy, distance=max(min_distance, 1), prominence=0.0)
    strong = [int(p) for p, pr in zip(pk, props["prominences"]) if pr >= prominence]
    if not strong:
        return []
    if not edges:
        return strong
    typical = float(np.median(yy[strong]))
    out = set(strong)
    near_edge = lambda i: i - first < min_distance or last - i < min_distance  # noqa: E731
    for p in pk:
        if near_edge(p) and yy[p] >= typical - edge_tolerance:
            out.add(int(p))
    if min(out) - first >= min_distance // 2 and yy[first] >= yy[first + 1] and yy[first] >= typical - edge_tolerance:
        out.add(first)
    if last - max(out) >= min_distance // 2 and yy[last] >= yy[last - 1] and yy[last] >= typical - edge_tolerance:
        out.add(last)
    kept: list[int] = []
    for p in sorted(out):  # enforce the minimum distance (keep the higher of two close peaks)
        if kept and p - kept[-1] < min_distance:
            if yy[p] > yy[kept[-1]]:
                kept[-1] = p
            continue
        kept.append(p)
    return kept


def zeni_events(heel: np.ndarray, toe: np.ndarray, pelvis: np.ndarray, rate_hz: float,
                min_step_s: float, prominence_m: float, *, edges: bool = True
                ) -> tuple[list[int], list[int]]:
    """Plain Zeni (2008): ``(heel_strike_frames, toe_off_frames)``, the maxima of (heel - pelvis) and of
    (pelvis - toe) along X, at least ``min_step_s`` apart and ``prominence_m`` (m) prominent.

    ``heel``, ``toe``, ``pelvis``: (n, 3) trajectories in a frame whose X is the walking direction (the
    OpenSim frame; meters), sampled at ``rate_hz``; NaN allowed. ``edges``: also events at the very start
    or end of the record (see :func:`_peaks`); without them, plain ``scipy.signal.find_peaks``.
    """
    d_heel = heel[:, 0] - pelvis[:, 0]
    d_toe = toe[:, 0] - pelvis[:, 0]
    dist = int(round(min_step_s * rate_hz))
    return _peaks(d_heel, dist, prominence_m, edges), _peaks(-d_toe, dist, prominence_m, edges)


def _refine_strike(heel: np.ndarray, frame: int, rate_hz: float, window_s: float) -> int:
    """Frame of peak upward acceleration of the heel marker in ``[frame, frame + window_s]`` (the impact)."""
    acc = np.gradient(np.gradient(heel[:, 1])) * rate_hz ** 2
    stop = min(len(acc), frame + int(round(window_s * rate_hz)) + 1)
    w = acc[frame:stop]
    if not np.isfinite(w).any():
        return frame
    return frame + int(np.nanargmax(w))


def _refine_toe_off(toe: np.ndarray, frame: int, rate_hz: float, window_s: float, rise_m: float) -> int:
    """The earlier of ``frame`` and the first frame where the toe marker is ``rise_m`` above its stance level
    (its lowest height in ``[frame - window_s, frame]``)."""
    y = toe[:, 1]
    start = max(frame - int(round(window_s * rate_hz)), 0)
    w = y[start:frame + 1]
    if not np.isfinite(w).any():
        return frame
    low = start + int(np.nanargmin(w))
    hit = np.flatnonzero(y[low:frame + 1] - y[low] > rise_m)
    return low + int(hit[0]) if hit.size else frame


def kinematic_events(feet: dict[str, tuple[np.ndarray, np.ndarray]], pelvis: np.ndarray, rate_hz: float,
                     kinematic, toe_rise: dict[str, np.ndarray]) -> list[GaitEvent]:
    """Zeni events, refined (see the module docstring). ``feet = {"left": (heel, toe), "right": ...}``,
    OpenSim-frame trajectories (n, 3); ``kinematic``: the ``events.kinematic`` settings. ``toe_rise``: per side
    the trajectory whose rise marks the toe off (the marker-set table's ``toe_rise`` role); a side without one
    (all NaN: metatarsal-head markers only) keeps the Zeni toe off."""
    out = []
    window_s = float(kinematic.refine_window_s)
    rise_m = float(kinematic.toe_rise_m)
    for side, (heel, toe) in feet.items():
        hs, to = zeni_events(heel, toe, pelvis, rate_hz, float(kinematic.min_step_s), float(kinematic.prominence_m))
        if kinematic.refine:
            hs = [_refine_strike(heel, f, rate_hz, window_s) for f in hs]
            to = [_refine_toe_off(toe_rise[side], f, rate_hz, window_s, rise_m) for f in to]
        if np.isfinite(heel[:, 1]).any():   # no strike with the heel in the air
            stance = np.nanpercentile(heel[:, 1], 5)
            hs = [f for f in hs if not heel[f, 1] - stance > float(kinematic.max_strike_height_m)]
        out += [GaitEvent(side, "heel_strike", int(f), "kinematic") for f in hs]
        out += [GaitEvent(side, "toe_off", int(f), "kinematic") for f in to]
    return sorted(out, key=lambda e: e.frame)


def _contacts(fz: np.ndarray, rate_hz: float, threshold_n: float, min_contact_s: float
              ) -> list[tuple[int | None, int | None]]:
    """(on, off) sample pairs where the vertical force ``fz`` (N, at ``rate_hz``) rises above ``threshold_n``
    after at least 50 ms unloaded and stays up for ``min_contact_s``; ``off``: the first unloaded sample
    after, None when the contact lasts to the end. A contact already under way at the first sample has no
    strike (``on`` None), only its toe off, when it lasts ``min_contact_s`` and ends unloaded for 50 ms. A 10 ms
    moving mean first, against analog noise."""
    k = max(int(round(0.01 * rate_hz)), 1)
    loaded = np.convolve(np.abs(fz), np.ones(k) / k, mode="same") > threshold_n
    min_on = max(int(round(min_contact_s * rate_hz)), 1)
    min_off = max(int(round(0.05 * rate_hz)), 1)
    edges = np.diff(loaded.astype(np.int8))
    out: list[tuple[int | None, int | None]] = []
    rises = ([0] if loaded[0] else []) + [int(i) + 1 for i in np.flatnonzero(edges == 1)]
    for on in rises:
        if not loaded[on:on + min_on].all():
            continue
        after = np.flatnonzero(~loaded[on:])
        off = int(on + after[0]) if after.size else None
        if on >= min_off and not loaded[on - min_off:on].any():
            out.append((on, off))
        elif on < min_off and off is not None:   # under way when the recording starts: its toe off only
            out.append((None, off))
    return out


def _nearest_heel(feet_heel_lab: dict[str, np.ndarray], frame: int, point: np.ndarray, up: np.ndarray,
                  max_m: float = 0.6) -> str | None:
    """The side whose heel (lab frame) is nearest ``point`` in the floor plane at ``frame``; None when no
    heel is within ``max_m``."""
    dists = {}
    for side, heel in feet_heel_lab.items():
        if np.all(np.isfinite(heel[frame])):
            d = heel[frame] - point
            dists[side] = float(np.linalg.norm(d - (d @ up) * up))
    side = min(dists, key=dists.get) if dists else None
    return side if side is not None and dists[side] <= max_m else None


def _contact_events(contacts, feet_heel_lab: dict[str, np.ndarray], up: np.ndarray, n_frames: int) -> list[GaitEvent]:
    """Gait events of contacts ``(strike frame or None, toe-off frame or None, contact point)``: the side from
    the heel nearest the point at the strike (the toe off when the contact was under way at the start)."""
    out = []
    for on, off, point in contacts:
        frame = on if on is not None else off
        if not 0 <= frame < n_frames:
            continue
        side = _nearest_heel(feet_heel_lab, frame, point, up)
        if side is None:
            continue
        if on is not None:
            out.append(GaitEvent(side, "heel_strike", on, "force_plate"))
        if off is not None and off < n_frames:
            out.append(GaitEvent(side, "toe_off", off, "force_plate"))
    return out


def force_plate_events(plates: list[ForcePlate], feet_heel_lab: dict[str, np.ndarray], rate_hz: float,
                       n_frames: int, threshold_n: float, min_contact_s: float = 0.1) -> list[GaitEvent]:
    """Contact on/off from each plate's vertical force (lab frame) crossing ``threshold_n`` (N), contacts of
    at least ``min_contact_s``; the side from the nearest heel (``feet_heel_lab``: side -> (n, 3), lab frame)."""
    out = []
    for plate in plates:
        if plate.force_n.size == 0:
            continue
        normal = np.cross(plate.corners_m[1] - plate.corners_m[0], plate.corners_m[2] - plate.corners_m[1])
        norm = np.linalg.norm(normal)
        normal = normal / norm if norm > 0 else np.array([0.0, 0.0, 1.0])
        ratio = plate.rate_hz / rate_hz
        to_frame = lambda i: None if i is None else int(round(i / ratio))  # noqa: E731
        contacts = [(to_frame(on), to_frame(off), plate.centre_m)
                    for on, off in _contacts(plate.force_n @ normal, plate.rate_hz, threshold_n, min_contact_s)]
        out += _contact_events(contacts, feet_heel_lab, normal, n_frames)
    return sorted(out, key=lambda e: e.frame)


def ground_reaction_events(reactions: list[GroundReaction], feet_heel_lab: dict[str, np.ndarray], rate_hz: float,
                           n_frames: int, threshold_n: float, start_time_s: float = 0.0,
                           min_contact_s: float = 0.1) -> list[GaitEvent]:
    """Contact on/off from ground reaction forces already in the lab frame (an OpenSim GRF ``.mot``), as
    :func:`force_plate_events` does for plates; the side from the heel nearest the centre of pressure over the
    first 50 ms of the contact (the last 50 ms for a contact under way at the start). ``start_time_s``: the
    marker file's time of its stored frame 0."""
    out = []
    for grf in reactions:
        window = max(int(round(0.05 * grf.rate_hz)), 1)
        to_frame = lambda i: None if i is None else int(round((grf.time_s[i] - start_time_s) * rate_hz))  # noqa: E731
        contacts = []
        for on, off in _contacts(grf.force_n @ grf.up, grf.rate_hz, threshold_n, min_contact_s):
            loaded = slice(on, on + window) if on is not None else slice(max(off - window, 0), off)
            contacts.append((to_frame(on), to_frame(off), np.nanmedian(grf.point_m[loaded], axis=0)))
        out += _contact_events(contacts, feet_heel_lab, grf.up, n_frames)
    return sorted(out, key=lambda e: e.frame)


def c3d_events(annotated: list[AnnotatedEvent]) -> list[GaitEvent]:
    """The C3D's validated ``EVENT`` annotations as gait events."""
    return [GaitEvent(e.side, e.event, e.frame, "c3d_event") for e in annotated]


def merge_events(groups: list[list[GaitEvent]], rate_hz: float, window_s: float) -> list[GaitEvent]:
    """Merge event lists in priority order: an event is added unless one of the same side and kind from
    an earlier list lies within ``window_s``."""
    kept: list[GaitEvent] = []
    win = window_s * rate_hz
    for group in groups:
        base = list(kept)
        for e in group:
            if not any(k.side == e.side and k.event == e.event and abs(k.frame - e.frame) <= win for k in base):
                kept.append(e)
    return sorted(kept, key=lambda e: (e.frame, e.side, e.event))


def stance_belt_speed(heels: list[np.ndarray], rate_hz: float) -> float:
    """Median backward speed (m/s) of the heels while they are low (their lowest 20 % of heights: stance),
    from (n, 3) trajectories in the OpenSim frame (X walking direction, Y up) at ``rate_hz``: the belt speed
    of a treadmill walk, about 0 overground."""
    speeds = []
    for h in heels:
        v = np.gradient(h[:, 0]) * rate_hz
        y = h[:, 1]
        good = np.isfinite(v) & np.isfinite(y)
        if good.sum() < 10:
            continue
        low = good & (y <= np.nanpercentile(y[good], 20))
        speeds.append(-v[low])
    return float(np.median(np.concatenate(speeds))) if speeds else 0.0


def treadmill_state(pelvis: np.ndarray, heels: list[np.ndarray], rate_hz: float, travel_m: float
                    ) -> tuple[bool, float, float]:
    """``(is_treadmill, belt_speed_mps, walking_speed_mps)`` from (n, 3) trajectories in a frame whose X is
    the walking direction and Y up (the OpenSim frame; meters) at ``rate_hz``.

    A treadmill: the pelvis travels less than ``travel_m`` along X over more than 0.5 s and the heels' stance
    speed (:func:`stance_belt_speed`) exceeds 0.2 m/s; that speed is the belt speed. Otherwise the walking
    speed is the pelvis travel over the duration.
    """
    ok = np.isfinite(pelvis[:, 0])
    if ok.sum() < 2:
        return False, 0.0, 0.0
    idx = np.flatnonzero(ok)
    duration = (idx[-1] - idx[0]) / rate_hz
    travel = float(pelvis[idx[-1], 0] - pelvis[idx[0], 0])
    belt = stance_belt_speed(heels, rate_hz)
    is_treadmill = abs(travel) < travel_m and duration > 0.5 and belt > 0.2
    if not is_treadmill:
        return False, 0.0, travel / duration if duration > 0 else 0.0
    return True, belt, belt


def detect_events(events, rate_hz: float, n_frames: int, feet: dict[str, tuple[np.ndarray, np.ndarray]],
                  pelvis: np.ndarray, toe_rise: dict[str, np.ndarray], annotated: list[AnnotatedEvent] | None = None,
                  plates: list[ForcePlate] | None = None, heels_lab: dict[str, np.ndarray] | None = None,
                  reactions: list[GroundReaction] | None = None, start_time_s: float = 0.0) -> list[GaitEvent]:
    """Events by ``events.source`` (auto | force_plate | c3d | kinematic); ``events``: the ``events`` settings.
    Trajectories in the OpenSim frame; ``heels_lab`` (lab frame, for the plates' and GRFs' geometry);
    ``reactions``: the forces of a GRF .mot beside the trial (their events count as ``force_plate``);
    ``toe_rise``: see :func:`kinematic_events`."""
    kin = kinematic_events(feet, pelvis, rate_hz, events.kinematic, toe_rise)
    threshold = float(events.force_threshold_n)
    fp = force_plate_events(plates or [], heels_lab or {}, rate_hz, n_frames, threshold) if plates and heels_lab else []
    if reactions and heels_lab:
        fp = sorted(fp + ground_reaction_events(reactions, heels_lab, rate_hz, n_frames, threshold, start_time_s),
                    key=lambda e: e.frame)
    c3d = c3d_events(annotated or [])
    source = events.source
    if source == "kinematic":
        return kin
    if source == "force_plate":
        return fp
    if source == "c3d":
        return sorted(c3d, key=lambda e: e.frame)
    if source == "auto":
        return merge_events([fp, c3d, kin], rate_hz, float(events.merge_window_s))
    raise ValueError(f"unknown events source {source!r}")


def events_dataframe(events: list[GaitEvent], rate_hz: float) -> pd.DataFrame:
    """The events table of the artifact contract (sorted by time)."""
    rows = [{"side": e.side, "event": e.event, "time_s": round(e.frame / rate_hz, 6), "frame": int(e.frame),
             "source": e.source} for e in events]
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    return df.sort_values(["time_s", "side", "event"], kind="stable").reset_index(drop=True)
