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
import time
from pathlib import Path

import yaml

from gaitmimic.config import validate_config
from gaitmimic.io.reports import read_table


def _split_config_args(extra: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(other arguments, --configfile values, --config values) of Snakemake arguments: both options take
    several values and Snakemake keeps only their last occurrence, so ours must be merged into the user's."""
    other, files, items, current = [], [], [], None
    for arg in extra:
        if arg.startswith("-"):
            name, eq, value = arg.partition("=")
            current = {"--configfile": files, "--configfiles": files, "--config": items, "-C": items}.get(name)
            if current is None:
                other.append(arg)
            elif eq:
                current.append(value)
        elif current is not None:
            current.append(arg)
        else:
            other.append(arg)
    return other, files, items


def _results_dir(files: list[str], items: list[str]) -> Path:
    """``results_dir`` of the config the workflow reads (config.yaml, the --configfile files, --config)."""
    config: dict = yaml.safe_load(Path("config.yaml").read_text()) if Path("config.yaml").exists() else {}
    for f in files:
        config.update(yaml.safe_load(Path(f).read_text()) or {})
    for item in items:
        key, _, value = item.partition("=")
        if key == "results_dir":
            config["results_dir"] = value
    return Path(validate_config(config)["results_dir"])


def _snakemake(*args: str) -> int:
    return subprocess.call([str(Path(sys.executable).parent / "snakemake"), *args])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="all")
    args, extra = parser.parse_known_args(argv)
    started = time.time()
    status = _snakemake("--cores", str(args.cores), *extra)
    other, files, items = _split_config_args(extra)
    results = _results_dir(files, items)
    summary = results / "summary.csv"
    if not summary.exists() or summary.stat().st_mtime < started:
        print(f"gaitmimic: {summary} was not written by this run: the workflow stopped before its jobs (see the "
              "messages above)", file=sys.stderr)
        return status or 1
    table = read_table(summary, ("subject", "status", "message"), text=("subject", "status", "failed_stage", "message"))
    done = sorted(table.loc[table["status"] == "done", "subject"].astype(str))
    report = results / "report.html"
    lines = ["", "gaitmimic: where the results are", f"  summary: {summary} ({len(done)} of {len(table)} subjects done)"]
    if done:
        config = items + ([] if len(done) == len(table) else ["subjects=" + json.dumps({"include": done})])
        built = _snakemake("--report", str(report), *other, *(["--configfile", *files] if files else []),
                           *(["--config", *config] if config else [])) == 0
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
