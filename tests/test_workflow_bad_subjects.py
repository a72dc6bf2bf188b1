"""A lab's data folder with one good subject and broken ones, run unattended with --keep-going (issue 20).

The good subjects run to the end in one run; every broken one is reported with its one-line message in
the run's output (last) and in summary.csv; nothing is written outside results/<subject>/; fixing the
broken file and rerunning runs only that subject and updates its row.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from workflow_helpers import REPO, planned_jobs, snakemake, write_tiny_config

pytestmark = pytest.mark.workflow
DEMO = REPO / "data" / "demo01"
SKIPPED = {"bad name", "sujet_\u00e9", "broken_yaml", "python_tag", "static_only"}


def write_bts_style_c3d(src, dst):
    """The demo walk as some BTS exports write it: POINT:UNITS and ANALOG:UNITS empty lists, one force
    plate (c3d.org sample 28 has the empty POINT:UNITS)."""
    import ezc3d

    c3d = ezc3d.c3d(str(src))
    prm = c3d["parameters"]
    prm["POINT"]["UNITS"]["value"] = []
    n = c3d["data"]["points"].shape[2]
    prm["ANALOG"]["RATE"]["value"] = [float(prm["POINT"]["RATE"]["value"][0])]
    prm["ANALOG"]["LABELS"]["value"] = ["Fx", "Fy", "Fz", "Mx", "My", "Mz"]
    prm["ANALOG"]["UNITS"]["value"] = []
    c3d["header"]["analogs"]["size"] = 6
    c3d["data"]["analogs"] = np.zeros((1, 6, n))
    c3d.add_parameter("FORCE_PLATFORM", "USED", [1])
    c3d.add_parameter("FORCE_PLATFORM", "TYPE", [2])
    c3d.add_parameter("FORCE_PLATFORM", "CORNERS", np.zeros((3, 4, 1)).tolist())
    c3d.add_parameter("FORCE_PLATFORM", "ORIGIN", [[0.0], [0.0], [-40.0]])
    c3d.add_parameter("FORCE_PLATFORM", "CHANNEL", [[1], [2], [3], [4], [5], [6]])
    c3d.write(str(dst))
    return dst


def _subject(work, name, walk=True):
    folder = work / "data" / name
    folder.mkdir(parents=True)
    shutil.copy(DEMO / "static01.c3d", folder / "static01.c3d")
    if walk:
        shutil.copy(DEMO / "walk01.c3d", folder / "walk01.c3d")
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from gaitmimic.io.c3d import read_c3d
    from gaitmimic.io.trc import write_trc

    work = tmp_path_factory.mktemp("wf_bad")
    write_tiny_config(work)
    _subject(work, "good")
    bts = _subject(work, "bts", walk=False)
    write_bts_style_c3d(DEMO / "walk01.c3d", bts / "walk01.c3d")
    trc = _subject(work, "trc_as_c3d", walk=False)
    write_trc(trc / "walk01.c3d", read_c3d(DEMO / "walk01.c3d"))  # a TRC text file named .c3d
    _subject(work, "bad name")
    _subject(work, "sujet_\u00e9")
    (_subject(work, "broken_yaml") / "subject.yaml").write_text("mass_kg: [70\n")
    marker = work / "tag_executed"
    (_subject(work, "python_tag") / "subject.yaml").write_text(
        f"mass_kg: !!python/object/apply:os.system ['touch {marker}']\n")
    _subject(work, "static_only", walk=False)
    proc = snakemake(work, "--keep-going", check=False)
    return work, proc, marker


def test_good_subjects_finish_in_one_run_and_the_exit_code_says_one_failed(run):
    work, proc, _ = run
    assert proc.returncode != 0, "a failed job still fails the run"
    for subject in ("good", "bts"):  # bts: the empty POINT:UNITS once crashed the marker stage
        for rel in ("eval/metrics.json", "eval/plots/gait_cycle.png", f"eval/{subject}_policy.mp4"):
            assert (work / "results" / subject / rel).stat().st_size > 0, (subject, rel)


def test_every_broken_subject_is_in_the_output_with_its_message_the_failures_last(run):
    work, proc, marker = run
    out = proc.stdout + proc.stderr
    for text in ("bad name: the subject name (the folder's name) has characters other than ASCII",
                 "sujet_\u00e9: the subject name", "broken_yaml/subject.yaml: not valid YAML (line 2, column 1)",
                 "python_tag/subject.yaml: uses the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'",
                 "static_only: subject 'static_only' has no walking trial",
                 "trc_as_c3d/walk01.c3d: not a C3D file (missing the C3D header key byte 0x50): it is an "
                 "OpenSim/Motion Analysis TRC text file named .c3d. Fix: rename it to .trc"):
        assert text in out, text
    assert not marker.exists(), "the Python tag executed nothing"
    tail = out[out.rindex("gaitmimic: what went wrong"):]
    assert "1 job(s) failed:\n  gaitmimic error in markers (subject=trc_as_c3d, trial=walk01): " in tail, tail
    assert f"{len(SKIPPED)} subject(s) left out" in tail
    log = (work / "results" / "trc_as_c3d" / "logs" / "markers" / "walk01.log").read_text().strip()
    assert log.splitlines()[-1].startswith("gaitmimic error in markers (subject=trc_as_c3d, trial=walk01): ")
    assert "Traceback" not in log, "bad data is not a bug: no traceback"


def test_summary_lists_every_subject_with_its_status(run):
    work, _, _ = run
    table = pd.read_csv(work / "results" / "summary.csv").set_index("subject")
    assert set(table.index) == SKIPPED | {"good", "bts", "trc_as_c3d"}
    assert table.loc["good", "status"] == "done" and table.loc["bts", "status"] == "done"
    assert table.loc["good", "tracked_fraction"] >= 0 and np.isfinite(table.loc["good", "joint_rmse_deg"])
    failed = table.loc["trc_as_c3d"]
    assert failed["status"] == "failed" and failed["failed_stage"] == "markers"
    assert "TRC text file named .c3d. Fix: rename it to .trc" in failed["message"]
    assert np.isnan(failed["tracked_fraction"])
    for name in SKIPPED:
        assert table.loc[name, "status"] == "skipped" and "Fix:" in table.loc[name, "message"], name
    assert "python/object/apply" in table.loc["python_tag", "message"]


def test_nothing_is_written_outside_the_subjects_results(run):
    work, _, _ = run
    results = work / "results"
    folders = {p.name for p in results.iterdir() if p.is_dir()} - {"logs"}
    assert folders == {"good", "bts", "trc_as_c3d"}, "no results folder for a subject left out"
    assert {p.name for p in results.iterdir() if p.is_file()} == {"summary.csv", "summary.html", "summary.rst"}
    assert not (results / "trc_as_c3d" / "markers" / "walk01.trc").exists(), "no partial output"
    assert {p.name for p in work.iterdir()} == {"data", "results", "tiny.yaml", ".snakemake"}


def test_fixing_the_file_reruns_only_that_subject_and_updates_its_row(run):
    work, _, _ = run
    folder = work / "data" / "trc_as_c3d"
    shutil.copy(DEMO / "walk01.c3d", folder / "walk01.c3d")  # the trial re-exported as a real C3D
    jobs = planned_jobs(work)
    assert jobs.pop("summary") == 1 and jobs.pop("all") == 1
    assert jobs["markers"] == 1 and jobs["train"] == 1, jobs  # the static trial was fine: not redone
    proc = snakemake(work, "--keep-going", check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(work / "results" / "summary.csv").set_index("subject")
    assert table.loc["trc_as_c3d", "status"] == "done" and np.isfinite(table.loc["trc_as_c3d", "joint_rmse_deg"])
    assert table.loc["python_tag", "status"] == "skipped"
    assert "5 subject(s) left out" in proc.stderr[proc.stderr.rindex("gaitmimic: what went wrong"):]
    # The report's first page: the summary table, finished subjects linked to their results.
    report = work / "results" / "report.html"
    snakemake(work, "--report", str(report))
    page = report.read_text(errors="replace")
    first_page = page[page.index("Subjects"):]
    for name in ("good", "bts", "trc_as_c3d"):  # finished: linked to the subject's results
        assert f"href=\\\"javascript:app.showCategory('{name}')\\\">{name}</a>" in first_page, name
    assert "python_tag</tt>" in first_page and "skipped: " in first_page and "which is refused" in first_page


def test_numbers_typed_on_the_command_line_are_taken(run):
    work, _, _ = run
    proc = snakemake(work, "--dry-run", "--config", 'train={"total_steps": 300000}',
                     'evaluate={"random_phases": 9}', check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "is not of type" not in proc.stderr
