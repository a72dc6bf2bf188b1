"""Rule `eval_plots`: one subject's gait-lab figures (gaitmimic.evaluate.plots.subject_figures)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic import settings  # noqa: E402
from gaitmimic.evaluate.plots import subject_figures  # noqa: E402

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
)
