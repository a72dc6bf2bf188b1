"""The layout rules of docs/architecture.md, checked on the source (nothing is imported or run).

- Every file passed between jobs is read and written by gaitmimic/io/ only (one owner per format).
- Stage packages import one way; the library never imports Snakemake.
- The schema is the one source of defaults: no Python defaults tables, no `.get(setting, literal)`.
- MUJOCO_GL is set in one place; no try/except ImportError around the package's own modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

PACKAGE = Path(__file__).resolve().parents[1] / "gaitmimic"
SOURCES = sorted(PACKAGE.rglob("*.py"))

#: Calls that read or write a file format; only gaitmimic/io/ may make them.
FORMAT_CALLS = {("np", "load"), ("np", "save"), ("np", "savez"), ("np", "savez_compressed"), ("numpy", "load"),
                ("pd", "read_csv"), ("pandas", "read_csv"), ("pickle", "load"), ("pickle", "dump"),
                ("json", "load"), ("json", "dump")}
FORMAT_METHODS = {"to_csv", "read_csv"}
#: Packages and the library packages each may import (besides the shared basics at the root).
BASICS = {"atomic", "config", "errors", "frames", "provenance", "settings", "subjects"}
ALLOWED = {
    "io": set(),
    "markers": {"io"},
    "opensim": {"io", "markers"},
    "sim": {"io"},
    "retarget": {"io", "markers", "opensim", "sim"},
    "task": {"io", "sim"},
    "train": {"io", "sim", "task"},
    "evaluate": {"io", "sim", "task", "train"},
    "demo": {"io", "markers", "opensim"},
}


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_file_formats_are_read_and_written_only_in_io():
    offences = []
    for path in SOURCES:
        if _rel(path).startswith("io/"):
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value.id if isinstance(node.func.value, ast.Name) else None
                if (owner, node.func.attr) in FORMAT_CALLS or node.func.attr in FORMAT_METHODS:
                    offences.append(f"{_rel(path)}:{node.lineno} {owner}.{node.func.attr}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    node.value.startswith("PathFileType") or node.value.strip() == "endheader"):
                offences.append(f"{_rel(path)}:{node.lineno} writes a TRC/MOT header by hand")
    assert not offences, "file formats outside gaitmimic/io/: " + "; ".join(offences)


def test_one_reader_and_writer_per_text_format():
    """One TRC reader (io/trc.py) and one MOT/STO reader (io/mot.py): no other module parses them."""
    for marker, owner in (("PathFileType", "io/trc.py"), ("endheader", "io/mot.py")):
        holders = [_rel(p) for p in SOURCES if marker in p.read_text()]
        assert holders == [owner], f"{marker!r} appears in {holders}"


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_imports_run_one_way(path):
    parts = _rel(path).split("/")
    package = parts[0] if len(parts) > 1 else None
    for name in _imported(_tree(path)):
        assert not name.split(".")[0] == "snakemake", f"{_rel(path)} imports Snakemake"
        bits = name.split(".")
        if bits[0] != "gaitmimic" or len(bits) < 2:
            continue
        target = bits[1]
        if package is None:  # a shared basic: only other basics
            assert target in BASICS, f"{_rel(path)} (a shared basic) imports gaitmimic.{target}"
        elif target != package and target not in BASICS:
            assert target in ALLOWED[package], f"{_rel(path)} imports gaitmimic.{target}"


def _schema_keys() -> set[str]:
    schema = yaml.safe_load((PACKAGE / "schemas" / "config.schema.yaml").read_text())
    keys: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                keys.add(key)
                walk(sub)

    walk(schema)
    return keys


#: `.get(name, literal)` calls whose name is a setting's but whose mapping is not settings.
NOT_SETTINGS = {("sim/render.py", "fps")}  # imageio's metadata of a written video


def test_no_defaults_for_settings_outside_the_schema():
    keys = _schema_keys()
    offences = []
    for path in SOURCES:
        tree = _tree(path)
        for node in tree.body:  # module-level defaults tables
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and "DEFAULTS" in t.id or isinstance(t, ast.Name) and t.id.endswith("_CFG"):
                    offences.append(f"{_rel(path)}:{node.lineno} {t.id}")
        for node in ast.walk(tree):  # .get("setting", literal) / getattr(x, "setting", literal)
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            is_get = isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            is_getattr = isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) == 3
            key_arg = node.args[0] if is_get else node.args[1] if is_getattr else None
            if (isinstance(key_arg, ast.Constant) and key_arg.value in keys and isinstance(node.args[-1], ast.Constant)
                    and (_rel(path), key_arg.value) not in NOT_SETTINGS):
                offences.append(f"{_rel(path)}:{node.lineno} fallback for {key_arg.value!r}")
    assert not offences, "defaults outside the schema: " + "; ".join(offences)


def test_mujoco_gl_is_set_in_one_place():
    holders = [_rel(p) for p in SOURCES if "MUJOCO_GL" in p.read_text() and "environ" in p.read_text()]
    assert holders == ["__init__.py"], holders


def test_no_import_fallbacks_for_the_package_s_own_modules():
    offences = []
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Try) and any(
                    isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                    for h in node.handlers):
                if any(n.startswith("gaitmimic") for n in _imported(ast.Module(body=node.body, type_ignores=[]))):
                    offences.append(f"{_rel(path)}:{node.lineno}")
    assert not offences, offences


def test_docstrings_cite_only_what_exists():
    for path in SOURCES:
        text = path.read_text()
        assert "INTERFACES.md" not in text, _rel(path)
        assert "events stage" not in text, f"{_rel(path)}: gait events are written by the marker stage"
