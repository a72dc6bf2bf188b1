"""The Vicon Plug-in Gait full-body marker set on the built-in model, and the pairs that scale it.

``PIG_MARKERS`` lists every Plug-in Gait marker (``ANATOMICAL_MARKERS`` the landmarks of anatomical sets
that Plug-in Gait lacks, ``MODEL_MARKERS`` both): the body it rides on, whether its location is ``fixed`` during
OpenSim's marker placement (bony landmarks: True; wand and skin markers whose placement varies between
sessions: False, so ScaleTool moves them onto the subject's static trial), and the landmark. The
locations for a given height are in :func:`gaitmimic.opensim.model.layout.build_layout`.

``SCALE_MEASUREMENTS`` maps each scaling measurement to its marker pairs and to the bodies (and axes)
its scale factor applies to; :func:`write_measurement_set` turns it into an OpenSim ``MeasurementSet``
XML file for the ScaleTool's ``ModelScaler``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gaitmimic.atomic import atomic_path


@dataclass(frozen=True)
class MarkerSpec:
    body: str
    fixed: bool  # True: keep the model location during marker placement (bony landmark)
    landmark: str


def _bilateral() -> dict[str, MarkerSpec]:
    out: dict[str, MarkerSpec] = {}
    for S, s, side in (("L", "l", "left"), ("R", "r", "right")):
        out.update(
            {
                f"{S}ASI": MarkerSpec("pelvis", True, f"{side} anterior superior iliac spine"),
                f"{S}PSI": MarkerSpec("pelvis", True, f"{side} posterior superior iliac spine"),
                f"{S}THI": MarkerSpec(f"femur_{s}", False, f"{side} lateral thigh, lower third (wand)"),
                f"{S}KNE": MarkerSpec(f"femur_{s}", True, f"{side} lateral femoral epicondyle"),
                f"{S}TIB": MarkerSpec(f"tibia_{s}", False, f"{side} lateral shank, lower third (wand)"),
                f"{S}ANK": MarkerSpec(f"tibia_{s}", True, f"{side} lateral malleolus"),
                f"{S}HEE": MarkerSpec(f"calcn_{s}", True, f"{side} calcaneus, posterior, at the height of {S}TOE"),
                f"{S}TOE": MarkerSpec(f"calcn_{s}", True, f"{side} second metatarsal head, dorsum"),
                f"{S}FHD": MarkerSpec("torso", True, f"{side} front head (temple)"),
                f"{S}BHD": MarkerSpec("torso", True, f"{side} back head"),
                f"{S}SHO": MarkerSpec("torso", True, f"{side} acromio-clavicular joint"),
                f"{S}UPA": MarkerSpec(f"humerus_{s}", False, f"{side} upper arm, lateral (skin)"),
                f"{S}ELB": MarkerSpec(f"humerus_{s}", True, f"{side} lateral humeral epicondyle"),
                f"{S}FRM": MarkerSpec(f"forearm_{s}", False, f"{side} forearm, lateral (skin)"),
                f"{S}WRA": MarkerSpec(f"forearm_{s}", True, f"{side} radial styloid (thumb side)"),
                f"{S}WRB": MarkerSpec(f"forearm_{s}", True, f"{side} ulnar styloid (little finger side)"),
                f"{S}FIN": MarkerSpec(f"forearm_{s}", False, f"{side} hand, dorsum below the 2nd metacarpal head"),
            }
        )
    return out


#: Plug-in Gait full-body markers on the built-in model (name -> body, fixed flag, landmark).
PIG_MARKERS: dict[str, MarkerSpec] = {
    **_bilateral(),
    "C7": MarkerSpec("torso", True, "spinous process of the 7th cervical vertebra"),
    "T10": MarkerSpec("torso", True, "spinous process of the 10th thoracic vertebra"),
    "CLAV": MarkerSpec("torso", True, "jugular notch"),
    "STRN": MarkerSpec("torso", True, "xiphoid process"),
}


def _anatomical() -> dict[str, MarkerSpec]:
    out: dict[str, MarkerSpec] = {"SACR": MarkerSpec("pelvis", True, "sacrum, between the PSIS")}
    for S, s, side in (("L", "l", "left"), ("R", "r", "right")):
        out.update(
            {
                f"{S}ILC": MarkerSpec("pelvis", False, f"{side} iliac crest, most lateral point (skin)"),
                f"{S}GTR": MarkerSpec(f"femur_{s}", False, f"{side} greater trochanter (soft tissue over it)"),
                f"{S}MKN": MarkerSpec(f"femur_{s}", True, f"{side} medial femoral epicondyle"),
                f"{S}TT": MarkerSpec(f"tibia_{s}", True, f"{side} tibial tuberosity"),
                f"{S}FH": MarkerSpec(f"tibia_{s}", True, f"{side} fibula head"),
                f"{S}MMA": MarkerSpec(f"tibia_{s}", True, f"{side} medial malleolus"),
                f"{S}MT1": MarkerSpec(f"calcn_{s}", True, f"{side} first metatarsal head, medial-dorsal"),
                f"{S}MT5": MarkerSpec(f"calcn_{s}", True, f"{side} fifth metatarsal head, lateral-dorsal"),
            }
        )
    return out


#: The anatomical landmarks that Plug-in Gait lacks (the anatomical marker set of
#: :mod:`gaitmimic.markers.marker_sets`; medial knee and ankle markers are Plug-in Gait's optional ones).
ANATOMICAL_MARKERS: dict[str, MarkerSpec] = _anatomical()

#: Every marker of the built-in model.
MODEL_MARKERS: dict[str, MarkerSpec] = {**PIG_MARKERS, **ANATOMICAL_MARKERS}


@dataclass(frozen=True)
class ScaleMeasurement:
    """One OpenSim scaling measurement: the mean distance ratio over ``marker_pairs`` (experimental /
    model) scales each body in ``bodies`` along the given axes (``"XYZ"`` = uniformly)."""

    marker_pairs: tuple[tuple[str, str], ...]
    bodies: dict[str, str]


def _measurements() -> dict[str, ScaleMeasurement]:
    out = {
        "pelvis": ScaleMeasurement((("LASI", "RASI"), ("LPSI", "RPSI")), {"pelvis": "XYZ"}),
        "torso": ScaleMeasurement((("LASI", "LSHO"), ("RASI", "RSHO"), ("C7", "LPSI"), ("C7", "RPSI")), {"torso": "XYZ"}),
    }
    for S, s, side in (("R", "r", "right"), ("L", "l", "left")):
        out[f"thigh_{s}"] = ScaleMeasurement(((f"{S}ASI", f"{S}KNE"),), {f"femur_{s}": "XYZ"})
        out[f"shank_{s}"] = ScaleMeasurement(((f"{S}KNE", f"{S}ANK"),), {f"tibia_{s}": "XYZ"})
        out[f"foot_{s}"] = ScaleMeasurement(   # HEE-MT1/MT5 for anatomical sets without a TOE marker
            ((f"{S}HEE", f"{S}TOE"), (f"{S}HEE", f"{S}MT1"), (f"{S}HEE", f"{S}MT5")),
            {f"talus_{s}": "XYZ", f"calcn_{s}": "XYZ", f"toes_{s}": "XYZ"},
        )
        out[f"upper_arm_{s}"] = ScaleMeasurement(((f"{S}SHO", f"{S}ELB"),), {f"humerus_{s}": "XYZ"})
        out[f"forearm_{s}"] = ScaleMeasurement(((f"{S}ELB", f"{S}WRA"), (f"{S}ELB", f"{S}WRB")), {f"forearm_{s}": "XYZ"})
    return out


#: Scaling measurements for the built-in model (measurement name -> marker pairs and bodies scaled).
SCALE_MEASUREMENTS: dict[str, ScaleMeasurement] = _measurements()


def measurement_set(measurements: dict[str, ScaleMeasurement] | None = None):
    """Build an ``opensim.MeasurementSet`` from :data:`SCALE_MEASUREMENTS` (or ``measurements``)."""
    import opensim as osim

    mset = osim.MeasurementSet()
    for name, spec in (measurements or SCALE_MEASUREMENTS).items():
        meas = osim.Measurement()
        meas.setName(name)
        meas.setApply(True)
        for a, b in spec.marker_pairs:
            meas.getMarkerPairSet().cloneAndAppend(osim.MarkerPair(a, b))
        for body, axes in spec.bodies.items():
            bs = osim.BodyScale()
            bs.setName(body)
            bs.setAxisNames(_axes_array(axes))
            meas.getBodyScaleSet().cloneAndAppend(bs)
        mset.cloneAndAppend(meas)
    return mset


def _axes_array(axes: str):
    import opensim as osim

    arr = osim.ArrayStr()
    for a in axes:
        arr.append(a)
    return arr


def write_measurement_set(out_xml: str | Path, measurements: dict[str, ScaleMeasurement] | None = None) -> Path:
    """Write the OpenSim ``MeasurementSet`` XML (for ``ScaleTool``'s ``ModelScaler``) to ``out_xml``."""
    out_xml = Path(out_xml)
    mset = measurement_set(measurements)
    with atomic_path(out_xml) as tmp:
        mset.printToXML(str(tmp))
    return out_xml
