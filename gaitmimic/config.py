"""Configuration validation: `config.yaml` and per-subject `subject.yaml` against JSON-Schema.

Errors name the file and the offending key (``markers.filter.cutoff_hz``) so a wrong setting is
found in seconds, and defaults declared in the schema are filled in.
"""

from __future__ import annotations

import copy
import functools
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from gaitmimic.errors import InputError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))  # never the schema's own object
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """Load ``gaitmimic/schemas/<name>.schema.yaml`` once per process (shared: do not modify it)."""
    return yaml.load((SCHEMA_DIR / f"{name}.schema.yaml").read_text(), Loader=_YAML_LOADER)


#: Strings read as the scalar type the schema asks for (Snakemake hands nested `--config` values over as text).
_FROM_TEXT = {
    "integer": lambda t: int(t.strip()),
    "number": lambda t: _finite(float(t.strip())),
    "boolean": lambda t: {"true": True, "false": False}[t.strip().lower()],
    "null": lambda t: {"null": None, "none": None, "~": None}[t.strip().lower()],
}


def _finite(x: float) -> float:
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return x


def _typed(text: str, types: list[str]):
    """``text`` as the first of ``types`` it reads as; the text itself when none does."""
    for name in types:
        try:
            return _FROM_TEXT[name](text)
        except (KeyError, ValueError):
            continue
    return text


def _coerce_text(data: dict[str, Any], schema: dict) -> None:
    """Replace (in place) each string that the schema wants as a number, a boolean or null by that value:
    ``--config 'train={"total_steps": 300000}'`` arrives as the text '300000'. A text that is no such
    value is left for the validation to report."""
    for _ in range(100):  # each pass fixes every such error it finds; a fixed value can uncover nested ones
        changed = False
        for err in _Validator(schema).iter_errors(data):
            if err.validator != "type" or not isinstance(err.instance, str) or not err.absolute_path:
                continue
            wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
            value = _typed(err.instance, [t for t in ("integer", "number", "boolean", "null") if t in wanted])
            if value is err.instance:
                continue
            *parents, key = err.absolute_path
            holder = data
            for part in parents:
                holder = holder[part]
            holder[key] = value
            changed = True
        if not changed:
            return


def validate(data: dict[str, Any], schema: dict, source: str | Path) -> dict[str, Any]:
    """Validate ``data`` in place (filling schema defaults) or raise :class:`InputError`.

    Strings that read as the number, boolean or null the schema asks for are converted first (command-line
    values). Every violation is listed with its dotted key path.
    """
    _coerce_text(data, schema)
    errors = sorted(_Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
            lines.append(f"key '{key}': {err.message}")
        raise InputError(
            source,
            "invalid settings: " + "; ".join(lines),
            "correct or remove these keys (every key is documented in config.yaml)",
        )
    return data


#: Keys renamed so that they say which way they map: {(section or None, old name): new name}. The old
#: names are still read (0.2 and 0.3), with a deprecation message; 0.4 drops them.
RENAMED_KEYS = {("model", "marker_map"): "model_to_data_markers", (None, "marker_map"): "lab_to_model_markers"}


def _rename_deprecated(data: dict[str, Any], section: str | None, source: str | Path) -> None:
    """Move a deprecated key of ``data`` (in place) to its new name, with a FutureWarning naming the file."""
    for (where, old), new in RENAMED_KEYS.items():
        if where != section or old not in data:
            continue
        value = data.pop(old)
        if value is None or value == {}:
            continue  # nothing set under the old name
        if data.get(new) not in (None, {}):
            raise InputError(source, f"both `{old}` (the old name) and `{new}` are set",
                             f"keep only `{new}`")
        warnings.warn(f"{source}: `{old}` is now called `{new}`; the old name is read until 0.4. "
                      f"Fix: rename the key", FutureWarning, stacklevel=3)
        data[new] = value


#: Keys that 0.3 removed, with what replaces them: {(section, key): fix}.
REMOVED_KEYS = {
    ("train", "vec_env"): "remove it: the training humanoids always run in task cores over shared-memory "
                          "worker processes, one per thread given to the job",
    ("train", "envs_per_worker"): "set train.n_envs instead, the total number of training humanoids "
                                  "(it was threads x envs_per_worker: 16 on 2 threads)",
}


def validate_config(config: dict[str, Any], source: str | Path = "config.yaml") -> dict[str, Any]:
    """Validate the workflow configuration against ``gaitmimic/schemas/config.schema.yaml`` (in place,
    filling the schema's defaults; deprecated key names are moved to their new names first, removed keys
    are refused with what replaces them)."""
    if isinstance(config.get("model"), dict):
        _rename_deprecated(config["model"], "model", source)
    for (section, key), fix in REMOVED_KEYS.items():
        if isinstance(config.get(section), dict) and key in config[section]:
            raise InputError(source, f"`{section}.{key}` was removed in 0.3", fix)
    return validate(config, load_schema("config"), source)


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return "" if mark is None else f" (line {mark.line + 1}, column {mark.column + 1})"


def load_subject_yaml(path: str | Path) -> dict[str, Any]:
    """Read and validate an optional ``data/<subject>/subject.yaml``; a missing file gives ``{}``."""
    path = Path(path)
    if not path.exists():
        return validate({}, load_schema("subject"), path)
    try:
        with open(path) as f:
            data = yaml.load(f, Loader=_YAML_LOADER) or {}
    except yaml.constructor.ConstructorError as exc:
        # Valid YAML with a tag such as !!python/object: the safe loader refuses it (a tag could run code).
        tag = f" {exc.problem.split('tag ', 1)[-1]}" if exc.problem and "tag" in exc.problem else ""
        raise InputError(path, f"uses the YAML tag{tag}{_where(exc)}, which is refused: a tag could build Python objects "
                               "or run code", "remove the tag and write plain values (numbers, strings, lists)") from exc
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML{_where(exc)} ({getattr(exc, 'problem', None) or exc})",
                         "fix the YAML syntax") from exc
    if not isinstance(data, dict):
        raise InputError(path, "expected a mapping of settings", "write `key: value` lines, e.g. `mass_kg: 70`")
    _rename_deprecated(data, None, path)
    return validate(data, load_schema("subject"), path)
