"""Marker-set detection and mapping: the anatomical landmark set's spellings, its clusters kept, and the
Plug-in Gait and OpenSim example sets still detected as before."""

from __future__ import annotations

import numpy as np
import pytest

from gaitmimic.io.markerdata import MarkerTrial
from gaitmimic.markers.marker_sets import canonical_name, detect_marker_set, map_markers, MARKER_SETS

ANATOMICAL = MARKER_SETS["anatomical"]

#: The treadmill recording of issue 19 (another vendor's ISB-style set, no wands) -> canonical names.
ISSUE_SET = {"L.ASIS": "LASI", "L.PSIS": "LPSI", "L.GTR": "LGTR", "L.Knee": "LKNE", "L.Knee.Medial": "LMKN",
             "L.Ankle": "LANK", "L.Ankle.Medial": "LMMA", "L.Heel": "LHEE", "L.MT1": "LMT1", "L.MT2": "LTOE",
             "L.MT5": "LMT5", "L.TT": "LTT", "L.HF": "LFH", "L.Iliac.Crest": "LILC"}


@pytest.mark.parametrize("label, name", [
    *ISSUE_SET.items(), ("L_ASIS", "LASI"), ("LASIS", "LASI"), ("l_asis", "LASI"), ("Left ASIS", "LASI"),
    ("ASIS_R", "RASI"), ("R_KNEE_LAT", "RKNE"), ("R_KNEE_MED", "RMKN"), ("L_ANKLE_MED", "LMMA"),
    ("R_TROCH", "RGTR"), ("R_ILIAC", "RILC"), ("R_MT_1", "RMT1"), ("SACRUM", "SACR"), ("V.Sacral", "SACR"),
    ("R_THIGH_1", None), ("LTHI", None), ("RBAK", None), ("L.Shank.Front", None),
])
def test_anatomical_spellings(label, name):
    assert canonical_name(label, ANATOMICAL) == name


def _trial(labels):
    rng = np.random.default_rng(0)
    return MarkerTrial(labels=list(labels), xyz_m=rng.normal(size=(5, len(labels), 3)), rate_hz=100.0)


def test_detection_picks_the_anatomical_set_and_keeps_the_clusters():
    labels = [s.replace("L.", side) for s in ISSUE_SET for side in ("L.", "R.")] + \
        [f"{s}_THIGH_{i}" for s in "LR" for i in range(1, 5)]
    assert detect_marker_set(labels).name == "anatomical"
    mapped, mset = map_markers(_trial(labels))
    assert mset.name == "anatomical"
    assert {"LASI", "RASI", "LTOE", "RMT5", "LILC"} <= set(mapped.labels)
    assert {f"{s}_THIGH_{i}" for s in "LR" for i in range(1, 5)} <= set(mapped.labels), "clusters kept"
    assert len(mapped.labels) == len(labels)
    dropped, _ = map_markers(_trial(labels), overrides={"L_THIGH_1": ""})
    assert "L_THIGH_1" not in dropped.labels, "an empty override still drops a marker"


def test_the_anatomical_set_needs_a_pelvis_and_feet():
    with pytest.raises(Exception, match="LHEE"):
        map_markers(_trial(["L.ASIS", "R.ASIS", "SACRUM", "R.Heel", "R.MT1", "L.MT1", "L.Knee", "R.Knee"]))


@pytest.mark.parametrize("labels, name", [
    # Plug-in Gait lower body (the BTK lower-body subject): its ASI/KNE/ANK/HEE/TOE are anatomical names too
    (["LASI", "RASI", "LPSI", "RPSI"] + [s + m for s in "LR" for m in ("THI", "KNE", "TIB", "ANK", "HEE", "TOE")],
     "plugin_gait"),
    (["R.ASIS", "L.ASIS", "V.Sacral"] + [f"{s}.{m}" for s in "RL" for m in ("Thigh.Upper", "Thigh.Front", "Knee.Lat",
                                                                           "Knee.Med", "Ankle.Lat", "Heel", "Toe.Tip")],
     "opensim_gait2354"),
])
def test_the_other_sets_are_detected_as_before(labels, name):
    assert detect_marker_set(labels).name == name


LAB_TABLE = """
name: our_lab
sides: [L, R]
name_format: "{side}{name}"
bilateral: [ASI, PSI, KNE, ANK, HEE, TOE]
aliases: {HipFrontL: LASI, HipFrontR: RASI, HipBackL: LPSI, HipBackR: RPSI, KneeL: LKNE, KneeR: RKNE,
          AnkleL: LANK, AnkleR: RANK, HeelL: LHEE, HeelR: RHEE, ToeL: LTOE, ToeR: RTOE}
required: [[LASI], [RASI], [LPSI+RPSI], [LHEE], [RHEE], [LTOE], [RTOE]]
roles: {pelvis_front: [LASI, RASI], pelvis_back: [LPSI, RPSI], heel_l: [LHEE], toe_l: [LTOE], heel_r: [RHEE],
        toe_r: [RTOE]}
"""


