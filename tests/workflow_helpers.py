"""Run the real workflow in a scratch folder: used by the workflow tests and bench/dag.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"

#: Settings that make every stage take seconds: a real run of every rule, tiny budgets.
TINY_CONFIG: dict = {
    "train": {"total_steps": 512, "n_envs": 4, "n_steps": 128, "batch_size": 64, "n_epochs": 1,
              "checkpoint_every_steps": 256, "net_arch": {"pi": [32, 32], "vf": [32, 32]}},
    "evaluate": {"episode_s": 1.0, "random_phases": 1, "push_trials": {"episodes": 2},
                 "video": {"width": 160, "height": 120, "fps": 10.0}},
    "retarget": {"playback_video": {"width": 160, "height": 120, "fps": 10.0, "max_seconds": 1.0}},
}


def _merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = dict(base[key])
            _merge(base[key], value)
        else:
            base[key] = value


def write_tiny_config(work: Path, extra: dict | None = None) -> Path:
    """Write ``work/tiny.yaml`` (tiny budgets, data and results inside ``work``)."""
    config = {"data_dir": str(work / "data"), "results_dir": str(work / "results"), **TINY_CONFIG}
    _merge(config, extra or {})
    (work / "data").mkdir(parents=True, exist_ok=True)
    path = work / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake(work: Path, *args: str, snakefile: Path = REPO / "Snakefile", check: bool = True,
              cores: int = 2, executable: Path = SNAKEMAKE) -> subprocess.CompletedProcess:
    """Run Snakemake on the workflow with ``work/tiny.yaml`` as the last config file.

    ``executable``: another Snakemake install to run (bench/dag.py compares versions). It finds the
    workflow's package because Snakemake puts the Snakefile's folder on ``sys.path``.
    """
    cmd = [str(executable), "-s", str(snakefile), "-d", str(work), "--cores", str(cores),
           "--configfile", str(work / "tiny.yaml"), "--rerun-incomplete", *args]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


def planned_jobs(work: Path, *args: str, **kwargs) -> dict[str, int]:
    """Jobs a dry run plans, as {rule: count}; {} when there is nothing to do."""
    proc = snakemake(work, *args, "--dry-run", "--quiet", "rules", **kwargs)
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return {}
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\ntotal", text, re.S)
    if not match:
        raise AssertionError(f"no job table in dry run output:\n{text[-4000:]}")
    jobs = {}
    for line in match.group(1).splitlines():
        rule, count = line.split()
        jobs[rule] = int(count)
    return jobs
