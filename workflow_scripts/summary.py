"""Rule `summary`: every subject's metrics.json -> results/summary.csv (gaitmimic.evaluate.summary)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

from gaitmimic.evaluate.summary import write_summary  # noqa: E402

df = write_summary(list(snakemake.input.metrics), snakemake.output.csv, snakemake.output.html)  # noqa: F821
logging.info("summary: %d subjects", len(df))
