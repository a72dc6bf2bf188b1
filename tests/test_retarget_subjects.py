"""The demo subject and the three BTK Plug-in Gait subjects, from raw C3D through the upstream stages'
library functions (markers/events -> scale -> IK, built-in model) to the humanoid reference.

Skips with the reason when an upstream stage's library function is not available yet.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("opensim")

from retarget_helpers import DEMO, REPO, UPSTREAM_SUBJECTS, run_upstream  # noqa: E402

from gaitmimic import settings  # noqa: E402
from gaitmimic.retarget import checks, stage as pipeline  # noqa: E402
from gaitmimic.sim import humanoid  # noqa: E402

CFG = settings.section("retarget")


@pytest.fixture(scope="module", params=sorted(UPSTREAM_SUBJECTS))
def subject(request, tmp_path_factory):
    name = request.param
    static, walk, mass, height, where = UPSTREAM_SUBJECTS[name]
    if where == "demo":
        raw = DEMO
        if not (raw / f"{walk}.c3d").is_file():
            pytest.skip(f"demo subject not generated at {raw}")
    else:
        raw = REPO.parent / "shared" / "data" / "btk-plugingait"
        if not raw.is_dir():
            pytest.skip(f"real recordings not found at {raw}")
    out = tmp_path_factory.mktemp(f"rt_{name}")
    paths = run_upstream(raw, static, walk, mass, height, out, name)
    xml = pipeline.write_subject_humanoid(paths["osim"], out / "humanoid.xml", CFG)
    result = pipeline.retarget_trial(paths["osim"], paths["mot"], xml, paths["events"], paths["markers_json"], cfg=CFG)
    return name, result, humanoid.load_model(xml)


def test_reference_from_raw_c3d(subject):
    name, result, model = subject
    rep, ref = result.report, result.reference
    leg = humanoid.leg_length(model)
    world = pipeline.centre_error(pipeline.humanoid_centres(model, ref.qpos), result.opensim_centres, leg, relative_to_hips=False)
    print(f"\n{name}: {ref.n_frames} frames, {ref.n_cycles} cycles ({rep['events_source']}), treadmill {ref.treadmill} "
          f"belt {ref.belt_speed_mps:.2f} m/s, speed {rep['speed_mps']:.2f} m/s, leg ratio {rep['leg_length_ratio']:.3f}; "
          f"centre error {100 * rep['centre_error_mean_frac_leg']:.2f} % of leg (hip-relative), {100 * world:.2f} % (world); "
          f"sliding max {100 * rep['stance_sliding_max_m']:.2f} cm (hip offsets <= {rep['grounding']['max_offset_deg']:.2f} deg); "
          f"penetration {100 * rep['penetration_max_m']:.3f} cm; "
          f"clipped {rep['clipped_frames']}")
    assert rep["centre_error_mean_frac_leg"] <= 0.05 and world <= 0.05
    assert rep["penetration_max_m"] <= 0.01
    assert checks.quaternion_norm_error(ref) < 1e-9 and checks.range_violation_deg(model, ref) == 0.0
    assert checks.forward_all_finite(model, ref)
    assert ref.n_cycles >= 1 and np.all((ref.phase >= 0) & (ref.phase < 1))
    assert rep["stance_sliding_max_m"] <= 0.02
    assert rep["grounding"]["max_offset_deg"] < 3.0  # the feet are held by small hip offsets only


def test_mean_cycle_is_periodic_and_keeps_the_subjects_gait(subject):
    """The subject's mean cycle (issue 21): exactly periodic (position and velocity continuous across the seam),
    the subject's mean speed, stride and cadence within 2 %, its joint curves inside the cycles' band."""
    from gaitmimic.retarget.mean_cycle import mean_cycle_reference

    name, result, model = subject
    trial = result.reference
    ref, rep = mean_cycle_reference([trial], model, n_harmonics=8, n_cycles=3)
    n = int(ref.cycle_starts[1])
    # The subject's own numbers, from the trial's cycles: duration and root advance per cycle.
    starts = trial.cycle_starts
    durations = np.diff(starts) * trial.dt
    advances = np.hypot(*np.diff(trial.qpos[starts, :2], axis=0).T)
    speed = advances.sum() / durations.sum()
    print(f"\n{name}: {len(durations)} cycles, cycle {durations.mean():.3f} s -> {n} frames; speed {speed:.3f} m/s "
          f"-> {rep['speed_mps']:.3f}; stride {advances.mean():.3f} -> {ref.stride_m[0]:.3f} m")
    # exactly periodic: every cycle repeats the first, advanced by one stride along +x
    for k in (1, 2):
        dq = ref.qpos[k * n] - ref.qpos[0]
        assert abs(dq[0] - k * ref.stride_m[0]) < 1e-9 and np.abs(dq[1:]).max() < 1e-9
        assert np.abs(ref.qvel[k * n] - ref.qvel[0]).max() < 1e-9
    step = np.abs(np.diff(ref.qvel, axis=0))  # no velocity step at the seam beyond the largest inside a cycle
    assert step[n - 1].max() <= 1.01 * step[1:n - 1].max(axis=0).max()
    assert checks.quaternion_norm_error(ref) < 1e-9 and checks.forward_all_finite(model, ref)
    assert rep["speed_mps"] == pytest.approx(speed, rel=0.02)
    assert ref.stride_m[0] == pytest.approx(advances.mean(), rel=0.02)
    assert 120 / (n * ref.dt) == pytest.approx(120 / durations.mean(), rel=0.02)
    # joint curves inside the band of the cycles (min..max over cycles at each % of the cycle, 1 deg slack)
    u = np.arange(n) / n
    cycles = []
    for s, e in zip(starts[:-1], starts[1:]):
        t = np.linspace(0, 1, e - s + 1)
        cycles.append(np.stack([np.interp(u, t, trial.qpos[s:e + 1, 7 + j]) for j in range(21)], axis=1))
    cycles = np.asarray(cycles)
    slack = np.deg2rad(1.0)
    if len(cycles) > 1:
        inside = (ref.qpos[:n, 7:] >= cycles.min(0) - slack) & (ref.qpos[:n, 7:] <= cycles.max(0) + slack)
        assert inside.mean() >= 0.98, f"{100 * (1 - inside.mean()):.1f} % of the samples outside the band"
    # and close to the cycles' mean everywhere (the Fourier fit of the mean)
    assert np.abs(ref.qpos[:n, 7:] - cycles.mean(0)).max() < np.deg2rad(3.0)
