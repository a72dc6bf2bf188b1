"""The gait events table of the marker stage: ``events/<trial>.csv``.

Columns ``side`` (left | right), ``event`` (heel_strike | toe_off), ``time_s`` (from stored frame 0),
``frame`` (0-based stored frame), ``source`` (force_plate | c3d_event | kinematic); one row per event,
sorted by time. A static trial's file has the columns and no rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gaitmimic.atomic import atomic_path
from gaitmimic.errors import InputError

__all__ = ["EVENT_COLUMNS", "read_events", "write_events", "empty_events"]

EVENT_COLUMNS = ["side", "event", "time_s", "frame", "source"]


def empty_events() -> pd.DataFrame:
    """An events table with the columns and no rows."""
    return pd.DataFrame(columns=EVENT_COLUMNS)


def write_events(path: str | Path, events: pd.DataFrame) -> None:
    """Write an events table (atomically; ``path`` may already be a temporary path of the caller's)."""
    with atomic_path(path) as tmp:
        events[EVENT_COLUMNS].to_csv(tmp, index=False)


def read_events(path: str | Path) -> pd.DataFrame:
    """Read an events CSV, sorted by time; :class:`InputError` when it is missing or lacks columns."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "gait events file not found", "run the marker stage for this trial first")
    df = pd.read_csv(path)
    missing = set(EVENT_COLUMNS) - set(df.columns)
    if missing:
        raise InputError(path, f"missing columns {sorted(missing)}", f"write events with columns {','.join(EVENT_COLUMNS)}")
    return df.sort_values("time_s").reset_index(drop=True)
