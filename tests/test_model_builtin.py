"""The built-in OpenSim model: loads, de Leva segment lengths, gait2392 axes and signs, Plug-in Gait markers."""

from __future__ import annotations

import math

import numpy as np
import pytest

osim = pytest.importorskip("opensim")
osim.Logger.removeFileSink()  # no opensim.log in the working directory

from gaitmimic.opensim.model.anthropometry import DE_LEVA_MALE, segment_lengths  # noqa: E402
from gaitmimic.opensim.model.builtin import build_model, coordinate_names  # noqa: E402
from gaitmimic.opensim.model.plugin_gait_markers import (  # noqa: E402
    ANATOMICAL_MARKERS, MODEL_MARKERS, PIG_MARKERS, SCALE_MEASUREMENTS, write_measurement_set)

GAIT2392_COORDINATES = (
    "pelvis_tilt pelvis_list pelvis_rotation pelvis_tx pelvis_ty pelvis_tz "
    "hip_flexion_r hip_adduction_r hip_rotation_r knee_angle_r ankle_angle_r subtalar_angle_r mtp_angle_r "
    "hip_flexion_l hip_adduction_l hip_rotation_l knee_angle_l ankle_angle_l subtalar_angle_l mtp_angle_l "
    "lumbar_extension lumbar_bending lumbar_rotation"
).split()
ARM_COORDINATES = [f"{c}_{s}" for s in ("r", "l") for c in ("arm_flex", "arm_add", "arm_rot", "elbow_flex")]


@pytest.fixture(scope="module")
def model_175(tmp_path_factory):
    osim.Logger.setLevelString("error")
    path = build_model(1.75, 70.0, tmp_path_factory.mktemp("model") / "builtin.osim")
    model = osim.Model(str(path))
    state = model.initSystem()
    return model, state


def _origin(model, state, body):
    p = model.getBodySet().get(body).getPositionInGround(state)
    return np.array([p[0], p[1], p[2]])


def _marker(model, state, name):
    p = model.getMarkerSet().get(name).getLocationInGround(state)
    return np.array([p[0], p[1], p[2]])


def test_de_leva_table_at_reference_height():
    lengths = segment_lengths(1.741)
    assert lengths["thigh"] == pytest.approx(0.4222)
    assert lengths["shank"] == pytest.approx(0.4340)
    limbs = ("upper_arm", "forearm", "hand", "thigh", "shank", "foot")
    total = DE_LEVA_MALE["head"].mass_pct + DE_LEVA_MALE["trunk"].mass_pct
    total += 2 * sum(DE_LEVA_MALE[n].mass_pct for n in limbs)
    assert total == pytest.approx(100.0, abs=0.05)
    parts = ("upper_trunk", "middle_trunk", "lower_trunk")
    assert sum(DE_LEVA_MALE[n].length_mm for n in parts) == pytest.approx(DE_LEVA_MALE["trunk"].length_mm, abs=0.1)
    assert segment_lengths(1.75)["thigh"] == pytest.approx(0.4222 * 1.75 / 1.741)


def test_model_loads_with_gait2392_coordinates_and_mass(model_175):
    model, state = model_175
    names = [c.getName() for c in model.getCoordinateSet()]
    assert names == coordinate_names()
    assert set(names) == set(GAIT2392_COORDINATES + ARM_COORDINATES)
    assert model.getTotalMass(state) == pytest.approx(70.0, rel=1e-9)
    assert model.getNumBodies() == 16
    knee = model.getCoordinateSet().get("knee_angle_r")
    assert math.degrees(knee.getRangeMin()) == pytest.approx(-120) and math.degrees(knee.getRangeMax()) == pytest.approx(10)


