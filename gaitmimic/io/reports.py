"""The JSON reports and tables passed between jobs: ``_markers.json``, ``scale_report.json``,
``_ik_summary.json``, ``_retarget.json``, ``train_info.json``, ``metrics.json``; read and written
here only (written atomically, read with a clear error when missing or broken)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gaitmimic.atomic import write_text
from gaitmimic.errors import InputError

__all__ = ["read_json", "write_json"]


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
