"""Marker-set knowledge for scaling and IK: scale measurements, default weights, name maps.

Two marker sets are known:

* ``opensim_example``: the marker names of OpenSim's gait2354/gait2392 example (R.ASIS, V.Sacral,
  R.Knee.Lat, ...). Measurements follow the structure of OpenSim's tutorial setup
  (``gait2354_Setup_Scale.xml``): torso, pelvis, thigh, shank, foot from marker pairs.
* ``plugin_gait``: Vicon Plug-in Gait (LASI, RKNE, ...). Measurements come from the built-in model
  (``gaitmimic.opensim.model.SCALE_MEASUREMENTS``) when it provides them, else from the table here.

A measurement is ``{"pairs": [[marker_a, marker_b], ...], "bodies": [body, ...], "axes": "X Y Z"}``:
the mean ratio of experimental to model distances over its pairs scales every listed body.
"""

from __future__ import annotations

from typing import Any

Measurement = dict[str, Any]


def _sides(pairs_fmt: list[tuple[str, str]], bodies_fmt: list[str], left: str, right: str) -> Measurement:
    pairs = [[a.format(s=s), b.format(s=s)] for s in (right, left) for a, b in pairs_fmt]
    bodies = [b.format(s=s) for s in ("r", "l") for b in bodies_fmt]
    return {"pairs": pairs, "bodies": bodies, "axes": "X Y Z"}


OPENSIM_EXAMPLE_MEASUREMENTS: dict[str, Measurement] = {
    "torso": {"pairs": [["V.Sacral", "Top.Head"]], "bodies": ["torso"], "axes": "X Y Z"},
    "pelvis": {"pairs": [["R.ASIS", "L.ASIS"]], "bodies": ["pelvis"], "axes": "X Y Z"},
    "thigh": _sides([("{s}.ASIS", "{s}.Knee.Lat")], ["femur_{s}", "patella_{s}"], "L", "R"),
    "shank": _sides([("{s}.Knee.Lat", "{s}.Ankle.Lat")], ["tibia_{s}", "talus_{s}"], "L", "R"),
    "foot": _sides([("{s}.Heel", "{s}.Toe.Tip")], ["calcn_{s}", "toes_{s}"], "L", "R"),
}

#: Plug-in Gait measurements, used when the built-in model does not provide its own.
PLUGIN_GAIT_MEASUREMENTS: dict[str, Measurement] = {
    "pelvis": {"pairs": [["RASI", "LASI"]], "bodies": ["pelvis"], "axes": "X Y Z"},
    "thigh": _sides([("{s}ASI", "{s}KNE")], ["femur_{s}", "patella_{s}"], "L", "R"),
    "shank": _sides([("{s}KNE", "{s}ANK")], ["tibia_{s}", "talus_{s}"], "L", "R"),
    "foot": _sides([("{s}HEE", "{s}TOE")], ["calcn_{s}", "toes_{s}"], "L", "R"),
    "torso": {"pairs": [["C7", "T10"], ["CLAV", "STRN"]], "bodies": ["torso"], "axes": "X Y Z"},
}

#: IK / marker-placement weights (OpenSim's tutorial weights for the example set; bony landmarks 10).
OPENSIM_EXAMPLE_WEIGHTS: dict[str, float] = {
    "Sternum": 1.0, "R.Acromium": 0.5, "L.Acromium": 0.5, "Top.Head": 0.1,
    "R.ASIS": 10.0, "L.ASIS": 10.0, "V.Sacral": 10.0,
    **{f"{s}.{m}": 1.0 for s in "RL" for m in (
        "Thigh.Upper", "Thigh.Front", "Thigh.Rear", "Shank.Upper", "Shank.Front", "Shank.Rear",
        "Midfoot.Sup", "Midfoot.Lat", "Toe.Lat", "Toe.Med")},
    **{f"{s}.{m}": 10.0 for s in "RL" for m in ("Heel", "Toe.Tip", "Knee.Lat", "Ankle.Lat", "Knee.Med", "Ankle.Med")},
}

