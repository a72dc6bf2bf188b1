"""Rules `retarget_humanoid` (the subject's humanoid.xml) and `retarget` (one trial's reference npz, joint
centres npz, QC JSON). Library: gaitmimic.retarget.stage (write_subject_humanoid / run_retarget_stage). Each
rule passes the part of the `retarget` section it depends on (params.retarget); the schema fills in the rest."""

from gaitmimic.jobs import job

with job(snakemake):  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.retarget.stage import run_retarget_stage, write_subject_humanoid

    cfg = settings.section("retarget", snakemake.params.retarget)  # noqa: F821
    if snakemake.rule == "retarget_humanoid":  # noqa: F821
        write_subject_humanoid(snakemake.input.osim, snakemake.output.xml, cfg)  # noqa: F821
    else:
        run_retarget_stage(
            osim_path=snakemake.input.osim,  # noqa: F821
            mot_path=snakemake.input.mot,  # noqa: F821
            humanoid_xml=snakemake.input.humanoid,  # noqa: F821
            events_csv=snakemake.input.events,  # noqa: F821
            markers_json=snakemake.input.markers_json,  # noqa: F821
            out_npz=snakemake.output.npz,  # noqa: F821
            out_centres=snakemake.output.centres,  # noqa: F821
            out_report=snakemake.output.report,  # noqa: F821
            cfg=cfg,
        )
