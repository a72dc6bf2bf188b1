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