#: Plug-in Gait weights: pelvis and foot/knee/ankle landmarks high, wand markers (THI, TIB) low.
#: Arm markers get weight 0 (not tracked): the built-in model has no shoulder girdle and no forearm
#: rotation, so elbow/wrist markers cannot be followed and only drag the trunk (2.6 vs 1.7 cm RMS on
#: the BTK subject ANTO_M). Give them a weight in ``ik.marker_weights`` to track the arms anyway.
PLUGIN_GAIT_WEIGHTS: dict[str, float] = {
    **{f"{s}{m}": 10.0 for s in "LR" for m in ("ASI", "PSI", "KNE", "ANK", "HEE", "TOE")},
    "SACR": 10.0,
    **{f"{s}{m}": 1.0 for s in "LR" for m in ("THI", "TIB", "SHO")},
    **{f"{s}{m}": 0.0 for s in "LR" for m in ("UPA", "ELB", "FRM", "WRA", "WRB", "FIN")},
    **{f"{s}{m}": 0.5 for s in "LR" for m in ("FHD", "BHD")},
    "C7": 1.0, "T10": 1.0, "CLAV": 1.0, "STRN": 1.0, "RBAK": 0.5,
}

#: Plug-in Gait data -> gait2392/gait2354 example model markers (model name: data name or names to average).
PLUGIN_GAIT_TO_OPENSIM_EXAMPLE: dict[str, str | list[str]] = {
    "R.ASIS": "RASI", "L.ASIS": "LASI", "V.Sacral": ["RPSI", "LPSI"],
    "R.Thigh.Upper": "RTHI", "L.Thigh.Upper": "LTHI",
    "R.Knee.Lat": "RKNE", "L.Knee.Lat": "LKNE",
    "R.Shank.Upper": "RTIB", "L.Shank.Upper": "LTIB",
    "R.Ankle.Lat": "RANK", "L.Ankle.Lat": "LANK",
    "R.Heel": "RHEE", "L.Heel": "LHEE", "R.Toe.Tip": "RTOE", "L.Toe.Tip": "LTOE",
    "Sternum": "STRN", "R.Acromium": "RSHO", "L.Acromium": "LSHO",
    "Top.Head": ["LFHD", "RFHD", "LBHD", "RBHD"],
}

#: Upper-body markers of that map: lower-body-only recordings may lack them.
PLUGIN_GAIT_TO_OPENSIM_EXAMPLE_OPTIONAL = ["Sternum", "R.Acromium", "L.Acromium", "Top.Head"]

BUILTIN_MAPS = {"plugin_gait_to_opensim_example": PLUGIN_GAIT_TO_OPENSIM_EXAMPLE}

#: Weight of a marker that no table knows.
DEFAULT_WEIGHT = 1.0


def detect_marker_set(marker_names: list[str]) -> str:
    """``opensim_example`` or ``plugin_gait`` from the marker names a model carries; else ``custom``."""
    names = set(marker_names)
    if {"R.ASIS", "L.ASIS"} <= names:
        return "opensim_example"
    if {"RASI", "LASI"} <= names:
        return "plugin_gait"
    return "custom"


def builtin_model_measurements() -> dict[str, Measurement] | None:
    """Measurements the built-in model module provides, normalised to our format (None if absent)."""
    try:
        from gaitmimic.opensim.model import SCALE_MEASUREMENTS  # noqa: PLC0415
    except ImportError:
        return None
    return normalise_measurements(SCALE_MEASUREMENTS)


