"""The evaluation rollouts of the evaluate stage: ``eval/rollouts.npz``.

A :class:`Rollout` is one deterministic evaluation episode as arrays (MuJoCo frame, metres, radians), so
the metrics, plots and videos never touch the environment. Row ``k`` is the state after control step
``k + 1``. The npz holds ``n_rollouts`` and, for rollout ``i``, one array ``r<i>_<field>`` per field.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.npz import write_npz

__all__ = ["Rollout", "read_rollouts", "write_rollouts"]


@dataclasses.dataclass
class Rollout:
    """One evaluation episode.

    Arrays have one row per control step actually simulated (``n_steps``); an episode cut short by a
    fall has fewer rows than ``n_planned_steps``.
    """

    policy: str                   # "policy" or "zero_action"
    start_phase: float            # gait phase in [0, 1) at reset
    reference_index: int          # which reference clip
    control_dt_s: float
    n_planned_steps: int          # episode length asked for, in control steps
    body_names: list[str]
    qpos: np.ndarray              # (N, 28) simulated humanoid
    ref_qpos: np.ndarray          # (N, 28) reference at the same instants
    body_xpos: np.ndarray         # (N, B, 3) world positions, MuJoCo frame, m
    ref_body_xpos: np.ndarray     # (N, B, 3)
    reward: np.ndarray            # (N,)
    fell: np.ndarray              # (N,) bool, True from the step where the humanoid fell
    time_s: np.ndarray = dataclasses.field(default=None)  # (N,) episode time after each step

    def __post_init__(self) -> None:
        if self.time_s is None:
            self.time_s = (np.arange(self.n_steps) + 1) * self.control_dt_s

    @property
    def n_steps(self) -> int:
        return int(np.asarray(self.qpos).shape[0])


def write_rollouts(path: str | Path, rollouts: list[Rollout]) -> Path:
    """Write ``rollouts`` to one npz (keys ``n_rollouts`` and ``r<i>_<field>``), atomically."""
    arrays: dict[str, np.ndarray] = {"n_rollouts": np.array(len(rollouts))}
    for i, r in enumerate(rollouts):
        for key, value in dataclasses.asdict(r).items():
            arrays[f"r{i}_{key}"] = np.asarray(value)
    return write_npz(path, arrays)


def read_rollouts(path: str | Path) -> list[Rollout]:
    """The rollouts written by :func:`write_rollouts`, in order."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "evaluation rollouts not found", "run the evaluate rule for this subject first")
    with np.load(path, allow_pickle=False) as z:
        fields = [f.name for f in dataclasses.fields(Rollout)]
        n = int(z["n_rollouts"]) if "n_rollouts" in z.files else None
        missing = ["n_rollouts"] if n is None else sorted({f"r{i}_{k}" for i in range(n) for k in fields} - set(z.files))
        if missing:
            raise InputError(path, f"not a rollouts file of this version (missing {missing[:4]})",
                             "rerun the evaluate rule for this subject")
        out = []
        for i in range(n):
            get = lambda k: z[f"r{i}_{k}"]  # noqa: E731
            out.append(Rollout(
                policy=str(get("policy")),
                start_phase=float(get("start_phase")),
                reference_index=int(get("reference_index")),
                control_dt_s=float(get("control_dt_s")),
                n_planned_steps=int(get("n_planned_steps")),
                body_names=[str(b) for b in get("body_names")],
                qpos=get("qpos"),
                ref_qpos=get("ref_qpos"),
                body_xpos=get("body_xpos"),
                ref_body_xpos=get("ref_body_xpos"),
                reward=get("reward"),
                fell=get("fell").astype(bool),
                time_s=get("time_s"),
            ))
    return out
