"""Reference motion algorithms: looping a reference into a longer periodic walk, central-difference velocities.

The reference itself (:class:`gaitmimic.io.reference.Reference`: MuJoCo frame, radians, metres) is read and
written by :mod:`gaitmimic.io.reference`.
"""

from __future__ import annotations

import mujoco
import numpy as np

from gaitmimic.io.reference import Reference
from gaitmimic.sim.humanoid import body_positions

__all__ = ["loop_reference", "central_velocities"]


def loop_reference(ref: Reference, n_cycles: int, model: mujoco.MjModel | None = None) -> Reference:
    """``n_cycles`` gait cycles of ``ref`` stitched end to end, the root advanced by one stride each time.

    The complete cycles [cycle_starts[0], cycle_starts[-1]) form one block; a smooth (cubic Hermite)
    correction spread over the block makes its end meet its start shifted by the block's horizontal advance,
    in position and velocity, so seams have no jump. Given ``model`` (the humanoid), ``body_xpos`` is
    recomputed; otherwise it is shifted with the root.
    """
    if ref.n_cycles < 1:
        raise ValueError("reference has no complete gait cycle to loop")
    if n_cycles < 1:
        raise ValueError("n_cycles must be >= 1")
    block_q, block_x, advance = _periodic_block(ref)
    starts_local = ref.cycle_starts - ref.cycle_starts[0]
    phase_block = ref.phase[ref.cycle_starts[0]:ref.cycle_starts[-1]]
    C = ref.n_cycles
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
    qvel = central_velocities(np.concatenate([pred, q_next[:T + 1]]), ref.dt)[1:T + 1]
    if model is not None:
        body_xpos = body_positions(model, qpos, ref.body_names)
    return Reference(
        time_s=np.arange(T) * ref.dt, control_rate_hz=ref.control_rate_hz, qpos=qpos, qvel=qvel,
        phase=phase, cycle_starts=cycle_starts, joint_names=list(ref.joint_names),
        body_names=list(ref.body_names), body_xpos=body_xpos, stride_m=ref.stride_m.copy(),
        treadmill=ref.treadmill, belt_speed_mps=ref.belt_speed_mps, source_mot=ref.source_mot,
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
