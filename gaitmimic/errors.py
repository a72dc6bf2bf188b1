"""Errors raised for bad input: each names the file, the problem and the fix."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input data or configuration.

    The message always reads ``<file>: <problem>. Fix: <fix>`` so a user knows where to look.
    """

    def __init__(self, path: str | Path | None, problem: str, fix: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        self.fix = fix
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}. Fix: {fix}")
