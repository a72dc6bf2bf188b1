"""Built-in full-body skeletal OpenSim model: de Leva anthropometry, gait2392 coordinates, Plug-in Gait markers.

Public API:
- :func:`build_model` (height_m, mass_kg, out_osim) -> Path of the written ``.osim``
- :func:`segment_lengths` (height_m) -> {segment: length_m} (de Leva 1996)
- :data:`PIG_MARKERS`, :data:`SCALE_MEASUREMENTS`, :func:`write_measurement_set`
- :func:`build_layout` (joint/marker geometry without OpenSim), :func:`coordinate_names`
"""

from gaitmimic.opensim.model.anthropometry import DE_LEVA_MALE, segment_inertia, segment_lengths
from gaitmimic.opensim.model.builtin import build_model, build_osim_model, coordinate_names
from gaitmimic.opensim.model.layout import build_layout
from gaitmimic.opensim.model.plugin_gait_markers import (
    PIG_MARKERS,
    SCALE_MEASUREMENTS,
    MarkerSpec,
    ScaleMeasurement,
    measurement_set,
    write_measurement_set,
)

__all__ = [
    "DE_LEVA_MALE",
    "PIG_MARKERS",
    "SCALE_MEASUREMENTS",
    "MarkerSpec",
    "ScaleMeasurement",
    "build_layout",
    "build_model",
    "build_osim_model",
    "coordinate_names",
    "measurement_set",
    "segment_inertia",
    "segment_lengths",
    "write_measurement_set",
]
