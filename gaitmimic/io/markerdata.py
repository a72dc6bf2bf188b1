"""Marker data in memory: :class:`MarkerTrial` (what the C3D/TRC readers return and the marker stage uses),
and what the two readers share: the length-unit table (:data:`UNIT_TO_M`, :func:`unit_to_m`) and the
label rule (:func:`strip_prefix`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = ["AnnotatedEvent", "ForcePlate", "GroundReaction", "MarkerTrial", "UNIT_TO_M", "UNIT_SPELLINGS", "unit_to_m", "strip_prefix"]

#: Meters per length unit, by abbreviation (C3D ``POINT:UNITS``, TRC ``Units``); the units
#: :func:`gaitmimic.io.trc.write_trc` writes.
UNIT_TO_M = {"mm": 1e-3, "cm": 1e-2, "dm": 0.1, "m": 1.0, "in": 0.0254}
#: Spelled-out unit names the readers accept too -> their abbreviation.
UNIT_SPELLINGS = {"millimeters": "mm", "millimetres": "mm", "centimeters": "cm", "centimetres": "cm",
                  "meters": "m", "metres": "m", "inches": "in"}


def unit_to_m(units: str) -> float | None:
    """Meters per ``units`` (an abbreviation of :data:`UNIT_TO_M` or a name of :data:`UNIT_SPELLINGS`; case and
    surrounding spaces ignored); ``None`` for a unit not in the table."""
    u = str(units).strip().lower()
    return UNIT_TO_M.get(UNIT_SPELLINGS.get(u, u))


def strip_prefix(label: str) -> str:
    """A marker label without its subject prefix: ``'BELT_C:LASI'`` -> ``'LASI'``; surrounding spaces removed."""
    return label.split(":")[-1].strip()


@dataclass
class AnnotatedEvent:
    """A gait event annotated in the recording (C3D ``EVENT`` group).

    ``time_s`` counts from the start of the capture (C3D convention); ``frame`` is the 0-based index
    into the *stored* frames (``round(time_s * rate) - first_frame``).
    """

    side: str  # "left" | "right"
    event: str  # "heel_strike" | "toe_off"
    time_s: float
    frame: int


@dataclass
class ForcePlate:
    """One force plate: its analog channels (at ``rate_hz``) and its geometry in the lab frame (meters).

    ``force_n`` is (n_samples, 3) in the lab frame after the C3D's analog scaling; ``moment_nm`` likewise.
    ``corners_m`` (4, 3) and ``origin_m`` (3,) as stored in ``FORCE_PLATFORM`` (origin is in the plate frame).
    """

    type: int
    corners_m: np.ndarray
    origin_m: np.ndarray
    force_n: np.ndarray
    moment_nm: np.ndarray
    rate_hz: float

    @property
    def centre_m(self) -> np.ndarray:
        return self.corners_m.mean(axis=0)


@dataclass
class GroundReaction:
    """One ground reaction force already resolved in the lab frame, as in an OpenSim GRF ``.mot`` (one per
    foot or belt): ``force_n`` and ``point_m`` (centre of pressure) (n, 3) at ``time_s`` (n,), on the clock
    of the marker file's own times; ``up`` is the lab frame's vertical axis (OpenSim: Y)."""

    name: str
    time_s: np.ndarray
    force_n: np.ndarray
    point_m: np.ndarray
    up: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))

    @property
    def rate_hz(self) -> float:
        return float((len(self.time_s) - 1) / (self.time_s[-1] - self.time_s[0])) if len(self.time_s) > 1 else 0.0


@dataclass
class MarkerTrial:
    """Marker trajectories of one trial.

    ``xyz_m`` is (n_frames, n_markers, 3), float64, meters, NaN where the marker is missing.
    ``first_frame`` is the capture frame number (0-based) of stored frame 0; times in the artifacts count
    from stored frame 0.
    """

    labels: list[str]
    xyz_m: np.ndarray
    rate_hz: float
    first_frame: int = 0
    events: list[AnnotatedEvent] = field(default_factory=list)
    force_plates: list[ForcePlate] = field(default_factory=list)
    ground_reactions: list[GroundReaction] = field(default_factory=list)
    source: Path | None = None
    start_time_s: float = 0.0   # the file's own time of stored frame 0 (a TRC's Time column), to align a GRF .mot

    @property
    def n_frames(self) -> int:
        return int(self.xyz_m.shape[0])

    @property
    def time_s(self) -> np.ndarray:
        """Time of each stored frame, 0.0 at stored frame 0."""
        return np.arange(self.n_frames) / self.rate_hz

    def marker(self, label: str) -> np.ndarray:
        """(n_frames, 3) trajectory of one marker."""
        return self.xyz_m[:, self.labels.index(label), :]

    def has(self, label: str) -> bool:
        return label in self.labels

    def select(self, labels: list[str], new_labels: list[str] | None = None) -> "MarkerTrial":
        """A copy with only ``labels`` (in that order), optionally renamed to ``new_labels``."""
        idx = [self.labels.index(lab) for lab in labels]
        return replace(self, labels=list(new_labels if new_labels is not None else labels),
                       xyz_m=self.xyz_m[:, idx, :].copy())

    def with_xyz(self, xyz_m: np.ndarray) -> "MarkerTrial":
        return replace(self, xyz_m=np.asarray(xyz_m, dtype=float))
