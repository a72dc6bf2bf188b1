"""The JSON reports and CSV tables passed between jobs or to the user: ``_markers.json``,
``scale_report.json``, ``_ik_summary.json``, ``_retarget.json``, ``metrics.json`` (JSON) and
``metrics.csv``, ``summary.csv`` (tables); read and written here only (written atomically, read with
a clear error when missing or broken)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gaitmimic.atomic import atomic_path, write_text
from gaitmimic.errors import InputError

__all__ = ["read_json", "read_table", "write_json", "write_table"]


def write_json(path: str | Path, data: Any, indent: int | None = 2) -> Path:
    """Write ``data`` as JSON (atomically), ending with a newline."""
    write_text(path, json.dumps(data, indent=indent, default=str) + "\n")
    return Path(path)


def read_json(path: str | Path) -> Any:
    """Read a JSON report; :class:`InputError` naming the file when it is missing or not JSON."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "report not found", "run the stage that writes it first")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({exc})", "delete it and rerun the stage that writes it") from exc


def write_table(path: str | Path, table, float_format: str = "%.4g") -> Path:
    """Write a pandas DataFrame as CSV (atomically), without the index, numbers to 4 significant digits."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format=float_format)
    return Path(path)


def read_table(path: str | Path, columns: tuple[str, ...] = (), text: tuple[str, ...] = ()):
    """Read a CSV table as a pandas DataFrame; :class:`InputError` naming the file when it is missing,
    not CSV, or lacks one of ``columns``. ``text``: columns read as text (a subject named 01 stays "01")."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "table not found", "run the stage that writes it first")
    try:
        table = pd.read_csv(path, dtype={c: str for c in text})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable CSV table ({exc})", "delete it and rerun the stage that writes it") from exc
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(path, f"the table lacks the columns {missing}", "delete it and rerun the stage that writes it")
    return table
