"""`make run`: the whole workflow, then its report, then where to look.

    python -m gaitmimic.run [--cores N] [any other snakemake arguments]

Runs ``snakemake`` (the profile in profiles/default keeps going past a failed subject), then builds the
self-contained HTML report ``<results_dir>/report.html`` over the subjects that finished (Snakemake's
report needs every file it shows, so a failed subject is left out of it; the summary on its first page
still lists it with its message), and prints where the summary, the report and each subject's videos are.
The exit status is Snakemake's: non-zero when any job failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

from gaitmimic.config import validate_config
from gaitmimic.io.reports import read_table


def _results_dir(extra: list[str]) -> Path:
    """``results_dir`` of the config the workflow reads (config.yaml, then any --configfile given)."""
    config: dict = yaml.safe_load(Path("config.yaml").read_text()) if Path("config.yaml").exists() else {}
    for i, arg in enumerate(extra):
        if arg == "--configfile" and i + 1 < len(extra):
            config.update(yaml.safe_load(Path(extra[i + 1]).read_text()) or {})
    return Path(validate_config(config)["results_dir"])


def _snakemake(*args: str) -> int:
    return subprocess.call([str(Path(sys.executable).parent / "snakemake"), *args])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="all")
    args, extra = parser.parse_known_args(argv)
    status = _snakemake("--cores", str(args.cores), *extra)
    results = _results_dir(extra)
    summary = results / "summary.csv"
    if not summary.exists():
        print(f"gaitmimic: no {summary}: the workflow stopped before any subject was found", file=sys.stderr)
        return status or 1
    table = read_table(summary, ("subject", "status", "message"))
    done = sorted(table.loc[table["status"] == "done", "subject"].astype(str))
    report = results / "report.html"
    lines = ["", "gaitmimic: where the results are", f"  summary: {summary} ({len(done)} of {len(table)} subjects done)"]
    if done:
        only = [] if len(done) == len(table) else ["--config", "subjects=" + json.dumps({"include": done})]
        built = _snakemake("--report", str(report), *extra, *only) == 0
        lines.append(f"  report:  {report}" if built else "  report:  not built (see the messages above)")
    else:
        lines.append("  report:  not built: no subject finished")
    for subject in done:
        for video in sorted((results / subject / "eval").glob("*.mp4")):
            lines.append(f"  video:   {video}")
    failed = table[table["status"] != "done"]
    for row in failed.itertuples():
        lines.append(f"  {row.status}: {row.subject}: {row.message}")
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
