"""Rule `eval_video`: one MP4 (and its report page) per rollout in evaluate.video.rollouts
(gaitmimic.evaluate.video.render_video)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic import settings  # noqa: E402
from gaitmimic.evaluate.video import render_video  # noqa: E402

sm = snakemake  # noqa: F821
evaluate = settings.section("evaluate", sm.params.evaluate)
for which, video, page in zip(sm.params.films, sm.output.videos, sm.output.pages):
    info = render_video(sm.wildcards.subject, sm.input.humanoid, sm.input.rollouts, sm.input.metrics, which, evaluate,
                        video, page)
    logging.info("video %s: %s", which, info)
