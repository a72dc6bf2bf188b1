"""Code versions derived from the import graph: which of the package's modules a stage runs.

Snakemake does not track the library modules that a workflow script imports. The rules therefore
take, as a param, :func:`code_version` of their script: a hash of the script and of every
``gaitmimic`` module it imports, directly or through other modules (the parent packages'
``__init__`` files included, since importing a module runs them). Editing any of those modules
changes the hash and reruns that stage and its descendants; editing a module the stage never
imports reruns nothing, and a checkout that only changes file times reruns nothing either.

The graph is read from the source with :mod:`ast` (nothing is imported): every ``import`` statement
in a file counts, also one inside a function, so a lazily imported module is part of the version.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

__all__ = ["code_version", "imported_modules", "module_file"]

PACKAGE = "gaitmimic"
PACKAGE_DIR = Path(__file__).resolve().parent


def module_file(name: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The source file of module ``name`` (``gaitmimic.markers.stage``), or None when it is not one."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parents(name: str) -> list[str]:
    """``gaitmimic.a.b`` -> ``[gaitmimic, gaitmimic.a]``: the packages that importing it runs."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _statements(node: ast.AST):
    """Every statement below ``node`` (imports are statements: expressions need not be walked)."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, field, ()) or ():
            yield child
            yield from _statements(child)


def _imports_of(path: Path, own_name: str | None, package_dir: Path) -> frozenset[str]:
    """Package modules named by the import statements of one file (parsed again only when it changes)."""
    stat = path.stat()
    return _parsed_imports(path, stat.st_mtime_ns, stat.st_size, own_name, package_dir)


@functools.lru_cache(maxsize=None)
def _parsed_imports(path: Path, mtime_ns: int, size: int, own_name: str | None, package_dir: Path) -> frozenset[str]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                if own_name is None:
                    continue
                base = own_name.split(".") if is_package else own_name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            for alias in node.names:  # `from gaitmimic.io import trc` imports the module gaitmimic.io.trc
                found.add(f"{module}.{alias.name}")
    return frozenset(name for name in found if module_file(name, package_dir) is not None)


def imported_modules(script: str | Path, package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Every package module that running ``script`` imports (transitively), sorted."""
    package_dir = Path(package_dir).resolve()
    seen: set[str] = set()
    todo = sorted(_imports_of(Path(script).resolve(), None, package_dir))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_parents(name))
        todo.extend(_imports_of(module_file(name, package_dir), name, package_dir))
    return sorted(seen)


def code_version(script: str | Path, package_dir: str | Path = PACKAGE_DIR) -> str:
    """Content hash of ``script`` and of every package module it imports (see the module docstring).

    ``package_dir``: the ``gaitmimic`` folder whose sources count (the workflow passes its own copy,
    so that a workflow run from another checkout hashes that checkout's code).
    """
    script, package_dir = Path(script).resolve(), Path(package_dir).resolve()
    digest = hashlib.sha256(script.read_bytes())
    for name in imported_modules(script, package_dir):
        digest.update(name.encode())
        digest.update(module_file(name, package_dir).read_bytes())
    return digest.hexdigest()[:16]
