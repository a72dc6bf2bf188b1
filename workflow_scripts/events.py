"""Rule `events`: gait events of one walking trial -> events CSV (gaitmimic.marker_stage.process_events)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic.marker_stage import process_events  # noqa: E402

events = process_events(
    raw_path=snakemake.input.raw,  # noqa: F821
    markers_json=snakemake.input.report,  # noqa: F821
    out_events_csv=snakemake.output.csv,  # noqa: F821
    cfg={"markers": dict(snakemake.params.markers), "events": dict(snakemake.params.events)},  # noqa: F821
    subject_info=dict(snakemake.params.subject_info),  # noqa: F821
)
logging.info("%d events: %s", len(events), events.groupby(["side", "event"]).size().to_dict())
