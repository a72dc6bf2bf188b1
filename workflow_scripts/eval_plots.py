"""Rule `eval_plots`: one subject's gait-lab figures (gaitmimic.evaluate.plots.subject_figures)."""

from gaitmimic.jobs import job

with job(snakemake):  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.evaluate.plots import subject_figures

    sm = snakemake  # noqa: F821
    subject_figures(
        subject=sm.wildcards.subject,
        reference_npzs=list(sm.input.references),
        rollouts_npz=sm.input.rollouts,
        progress_csv=sm.input.progress,
        train_info_json=sm.input.train_info,
        ik_summaries=list(sm.input.ik_summaries),
        trials=list(zip(sm.params.trials, sm.input.trcs, sm.input.events)),
        evaluate=settings.section("evaluate", sm.params.evaluate),
        out_gait=sm.output.gait,
        out_learning_curve=sm.output.learning_curve,
        out_ik=sm.output.ik,
        out_events=sm.output.events,
        humanoid_xml=sm.input.humanoid,
    )
