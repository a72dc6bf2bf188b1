"""Rules `retarget_humanoid` (subject humanoid.xml), `retarget` (one trial's reference npz, joint centres
npz, QC JSON) and `retarget_playback` (its playback mp4). Library: gaitmimic.retarget.stage
(write_subject_humanoid / run_retarget_stage / write_playback). Each rule passes the part of the `retarget`
section it depends on (params.retarget, or params.playback_video); the schema fills in the rest."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic import settings  # noqa: E402
from gaitmimic.retarget.stage import run_retarget_stage, write_playback, write_subject_humanoid  # noqa: E402

if snakemake.rule == "retarget_playback":  # noqa: F821
    cfg = settings.section("retarget", {"playback_video": snakemake.params.playback_video})  # noqa: F821
    write_playback(snakemake.input.npz, snakemake.input.centres, snakemake.input.humanoid,  # noqa: F821
                   snakemake.output.video, cfg.playback_video)  # noqa: F821
else:
    cfg = settings.section("retarget", snakemake.params.retarget)  # noqa: F821
    if snakemake.rule == "retarget_humanoid":  # noqa: F821
        write_subject_humanoid(snakemake.input.osim, snakemake.output.xml, cfg)  # noqa: F821
    else:
        run_retarget_stage(
            osim_path=snakemake.input.osim,  # noqa: F821
            mot_path=snakemake.input.mot,  # noqa: F821
            humanoid_xml=snakemake.input.humanoid,  # noqa: F821
            events_csv=snakemake.input.events,  # noqa: F821
            markers_json=snakemake.input.markers_json,  # noqa: F821
            out_npz=snakemake.output.npz,  # noqa: F821
            out_centres=snakemake.output.centres,  # noqa: F821
            out_report=snakemake.output.report,  # noqa: F821
            cfg=cfg,
        )