def normalise_measurements(raw: Any) -> dict[str, Measurement]:
    """Accept our dict format, ``gaitmimic.opensim.model.ScaleMeasurement`` objects (``marker_pairs``, ``bodies``
    as {body: "XYZ"}), or a list of dicts with ``name``; bodies with different axes are split."""
    items = raw.items() if isinstance(raw, dict) else ((m["name"], m) for m in raw)
    out: dict[str, Measurement] = {}
    for name, m in items:
        get = m.get if isinstance(m, dict) else (lambda key, default=None, _m=m: getattr(_m, key, default))
        raw_pairs = get("pairs")
        pairs = [list(p) for p in (raw_pairs if raw_pairs is not None else get("marker_pairs") or [])]
        bodies = get("bodies") or get("body_scales")
        axes = get("axes", "X Y Z")
        if isinstance(bodies, dict):          # {body: axes}
            groups: dict[str, list[str]] = {}
            for body, ax in bodies.items():
                groups.setdefault(" ".join(str(ax).replace(" ", "")), []).append(body)
            for i, (ax, group) in enumerate(groups.items()):
                out[str(name) if i == 0 else f"{name}_{i}"] = {"pairs": pairs, "bodies": group, "axes": ax}
            continue
        if isinstance(axes, (list, tuple)):
            axes = " ".join(axes)
        out[str(name)] = {"pairs": pairs, "bodies": list(bodies), "axes": axes}
    return out


def default_measurements(marker_set: str) -> dict[str, Measurement]:
    if marker_set == "opensim_example":
        return OPENSIM_EXAMPLE_MEASUREMENTS
    if marker_set == "plugin_gait":
        return builtin_model_measurements() or PLUGIN_GAIT_MEASUREMENTS
    return {}


def default_weights(marker_set: str) -> dict[str, float]:
    return {"opensim_example": OPENSIM_EXAMPLE_WEIGHTS, "plugin_gait": PLUGIN_GAIT_WEIGHTS}.get(marker_set, {})


def marker_weights(marker_names: list[str], marker_set: str, overrides: dict[str, float] | None) -> dict[str, float]:
    """Weight per model marker: config overrides > marker-set defaults > :data:`DEFAULT_WEIGHT`."""
    table = {**default_weights(marker_set), **(overrides or {})}
    return {name: float(table.get(name, DEFAULT_WEIGHT)) for name in marker_names}


#: Measurements for the Plug-in Gait -> example-model map. PiG's TOE marker sits on the forefoot, not
#: at the toe tip, and the mean of the head markers is not the vertex, so the foot is scaled with the
#: shank and the torso falls back to the mean of the other factors.
PLUGIN_GAIT_TO_OPENSIM_EXAMPLE_MEASUREMENTS: dict[str, Measurement] = {
    "pelvis": OPENSIM_EXAMPLE_MEASUREMENTS["pelvis"],
    "thigh": OPENSIM_EXAMPLE_MEASUREMENTS["thigh"],
    "shank_foot": _sides([("{s}.Knee.Lat", "{s}.Ankle.Lat")],
                         ["tibia_{s}", "talus_{s}", "calcn_{s}", "toes_{s}"], "L", "R"),
    "torso": {"pairs": [], "bodies": ["torso"], "axes": "X Y Z"},     # no pair: mean of the others
}
BUILTIN_MAP_MEASUREMENTS = {"plugin_gait_to_opensim_example": PLUGIN_GAIT_TO_OPENSIM_EXAMPLE_MEASUREMENTS}
BUILTIN_MAP_OPTIONAL = {"plugin_gait_to_opensim_example": PLUGIN_GAIT_TO_OPENSIM_EXAMPLE_OPTIONAL}


#: Marker-placement weights: bony landmarks (IK weight >= 10) dominate the static-pose solve, as in
#: OpenSim's tutorial setup (1000 on ASIS, sacrum, knee, ankle, heel, toe tip; 1 elsewhere).
PLACEMENT_BONY_WEIGHT = 1000.0


def placement_weights(marker_names: list[str], marker_set: str, overrides: dict[str, float] | None) -> dict[str, float]:
    """Weight per model marker for marker placement: config overrides > bony 1000 / other 1."""
    ik = marker_weights(marker_names, marker_set, None)
    table = {m: (PLACEMENT_BONY_WEIGHT if w >= 10.0 else 1.0) for m, w in ik.items()}
    table.update({m: float(w) for m, w in (overrides or {}).items() if m in table})
    return table
