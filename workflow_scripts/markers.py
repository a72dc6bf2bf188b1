"""Rule `markers`: one raw trial -> OpenSim-frame TRC, report JSON, gait events CSV, QC plot (gaitmimic.markers.stage)."""

from gaitmimic.jobs import job

with job(snakemake):  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.markers.stage import process_trial

    process_trial(
        raw_path=snakemake.input.raw,  # noqa: F821
        out_trc=snakemake.output.trc,  # noqa: F821
        out_events_csv=snakemake.output.events,  # noqa: F821
        out_json=snakemake.output.report,  # noqa: F821
        out_qc_png=snakemake.output.qc,  # noqa: F821
        markers=settings.section("markers", snakemake.params.markers),  # noqa: F821
        events=settings.section("events", snakemake.params.events),  # noqa: F821
        subject_info=dict(snakemake.params.subject_info),  # noqa: F821
        is_static=bool(snakemake.params.is_static),  # noqa: F821
        grf_path=snakemake.input.grf or None,  # noqa: F821
        marker_tables=list(snakemake.input.tables),  # noqa: F821
    )
