"""The frame of every workflow job: its log, and a failure that ends with one line (issue 20)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from gaitmimic.jobs import ERROR_MARK, failure_line, failure_lines

from workflow_helpers import REPO

SCRIPT = """
import sys, types
sys.path.insert(0, {repo!r})
from gaitmimic.jobs import job
from gaitmimic.errors import InputError
smk = types.SimpleNamespace(log=[{log!r}], rule="markers", wildcards={{"subject": "s1", "trial": "walk"}})
with job(smk) as log:
    log.info("reading the trial")
    {body}
"""


def _run(tmp_path, body):
    log = tmp_path / "logs" / "markers" / "walk.log"
    code = SCRIPT.format(repo=str(REPO), log=str(log), body=body)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True)
    return proc, log


def test_bad_input_ends_log_and_stderr_with_one_line_and_no_traceback(tmp_path):
    proc, log = _run(tmp_path, 'raise InputError("data/s1/walk.c3d", "not a C3D file", "re-export it")')
    assert proc.returncode == 1
    line = "gaitmimic error in markers (subject=s1, trial=walk): data/s1/walk.c3d: not a C3D file. Fix: re-export it"
    assert proc.stderr.strip().splitlines()[-1] == line
    text = log.read_text()
    assert text.strip().splitlines()[-1] == line and "reading the trial" in text and "Traceback" not in text
    assert failure_line(log) == line


def test_a_bug_keeps_its_traceback_in_the_log_above_the_line(tmp_path):
    proc, log = _run(tmp_path, "[][1]")
    assert proc.returncode == 1
    lines = log.read_text().strip().splitlines()
    assert "Traceback" in log.read_text() and lines[-2].startswith("IndexError")
    assert lines[-1] == f"{ERROR_MARK}markers (subject=s1, trial=walk): IndexError: list index out of range"
    assert proc.stderr.strip().splitlines()[-1] == lines[-1]


def test_success_leaves_no_failure_line(tmp_path):
    proc, log = _run(tmp_path, "pass")
    assert proc.returncode == 0 and failure_line(log) is None
    assert failure_line(tmp_path / "absent.log") is None


def test_failure_lines_are_this_runs_only(tmp_path):
    _, log = _run(tmp_path, 'raise InputError(None, "bad", "fix")')
    later = log.stat().st_mtime + 1
    assert failure_lines(tmp_path, since=0) == [failure_line(log)]
    assert failure_lines(tmp_path, since=later) == [], "an older run's failure is not this run's"
