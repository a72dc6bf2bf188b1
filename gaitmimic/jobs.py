"""The frame every workflow script runs in: the rule's log, and a failure that ends with one line.

    from gaitmimic.jobs import job
    with job(snakemake):                          # job(snakemake, capture_fds=True): OpenSim's C++ log too
        ...import and call the stage's entry...

Inside the block, Python logging goes to the rule's log (``log_mode="a"`` keeps an earlier run's log,
as training does when it resumes). A failure ends the log, and the job's own stderr, with one line::

    gaitmimic error in markers (subject=s1, trial=walk): data/s1/walk.c3d: not a C3D file .... Fix: ...

after the traceback, which is written only for a bug: bad input (:class:`InputError`) is not one. The job
then exits with status 1. Snakemake prints the job's stderr and, with ``show-failed-logs``, the log after
its own error block; the workflow's ``onerror`` handler lists every failed job's line again at the end of
the run (:func:`failure_lines`), and ``summary.csv`` shows it as the subject's status.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Iterator

from gaitmimic.errors import InputError

#: How a failure line starts: what :func:`failure_line` looks for in a log.
ERROR_MARK = "gaitmimic error in "
#: The first line a job writes to its log (an appended log, as training's, holds one per run).
START_MARK = "gaitmimic job started: "
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _describe(smk) -> str:
    wildcards = ", ".join(f"{k}={v}" for k, v in dict(smk.wildcards.items()).items())
    return f"{smk.rule}" + (f" ({wildcards})" if wildcards else "")


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (an InputError's own text; otherwise the type and the text)."""
    text = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


@contextlib.contextmanager
def job(smk, *, capture_fds: bool = False, log_mode: str = "w") -> Iterator[logging.Logger]:
    """Run one workflow job's body with its log set up; on failure end the log and stderr with one line
    and exit with status 1 (see the module docstring)."""
    log_path = Path(smk.log[0])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, log_mode, buffering=1)
    stderr = os.fdopen(os.dup(2), "w", buffering=1)  # the job's own stderr, kept for the last line
    if capture_fds:  # C++ libraries (OpenSim) print on the file descriptors, not through sys.stderr
        sys.stdout.flush()
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = log
    sys.stderr = log
    print(f"{START_MARK}{_describe(smk)}", file=log, flush=True)
    logging.basicConfig(stream=log, level=logging.INFO, format=_FORMAT, force=True)
    try:
        yield logging.getLogger(f"gaitmimic.{smk.rule}")
    except BaseException as exc:  # noqa: BLE001 (every failure ends with its line; Ctrl-C too)
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        if not isinstance(exc, InputError):
            traceback.print_exc(file=log)
        line = f"{ERROR_MARK}{_describe(smk)}: {one_line(exc)}"
        logging.shutdown()
        print(line, file=log, flush=True)
        print(line, file=stderr, flush=True)
        raise SystemExit(1) from None


def failure_line(log_path: str | Path) -> str | None:
    """The failure line of the job's last run in its log (after its last start line; output printed after
    it, by C++ code shutting down, does not hide it), or None (no log, or that run did not fail)."""
    try:
        with open(log_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(f.tell() - 65536, 0))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = tail.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(START_MARK)]
    found = [line.strip() for line in lines[starts[-1] if starts else 0:] if line.startswith(ERROR_MARK)]
    return found[-1] if found else None


def failure_lines(logs_dir: str | Path, since: float) -> list[str]:
    """Every failure line of the logs under ``logs_dir`` written at or after ``since`` (epoch seconds),
    oldest first: what failed in this run."""
    found = []
    for path in Path(logs_dir).rglob("*.log") if Path(logs_dir).is_dir() else ():
        mtime = path.stat().st_mtime
        line = failure_line(path) if mtime >= since else None
        if line:
            found.append((mtime, line))
    return [line for _, line in sorted(found)]
