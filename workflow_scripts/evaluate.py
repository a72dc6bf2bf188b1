"""Rules `evaluate`, `eval_video` and `eval_plots`: entry functions of gaitmimic.evaluate (chosen by rule name)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from pathlib import Path  # noqa: E402

from gaitmimic import settings  # noqa: E402
from gaitmimic.evaluate import plots, stage  # noqa: E402

sm = snakemake  # noqa: F821
rule = sm.rule
subject = sm.wildcards.get("subject", "")
evaluate = settings.section("evaluate", sm.params.evaluate)

if rule == "evaluate":
    stage.evaluate_subject(
        subject=subject,
        humanoid_xml=sm.input.humanoid,
        reference_npzs=list(sm.input.references),
        policy_dir=Path(sm.input.policy).parent,
        evaluate=evaluate,
        out_metrics_json=sm.output.metrics,
        out_metrics_csv=sm.output.table,
        out_rollouts_npz=sm.output.rollouts,
        out_metrics_html=sm.output.table_html,
    )
elif rule == "eval_video":
    for which, video, page in zip(sm.params.films, sm.output.videos, sm.output.pages):
        info = stage.render_video(subject, sm.input.humanoid, sm.input.rollouts, sm.input.metrics, which, evaluate,
                                  video, page)
        logging.info("video %s: %s", which, info)
elif rule == "eval_plots":
    markers = settings.as_dict(evaluate.plots)
    stage.gait_figure(subject, list(sm.input.references), sm.input.rollouts, evaluate, sm.output.gait)
    stage.learning_curve(subject, sm.input.progress, sm.input.train_info, sm.output.learning_curve)
    plots.ik_error_figure(list(sm.input.ik_summaries), sm.output.ik, title=f"{subject}: IK marker error")
    plots.gait_events_figure(list(zip(sm.params.trials, sm.input.trcs, sm.input.events)), sm.output.events,
                             markers["heel_markers"], markers["toe_markers"],
                             title=f"{subject}: gait events over heel and toe heights")
else:
    raise ValueError(f"workflow_scripts/evaluate.py does not handle rule {rule!r}")
