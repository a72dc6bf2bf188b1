"""Reference motion file (``<subject>/reference/<trial>.npz``): writer, loader and looping.

Fields (see INTERFACES.md): time_s (T,), control_rate_hz (), qpos (T,28), qvel (T,27),
phase (T,) in [0,1), cycle_starts (C+1,), joint_names (21,), body_names (B,), body_xpos (T,B,3),
stride_m (3,), treadmill (bool), belt_speed_mps (), source_mot (str).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mujoco
import numpy as np

from gaitmimic.atomic import atomic_path
from gaitmimic.errors import InputError

FIELDS = ("time_s", "control_rate_hz", "qpos", "qvel", "phase", "cycle_starts", "joint_names", "body_names",
          "body_xpos", "stride_m", "treadmill", "belt_speed_mps", "source_mot")  # fmt: skip


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

    def loop(self, n_cycles: int, model: mujoco.MjModel | None = None) -> "Reference":
        """``n_cycles`` gait cycles stitched end to end, the root advanced by one stride each time.

        The complete cycles [cycle_starts[0], cycle_starts[-1]) form one block; a smooth (cubic
        Hermite) correction spread over the block makes its end meet its start shifted by the block's
        horizontal advance, in position and velocity, so seams have no jump. Given ``model`` (the
        humanoid), ``body_xpos`` is recomputed; otherwise it is shifted with the root.
        """
        if self.n_cycles < 1:
            raise ValueError("reference has no complete gait cycle to loop")
        if n_cycles < 1:
            raise ValueError("n_cycles must be >= 1")
        block_q, block_x, advance = _periodic_block(self)
        starts_local = self.cycle_starts - self.cycle_starts[0]
        phase_block = self.phase[self.cycle_starts[0]:self.cycle_starts[-1]]
        C = self.n_cycles
        shift = np.array([advance[0], advance[1], 0.0])

        def stitch(n):
            qs, xs, ps, cs = [], [], [], [0]
            for i in range(n):
                c, blk = i % C, i // C
                a, b = starts_local[c], starts_local[c + 1]
                q = block_q[a:b].copy()
                q[:, :3] += shift * blk
                qs.append(q)
                xs.append(block_x[a:b] + shift * blk)
                ps.append(phase_block[a:b])
                cs.append(cs[-1] + (b - a))
            return np.concatenate(qs), np.concatenate(xs), np.concatenate(ps), np.asarray(cs)

        qpos, body_xpos, phase, cycle_starts = stitch(n_cycles)
        T = qpos.shape[0]
        q_next, _, _, _ = stitch(n_cycles + 1)  # the frame after the last one, for its velocity
        pred = block_q[-1:].copy()
        pred[:, :3] -= shift
        qvel = central_velocities(np.concatenate([pred, q_next[:T + 1]]), self.dt)[1:T + 1]
        if model is not None:
            body_xpos = body_positions(model, qpos, self.body_names)
        return Reference(
            time_s=np.arange(T) * self.dt, control_rate_hz=self.control_rate_hz, qpos=qpos, qvel=qvel,
            phase=phase, cycle_starts=cycle_starts, joint_names=list(self.joint_names),
            body_names=list(self.body_names), body_xpos=body_xpos, stride_m=self.stride_m.copy(),
            treadmill=self.treadmill, belt_speed_mps=self.belt_speed_mps, source_mot=self.source_mot,
        )


def _periodic_block(ref: Reference) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The complete-cycle block made periodic: (qpos (N,28), body_xpos (N,B,3), advance (3,))."""
    s, e = int(ref.cycle_starts[0]), int(ref.cycle_starts[-1])
    q = ref.qpos[s:e + 1].copy()
    N = e - s
    advance = q[N, :3] - q[0, :3]
    advance[2] = 0.0
    # generalized position mismatch at the seam, in velocity coordinates (27,)
    target_end = q[0].copy()
    target_end[:2] += advance[:2]
    dp = np.zeros(27)
    mujoco.mj_differentiatePos(_FREE_MODEL.model, dp, 1.0, target_end, q[N])
    dv = ref.qvel[e] - ref.qvel[s]
    T_block = N * ref.dt
    tau = np.arange(N + 1) / N
    h_p = 3 * tau**2 - 2 * tau**3
    h_v = tau**3 - tau**2
    corr = h_p[:, None] * dp[None] + T_block * h_v[:, None] * dv[None]  # (N+1, 27)
    out = np.empty_like(q)
    for k in range(N + 1):
        mujoco.mj_integratePos(_FREE_MODEL.model, q[k], -corr[k], 1.0)
        out[k] = q[k]
    xpos = ref.body_xpos[s:e] - corr[:N, None, :3]
    return out[:N], xpos, advance


class _FreeModel:
    """A minimal model with the humanoid's qpos layout (free joint + 21 hinges) for mj_*Pos helpers."""

    _model: mujoco.MjModel | None = None

    @property
    def model(self) -> mujoco.MjModel:
        if self._model is None:
            hinges = "".join(f'<body><joint type="hinge" axis="1 0 0"/><geom size=".01"/></body>' for _ in range(21))
            xml = f'<mujoco><worldbody><body><freejoint/><geom size=".1"/>{hinges}</body></worldbody></mujoco>'
            self._model = mujoco.MjModel.from_xml_string(xml)
        return self._model


_FREE_MODEL = _FreeModel()


def central_velocities(qpos: np.ndarray, dt: float) -> np.ndarray:
    """qvel (T,27) by central differences (one-sided at the ends) with ``mj_differentiatePos``."""
    m = _FREE_MODEL.model
    T = qpos.shape[0]
    qvel = np.zeros((T, m.nv))
    for t in range(T):
        a, b = max(t - 1, 0), min(t + 1, T - 1)
        mujoco.mj_differentiatePos(m, qvel[t], (b - a) * dt, qpos[a], qpos[b])
    return qvel


def body_positions(model: mujoco.MjModel, qpos: np.ndarray, body_names) -> np.ndarray:
    """World positions (T,B,3) of ``body_names`` for each qpos frame (kinematics only)."""
    data = mujoco.MjData(model)
    ids = [model.body(n).id for n in body_names]
    out = np.zeros((qpos.shape[0], len(ids), 3))
    for t in range(qpos.shape[0]):
        data.qpos[:] = qpos[t]
        mujoco.mj_kinematics(model, data)
        out[t] = data.xpos[ids]
    return out


def save_reference(ref: Reference, path: str | Path) -> Path:
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
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    return path


def load_reference(path: str | Path) -> Reference:
    """Load a reference npz written by :func:`save_reference`."""
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
