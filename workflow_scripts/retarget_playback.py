"""Rule `retarget_playback`: a reference's kinematic playback mp4 with the OpenSim joint centres as spheres
(gaitmimic.retarget.playback.write_playback). The rule passes only `retarget.playback_video`."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic import settings  # noqa: E402
from gaitmimic.retarget.playback import write_playback  # noqa: E402

sm = snakemake  # noqa: F821
video = settings.section("retarget", {"playback_video": sm.params.playback_video}).playback_video
write_playback(sm.input.npz, sm.input.centres, sm.input.humanoid, sm.output.video, video)
