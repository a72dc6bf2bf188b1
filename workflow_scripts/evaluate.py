"""Rule `evaluate`: deterministic rollouts of the trained policy -> metrics.json/csv/html, rollouts.npz
(gaitmimic.evaluate.stage.evaluate_subject)."""

from gaitmimic.jobs import job

with job(snakemake):  # noqa: F821 (snakemake is injected)
    from pathlib import Path

    from gaitmimic import settings
    from gaitmimic.evaluate.stage import evaluate_subject

    sm = snakemake  # noqa: F821
    evaluate_subject(
        subject=sm.wildcards.subject,
        humanoid_xml=sm.input.humanoid,
        reference_npzs=list(sm.input.references),
        policy_dir=Path(sm.input.policy).parent,
        evaluate=settings.section("evaluate", sm.params.evaluate),
        out_metrics_json=sm.output.metrics,
        out_metrics_csv=sm.output.table,
        out_rollouts_npz=sm.output.rollouts,
        out_metrics_html=sm.output.table_html,
    )
