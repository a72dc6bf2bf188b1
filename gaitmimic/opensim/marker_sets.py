"""The model side of the marker sets: scale measurements, IK and marker-placement weights, and the
Plug-in Gait -> gait2392/gait2354 marker map.

The sets are those of :mod:`gaitmimic.markers.marker_sets` (which holds the lab-name tables and
:func:`~gaitmimic.markers.marker_sets.detect_marker_set`), and the tables here are keyed by their names:

* ``opensim_gait2354``: the marker names of OpenSim's gait2354/gait2392 example (R.ASIS, V.Sacral,
  R.Knee.Lat, ...). Measurements follow the structure of OpenSim's tutorial setup
  (``gait2354_Setup_Scale.xml``): torso, pelvis, thigh, shank, foot from marker pairs.
* ``plugin_gait``: Vicon Plug-in Gait (LASI, RKNE, ...), the built-in model's markers. Measurements are
  the built-in model's own (:data:`gaitmimic.opensim.model.plugin_gait_markers.SCALE_MEASUREMENTS`).

A model whose markers are neither set is ``custom``: no default measurements, every marker weight 1.

A measurement is ``{"pairs": [[marker_a, marker_b], ...], "bodies": [body, ...], "axes": "X Y Z"}``:
the mean ratio of experimental to model distances over its pairs scales every listed body.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from gaitmimic.errors import InputError
from gaitmimic.markers.marker_sets import detect_marker_set
from gaitmimic.opensim.reports import is_bony_landmark
from gaitmimic.opensim.model.plugin_gait_markers import SCALE_MEASUREMENTS, ScaleMeasurement

Measurement = dict[str, Any]

#: The set name of a model whose markers are neither Plug-in Gait nor OpenSim's example set.
CUSTOM = "custom"


def model_marker_set(marker_names: Sequence[str]) -> str:
    """The marker set of a model's markers (``plugin_gait``, ``opensim_gait2354``), else :data:`CUSTOM`."""
    try:
        return detect_marker_set(list(marker_names)).name
    except InputError:      # fewer than 4 names of any known set: the model's own marker set
        return CUSTOM


def _sides(pairs_fmt: list[tuple[str, str]], bodies_fmt: list[str], left: str, right: str) -> Measurement:
    pairs = [[a.format(s=s), b.format(s=s)] for s in (right, left) for a, b in pairs_fmt]
    bodies = [b.format(s=s) for s in ("r", "l") for b in bodies_fmt]
    return {"pairs": pairs, "bodies": bodies, "axes": "X Y Z"}


def _from_scale_measurements(table: Mapping[str, ScaleMeasurement]) -> dict[str, Measurement]:
    """The built-in model's :class:`ScaleMeasurement` table in our format; bodies scaled along different
    axes are split into measurements ``name``, ``name_1``, ..."""
    out: dict[str, Measurement] = {}
    for name, m in table.items():
        groups: dict[str, list[str]] = {}
        for body, axes in m.bodies.items():
            groups.setdefault(" ".join(axes.replace(" ", "")), []).append(body)
        for i, (axes, bodies) in enumerate(groups.items()):
            out[name if i == 0 else f"{name}_{i}"] = {"pairs": [list(p) for p in m.marker_pairs], "bodies": bodies,
                                                      "axes": axes}
    return out


OPENSIM_GAIT2354_MEASUREMENTS: dict[str, Measurement] = {
    "torso": {"pairs": [["V.Sacral", "Top.Head"]], "bodies": ["torso"], "axes": "X Y Z"},
    "pelvis": {"pairs": [["R.ASIS", "L.ASIS"]], "bodies": ["pelvis"], "axes": "X Y Z"},
    "thigh": _sides([("{s}.ASIS", "{s}.Knee.Lat")], ["femur_{s}", "patella_{s}"], "L", "R"),
    "shank": _sides([("{s}.Knee.Lat", "{s}.Ankle.Lat")], ["tibia_{s}", "talus_{s}"], "L", "R"),
    "foot": _sides([("{s}.Heel", "{s}.Toe.Tip")], ["calcn_{s}", "toes_{s}"], "L", "R"),
}

