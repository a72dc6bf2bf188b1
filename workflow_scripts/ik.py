"""Rule `ik`: scaled model + processed walking trial -> .mot + <trial>_ik_summary.json (gaitmimic.opensim.ik).

OpenSim's C++ log goes to the rule's log too (stdout/stderr file descriptors point at it).
"""

from gaitmimic.opensim.runtime import redirect_output_to_log

redirect_output_to_log(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from gaitmimic.opensim.ik import run_ik  # noqa: E402

run_ik(
    model_osim=snakemake.input.model,  # noqa: F821
    trc=snakemake.input.trc,  # noqa: F821
    out_mot=snakemake.output.mot,  # noqa: F821
    out_summary=snakemake.output.summary,  # noqa: F821
    model_cfg=dict(snakemake.params.model),  # noqa: F821
    ik_cfg=dict(snakemake.params.ik),  # noqa: F821
)
