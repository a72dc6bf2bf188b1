"""Rule `ik`: scaled model + processed walking trial -> .mot + <trial>_ik_summary.json (gaitmimic.opensim_tools.ik).

OpenSim's C++ log goes to the rule's log too: stdout/stderr file descriptors point at it.
"""

import logging
import os
import sys

_log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 (snakemake is injected)
os.dup2(_log.fileno(), 1)   # OpenSim's console sink (C++ stdout) -> the rule's log
os.dup2(_log.fileno(), 2)
sys.stdout = sys.stderr = _log
logging.basicConfig(stream=_log, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic.opensim_tools.ik import run_ik  # noqa: E402

run_ik(
    model_osim=snakemake.input.model,  # noqa: F821
    trc=snakemake.input.trc,  # noqa: F821
    out_mot=snakemake.output.mot,  # noqa: F821
    out_summary=snakemake.output.summary,  # noqa: F821
    model_cfg=dict(snakemake.params.model),  # noqa: F821
    ik_cfg=dict(snakemake.params.ik),  # noqa: F821
)
