"""Rule `scale`: processed static trial -> scaled OpenSim model + scale_report.json (gaitmimic.opensim.stage).

OpenSim's C++ log goes to the rule's log too (stdout/stderr file descriptors point at it).
"""

from gaitmimic.jobs import job

with job(snakemake, capture_fds=True):  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.opensim.stage import scale_subject

    info = snakemake.params.subject_info  # noqa: F821
    scale_subject(
        static_trc=snakemake.input.static or None,  # noqa: F821
        out_osim=snakemake.output.osim,  # noqa: F821
        out_report=snakemake.output.report,  # noqa: F821
        subject=snakemake.wildcards.subject,  # noqa: F821
        mass_kg=info["mass_kg"],
        height_m=info["height_m"],
        model=settings.section("model", snakemake.params.model),  # noqa: F821
        scale=settings.section("scale", snakemake.params.scale),  # noqa: F821
        standing_trc=snakemake.input.standing or None,  # noqa: F821
        standing_window_s=info["standing_window_s"],
        marker_report=snakemake.input.static_report or None,  # noqa: F821
    )
