"""Rules `evaluate`, `eval_video`, `eval_gait_plot`, `eval_learning_curve`, `eval_ik_plot`,
`eval_events_plot`: each calls one entry function of gaitmimic.evaluate (chosen by rule name)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from pathlib import Path  # noqa: E402

from gaitmimic.evaluate import plots, stage  # noqa: E402

sm = snakemake  # noqa: F821
rule = sm.rule
subject = sm.wildcards.get("subject", "")

if rule == "evaluate":
    stage.evaluate_subject(
        subject=subject,
        humanoid_xml=sm.input.humanoid,
        reference_npzs=list(sm.input.references),
        policy_dir=Path(sm.input.policy).parent,
        task_cfg=dict(sm.params.task),
        eval_cfg=dict(sm.params.evaluate),
        out_metrics_json=sm.output.metrics,
        out_metrics_csv=sm.output.table,
        out_rollouts_npz=sm.output.rollouts,
        out_metrics_html=sm.output.table_html,
    )
elif rule == "eval_video":
    info = stage.render_video(subject, sm.input.humanoid, sm.input.rollouts, sm.input.metrics,
                              sm.wildcards.rollout, dict(sm.params.evaluate), sm.output.video, sm.output.page)
    logging.info("video: %s", info)
elif rule == "eval_gait_plot":
    stage.gait_figure(subject, list(sm.input.references), sm.input.rollouts, dict(sm.params.evaluate), sm.output.png)
elif rule == "eval_learning_curve":
    stage.learning_curve(subject, sm.input.progress, dict(sm.params.task), sm.output.png)
elif rule == "eval_ik_plot":
    plots.ik_error_figure(list(sm.input.summaries), sm.output.png, title=f"{subject}: IK marker error")
elif rule == "eval_events_plot":
    cfg = stage.eval_cfg_with_defaults(dict(sm.params.evaluate))["plots"]
    plots.gait_events_figure(sm.input.trc, sm.input.events, sm.output.png, cfg["heel_markers"], cfg["toe_markers"],
                             title=f"{subject} {sm.wildcards.trial}: gait events over heel and toe heights")
else:
    raise ValueError(f"workflow_scripts/evaluate.py does not handle rule {rule!r}")
