"""Rule `eval_video`: one MP4 (and its report page) per rollout in evaluate.video.rollouts
(gaitmimic.evaluate.video.render_videos)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic import settings  # noqa: E402
from gaitmimic.evaluate.video import render_videos  # noqa: E402

sm = snakemake  # noqa: F821
films = list(zip(sm.params.films, sm.output.videos, sm.output.pages))
infos = render_videos(sm.wildcards.subject, sm.input.humanoid, sm.input.rollouts, sm.input.metrics, films,
                      settings.section("evaluate", sm.params.evaluate))
for which, info in zip(sm.params.films, infos):
    logging.info("video %s: %s", which, info)
