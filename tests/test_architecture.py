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
                ("pickle", "load"), ("pickle", "dump"), ("json", "load"), ("json", "loads"), ("json", "dump")}
FORMAT_METHODS = {"to_csv", "read_csv"}
#: Packages and the library packages each may import (besides the shared basics at the root).
BASICS = {"atomic", "config", "errors", "frames", "jobs", "provenance", "settings", "subjects"}
#: Root modules above the stages (entry points), and what they may import besides the basics.
ENTRIES = {"run": {"io"}}
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
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"relative import at line {node.lineno}: the package imports absolutely"
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
    assert not offences, "file formats outside gaitmimic/io/: " + "; ".join(offences)


def test_one_reader_and_writer_per_text_format():
    """One TRC reader (io/trc.py) and one MOT/STO reader (io/mot.py): no other module parses them."""
    for marker, owner in (("PathFileType", "io/trc.py"), ("endheader", "io/mot.py")):
        holders = [_rel(p) for p in SOURCES if marker in p.read_text()]
        assert holders == [owner], f"{marker!r} appears in {holders}"


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_imports_run_one_way(path):
    parts = _rel(path).split("/")
    package = parts[0] if len(parts) > 1 else ENTRIES.get(path.stem) and path.stem
    for name in _imported(_tree(path)):
        assert not name.split(".")[0] == "snakemake", f"{_rel(path)} imports Snakemake"
        bits = name.split(".")
        if bits[0] != "gaitmimic" or len(bits) < 2:
            continue
        target = bits[1]
        if package is None:  # a shared basic: only other basics
            assert target in BASICS, f"{_rel(path)} (a shared basic) imports gaitmimic.{target}"
        elif target != package and target not in BASICS:
            assert target in {**ALLOWED, **ENTRIES}[package], f"{_rel(path)} imports gaitmimic.{target}"


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
NOT_SETTINGS = {("sim/render.py", "fps"),                   # imageio's metadata of a written video
                ("markers/marker_sets.py", "markers")}      # a marker-set table's own section, not the config's


def _is_literal(node: ast.AST) -> bool:
    """A value written in the source (a number, string, list, dict, ...), or float("nan")."""
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"


def _setting_read(call: ast.Call) -> str | None:
    """The key read by ``x.get("key", ...)`` or ``getattr(x, "key", ...)``; None for any other call."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "get" and call.args:
        key = call.args[0]
    elif isinstance(call.func, ast.Name) and call.func.id == "getattr" and len(call.args) >= 2:
        key = call.args[1]
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def test_no_defaults_for_settings_outside_the_schema():
    keys = _schema_keys()
    offences = []
    for path in SOURCES:
        tree = _tree(path)
        for node in tree.body:  # module-level defaults tables
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and ("DEFAULT" in t.id or t.id.endswith("_CFG")):
                    offences.append(f"{_rel(path)}:{node.lineno} {t.id}")
        for node in ast.walk(tree):  # .get("setting", literal), getattr(x, "setting", literal), .get("setting") or literal
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and _is_literal(node.values[-1]):
                calls = [v for v in node.values[:-1] if isinstance(v, ast.Call) and len(v.args) == 1]
                keys_read = [_setting_read(c) for c in calls]
            elif isinstance(node, ast.Call) and len(node.args) >= 2 and _is_literal(node.args[-1]):
                keys_read = [_setting_read(node)]
            else:
                continue
            for key in keys_read:
                if key in keys and (_rel(path), key) not in NOT_SETTINGS:
                    offences.append(f"{_rel(path)}:{node.lineno} fallback for {key!r}")
    assert not offences, "defaults outside the schema: " + "; ".join(offences)


def test_mujoco_gl_is_set_in_one_place():
    holders = [_rel(p) for p in SOURCES if "MUJOCO_GL" in p.read_text() and "environ" in p.read_text()]
    assert holders == ["__init__.py"], holders


def test_no_import_fallbacks_for_the_package_s_own_modules():
    offences = []
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            caught = [n for h in node.handlers for n in ([h.type] if not isinstance(h.type, ast.Tuple) else h.type.elts)] \
                if isinstance(node, ast.Try) else []
            if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in caught):
                if any(n.startswith("gaitmimic") for n in _imported(ast.Module(body=node.body, type_ignores=[]))):
                    offences.append(f"{_rel(path)}:{node.lineno}")
    assert not offences, offences


def test_docstrings_cite_only_what_exists():
    for path in SOURCES:
        text = path.read_text()
        assert "INTERFACES.md" not in text, _rel(path)
        assert "events stage" not in text, f"{_rel(path)}: gait events are written by the marker stage"


@pytest.mark.parametrize("script", sorted((PACKAGE.parent / "workflow_scripts").glob("*.py")), ids=lambda p: p.name)
def test_every_workflow_script_runs_inside_the_job_frame(script):
    """So that every failing job ends its log and stderr with its one-line message (gaitmimic.jobs)."""
    tree = _tree(script)
    withs = [node for node in tree.body if isinstance(node, ast.With)]
    assert len(withs) == 1 and ast.unparse(withs[0].items[0].context_expr).startswith("job(snakemake"), script.name
    others = [node for node in tree.body if not isinstance(node, (ast.With, ast.ImportFrom, ast.Expr))]
    assert not others, f"{script.name}: statements outside the job frame"
