"""The marker stage under Snakemake: outputs, no-op reruns, per-subject reruns, bad subjects."""

from __future__ import annotations

import shutil

import pytest

from workflow_helpers import REPO, planned_jobs, snakemake, write_tiny_config

pytestmark = pytest.mark.workflow
DEMO = REPO / "data" / "demo01"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("wf_markers")
    write_tiny_config(work)
    for name in ("s1", "s2"):
        shutil.copytree(DEMO, work / "data" / name)
    snakemake(work, "markers_all")
    return work


def test_marker_stage_writes_every_trial(work):
    for subject in ("s1", "s2"):
        for trial in ("static01", "walk01"):
            assert (work / "results" / subject / "markers" / f"{trial}.trc").stat().st_size > 10_000
        assert (work / "results" / subject / "events" / "walk01.csv").exists()
    static_events = (work / "results" / "s1" / "events" / "static01.csv").read_text().strip().splitlines()
    assert static_events == ["side,event,time_s,frame,source"], "a static trial has no gait events"


def test_second_run_has_nothing_to_do(work):
    assert planned_jobs(work, "markers_all") == {}


def _reexport(c3d_path):
    """Change one sample by 0.5 mm, as a re-export of the trial would (a bare touch keeps the content,
    and Snakemake rightly ignores a new timestamp on unchanged content)."""
    import ezc3d

    c3d = ezc3d.c3d(str(c3d_path))
    points = c3d["data"]["points"]
    points[0, 0, 10] += 0.5
    c3d["data"]["points"] = points
    c3d.write(str(c3d_path))


def test_changing_one_raw_file_reruns_only_that_subject(work):
    _reexport(work / "data" / "s2" / "walk01.c3d")
    jobs = planned_jobs(work, "markers_all")
    assert jobs == {"markers": 1, "markers_all": 1}  # one pass over the raw file: TRC, events, report, QC
    snakemake(work, "markers_all")
    assert planned_jobs(work, "markers_all") == {}


def test_new_subject_runs_only_the_new_subject(work):
    shutil.copytree(DEMO, work / "data" / "s3")
    try:
        assert planned_jobs(work, "markers_all") == {"markers": 2, "markers_all": 1}
    finally:
        shutil.rmtree(work / "data" / "s3")


def test_bad_subject_fails_alone_with_a_clear_error(work):
    bad = work / "data" / "bad"
    bad.mkdir()
    (bad / "static.c3d").write_bytes((DEMO / "static01.c3d").read_bytes())
    (bad / "walk.c3d").write_text("this is not a C3D file\n")
    (work / "data" / "empty").mkdir()
    try:
        proc = snakemake(work, "markers_all", "--keep-going", check=False)
        assert proc.returncode != 0
        log = (work / "results" / "bad" / "logs" / "markers" / "walk.log").read_text()
        assert "walk.c3d" in log and "Fix:" in log, log[-2000:]
        assert not (work / "results" / "bad" / "markers" / "walk.trc").exists(), "no partial output"
        assert (work / "results" / "bad" / "markers" / "static.trc").exists(), "the good trial still ran"
        assert "empty: no .c3d or .trc files" in proc.stderr + proc.stdout
    finally:
        shutil.rmtree(bad)
        shutil.rmtree(work / "data" / "empty")
        shutil.rmtree(work / "results" / "bad", ignore_errors=True)


def test_a_grf_mot_beside_a_trc_gives_its_force_plate_events(work, shared_data):
    """OpenSim's tutorial subject (TRC trials): adding its subject01_walk1_grf.mot reruns only that trial's
    marker job, whose events then come from the forces."""
    import pandas as pd

    tut, folder = shared_data / "opensim-tutorial5", work / "data" / "tut"
    folder.mkdir()
    try:
        for name in ("subject01_static.trc", "subject01_walk1.trc"):
            (folder / name).symlink_to(tut / name)
        snakemake(work, "markers_all")
        events = work / "results" / "tut" / "events" / "subject01_walk1.csv"
        assert set(pd.read_csv(events).source) == {"kinematic"}
        (folder / "subject01_walk1_grf.mot").symlink_to(tut / "subject01_walk1_grf.mot")
        assert planned_jobs(work, "markers_all") == {"markers": 1, "markers_all": 1}
        snakemake(work, "markers_all")
        table = pd.read_csv(events)
        assert (table.source == "force_plate").sum() == 8, table
    finally:
        shutil.rmtree(folder)
        shutil.rmtree(work / "results" / "tut", ignore_errors=True)


def test_a_subjects_own_marker_set_table_is_used_and_tracked(work):
    """data/<subject>/marker_set.yaml (here Plug-in Gait's table under the lab's name): an input of that
    subject's marker jobs, detected first; the report names it."""
    import json

    table = work / "data" / "s1" / "marker_set.yaml"
    table.write_text((REPO / "gaitmimic" / "markers" / "sets" / "plugin_gait.yaml").read_text()
                     .replace("name: plugin_gait", "name: our_lab"))
    try:
        assert planned_jobs(work, "markers_all") == {"markers": 2, "markers_all": 1}
        snakemake(work, "markers_all")
        report = json.loads((work / "results" / "s1" / "markers" / "walk01_markers.json").read_text())
        assert report["marker_set"] == "our_lab"
        assert json.loads((work / "results" / "s2" / "markers" / "walk01_markers.json").read_text())["marker_set"] \
            == "plugin_gait"
    finally:
        table.unlink()
        snakemake(work, "markers_all")
