"""What a run says about each subject (summary.subject_status) and how make run passes the user's settings on."""

from __future__ import annotations

import os
import time

from gaitmimic.evaluate.summary import subject_status
from gaitmimic.jobs import ERROR_MARK, START_MARK
from gaitmimic.run import _split_config_args


STAGES = ("markers", "scale", "ik", "retarget", "train", "evaluate")


def _subject(tmp_path):
    d = tmp_path / "s1"
    outputs = {stage: [str(d / stage / "out")] for stage in STAGES}
    logs = {stage: [str(d / "logs" / f"{stage}.log")] for stage in outputs}
    (d / "logs").mkdir(parents=True)
    return d, outputs, logs


def _jobs(outputs, logs, extra=None):
    """One job per stage (its log, its outputs), plus ``extra`` {stage: (log, outputs)}."""
    jobs = {stage: [(logs[stage][0], outputs[stage])] for stage in STAGES}
    for stage, job in (extra or {}).items():
        jobs[stage].append(job)
    return jobs


def _write(path, text, mtime=None):
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_failed_now_crashed_stale_and_not_finished(tmp_path):
    d, outputs, logs = _subject(tmp_path)
    since = time.time() - 10
    for stage in ("markers", "scale"):
        _write(outputs[stage][0], "x")
    # an old failure of a job that has since succeeded, in an earlier run: not this run's
    _write(logs["markers"][0], f"{START_MARK}markers\n{ERROR_MARK}markers (subject=s1): old. Fix: x\n", since - 100)
    st = subject_status("s1", d, _jobs(outputs, logs), since)
    assert st.status == "not finished" and st.stage == "ik"
    # ik failed in this run with its line; output printed after it does not hide it
    _write(logs["ik"][0], f"{START_MARK}ik\nINFO x\n{ERROR_MARK}ik (subject=s1, trial=w): w.trc: bad. Fix: y\nC++ bye\n")
    st = subject_status("s1", d, _jobs(outputs, logs), since)
    assert (st.status, st.stage, st.message) == ("failed", "ik", "ik (subject=s1, trial=w): w.trc: bad. Fix: y")
    # a resumed run of the same job that succeeded: its failure line belongs to the run before
    _write(logs["ik"][0], f"{START_MARK}ik\n{ERROR_MARK}ik (subject=s1): bad. Fix: y\n{START_MARK}ik\nINFO done\n")
    _write(outputs["ik"][0], "x")
    _write(logs["retarget"][0], f"{START_MARK}retarget\nINFO working\n")  # killed: no line, outputs missing
    st = subject_status("s1", d, _jobs(outputs, logs), since)
    assert st.status == "failed" and st.stage == "retarget" and "without a message" in st.message
    for stage in ("retarget", "train", "evaluate"):
        _write(outputs[stage][0], "x")
    assert subject_status("s1", d, _jobs(outputs, logs), since).status == "done"
    # a second ik job (ik_vs_lab) not asked for in this run: its output is missing, but no log of it was
    # written now, while the ik job beside it ran; the subject is not finished there, not crashed
    vs_lab = {"ik": (str(d / "logs" / "ik_vs_lab.log"), [str(d / "ik" / "vs_lab.json")])}
    st = subject_status("s1", d, _jobs(outputs, logs, vs_lab), since)
    assert st.status == "not finished" and st.stage == "ik", st
    _write(vs_lab["ik"][0], f"{START_MARK}ik_vs_lab\n")          # it ran now and left no output: a crash
    st = subject_status("s1", d, _jobs(outputs, logs, vs_lab), since)
    assert st.status == "failed" and st.stage == "ik" and "ik_vs_lab.log" in st.message


def test_make_run_merges_the_users_config_options():
    other, files, items = _split_config_args(["-s", "Snakefile", "--configfile", "a.yaml", "b.yaml", "--config",
                                              "data_dir=/lab", "results_dir=/out", "--keep-going", "--config=x=1"])
    assert other == ["-s", "Snakefile", "--keep-going"]
    assert files == ["a.yaml", "b.yaml"] and items == ["data_dir=/lab", "results_dir=/out", "x=1"]
