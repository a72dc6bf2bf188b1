"""Rule `ik`: scaled model + processed walking trial -> .mot + <trial>_ik_summary.json (gaitmimic.opensim.stage).

OpenSim's C++ log goes to the rule's log too (stdout/stderr file descriptors point at it).
"""

from gaitmimic.jobs import job

with job(snakemake, capture_fds=True):  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.opensim.stage import run_ik

    run_ik(
        model_osim=snakemake.input.model,  # noqa: F821
        trc=snakemake.input.trc,  # noqa: F821
        out_mot=snakemake.output.mot,  # noqa: F821
        out_summary=snakemake.output.summary,  # noqa: F821
        model=settings.section("model", snakemake.params.model),  # noqa: F821
        ik=settings.section("ik", snakemake.params.ik),  # noqa: F821
    )