#: Scale measurements per marker set.
MEASUREMENTS: dict[str, dict[str, Measurement]] = {
    "opensim_gait2354": OPENSIM_GAIT2354_MEASUREMENTS,
    "plugin_gait": _from_scale_measurements(SCALE_MEASUREMENTS),
    "anatomical": _from_scale_measurements(SCALE_MEASUREMENTS),
}

#: IK / marker-placement weights per marker set. OpenSim's example set: the tutorial's weights (bony
#: landmarks 10). Plug-in Gait: pelvis and foot/knee/ankle landmarks high, wand markers (THI, TIB) low;
#: arm markers 0 (not tracked): the built-in model has no shoulder girdle and no forearm rotation, so
#: elbow/wrist markers cannot be followed and only drag the trunk (2.6 vs 1.7 cm RMS on the BTK subject
#: ANTO_M). Give them a weight in ``ik.marker_weights`` to track the arms anyway.
WEIGHTS: dict[str, dict[str, float]] = {
    "opensim_gait2354": {
        "Sternum": 1.0, "R.Acromium": 0.5, "L.Acromium": 0.5, "Top.Head": 0.1,
        "R.ASIS": 10.0, "L.ASIS": 10.0, "V.Sacral": 10.0,
        **{f"{s}.{m}": 1.0 for s in "RL" for m in (
            "Thigh.Upper", "Thigh.Front", "Thigh.Rear", "Shank.Upper", "Shank.Front", "Shank.Rear",
            "Midfoot.Sup", "Midfoot.Lat", "Toe.Lat", "Toe.Med")},
        **{f"{s}.{m}": 10.0 for s in "RL" for m in ("Heel", "Toe.Tip", "Knee.Lat", "Ankle.Lat", "Knee.Med", "Ankle.Med")},
    },
    "plugin_gait": {
        **{f"{s}{m}": 10.0 for s in "LR" for m in ("ASI", "PSI", "KNE", "ANK", "HEE", "TOE")},
        "SACR": 10.0,
        **{f"{s}{m}": 1.0 for s in "LR" for m in ("THI", "TIB", "SHO")},
        **{f"{s}{m}": 0.0 for s in "LR" for m in ("UPA", "ELB", "FRM", "WRA", "WRB", "FIN")},
        **{f"{s}{m}": 0.5 for s in "LR" for m in ("FHD", "BHD")},
        "C7": 1.0, "T10": 1.0, "CLAV": 1.0, "STRN": 1.0, "RBAK": 0.5,
        # the landmarks of anatomical sets (ANATOMICAL_MARKERS): bony ones as Plug-in Gait's, skin ones 1
        **{f"{s}{m}": 10.0 for s in "LR" for m in ("MKN", "MMA", "MT1", "MT5", "TT", "FH")},
        **{f"{s}{m}": 1.0 for s in "LR" for m in ("GTR", "ILC")},
    },
}
WEIGHTS["anatomical"] = WEIGHTS["plugin_gait"]     # the same canonical names on the same built-in model

#: Weight of a marker that no table lists.
OTHER_MARKER_WEIGHT = 1.0

#: Marker-placement weights: bony landmarks (IK weight >= 10) dominate the static-pose solve, as in
#: OpenSim's tutorial setup (1000 on ASIS, sacrum, knee, ankle, heel, toe tip; 1 elsewhere).
PLACEMENT_BONY_WEIGHT = 1000.0

