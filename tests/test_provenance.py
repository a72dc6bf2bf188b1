"""Code versions from the import graph (gaitmimic.provenance), on a small package made for the test."""

from __future__ import annotations

from pathlib import Path

from gaitmimic.provenance import code_version, imported_modules


def _package(root: Path) -> tuple[Path, Path]:
    pkg = root / "gaitmimic"
    for rel, text in {
        "__init__.py": '"""top"""\n',
        "io/__init__.py": "",
        "io/trc.py": "import numpy\n",
        "markers/__init__.py": "",
        "markers/stage.py": "from gaitmimic.io import trc\n\n\ndef run():\n    from . import gaps\n",
        "markers/gaps.py": "X = 1\n",
        "train/__init__.py": "",
        "train/vec_env.py": "Y = 2\n",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    script = root / "markers_script.py"
    script.write_text("from gaitmimic.markers.stage import run\n")
    return pkg, script


def test_the_graph_follows_lazy_relative_and_parent_imports(tmp_path):
    pkg, script = _package(tmp_path)
    assert imported_modules(script, pkg) == ["gaitmimic", "gaitmimic.io", "gaitmimic.io.trc", "gaitmimic.markers",
                                             "gaitmimic.markers.gaps", "gaitmimic.markers.stage"]


def test_editing_an_imported_module_changes_the_version_and_others_do_not(tmp_path):
    pkg, script = _package(tmp_path)
    before = code_version(script, pkg)
    (pkg / "train" / "vec_env.py").write_text("Y = 3  # edited\n")  # not imported by the script
    assert code_version(script, pkg) == before
    (pkg / "markers" / "gaps.py").write_text("X = 2  # edited\n")  # imported lazily, relatively
    assert code_version(script, pkg) != before
    (pkg / "markers" / "gaps.py").write_text("X = 1\n")
    assert code_version(script, pkg) == before, "the version is of the content, not of file times"
    (pkg / "markers" / "stage.py").write_text("from gaitmimic.io import trc\nfrom gaitmimic.train import vec_env\n")
    assert "gaitmimic.train.vec_env" in imported_modules(script, pkg), "a new import joins the graph"