def test_a_labs_own_table_is_detected_first_and_maps_its_names(tmp_path):
    from gaitmimic.markers.marker_sets import load_marker_set

    path = tmp_path / "marker_set.yaml"
    path.write_text(LAB_TABLE)
    table = load_marker_set(path)
    labels = ["HipFrontL", "HipFrontR", "HipBackL", "HipBackR", "KneeL", "KneeR", "AnkleL", "AnkleR", "HeelL",
              "HeelR", "ToeL", "ToeR", "Extra1"]
    with pytest.raises(Exception, match="match no known marker set"):
        detect_marker_set(labels)
    assert detect_marker_set(labels, tables=[table]).name == "our_lab"
    mapped, mset = map_markers(_trial(labels), tables=[table])
    assert mset.name == "our_lab" and mapped.labels == ["LASI", "RASI", "LPSI", "RPSI", "LKNE", "RKNE", "LANK",
                                                         "RANK", "LHEE", "RHEE", "LTOE", "RTOE"]
    mapped, mset = map_markers(_trial(labels), marker_set=str(path))      # named in the config instead
    assert mset.name == "our_lab"
    # a Plug-in Gait trial still goes to Plug-in Gait (more of its names match)
    pig = [s + m for s in "LR" for m in ("ASI", "PSI", "THI", "KNE", "TIB", "ANK", "HEE", "TOE")]
    assert detect_marker_set(pig, tables=[table]).name == "plugin_gait"


def test_a_table_names_each_markers_body_and_landmark(tmp_path):
    """A ``markers`` section: a bilateral name gives both sides (``{s}`` -> l/r in the body, ``{side}`` in the
    landmark), any other name (a lab's cluster marker) becomes a marker of the set as written."""
    from gaitmimic.markers.marker_sets import MARKER_SETS, load_marker_set

    path = tmp_path / "marker_set.yaml"
    path.write_text(LAB_TABLE + "markers:\n  KNE: {body: 'femur_{s}', bony: true, landmark: '{side} lateral epicondyle'}\n"
                    "  RTH1: {body: femur_r, landmark: right thigh plate}\n")
    table = load_marker_set(path)
    assert table.markers["LKNE"].body == "femur_l" and table.markers["RKNE"].landmark == "right lateral epicondyle"
    assert table.markers["RKNE"].fixed and not table.markers["RTH1"].fixed and "RTH1" in table.canonical
    assert table.source == str(path)
    mapped, _ = map_markers(_trial(["HipFrontL", "HipFrontR", "HipBackL", "HipBackR", "HeelL", "HeelR", "ToeL", "ToeR",
                                    "RTH1"]), tables=[table])
    assert "RTH1" in mapped.labels           # a table's own marker is kept (the set has keep_unknown false)
    pig = MARKER_SETS["plugin_gait"].markers
    assert (pig["LHEE"].body, pig["LHEE"].fixed, pig["RTHI"].fixed) == ("calcn_l", True, False)
    anatomical = MARKER_SETS["anatomical"].markers
    assert anatomical["RMT5"].body == "calcn_r"
    assert all(anatomical[m] == pig[m] for m in set(anatomical) & set(pig))   # one model: the tables agree


@pytest.mark.parametrize("text, problem", [
    (LAB_TABLE + "markers:\n  KNE: femur\n", "marker KNE of the marker-set table has no body"),
    (LAB_TABLE + "markers:\n  KNE: {body: 'femur_{x}'}\n", "unknown placeholder"),
    ("- just a list\n", "YAML mapping with a 'name'"),
    ("name: x\nbilateral: [ASI]\nroles: {pelvis_front: [LASI]}\n", "no markers for the roles pelvis_back"),
    (LAB_TABLE.replace("[LPSI+RPSI]", "[LPSI+SACR]"), "do(es)? not define: SACR"),
    ("name: x\n", "names no markers"),
    ("name: [unclosed\n", "cannot read the marker-set table"),
])
def test_a_bad_table_is_a_clear_error(tmp_path, text, problem):
    from gaitmimic.errors import InputError
    from gaitmimic.markers.marker_sets import load_marker_set

    path = tmp_path / "marker_set.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        load_marker_set(path)
    assert str(path) in str(err.value) and "Fix:" in str(err.value)