#: Plug-in Gait data -> gait2392/gait2354 example model markers (model name: data name or names to average).
PLUGIN_GAIT_TO_OPENSIM_GAIT2354: dict[str, str | list[str]] = {
    "R.ASIS": "RASI", "L.ASIS": "LASI", "V.Sacral": ["RPSI", "LPSI"],
    "R.Thigh.Upper": "RTHI", "L.Thigh.Upper": "LTHI",
    "R.Knee.Lat": "RKNE", "L.Knee.Lat": "LKNE",
    "R.Shank.Upper": "RTIB", "L.Shank.Upper": "LTIB",
    "R.Ankle.Lat": "RANK", "L.Ankle.Lat": "LANK",
    "R.Heel": "RHEE", "L.Heel": "LHEE", "R.Toe.Tip": "RTOE", "L.Toe.Tip": "LTOE",
    "Sternum": "STRN", "R.Acromium": "RSHO", "L.Acromium": "LSHO",
    "Top.Head": ["LFHD", "RFHD", "LBHD", "RBHD"],
}

#: Measurements for that map. PiG's TOE marker sits on the forefoot, not at the toe tip, and the mean of
#: the head markers is not the vertex, so the foot is scaled with the shank and the torso falls back to
#: the mean of the other factors.
PLUGIN_GAIT_TO_OPENSIM_GAIT2354_MEASUREMENTS: dict[str, Measurement] = {
    "pelvis": OPENSIM_GAIT2354_MEASUREMENTS["pelvis"],
    "thigh": OPENSIM_GAIT2354_MEASUREMENTS["thigh"],
    "shank_foot": _sides([("{s}.Knee.Lat", "{s}.Ankle.Lat")],
                         ["tibia_{s}", "talus_{s}", "calcn_{s}", "toes_{s}"], "L", "R"),
    "torso": {"pairs": [], "bodies": ["torso"], "axes": "X Y Z"},     # no pair: mean of the others
}

#: The built-in maps a config may name in ``model.model_to_data_markers``; the measurements that go with
#: each, and its model markers that lower-body-only recordings may lack.
BUILTIN_MAPS = {"plugin_gait_to_opensim_example": PLUGIN_GAIT_TO_OPENSIM_GAIT2354}
BUILTIN_MAP_MEASUREMENTS = {"plugin_gait_to_opensim_example": PLUGIN_GAIT_TO_OPENSIM_GAIT2354_MEASUREMENTS}
BUILTIN_MAP_OPTIONAL = {"plugin_gait_to_opensim_example": ["Sternum", "R.Acromium", "L.Acromium", "Top.Head"]}


def default_measurements(marker_set: str) -> dict[str, Measurement]:
    """The scale measurements of ``marker_set`` (none for a custom set)."""
    return MEASUREMENTS.get(marker_set, {})


def marker_weights(marker_names: Sequence[str], marker_set: str, overrides: Mapping[str, float]) -> dict[str, float]:
    """Weight per model marker: ``overrides`` > the marker set's table > :data:`OTHER_MARKER_WEIGHT`."""
    table = {**WEIGHTS.get(marker_set, {}), **overrides}
    return {name: float(table.get(name, OTHER_MARKER_WEIGHT)) for name in marker_names}


def fit_landmarks(marker_names: Sequence[str], marker_set: str) -> list[str]:
    """The markers that say whether a scaled model fits its subject: the bony landmarks that define the
    segments (IK weight >= 10 in the set's table: ASIS, PSIS/sacrum, knee, ankle, heel, toe), else, for a
    custom set, every marker named like a bony landmark."""
    table = WEIGHTS.get(marker_set, {})
    chosen = [m for m in marker_names if table.get(m, 0.0) >= 10.0]
    return chosen or [m for m in marker_names if is_bony_landmark(m)]


def placement_weights(marker_names: Sequence[str], marker_set: str, overrides: Mapping[str, float]) -> dict[str, float]:
    """Weight per model marker for marker placement: ``overrides`` > bony landmark 1000 / other 1."""
    ik = marker_weights(marker_names, marker_set, {})
    table = {m: (PLACEMENT_BONY_WEIGHT if w >= 10.0 else 1.0) for m, w in ik.items()}
    table.update({m: float(w) for m, w in overrides.items() if m in table})
    return table
