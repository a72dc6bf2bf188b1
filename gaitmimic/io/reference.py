"""The reference motion files of the retarget stage: ``reference/<trial>.npz`` and
``reference/<trial>_joint_centres.npz``.

:class:`Reference` fields (MuJoCo frame, radians, metres): ``time_s`` (T,), ``control_rate_hz`` (),
``qpos`` (T,28), ``qvel`` (T,27), ``phase`` (T,) in [0,1), ``cycle_starts`` (C+1,) frame indices of the
right heel strikes, ``joint_names`` (21,), ``body_names`` (B,), ``body_xpos`` (T,B,3), ``stride_m`` (3,),
``treadmill`` (bool), ``belt_speed_mps`` (), ``source_mot`` (str).

The joint-centres file holds ``centres`` (T,n,3, the OpenSim hip/knee/ankle centres mapped like the
humanoid's root, MuJoCo frame) and their ``names``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.npz import write_npz

__all__ = ["FIELDS", "Reference", "read_reference", "write_reference", "read_joint_centres", "write_joint_centres"]


@dataclasses.dataclass
class Reference:
    """A retargeted reference motion (arrays as in the npz; MuJoCo frame, radians, metres)."""

    time_s: np.ndarray
    control_rate_hz: float
    qpos: np.ndarray
    qvel: np.ndarray
    phase: np.ndarray
    cycle_starts: np.ndarray
    joint_names: list[str]
    body_names: list[str]
    body_xpos: np.ndarray
    stride_m: np.ndarray
    treadmill: bool = False
    belt_speed_mps: float = 0.0
    source_mot: str = ""

    @property
    def n_frames(self) -> int:
        return int(self.qpos.shape[0])

    @property
    def n_cycles(self) -> int:
        return int(len(self.cycle_starts) - 1)

    @property
    def dt(self) -> float:
        return 1.0 / float(self.control_rate_hz)


#: The npz keys: the fields of :class:`Reference`.
FIELDS = tuple(f.name for f in dataclasses.fields(Reference))


def write_reference(path: str | Path, ref: Reference) -> Path:
    """Write ``ref`` as an npz (atomically)."""
    path = Path(path)
    arrays = {
        "time_s": np.asarray(ref.time_s, float), "control_rate_hz": np.float64(ref.control_rate_hz),
        "qpos": np.asarray(ref.qpos, float), "qvel": np.asarray(ref.qvel, float),
        "phase": np.asarray(ref.phase, float), "cycle_starts": np.asarray(ref.cycle_starts, np.int64),
        "joint_names": np.asarray(ref.joint_names, dtype=str), "body_names": np.asarray(ref.body_names, dtype=str),
        "body_xpos": np.asarray(ref.body_xpos, float), "stride_m": np.asarray(ref.stride_m, float),
        "treadmill": np.bool_(ref.treadmill), "belt_speed_mps": np.float64(ref.belt_speed_mps),
        "source_mot": np.asarray(str(ref.source_mot)),
    }  # fmt: skip
    return write_npz(path, arrays)


def read_reference(path: str | Path) -> Reference:
    """Read a reference npz written by :func:`write_reference`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "reference motion not found", "run the retarget stage first")
    with np.load(path, allow_pickle=False) as z:
        missing = [f for f in FIELDS if f not in z.files]
        if missing:
            raise InputError(path, f"reference lacks fields {missing}", "re-run the retarget stage")
        return Reference(
            time_s=z["time_s"], control_rate_hz=float(z["control_rate_hz"]), qpos=z["qpos"], qvel=z["qvel"],
            phase=z["phase"], cycle_starts=z["cycle_starts"].astype(int), joint_names=[str(s) for s in z["joint_names"]],
            body_names=[str(s) for s in z["body_names"]], body_xpos=z["body_xpos"], stride_m=z["stride_m"],
            treadmill=bool(z["treadmill"]), belt_speed_mps=float(z["belt_speed_mps"]), source_mot=str(z["source_mot"]),
        )


def write_joint_centres(path: str | Path, centres: np.ndarray, names) -> Path:
    """Write the OpenSim joint centres of a reference (T, n, 3; MuJoCo frame) as an npz (atomically)."""
    return write_npz(path, {"centres": np.asarray(centres, float), "names": np.asarray(list(names), dtype=str)})


def read_joint_centres(path: str | Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """The (T, n, 3) joint centres and their names written by :func:`write_joint_centres`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "joint centres not found", "run the retarget stage first")
    with np.load(path, allow_pickle=False) as z:
        if not {"centres", "names"} <= set(z.files):
            raise InputError(path, "joint centres file lacks 'centres' or 'names'", "re-run the retarget stage")
        return z["centres"], tuple(str(n) for n in z["names"])
