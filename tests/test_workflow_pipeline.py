"""The whole pipeline under Snakemake on tiny budgets: reruns do exactly what changed (issue 8).

One real run of two copies of the demo subject, then dry runs that ask Snakemake what it would
redo after each kind of change. Jobs are read from the dry run's own report (rule and wildcards).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from workflow_helpers import REPO, SNAKEMAKE, planned_jobs, snakemake, write_tiny_config

pytestmark = pytest.mark.workflow
DEMO = REPO / "data" / "demo01"
UPSTREAM = {"markers", "scale", "ik", "retarget_humanoid", "retarget", "retarget_playback"}
AGGREGATES = {"summary", "all"}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("wf_pipeline")
    write_tiny_config(work)
    for name in ("s1", "s2"):
        shutil.copytree(DEMO, work / "data" / name)
    snakemake(work)
    return work


def dry_run_jobs(work: Path, *args: str, snakefile: Path = REPO / "Snakefile") -> list[tuple[str, str | None, str]]:
    """Every job a dry run plans, as (rule, subject, Snakemake's reason); subject None for aggregates."""
    proc = snakemake(work, "--dry-run", *args, snakefile=snakefile)
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", proc.stdout + proc.stderr):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if head:
            subject = re.search(r"wildcards: .*?subject=([\w.-]+)", block)
            reason = re.search(r"reason: (.*)", block)
            jobs.append((head.group(1), subject.group(1) if subject else None, reason.group(1) if reason else ""))
    return jobs


def planned(work: Path, *args: str, snakefile: Path = REPO / "Snakefile") -> Counter:
    """Planned jobs as a Counter of (rule, subject) pairs; subject None for aggregates."""
    return Counter((rule, subject) for rule, subject, _ in dry_run_jobs(work, *args, snakefile=snakefile))


def planned_with(work: Path, settings: dict) -> Counter:
    """Planned jobs with ``settings`` merged into the tiny config (restored afterwards)."""
    write_tiny_config(work, settings)
    try:
        return planned(work)
    finally:
        write_tiny_config(work)


def rules_of(jobs: Counter) -> set[str]:
    return {rule for rule, _ in jobs}


def subjects_of(jobs: Counter) -> set[str]:
    return {subject for _, subject in jobs if subject}


def test_full_run_writes_every_stage(work):
    import pandas as pd

    summary = pd.read_csv(work / "results" / "summary.csv")
    assert sorted(summary["subject"]) == ["s1", "s2"], "one summary row per subject"
    for subject in ("s1", "s2"):
        base = work / "results" / subject
        for rel in ("markers/walk01.trc", "events/walk01.csv", f"model/{subject}.osim", "ik/walk01.mot",
                    "reference/humanoid.xml", "reference/walk01.npz", "reference/walk01_playback.mp4",
                    "policy/model.zip", "eval/metrics.json",
                    "eval/plots/events.png", f"eval/{subject}_policy.mp4", f"eval/{subject}_zero_action.mp4"):
            assert (base / rel).stat().st_size > 0, rel


def test_report_builds_with_videos_figures_and_tables(work):
    report = work / "results" / "report.html"
    snakemake(work, "--report", str(report))
    page = report.read_text(errors="replace")
    for name in ("s1_policy_video.html", "s2_policy_video.html", "s1_zero_action_video.html", "gait_cycle.png",
                 "metrics.html", "summary.html", "learning_curve.png", "ik_error.png", "events.png"):
        assert name in page, name
    if shutil.which("chromium"):  # open it in headless Chromium and show the policy video
        shot = work / "results" / "report_screenshot.png"
        proc = subprocess.run([sys.executable, str(REPO / "bench" / "report_screenshot.py"), "--report", str(report),
                               "--out", str(shot), "--click", "s1", "--click", "evaluate",
                               "--click", "view:video: policy"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert shot.stat().st_size > 20_000


def test_second_run_schedules_nothing(work):
    assert planned_jobs(work) == {}


def test_new_subject_runs_only_that_subject_and_aggregates(work):
    shutil.copytree(DEMO, work / "data" / "s3")
    try:
        jobs = planned(work)
        assert subjects_of(jobs) == {"s3"}
        assert {rule for rule, subject in jobs if subject is None} == AGGREGATES
        assert UPSTREAM <= rules_of(jobs) and "train" in rules_of(jobs)
    finally:
        shutil.rmtree(work / "data" / "s3")


def test_training_setting_reruns_training_and_evaluation_only(work):
    jobs = planned_with(work, {"train": {"learning_rate": 1.0e-4}})
    assert jobs[("train", "s1")] == 1 and jobs[("train", "s2")] == 1
    assert jobs[("evaluate", "s1")] == 1 and jobs[("evaluate", "s2")] == 1
    assert not rules_of(jobs) & UPSTREAM, f"nothing upstream of training: {sorted(rules_of(jobs) & UPSTREAM)}"


def test_mean_cycle_reference_trains_on_the_mean_cycle_and_redoes_nothing_upstream(work):
    write_tiny_config(work, {"task": {"reference": "mean_cycle"}})
    try:
        proc = snakemake(work, "--dry-run")
    finally:
        write_tiny_config(work)
    text = proc.stdout + proc.stderr
    train = [b for b in re.split(r"\n(?=(?:local)?rule \w+:)", text) if b.startswith("rule train:")]
    assert len(train) == 2 and all(re.search(r"input: \S+/reference/humanoid.xml, \S+/reference/mean_cycle.npz\n", b)
                                   for b in train), train
    jobs = planned_with(work, {"task": {"reference": "mean_cycle"}})
    assert not rules_of(jobs) & (UPSTREAM | {"retarget_mean_cycle"}), "the mean cycle was already built"
    mean = json.loads((work / "results" / "s1" / "reference" / "mean_cycle.json").read_text())
    assert mean["cycles"] == 5 and mean["seam_position_jump"] < 1e-9 and mean["seam_velocity_jump"] < 1e-9


def test_filter_cutoff_reruns_from_the_marker_stage_down(work):
    jobs = planned_with(work, {"markers": {"filter": {"cutoff_hz": 8.0}}})
    assert jobs[("markers", "s1")] == 2 and jobs[("markers", "s2")] == 2
    assert {"scale", "ik", "retarget", "train", "evaluate", "summary"} <= rules_of(jobs)


def test_playback_video_setting_rerenders_only_the_playback_videos(work):
    jobs = planned_with(work, {"retarget": {"playback_video": {"width": 192}}})
    assert jobs[("retarget_playback", "s1")] == 1 and jobs[("retarget_playback", "s2")] == 1
    assert rules_of(jobs) == {"retarget_playback", "all"}, sorted(rules_of(jobs))


#: The workflow script of each rule (rules/*.smk): its imports decide the rule's code version.
RULE_SCRIPTS = {"markers": "markers", "scale": "scale", "ik": "ik", "ik_vs_lab": "ik_vs_lab", "retarget_humanoid": "retarget",
                "retarget": "retarget", "retarget_playback": "retarget_playback", "retarget_mean_cycle": "retarget_mean_cycle",
                "train": "train",
                "evaluate": "evaluate", "eval_video": "eval_video", "eval_plots": "eval_plots", "summary": "summary"}
def _workflow_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "workflow"
    copy.mkdir()
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(REPO / name, copy / name)
    for name in ("rules", "workflow_scripts", "gaitmimic", "report", "profiles"):
        shutil.copytree(REPO / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _rules_with_changed_params(work: Path, snakefile: Path) -> set[str]:
    """Rules with an output whose params (the code version among them) changed since it was made, from
    Snakemake's per-file summary (columns: file, date, rule, log, status, plan)."""
    proc = snakemake(work, "--summary", snakefile=snakefile)
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    return {row[2] for row in rows if len(row) > 4 and row[4] == "params changed"}


#: Module edited -> the rules whose scripts import it (worked out by hand from the imports, not by the
#: import-graph code under test), and rules that must not rerun at all.
CODE_EDITS = [
    ("retarget/__init__.py", {"retarget_humanoid", "retarget", "retarget_playback", "retarget_mean_cycle"},
     {"markers", "scale", "ik"}),
    ("train/vec_env.py", {"train", "evaluate"}, UPSTREAM),  # evaluate loads the policy through train.stage
    ("sim/render.py", {"retarget_playback", "eval_video"}, {"retarget", "train", "evaluate", "eval_plots"}),
    ("evaluate/plots.py", {"eval_plots"}, {"evaluate", "eval_video", "train"}),
    ("io/trc.py", {"markers", "scale", "ik", "ik_vs_lab", "eval_plots"}, set()),  # eval_plots reads the TRCs
    ("markers/gaps.py", {"markers", "retarget_humanoid", "retarget"}, set()),  # retarget filters with markers.filtering
]


@pytest.mark.parametrize("module, importers, must_not_rerun", CODE_EDITS)
def test_library_code_change_reruns_the_stages_that_import_it(work, tmp_path, module, importers, must_not_rerun):
    """Editing a library module changes the `code` param of exactly the rules whose scripts import it, and
    reruns those and their descendants; nothing else."""
    from gaitmimic.provenance import imported_modules

    copy = _workflow_copy(tmp_path)
    path = copy / "gaitmimic" / module
    path.write_text(path.read_text() + "\n# an edit to the library\n")
    changed = _rules_with_changed_params(work, copy / "Snakefile")
    assert changed == importers, f"rules whose code version changed: {sorted(changed)}, expected {sorted(importers)}"
    name = "gaitmimic." + module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    graph = {rule for rule, script in RULE_SCRIPTS.items()
             if name in imported_modules(copy / "workflow_scripts" / f"{script}.py", copy / "gaitmimic")}
    assert graph == importers, "RULE_SCRIPTS or the import graph disagree with the rules' scripts"
    jobs = dry_run_jobs(work, snakefile=copy / "Snakefile")
    planned_rules = {rule for rule, _, _ in jobs}
    assert importers <= planned_rules, sorted(planned_rules)
    assert not planned_rules & must_not_rerun, sorted(planned_rules & must_not_rerun)
    for rule, subject, reason in jobs:  # every other job reruns only because an input is remade
        assert rule in changed or rule in AGGREGATES or "Input files updated by another job" in reason, (rule, reason)


def test_deleting_an_intermediate_regenerates_it_and_its_dependents(work):
    mot = work / "results" / "s1" / "ik" / "walk01.mot"
    mot.unlink()
    jobs = planned(work)
    assert jobs[("ik", "s1")] == 1 and jobs[("retarget", "s1")] == 1 and jobs[("train", "s1")] == 1
    assert subjects_of(jobs) == {"s1"}
    assert not rules_of(jobs) & {"markers", "scale", "retarget_humanoid"}
    snakemake(work)
    assert planned_jobs(work) == {}


def test_killed_training_leaves_nothing_complete_and_resumes(work):
    # A budget long enough to kill mid-way; checkpoints every 256 steps.
    write_tiny_config(work, {"train": {"total_steps": 20_000, "checkpoint_every_steps": 256}})
    policy = work / "results" / "s1" / "policy"
    try:
        cmd = [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "-d", str(work), "--cores", "2",
               "--configfile", str(work / "tiny.yaml"), "--rerun-incomplete", str(policy / "model.zip")]
        proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.time() + 300
        latest = policy / "checkpoints" / "latest.json"

        def checkpoint_steps() -> int:
            try:
                return json.loads(latest.read_text())["steps"]
            except (FileNotFoundError, json.JSONDecodeError):
                return 0

        before = checkpoint_steps()  # the first run's checkpoints (same inputs: this run resumes from them)
        while time.time() < deadline and checkpoint_steps() <= before:
            time.sleep(0.5)
        assert checkpoint_steps() > before, "no new checkpoint within 5 minutes"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not (policy / "model.zip").exists(), "a killed job leaves no output that looks complete"
        snakemake(work, "--unlock")  # a SIGKILLed Snakemake leaves its lock, as after a power loss
        jobs = planned(work, str(policy / "model.zip"))
        assert jobs[("train", "s1")] == 1
        resume_at = checkpoint_steps()
        assert resume_at > before
        # Resume with a budget just past the checkpoint: the rerun continues from it.
        write_tiny_config(work, {"train": {"total_steps": resume_at + 256, "checkpoint_every_steps": 256}})
        snakemake(work, str(policy / "model.zip"))
        info = json.loads((policy / "train_info.json").read_text())
        assert info["resumed_from_steps"] == resume_at, info
        assert info["total_steps"] >= resume_at + 256
    finally:
        write_tiny_config(work)
