"""Settings: each section of the workflow configuration as a frozen dataclass.

The schema (``gaitmimic/schemas/config.schema.yaml``) is the one source of every default: a section
given as a mapping (from Snakemake's config, a test, a benchmark) is validated against its part of the
schema, the schema's defaults fill what is missing, and the result is a tree of frozen dataclasses::

    from gaitmimic import settings
    markers = settings.section("markers", {"filter": {"cutoff_hz": 8.0}})
    markers.filter.cutoff_hz      # 8.0
    markers.filter.order          # 4, the schema's default
    settings.section("task")      # every default

The dataclasses are made from the schema when this module is imported, one per object of the schema
that lists its keys (``markers.filter`` -> :class:`MarkersFilter`); they live in this module, so they
pickle (training sends the task's settings to its worker processes). A mapping whose keys are the
user's (``scale.marker_weights``, ``task.mimic.residual_rad``) stays a mapping, read-only
(:class:`FrozenDict`); lists become tuples. The library takes these objects and never falls back on
a default of its own.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from gaitmimic.config import load_schema, validate

__all__ = ["FrozenDict", "section", "schema_default", "as_dict", "replace", "SECTIONS"]


class FrozenDict(dict):
    """A read-only dict (a user-keyed table inside the settings)."""

    def _readonly(self, *args, **kwargs):
        raise TypeError("settings are read-only: build new ones with gaitmimic.settings.section(...)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __hash__(self):  # frozen dataclasses holding one stay hashable
        return hash(tuple(sorted(self.items(), key=lambda kv: str(kv[0]))))


def _class_name(path: tuple[str, ...]) -> str:
    return "".join(part.title().replace("_", "") for part in path)


def _is_record(node: dict) -> bool:
    """A schema object whose keys are fixed (a dataclass), not a user-keyed table."""
    return isinstance(node, dict) and "properties" in node and node.get("additionalProperties") is False


_CLASSES: dict[tuple[str, ...], type] = {}


def _make_class(path: tuple[str, ...], node: dict) -> type:
    fields = []
    for key, sub in node["properties"].items():
        if _is_record(sub):
            _make_class(path + (key,), sub)
        fields.append((key, Any))  # schema keys are identifiers (none is a Python keyword)
    cls = dataclasses.make_dataclass(_class_name(path), fields, frozen=True)
    cls.__module__ = __name__  # pickled by name: gaitmimic.settings.<Class>
    cls.__doc__ = f"Settings ``{'.'.join(path)}`` (see config.yaml for each key)."
    globals()[cls.__name__] = cls
    _CLASSES[path] = cls
    return cls


_SCHEMA = load_schema("config")
#: The top-level sections that are records (markers, events, model, scale, ik, retarget, task, train, ...).
SECTIONS = tuple(k for k, v in _SCHEMA["properties"].items() if _is_record(v))
for _name in SECTIONS:
    _make_class((_name,), _SCHEMA["properties"][_name])


def _freeze(value: Any, node: dict | None, path: tuple[str, ...] | None) -> Any:
    """``value`` as settings: a record with a class (``path`` known) -> its dataclass; any other mapping
    (a user-keyed table, or a record inside one, such as a ``scale.measurements`` entry) -> FrozenDict;
    a list -> tuple. ``path`` is None below a user-keyed table."""
    node = node if isinstance(node, dict) else {}
    if isinstance(value, dict):
        if path in _CLASSES:
            return _CLASSES[path](**{key: _freeze(value.get(key), sub, path + (key,))
                                     for key, sub in node["properties"].items()})
        if _is_record(node):
            return FrozenDict({k: _freeze(v, node["properties"].get(k), None) for k, v in value.items()})
        items = node.get("additionalProperties")
        return FrozenDict({k: _freeze(v, items if isinstance(items, dict) else None, None) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        items = node.get("items")
        return tuple(_freeze(v, items if isinstance(items, dict) else None, None) for v in value)
    return value


def section(name: str, given: Any = None, source: str = "config.yaml") -> Any:
    """The settings of section ``name``: ``given`` (a mapping, or settings already) validated, with the
    schema's defaults for every key it leaves out. ``source`` names the file in error messages."""
    if name not in SECTIONS:
        raise KeyError(f"no settings section {name!r}; sections: {', '.join(SECTIONS)}")
    if dataclasses.is_dataclass(given):
        given = as_dict(given)
    node = _SCHEMA["properties"][name]
    data = validate({name: copy.deepcopy(dict(given or {}))}, {"type": "object", "properties": {name: node}},
                    source)[name]
    return _freeze(data, node, (name,))


def schema_default(key: str) -> Any:
    """The schema's default of one setting, ``key`` dotted (``task.mimic.residual_rad``), frozen: for the few
    places that need a default beside the value given (a glob table without its own ``default`` entry)."""
    node: dict = _SCHEMA
    for part in key.split("."):
        node = node["properties"][part]
    return _freeze(copy.deepcopy(node["default"]), node, None)


def as_dict(settings: Any) -> Any:
    """Plain dicts and lists again (for JSON, or to build changed settings with :func:`section`)."""
    if dataclasses.is_dataclass(settings):
        return {f.name: as_dict(getattr(settings, f.name)) for f in dataclasses.fields(settings)}
    if isinstance(settings, dict):
        return {k: as_dict(v) for k, v in settings.items()}
    if isinstance(settings, tuple):
        return [as_dict(v) for v in settings]
    return settings


def _merge(base: dict, changes: dict, node: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        sub = node["properties"].get(key, {}) if _is_record(node) else {}
        if _is_record(sub) and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, sub)
        else:  # a value, or a user-keyed table: taken whole
            out[key] = value
    return out


def replace(settings: Any, changes: dict) -> Any:
    """``settings`` (one section) with ``changes`` (a nested mapping) merged in, validated again.

    Records merge key by key; a user-keyed table in ``changes`` (``residual_rad``) replaces the old one whole."""
    name = next(p[0] for p, cls in _CLASSES.items() if len(p) == 1 and isinstance(settings, cls))
    node = _SCHEMA["properties"][name]
    return section(name, _merge(as_dict(settings), changes, node))
