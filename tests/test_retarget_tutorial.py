"""Retarget of a real walk: OpenSim's tutorial subject01 (scaled + IK here, as the tutorial does it).

Treadmill-like walk, gait2354 model. Every check prints its number.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("opensim")

from retarget_helpers import run_tutorial_scale_ik  # noqa: E402

from gaitmimic import settings  # noqa: E402
from gaitmimic.io.reference import FIELDS, read_joint_centres, read_reference  # noqa: E402
from gaitmimic.retarget import checks, gait_phase, grounding, opensim_kinematics, playback, stage as pipeline  # noqa: E402
from gaitmimic.retarget.reference import loop_reference  # noqa: E402
from gaitmimic.sim import contact, humanoid  # noqa: E402

CFG = settings.section("retarget")


@pytest.fixture(scope="module")
def walk(shared_data, tmp_path_factory):
    work = tmp_path_factory.mktemp("tutorial")
    osim, mot = run_tutorial_scale_ik(shared_data / "opensim-tutorial5", work)
    out = work / "reference"
    cfg = settings.section("retarget", {"playback_video": {"max_seconds": 0.5, "fps": 20}})
    xml = pipeline.write_subject_humanoid(osim, out / "humanoid.xml", cfg)
    result = pipeline.run_retarget_stage(osim, mot, xml, None, None, out / "walk.npz", out / "walk_centres.npz",
                                         out / "walk.json", cfg)
    playback.write_playback(out / "walk.npz", out / "walk_centres.npz", xml, out / "walk.mp4", cfg.playback_video)
    model = humanoid.load_model(xml)
    kin = opensim_kinematics.compute_kinematics(osim, mot, 40.0, 6.0)
    events = gait_phase.detect_events_from_kinematics(kin)
    return {"result": result, "ref": read_reference(out / "walk.npz"), "model": model, "xml": xml, "kin": kin,
            "events": events, "stance": gait_phase.stance_masks(events, kin.time_s), "out": out, "osim": osim}


def test_joint_centres_match_opensim_after_leg_length_normalisation(walk):
    model, ref, res = walk["model"], walk["ref"], walk["result"]
    leg = humanoid.leg_length(model)
    rel = pipeline.centre_error(pipeline.humanoid_centres(model, ref.qpos), res.opensim_centres, leg, relative_to_hips=True)
    world = pipeline.centre_error(pipeline.humanoid_centres(model, ref.qpos), res.opensim_centres, leg, relative_to_hips=False)
    print(f"hip/knee/ankle centre error: {100 * rel:.2f} % of leg length relative to the hips, "
          f"{100 * world:.2f} % in world (leg {leg:.3f} m, ratio {res.report['leg_length_ratio']:.4f})")
    assert rel <= 0.05
    assert world <= 0.05


def test_knee_and_ankle_flexion_equal_opensim(walk):
    kin, ref = walk["kin"], walk["ref"]
    j = {n: i for i, n in enumerate(humanoid.JOINT_NAMES)}
    for side, s in (("right", "r"), ("left", "l")):
        knee = np.rad2deg(ref.qpos[:, 7 + j[f"{side}_knee"]] - kin.coordinates[f"knee_angle_{s}"])
        ankle = np.rad2deg(ref.qpos[:, 7 + j[f"{side}_ankle_y"]] + kin.coordinates[f"ankle_angle_{s}"])
        print(f"{side}: knee - knee_angle max {np.abs(knee).max():.4f} deg; ankle_y + ankle_angle max "
              f"{np.abs(ankle).max():.3f} deg (range of ankle_angle "
              f"{np.rad2deg(kin.coordinates[f'ankle_angle_{s}']).min():.1f}..{np.rad2deg(kin.coordinates[f'ankle_angle_{s}']).max():.1f})")
        assert np.abs(knee).max() < 1.0
        assert np.abs(ankle).max() < 1.0


def test_treadmill_belt_added_back(walk):
    rep, ref, kin = walk["result"].report, walk["ref"], walk["kin"]
    hip_mid = 0.5 * (kin.centres["hip_r"] + kin.centres["hip_l"])
    lab_speed = (hip_mid[-1, 0] - hip_mid[0, 0]) / (kin.time_s[-1] - kin.time_s[0])
    print(f"pelvis speed in the lab {lab_speed:.3f} m/s; belt {rep['belt_speed_mps']:.3f} m/s ({rep['belt_speed_source']}); "
          f"reference speed {rep['speed_mps']:.3f} m/s, stride {np.round(ref.stride_m, 3)}")
    assert ref.treadmill and 0.9 < ref.belt_speed_mps < 1.3
    assert abs(lab_speed) < 0.3
    assert 0.9 < rep["speed_mps"] < 1.4
    assert abs(ref.stride_m[1]) < 0.1 and abs(ref.stride_m[2]) < 0.01


def test_feet_grounded_without_sliding(walk):
    model, ref, stance = walk["model"], walk["ref"], walk["stance"]
    slides = grounding.stance_sliding(model, ref.qpos, stance)
    pen = grounding.penetration_m(model, ref.qpos)
    pts = contact.foot_points(model, ref.qpos)
    lowest = np.min(np.concatenate([P[:, :, 2] for P in pts.values()], axis=1), axis=1)
    print("stance sliding (cm):", [round(100 * s["sliding_m"], 2) for s in slides],
          f"penetration {100 * pen:.3f} cm, lowest foot point per frame {100 * lowest.min():.3f}..{100 * lowest.max():.3f} cm")
    assert max(s["sliding_m"] for s in slides) <= 0.02
    assert pen <= 0.01
    assert lowest.max() <= 0.01  # never floating: a foot is always on the floor


def test_valid_state_every_frame(walk):
    model, ref = walk["model"], walk["ref"]
    qn = checks.quaternion_norm_error(ref)
    over = checks.range_violation_deg(model, ref)
    vel = checks.velocity_consistency(ref)
    finite = checks.forward_all_finite(model, ref)
    print(f"quaternion norm error {qn:.2e}; range violation {over:.3f} deg; qvel vs d(qpos)/dt {vel:.2e}; "
          f"mj_forward finite on all {ref.n_frames} frames: {finite}")
    assert qn < 1e-9 and over == 0.0 and vel < 1e-9 and finite
    assert np.all(np.isfinite(ref.qpos)) and np.all(np.isfinite(ref.qvel))


def test_phase_and_cycles_from_right_heel_strikes(walk):
    ref, events = walk["ref"], walk["events"]
    hs = gait_phase.heel_strike_times(events, "right")
    print(f"right heel strikes {hs} s -> cycle_starts {ref.cycle_starts}, phase range {ref.phase.min():.3f}..{ref.phase.max():.3f}")
    assert np.allclose(ref.cycle_starts, np.round(hs * ref.control_rate_hz))
    assert np.all((ref.phase >= 0) & (ref.phase < 1))
    assert np.allclose(ref.phase[ref.cycle_starts], 0.0)
    inside = ref.phase[ref.cycle_starts[0]:ref.cycle_starts[-1]]
    assert np.sum(np.diff(inside) < 0) == ref.n_cycles - 1  # wraps only at heel strikes


def test_npz_fields_and_body_positions(walk):
    ref, model, out = walk["ref"], walk["model"], walk["out"]
    with np.load(out / "walk.npz") as z:
        assert sorted(z.files) == sorted(FIELDS)
        shapes = {k: z[k].shape for k in z.files}
    print(shapes)
    T = ref.n_frames
    assert shapes["qpos"] == (T, 28) and shapes["qvel"] == (T, 27) and shapes["joint_names"] == (21,)
    assert shapes["body_xpos"] == (T, len(ref.body_names), 3)
    assert ref.joint_names == list(humanoid.JOINT_NAMES)
    err = np.abs(humanoid.body_positions(model, ref.qpos, ref.body_names) - ref.body_xpos).max()
    assert err < 1e-9
    report = json.loads((out / "walk.json").read_text())
    assert report["frames"] == T


def test_loop_seam_is_continuous(walk):
    ref, model = walk["ref"], walk["model"]
    looped = loop_reference(ref, 4, model)
    seam = checks.seam_metrics(ref, looped)
    advance = looped.qpos[looped.cycle_starts[-1] - 1, 0] - looped.qpos[0, 0]
    print(f"loop of 4 cycles: {looped.n_frames} frames, advance {advance:.3f} m; seam {seam}")
    assert looped.n_cycles == 4 and looped.n_frames == 4 * (ref.cycle_starts[-1] - ref.cycle_starts[0])
    assert seam["position_jump_m"] < 0.01 and seam["body_jump_m"] < 0.03
    assert seam["velocity_step_ratio"] < 1.5
    assert checks.quaternion_norm_error(looped) < 1e-9 and checks.range_violation_deg(model, looped) < 0.5
    assert advance > 3 * np.linalg.norm(ref.stride_m[:2])


def test_pinned_physics_reproduces_the_reference(walk):
    track = checks.pinned_physics_tracking(walk["xml"], walk["ref"])
    print(f"pinned playback (no gravity, PD servos): {track}")
    assert track["finite"]
    assert track["joint_rms_deg"] < 2.0 and track["body_mean_m"] < 0.02


def test_joint_centres_file_holds_the_result(walk):
    centres, names = read_joint_centres(walk["out"] / "walk_centres.npz")
    assert names == tuple(walk["result"].centre_names)
    assert centres.shape == (walk["ref"].n_frames, len(names), 3)
    assert np.array_equal(centres, walk["result"].opensim_centres)


def test_playback_video_written(walk):
    import imageio.v2 as imageio

    reader = imageio.get_reader(str(walk["out"] / "walk.mp4"))
    n = sum(1 for _ in reader)
    shape = reader.get_data(0).shape
    reader.close()
    print(f"playback video: {n} frames of {shape}")
    assert n == 11 and shape == (240, 320, 3)


def test_treadmill_settings_from_the_marker_stage_and_config(walk, tmp_path):
    osim, xml = walk["osim"], walk["xml"]
    mot = walk["ref"].source_mot
    js = tmp_path / "walk_markers.json"
    js.write_text(json.dumps({"treadmill": True, "belt_speed_mps": 1.0}))
    a = pipeline.retarget_trial(osim, mot, xml, None, js, cfg=CFG)
    js.write_text(json.dumps({"treadmill": False, "belt_speed_mps": 0.0}))
    b = pipeline.retarget_trial(osim, mot, xml, None, js, cfg=CFG)
    c = pipeline.retarget_trial(osim, mot, xml, None, None, cfg=settings.section("retarget", {"belt_speed_mps": 0.8}))
    for name, r in (("json 1.0", a), ("json off", b), ("config 0.8", c)):
        print(f"{name}: treadmill {r.reference.treadmill}, belt {r.reference.belt_speed_mps:.2f} "
              f"({r.report['belt_speed_source']}), speed {r.report['speed_mps']:.3f} m/s, "
              f"root correction {r.report['grounding']['horizontal_correction_max_m']:.3f} m")
    assert a.reference.treadmill and a.reference.belt_speed_mps == 1.0 and a.report["belt_speed_source"] == "markers_json"
    assert not b.reference.treadmill and b.reference.belt_speed_mps == 0.0
    assert c.reference.belt_speed_mps == 0.8 and c.report["belt_speed_source"] == "config"
    # the stance-foot anchoring absorbs a wrong belt speed, but only with large root corrections
    assert b.report["grounding"]["horizontal_correction_max_m"] > 1.0 > a.report["grounding"]["horizontal_correction_max_m"]


def test_stock_sized_humanoid_uses_the_leg_length_ratio(walk, tmp_path):
    """scale_segments false: the stock humanoid (shorter legs) walks the same gait scaled by the leg ratio."""
    cfg = settings.section("retarget", {"scale_segments": False})
    xml = pipeline.write_subject_humanoid(walk["osim"], tmp_path / "stock.xml", cfg)
    r = pipeline.retarget_trial(walk["osim"], walk["ref"].source_mot, xml, None, None, cfg=cfg)
    rep = r.report
    print(f"stock humanoid: leg ratio {rep['leg_length_ratio']:.3f}, speed {rep['speed_mps']:.3f} m/s "
          f"(scaled humanoid {walk['result'].report['speed_mps']:.3f}), belt {rep['belt_speed_mps']:.3f} m/s, "
          f"centre error {100 * rep['centre_error_mean_frac_leg']:.2f} %, sliding {100 * rep['stance_sliding_max_m']:.2f} cm")
    assert 0.75 < rep["leg_length_ratio"] < 0.85
    assert rep["speed_mps"] == pytest.approx(walk["result"].report["speed_mps"] * rep["leg_length_ratio"], rel=0.08)
    assert rep["centre_error_mean_frac_leg"] <= 0.05 and rep["stance_sliding_max_m"] <= 0.02
