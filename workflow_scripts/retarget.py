"""Rules `retarget_humanoid` (subject humanoid.xml) and `retarget` (one trial's reference npz, playback
mp4, QC JSON). Library: gaitmimic.retarget.pipeline (write_subject_humanoid / run_retarget_stage)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic.retarget.pipeline import run_retarget_stage, write_subject_humanoid  # noqa: E402

cfg = dict(snakemake.params.retarget)  # noqa: F821
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
        out_video=snakemake.output.video,  # noqa: F821
        out_report=snakemake.output.report,  # noqa: F821
        cfg=cfg,
    )
