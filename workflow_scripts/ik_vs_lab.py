"""Rule `ik_vs_lab`: raw C3D + IK .mot + scaled model + events -> <trial>_vs_lab.json/.png (gaitmimic.opensim.stage)."""

from gaitmimic.jobs import job

with job(snakemake, capture_fds=True):  # noqa: F821 (snakemake is injected)
    from gaitmimic.opensim.stage import compare_with_lab

    compare_with_lab(
        raw_c3d=snakemake.input.raw,  # noqa: F821
        mot_path=snakemake.input.mot,  # noqa: F821
        model_osim=snakemake.input.model,  # noqa: F821
        events_csv=snakemake.input.events,  # noqa: F821
        out_json=snakemake.output.json,  # noqa: F821
        out_png=snakemake.output.png,  # noqa: F821
    )
