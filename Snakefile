# gaitmimic: motion capture in, walking humanoid out.
#   snakemake --cores 2          (the default profile in profiles/default is picked up automatically)
# Stages, per subject: markers (+ gait events) -> scale -> ik -> retarget -> train -> evaluate; then summary.
#
# `snakemake --lint` (run by tests/test_workflow_lint.py) has one lint left, on purpose: "Specify a conda
# environment or container for each rule". Every rule runs the gaitmimic package from the environment the
# workflow is installed in (`make install`, or pip into a lab's own environment), with its versions pinned
# in pyproject.toml; a conda env per rule would install that same package, with torch, MuJoCo and OpenSim,
# once per rule.

import os

from gaitmimic.config import validate_config

configfile: os.path.join(workflow.basedir, "config.yaml")

validate_config(config, "config.yaml (with --config/--configfile overrides)")

report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/markers.smk"
include: "rules/scale.smk"
include: "rules/ik.smk"
include: "rules/retarget.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"


rule all:
    input:
        all_targets,
    default_target: True


# One target per stage, to stop there: `snakemake --cores 2 ik_all`.
for _stage in ("markers", "scale", "ik", "retarget", "train"):

    rule:
        name:
            f"{_stage}_all"
        input:
            stage_targets(_stage),
        localrule: True
