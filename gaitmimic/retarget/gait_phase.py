"""Gait events for the retarget: the events CSV of the marker stage (read with :mod:`gaitmimic.io.events`)
or, without one, events detected from the OpenSim kinematics; stance masks, right-heel-strike cycles and the
gait phase 0..1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gaitmimic.io.events import EVENT_COLUMNS, empty_events
from gaitmimic.markers.events import zeni_events
from gaitmimic.sim.contact import contact_events

SIDES = ("right", "left")


def detect_events_from_kinematics(kin, min_cycle_s: float = 0.7, prominence_m: float = 0.05) -> pd.DataFrame:
    """Zeni events (:func:`gaitmimic.markers.events.zeni_events`) from the OpenSim kinematics (OpenSim frame):
    heel strike at the maximum forward distance of the calcaneus origin from the hip-centre midpoint, toe off at
    the maximum backward distance of the toes origin (the calcaneus when the model has no toes). Peaks of one
    side are at least ``min_cycle_s`` apart and ``prominence_m`` prominent (no extra events at the record's
    ends: ``edges=False``). Works for treadmill and overground walks alike. Returns the events table (columns
    :data:`gaitmimic.io.events.EVENT_COLUMNS`, source ``kinematic``), sorted by time."""
    hip_mid = 0.5 * (kin.centres["hip_r"] + kin.centres["hip_l"])
    rate = 1.0 / float(np.median(np.diff(kin.time_s)))
    rows = []
    for side, s in (("right", "r"), ("left", "l")):
        heel = kin.points[f"foot_{s}"]
        toe = kin.points.get(f"toes_{s}", heel)
        strikes, offs = zeni_events(heel, toe, hip_mid, rate, min_step_s=min_cycle_s, prominence_m=prominence_m,
                                     edges=False)
        for event, frames in (("heel_strike", strikes), ("toe_off", offs)):
            rows += [{"side": side, "event": event, "time_s": float(kin.time_s[p]), "frame": int(p),
                      "source": "kinematic"} for p in frames]
    if not rows:
        return empty_events()
    return pd.DataFrame(rows, columns=EVENT_COLUMNS).sort_values("time_s").reset_index(drop=True)


def heel_strike_times(events: pd.DataFrame, side: str = "right") -> np.ndarray:
    sel = (events["side"] == side) & (events["event"] == "heel_strike")
    return np.sort(events.loc[sel, "time_s"].to_numpy(float))


def stance_masks(events: pd.DataFrame, time_s: np.ndarray) -> dict[str, np.ndarray]:
    """Per side (keys "r", "l") a (T,) bool mask: True from a heel strike to the next toe off.

    Before the first event of a side, stance is assumed if that first event is a toe off.
    """
    out = {}
    for side in SIDES:
        ev = events[events["side"] == side].sort_values("time_s")
        mask = np.zeros(time_s.shape[0], bool)
        if len(ev):
            state = ev.iloc[0]["event"] == "toe_off"
            last_t = -np.inf
            for _, row in ev.iterrows():
                sel = (time_s >= last_t) & (time_s < row["time_s"])
                mask[sel] = state
                state = row["event"] == "heel_strike"
                last_t = row["time_s"]
            mask[time_s >= last_t] = state
        out[side[0]] = mask
    return out


def cycles_and_phase(time_s: np.ndarray, right_heel_strikes_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cycle_starts frame indices, phase (T,) in [0,1)) from right heel strike times.

    Phase is linear in time between successive heel strikes and extrapolated with the nearest
    cycle's duration before the first and after the last one.
    """
    t0, t1 = time_s[0], time_s[-1]
    hs = right_heel_strikes_s[(right_heel_strikes_s >= t0 - 1e-9) & (right_heel_strikes_s <= t1 + 1e-9)]
    if hs.size < 2:
        raise ValueError(f"need at least two right heel strikes in {t0:.2f}-{t1:.2f} s, got {hs.size}")
    rate = 1.0 / float(np.median(np.diff(time_s)))
    starts = np.unique(np.round((hs - t0) * rate).astype(int))
    starts = starts[starts < time_s.shape[0]]
    k = np.arange(time_s.shape[0], dtype=float)
    ph = np.interp(k, starts, np.arange(starts.size, dtype=float))
    first_len, last_len = starts[1] - starts[0], starts[-1] - starts[-2]
    ph = np.where(k < starts[0], (k - starts[0]) / first_len, ph)
    ph = np.where(k > starts[-1], starts.size - 1 + (k - starts[-1]) / last_len, ph)
    return starts, np.mod(ph, 1.0)


def contact_timing(contacts: dict[str, np.ndarray], events: pd.DataFrame, time_s: np.ndarray) -> dict:
    """When the retargeted humanoid's feet touch and leave the floor against the subject's own events.

    ``contacts``: per side ("r", "l") the humanoid's foot-floor contact per frame
    (:func:`gaitmimic.sim.contact.foot_contacts`); ``events``: the subject's heel strikes and toe offs;
    ``time_s`` (T,) the frames' times. Per side: the mean offset (humanoid minus subject, % of the mean cycle;
    negative = the humanoid is early) of each subject heel strike and toe off to the humanoid's nearest
    contact start / end within half a cycle, and the stance % of each over the subject's cycles.
    """
    out = {}
    subject_stance = stance_masks(events, time_s)
    for side in SIDES:
        strikes = heel_strike_times(events, side)
        row: dict = {"cycles": int(max(len(strikes) - 1, 0))}
        if len(strikes) < 2:
            out[side] = row
            continue
        cycle = float(np.mean(np.diff(strikes)))
        c = contacts[side[0]]
        on, off = (time_s[i] for i in contact_events(c))
        for name, subject_t, humanoid_t in (("heel_strike", strikes, on),
                                            ("toe_off", np.sort(events.loc[(events["side"] == side)
                                                                           & (events["event"] == "toe_off"), "time_s"]
                                                                .to_numpy(float)), off)):
            offsets = [float(humanoid_t[np.argmin(np.abs(humanoid_t - t))] - t) for t in subject_t
                       if len(humanoid_t) and np.min(np.abs(humanoid_t - t)) <= cycle / 2]
            row[f"{name}_offset_pct"] = 100.0 * float(np.mean(offsets)) / cycle if offsets else None
            row[f"{name}_matched"] = f"{len(offsets)} of {len(subject_t)}"
        inside = (time_s >= strikes[0]) & (time_s < strikes[-1])
        row["humanoid_stance_pct"] = 100.0 * float(np.mean(c[inside]))
        row["subject_stance_pct"] = 100.0 * float(np.mean(subject_stance[side[0]][inside]))
        out[side] = row
    return out