def test_segment_lengths_match_de_leva_within_1_percent(model_175):
    model, state = model_175
    table = segment_lengths(1.75)
    for s, S in (("r", "R"), ("l", "L")):
        thigh = np.linalg.norm(_origin(model, state, f"femur_{s}") - _origin(model, state, f"tibia_{s}"))
        shank = np.linalg.norm(_origin(model, state, f"tibia_{s}") - _origin(model, state, f"talus_{s}"))
        upper_arm = np.linalg.norm(_origin(model, state, f"humerus_{s}") - _origin(model, state, f"forearm_{s}"))
        wrist = 0.5 * (_marker(model, state, f"{S}WRA") + _marker(model, state, f"{S}WRB"))
        forearm = np.linalg.norm(_origin(model, state, f"forearm_{s}") - wrist)
        assert thigh == pytest.approx(table["thigh"], rel=0.01)
        assert shank == pytest.approx(table["shank"], rel=0.01)
        assert upper_arm == pytest.approx(table["upper_arm"], rel=0.01)
        assert forearm == pytest.approx(table["forearm"], rel=0.01)
    trunk = _marker(model, state, "C7")[1] - _origin(model, state, "pelvis")[1]  # MIDH -> CERV
    assert trunk == pytest.approx(table["trunk"], rel=0.01)
    # Default pose stands on the floor: heel and toe markers a few cm up, pelvis at hip height.
    assert 0.01 < _marker(model, state, "RHEE")[1] < 0.06
    assert _origin(model, state, "pelvis")[1] == pytest.approx(0.039 * 1.75 + table["shank"] + table["thigh"])


def _rel_rotation(model, state, parent, child):
    bs = model.getBodySet()
    Rp = (model.getGround() if parent == "ground" else bs.get(parent)).getTransformInGround(state).R()
    Rc = bs.get(child).getTransformInGround(state).R()
    return _np(Rp).T @ _np(Rc)


def _np(R) -> np.ndarray:
    return np.array([[R.get(i, j) for j in range(3)] for i in range(3)])


def _rotation_axis(model, coord, parent, child, delta=0.2):
    """Axis (in the parent frame) about which ``child`` turns when ``coord`` increases from 0, every other
    coordinate at 0 (the built-in model's default pose is upright standing, not zero)."""
    from scipy.spatial.transform import Rotation

    state = model.initSystem()
    cs = model.getCoordinateSet()
    for i in range(cs.getSize()):
        cs.get(i).setValue(state, 0.0, False)
    c = cs.get(coord)
    c.setValue(state, 0.0)
    R0 = _rel_rotation(model, state, parent, child)
    c.setValue(state, delta)
    R1 = _rel_rotation(model, state, parent, child)
    c.setValue(state, 0.0)
    rv = Rotation.from_matrix(R1 @ R0.T).as_rotvec()
    return rv / np.linalg.norm(rv)


JOINTS = [  # (coordinate, parent body, child body) in both models
    ("pelvis_tilt", "ground", "pelvis"), ("pelvis_list", "ground", "pelvis"), ("pelvis_rotation", "ground", "pelvis"),
    ("lumbar_extension", "pelvis", "torso"), ("lumbar_bending", "pelvis", "torso"), ("lumbar_rotation", "pelvis", "torso"),
] + [
    (f"{c}_{s}", p, ch) for s in ("r", "l") for c, p, ch in (
        ("hip_flexion", "pelvis", "femur"), ("hip_adduction", "pelvis", "femur"), ("hip_rotation", "pelvis", "femur"),
        ("knee_angle", "femur", "tibia"), ("ankle_angle", "tibia", "talus"), ("subtalar_angle", "talus", "calcn"),
        ("mtp_angle", "calcn", "toes"))
]


def test_axes_and_signs_match_gait2392(model_175, shared_data):
    model, _ = model_175
    ref = osim.Model(str(shared_data / "opensim-gait2392" / "gait2392_thelen2003muscle.osim"))
    ref.initSystem()
    for coord, parent, child in JOINTS:
        side = coord[-2:] if coord.endswith(("_r", "_l")) else ""
        p = parent if parent in ("ground", "pelvis") or not side else parent + side
        ch = child if child in ("pelvis", "torso") else child + side
        ours = _rotation_axis(model, coord, p, ch)
        theirs = _rotation_axis(ref, coord, p, ch)
        assert float(ours @ theirs) > 0.99, f"{coord}: axis {ours.round(3)} vs gait2392 {theirs.round(3)}"


