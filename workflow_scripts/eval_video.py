"""Rule `eval_video`: one MP4 (and its report page) per rollout in evaluate.video.rollouts
(gaitmimic.evaluate.video.render_videos)."""

from gaitmimic.jobs import job

with job(snakemake) as log:  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.evaluate.video import render_videos

    sm = snakemake  # noqa: F821
    films = list(zip(sm.params.films, sm.output.videos, sm.output.pages))
    infos = render_videos(sm.wildcards.subject, sm.input.humanoid, sm.input.rollouts, sm.input.metrics, films,
                          settings.section("evaluate", sm.params.evaluate))
    for which, info in zip(sm.params.films, infos):
        log.info("video %s: %s", which, info)
