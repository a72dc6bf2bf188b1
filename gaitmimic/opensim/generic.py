"""The generic (unscaled) model and how its markers meet the data: built-in or user model, marker map.

The ``model:`` settings (:func:`gaitmimic.settings.section` ``("model", ...)``):

* ``generic``: ``builtin`` or a path to a user ``.osim`` (gait2392, gait2354, Rajagopal, ...);
* ``marker_set``: optional marker set XML loaded onto the user model (replaces its markers);
* ``model_to_data_markers``: optional map *model marker -> data marker* (or list of data markers whose
  mean is used), a built-in map's name, or a YAML file holding such a mapping; with a map, only the
  mapped model markers are used;
* ``optional_markers``: model markers that may be absent from a recording (dropped with a warning);
  any other absent marker is an error, so a typo in a marker set is caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gaitmimic.errors import InputError
from gaitmimic.opensim import marker_sets
from gaitmimic.opensim.model.builtin import build_model
from gaitmimic.opensim.runtime import check_model_file, import_opensim, load_model

BUILTIN = "builtin"


@dataclass
class GenericModel:
    osim: Path                          # prepared generic model (markers included)
    marker_set: str                     # opensim_gait2354 | plugin_gait | custom
    model_to_data_markers: dict[str, Any] | None   # model marker -> data marker(s)
    optional_markers: set[str] = field(default_factory=set)
    measurements: dict[str, Any] | None = None   # defaults that go with a built-in map
    builtin: bool = False


def resolve_model_to_data_markers(model: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The model-marker -> data-marker map of the ``model`` settings, and the built-in map's name if one was named."""
    raw = model.model_to_data_markers
    if not raw:
        return None, None
    if isinstance(raw, dict):
        return dict(raw), None
    if raw in marker_sets.BUILTIN_MAPS:
        return dict(marker_sets.BUILTIN_MAPS[raw]), raw
    path = Path(raw)
    if not path.is_file():
        raise InputError(path, "the marker map is neither a built-in map name nor an existing YAML file",
                         f"use one of {sorted(marker_sets.BUILTIN_MAPS)} or a YAML mapping `model_marker: data_marker`")
    with open(path) as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise InputError(path, "the marker map must be a mapping", "write lines `R.ASIS: RASI`")
    return data, None


def _load_marker_set(osim, model, path: Path) -> None:
    """Replace the markers of ``model`` by those of the marker set XML ``path``."""
    if not path.is_file() or "<MarkerSet" not in path.read_text(errors="replace"):
        raise InputError(path, "not an OpenSim marker set file (no <MarkerSet>)",
                         "set `model.marker_set` to a marker set XML, e.g. gait2392_Scale_MarkerSet.xml")
    try:
        marker_set = osim.MarkerSet(str(path))
    except Exception as exc:
        raise InputError(path, f"OpenSim could not read this marker set ({exc})", "fix the XML") from exc
    existing = model.updMarkerSet()
    for name in model_marker_names(model):
        existing.remove(existing.get(name))
    for i in range(marker_set.getSize()):
        model.addMarker(marker_set.get(i).clone())
    model.finalizeConnections()


def prepare_generic(model: Any, height_m: float, mass_kg: float, work: Path) -> GenericModel:
    """Write the generic model of the ``model`` settings (with its marker set) into ``work`` and describe its markers."""
    osim = import_opensim()
    model_to_data_markers, map_name = resolve_model_to_data_markers(model)
    optional = set(model.optional_markers)
    if map_name:
        optional |= set(marker_sets.BUILTIN_MAP_OPTIONAL[map_name])
    out = work / "generic.osim"
    is_builtin = model.generic == BUILTIN
    if is_builtin:
        build_model(height_m, mass_kg, out)
        generic = load_model(out)
    else:
        generic = load_model(check_model_file(model.generic))
        if model.marker_set:
            _load_marker_set(osim, generic, Path(model.marker_set))
        generic.printToXML(str(out))
    names = model_marker_names(generic)
    if not names:
        raise InputError(model.generic, "the model has no markers", "set `model.marker_set` to its marker set XML")
    measurements = marker_sets.BUILTIN_MAP_MEASUREMENTS[map_name] if map_name else None
    return GenericModel(out, marker_sets.model_marker_set(names), model_to_data_markers, optional, measurements, is_builtin)


def model_marker_names(model) -> list[str]:
    ms = model.getMarkerSet()
    return [ms.get(i).getName() for i in range(ms.getSize())]


def model_marker_bodies(model) -> dict[str, str]:
    """{marker: the name of the body it rides on} of a model's marker set."""
    ms = model.getMarkerSet()
    return {ms.get(i).getName(): ms.get(i).getParentFrameName().split("/")[-1] for i in range(ms.getSize())}


def model_coordinate_names(model) -> set[str]:
    cs = model.getCoordinateSet()
    return {cs.get(i).getName() for i in range(cs.getSize())}


def remove_markers(osim_in: Path, osim_out: Path, keep: set[str], unfix: bool = False) -> None:
    """Write a copy of the model holding only the markers in ``keep``; ``unfix``: let placement move all."""
    model = load_model(osim_in)
    ms = model.updMarkerSet()
    for name in [n for n in model_marker_names(model) if n not in keep]:
        ms.remove(ms.get(name))
    if unfix:
        for i in range(ms.getSize()):
            ms.get(i).set_fixed(False)
    model.finalizeConnections()
    model.printToXML(str(osim_out))
