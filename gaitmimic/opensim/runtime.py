"""Running OpenSim safely: numeric locale ``C``, OpenSim's log into our log file, checked model loading.

OpenSim parses and prints numbers through the C library; under a locale with a decimal comma
(de_DE, fr_FR) setup files are misread silently, so every entry point forces ``LC_NUMERIC=C``.
"""

from __future__ import annotations

import contextlib
import locale
import os
import tempfile
from pathlib import Path
from typing import Iterator

from gaitmimic.errors import InputError


def force_c_locale() -> None:
    """Make number parsing/printing locale-independent (OpenSim needs '.' as decimal mark)."""
    os.environ["LC_NUMERIC"] = "C"
    locale.setlocale(locale.LC_NUMERIC, "C")


def import_opensim():
    """Import ``opensim`` with the C numeric locale in force."""
    force_c_locale()
    import opensim  # noqa: PLC0415  (heavy import, only where needed)

    return opensim


@contextlib.contextmanager
def opensim_log(log_file: str | Path | None, level: str = "info") -> Iterator[None]:
    """Send OpenSim's own log (C++ side, not Python ``logging``) to ``log_file`` while in the block.

    With ``log_file=None`` OpenSim logs to the console only. The console sink is left on: under
    Snakemake the adapter script has already pointed stdout/stderr at the rule's log.
    """
    osim = import_opensim()
    osim.Logger.removeFileSink()          # the default sink would write ./opensim.log
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        osim.Logger.addFileSink(str(log_file))
    osim.Logger.setLevelString(level)
    try:
        yield
    finally:
        osim.Logger.removeFileSink()


@contextlib.contextmanager
def work_dir(prefix: str = "gaitmimic_opensim_") -> Iterator[Path]:
    """A scratch folder for setup files and intermediate results, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def check_model_file(path: str | Path) -> Path:
    """Raise :class:`InputError` unless ``path`` is an existing OpenSim model (.osim) file.

    Checked before OpenSim sees the file: OpenSim would otherwise print a parser error and
    return an empty model, or abort.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the model file does not exist", "set `model.generic` to an existing .osim file or to `builtin`")
    head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    if "<OpenSimDocument" not in head or "<Model" not in path.read_text(errors="replace"):
        raise InputError(path, "this is not an OpenSim model (no <OpenSimDocument> with a <Model> element)",
                         "point `model.generic` at a .osim model file, e.g. gait2392_simbody.osim")
    return path


def load_model(path: str | Path):
    """Load an OpenSim model after :func:`check_model_file`; OpenSim's own failure becomes an InputError."""
    osim = import_opensim()
    path = check_model_file(path)
    try:
        model = osim.Model(str(path))
        model.initSystem()
    except Exception as exc:  # OpenSim raises RuntimeError subclasses with its parser message
        raise InputError(path, f"OpenSim could not load this model ({exc})", "open it in the OpenSim GUI and fix the reported problem") from exc
    return model
