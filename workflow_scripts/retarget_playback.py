"""Rule `retarget_playback`: a reference's kinematic playback mp4 with the OpenSim joint centres as spheres
(gaitmimic.retarget.playback.write_playback). The rule passes only `retarget.playback_video`."""

from gaitmimic.jobs import job

with job(snakemake):  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.retarget.playback import write_playback

    sm = snakemake  # noqa: F821
    video = settings.section("retarget", {"playback_video": sm.params.playback_video}).playback_video
    write_playback(sm.input.npz, sm.input.centres, sm.input.humanoid, sm.output.video, video)
