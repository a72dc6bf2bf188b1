"""Rule `summary`: every subject's metrics.json and the subjects left out at discovery -> results/summary.csv,
summary.html and the report's first-page table (gaitmimic.evaluate.summary.write_summary). When a job fails,
the workflow's onerror handler writes the same files with every subject's status instead."""

from gaitmimic.jobs import job

with job(snakemake) as log:  # noqa: F821 (snakemake is injected)
    from gaitmimic.evaluate.summary import SubjectStatus, write_summary

    sm = snakemake  # noqa: F821
    statuses = [SubjectStatus(name, "done", metrics_json=path) for name, path in zip(sm.params.subjects, sm.input.metrics)]
    statuses += [SubjectStatus(name, "skipped", None, reason) for name, reason in sm.params.skipped]
    df = write_summary(statuses, sm.output.csv, sm.output.html, sm.output.rst)
    log.info("summary: %d subjects (%d left out at discovery)", len(df), len(sm.params.skipped))
