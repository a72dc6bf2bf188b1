"""Snakemake's own linter on the workflow: clean but for the one lint the Snakefile justifies."""

from __future__ import annotations

import re
import subprocess

import pytest

from workflow_helpers import REPO, SNAKEMAKE

pytestmark = pytest.mark.workflow
#: The lint the Snakefile's header explains: the rules run the installed package, not a per-rule conda env.
JUSTIFIED = {"Specify a conda environment or container for each rule."}


def test_snakemake_lint_has_only_the_justified_lint():
    proc = subprocess.run([str(SNAKEMAKE), "--lint", "--cores", "1"], cwd=REPO, capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    linted = re.findall(r"^Lints for (rule \w+|snakefile \S+)", text, re.M)
    titles = set(re.findall(r"^    \* (.+?):?$", text, re.M))
    assert "rule train" in linted, f"the linter did not run over the rules:\n{text[-3000:]}"
    assert all(item.startswith("rule ") for item in linted), f"a snakefile-level lint:\n{text[-3000:]}"
    assert titles == JUSTIFIED, f"new lints: {sorted(titles - JUSTIFIED)}\n{text[-3000:]}"
