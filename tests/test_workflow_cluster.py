"""The whole workflow through a cluster executor: every job a separately submitted process.

`snakemake-executor-plugin-cluster-generic` submits each job's script with tests/cluster/submit.sh,
which starts it detached (its own session, no inherited state), as sbatch would on a cluster node.
The run only succeeds if no job depends on the scheduler's memory.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from workflow_helpers import REPO, planned_jobs, snakemake, write_tiny_config

pytestmark = pytest.mark.workflow


def test_full_workflow_as_separately_submitted_jobs(tmp_path):
    write_tiny_config(tmp_path)
    shutil.copytree(REPO / "data" / "demo01", tmp_path / "data" / "c1")
    proc = snakemake(
        tmp_path,
        "--executor", "cluster-generic",
        "--cluster-generic-submit-cmd", str(REPO / "tests" / "cluster" / "submit.sh"),
        "--jobs", "2",
        "--latency-wait", "10",
    )
    submitted = [line for line in (proc.stdout + proc.stderr).splitlines() if "external jobid 'local-" in line]
    summary = pd.read_csv(tmp_path / "results" / "summary.csv")
    assert list(summary["subject"]) == ["c1"]
    assert (tmp_path / "results" / "c1" / "policy" / "model.zip").exists()
    assert len(submitted) >= 10, f"every stage job went through the submit script ({len(submitted)} did)"
    assert planned_jobs(tmp_path) == {}
