"""The Vicon Plug-in Gait full-body marker set on the built-in model, and the pairs that scale it.

``PIG_MARKERS`` lists every Plug-in Gait marker (``ANATOMICAL_MARKERS`` the landmarks of anatomical sets
that Plug-in Gait lacks, ``MODEL_MARKERS`` both): the body it rides on, whether its location is ``fixed`` during
OpenSim's marker placement (bony landmarks: True; wand and skin markers whose placement varies between
sessions: False, so ScaleTool moves them onto the subject's static trial), and the landmark. They are read
from the marker-set tables' ``markers`` sections (gaitmimic/markers/sets/plugin_gait.yaml, anatomical.yaml).
The locations for a given height are in :func:`gaitmimic.opensim.model.layout.build_layout`.

``SCALE_MEASUREMENTS`` maps each scaling measurement to its marker pairs and to the bodies (and axes)
its scale factor applies to; :func:`write_measurement_set` turns it into an OpenSim ``MeasurementSet``
XML file for the ScaleTool's ``ModelScaler``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gaitmimic.atomic import atomic_path
from gaitmimic.markers.marker_sets import MARKER_SETS, MarkerSpec


#: Plug-in Gait full-body markers on the built-in model (name -> body, fixed flag, landmark): the
#: ``markers`` section of the Plug-in Gait table (gaitmimic/markers/sets/plugin_gait.yaml).
PIG_MARKERS: dict[str, MarkerSpec] = dict(MARKER_SETS["plugin_gait"].markers)

#: The anatomical landmarks that Plug-in Gait lacks (the ``markers`` section of the anatomical table; medial
#: knee and ankle markers are Plug-in Gait's optional ones).
ANATOMICAL_MARKERS: dict[str, MarkerSpec] = {n: s for n, s in MARKER_SETS["anatomical"].markers.items()
                                             if n not in PIG_MARKERS}

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
