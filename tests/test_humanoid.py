"""The edited suite humanoid: widened ranges, per-subject scaling, standalone XML."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.sim import humanoid

RANGES = settings.section("retarget").joint_ranges_deg

SEGMENTS = humanoid.SubjectSegments(
    hip_half_width_m=0.085, thigh_m=0.45, shank_m=0.42, foot_m=0.26, trunk_scale=1.2, upper_arm_m=0.30,
    lower_arm_m=0.33, masses_kg={"pelvis": 11.0, "thigh": 18.0, "shin": 7.0, "foot": 3.0, "upper": 33.0},
)


def test_stock_humanoid_widened_ranges_and_layout(tmp_path):
    root = humanoid.build_humanoid(None, RANGES, scale_masses=True)
    xml = humanoid.write_humanoid(root, tmp_path / "h" / "humanoid.xml")
    model = mujoco.MjModel.from_xml_path(str(xml))
    from dm_control import mjcf

    reparsed = mjcf.from_path(str(xml))  # the written file reads back through mjcf too
    assert reparsed.find("joint", "right_hip_y") is not None
    humanoid.joint_qpos_indices(model)
    ranges = np.rad2deg(humanoid.joint_ranges_rad(model))
    r = dict(zip(humanoid.JOINT_NAMES, ranges))
    print({k: r[k].round(1).tolist() for k in ("right_hip_x", "right_hip_y", "left_hip_y", "right_knee", "right_ankle_y")})
    assert model.nq == humanoid.NQ and model.nv == humanoid.NV and model.nu == 21
    assert r["right_hip_y"][1] == pytest.approx(35.0) and r["left_hip_y"][1] == pytest.approx(35.0)
    assert r["right_hip_x"][1] == pytest.approx(20.0) and r["left_hip_x"][1] == pytest.approx(20.0)
    assert r["right_ankle_y"][0] == pytest.approx(-55.0)
    assert r["right_elbow"][0] == pytest.approx(-115.0) and r["left_elbow"][0] == pytest.approx(-115.0)
    stock = mujoco.MjModel.from_xml_path(str(humanoid.suite_humanoid_path()))
    assert np.isclose(sum(model.body_mass), sum(stock.body_mass))  # no scaling asked: stock masses
    assert humanoid.leg_length(model) == pytest.approx(humanoid.STOCK_THIGH + humanoid.STOCK_SHANK, abs=0.003)


def test_scaled_humanoid_matches_subject_segments(tmp_path):
    root = humanoid.build_humanoid(SEGMENTS, RANGES, scale_masses=True)
    model = humanoid.load_model(humanoid.write_humanoid(root, tmp_path / "humanoid.xml"))
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    c = humanoid.joint_centres(model, data)
    thigh = np.linalg.norm(c["hip_r"] - c["knee_r"])
    shank = np.linalg.norm(c["knee_r"] - c["ankle_r"])
    half_width = abs(c["hip_r"][1] - c["hip_l"][1]) / 2
    masses = {g: sum(model.body(b).mass[0] for b in bodies) for g, bodies in humanoid.MASS_GROUPS.items()}
    print(f"thigh {thigh:.4f} shank {shank:.4f} half width {half_width:.4f}; masses {({k: round(v, 3) for k, v in masses.items()})}")
    assert thigh == pytest.approx(SEGMENTS.thigh_m, abs=0.002)  # shin offset in y: 1 cm lateral
    assert shank == pytest.approx(SEGMENTS.shank_m, abs=1e-6)
    assert half_width == pytest.approx(SEGMENTS.hip_half_width_m, abs=1e-9)
    for group, kg in SEGMENTS.masses_kg.items():
        assert masses[group] == pytest.approx(kg, rel=1e-6)
    assert sum(model.body_mass) == pytest.approx(72.0, rel=1e-6)
    # standing: feet flat on the floor when the root is at its neutral height
    from gaitmimic.sim.contact import foot_points

    qpos = np.zeros((1, 28))
    qpos[0, 3] = 1.0
    pts = foot_points(model, qpos)
    assert np.ptp(np.concatenate([pts["r"][0, :, 2], pts["l"][0, :, 2]])) < 0.01


def test_scaling_without_masses_keeps_stock_density(tmp_path):
    model = humanoid.model_from_root(humanoid.build_humanoid(SEGMENTS, RANGES, scale_masses=False))
    assert 40.0 < sum(model.body_mass) < 80.0  # lengths scaled, density stock
    assert not np.isclose(sum(model.body_mass), 72.0)