def test_knee_flexion_is_negative_and_arm_signs(model_175):
    model, state = model_175
    cs = model.getCoordinateSet()
    ankle0 = _origin(model, state, "talus_r")
    cs.get("knee_angle_r").setValue(state, math.radians(-60))
    assert _origin(model, state, "talus_r")[0] < ankle0[0] - 0.3  # knee flexion swings the ankle backwards
    cs.get("knee_angle_r").setValue(state, 0.0)
    elbow0 = _origin(model, state, "forearm_r")
    cs.get("arm_flex_r").setValue(state, math.radians(30))
    assert _origin(model, state, "forearm_r")[0] > elbow0[0] + 0.1  # arm flexion swings the elbow forwards
    cs.get("arm_flex_r").setValue(state, 0.0)
    for s, S, medial in (("r", "R", -1), ("l", "L", 1)):
        wrist0 = _marker(model, state, f"{S}WRA")
        cs.get(f"arm_add_{s}").setValue(state, math.radians(10))
        assert (_marker(model, state, f"{S}WRA")[2] - wrist0[2]) * medial > 0.05  # + = adduction on both sides
        cs.get(f"arm_add_{s}").setValue(state, 0.0)
        cs.get(f"elbow_flex_{s}").setValue(state, math.radians(90))
        assert _marker(model, state, f"{S}WRA")[0] > wrist0[0] + 0.2  # elbow flexion brings the wrist forward
        cs.get(f"elbow_flex_{s}").setValue(state, 0.0)


def test_anatomical_landmarks_sit_where_their_names_say(model_175):
    """In the default (standing) pose: medial epicondyle and malleolus inside the lateral ones, MT1 inside
    MT5 and ahead of the heel, the trochanter lateral of and just below the hip centre, the sacrum between
    the PSIS, the iliac crest above the ASIS."""
    model, _ = model_175
    state = model.initSystem()
    m = lambda name: _marker(model, state, name)  # noqa: E731
    for S, lateral in (("R", 1.0), ("L", -1.0)):
        assert (m(f"{S}KNE")[2] - m(f"{S}MKN")[2]) * lateral > 0.06
        assert (m(f"{S}ANK")[2] - m(f"{S}MMA")[2]) * lateral > 0.04
        assert (m(f"{S}MT5")[2] - m(f"{S}MT1")[2]) * lateral > 0.05 and m(f"{S}MT1")[0] > m(f"{S}HEE")[0] + 0.15
        hip = model.getBodySet().get(f"femur_{S.lower()}").getPositionInGround(state)
        assert (m(f"{S}GTR")[2] - hip[2]) * lateral > 0.05 and -0.05 < m(f"{S}GTR")[1] - hip[1] < 0.0
        assert m(f"{S}ILC")[1] > m(f"{S}ASI")[1] + 0.03
        assert m(f"{S}TT")[0] > m(f"{S}KNE")[0] and m(f"{S}TT")[1] < m(f"{S}KNE")[1]
    assert np.allclose(m("SACR"), 0.5 * (m("LPSI") + m("RPSI")), atol=0.03)


def test_plugin_gait_markers_and_scale_measurements(model_175, tmp_path):
    model, _ = model_175
    ms = model.getMarkerSet()
    assert ms.getSize() == len(MODEL_MARKERS) == len(PIG_MARKERS) + len(ANATOMICAL_MARKERS)
    for name, spec in MODEL_MARKERS.items():
        marker = ms.get(name)
        assert marker.getParentFrameName() in (spec.body, f"/bodyset/{spec.body}")
        assert marker.get_fixed() == spec.fixed
    for name in ("LASI", "RASI", "LPSI", "RPSI", "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE", "C7", "T10",
                 "CLAV", "STRN", "LSHO", "LELB", "LWRA", "LWRB", "RSHO", "LFHD", "RFHD", "LBHD", "RBHD"):
        assert name in PIG_MARKERS
    assert not PIG_MARKERS["LTHI"].fixed and PIG_MARKERS["LKNE"].fixed
    bodies = {model.getBodySet().get(i).getName() for i in range(model.getNumBodies())}
    for meas in SCALE_MEASUREMENTS.values():
        assert all(a in MODEL_MARKERS and b in MODEL_MARKERS for a, b in meas.marker_pairs)
        assert set(meas.bodies) <= bodies
    scaled = {b for meas in SCALE_MEASUREMENTS.values() for b in meas.bodies}
    assert scaled == bodies  # every body gets a scale factor
    xml = write_measurement_set(tmp_path / "measurements.xml")
    loaded = osim.MeasurementSet.safeDownCast(osim.OpenSimObject.makeObjectFromFile(str(xml)))
    assert loaded.getSize() == len(SCALE_MEASUREMENTS)
    thigh = loaded.get("thigh_r")
    assert thigh.getNumMarkerPairs() == 1 and thigh.getMarkerPair(0).getMarkerName(1) == "RKNE"
