"""DAG overhead with many subjects: our dry run against a synthetic workflow of the same jobs and files.

Subjects are made by copying the demo subject under new names. The dry run plans every job of every
subject. The synthetic workflow is written from our own dry run: one rule per rule of ours, with the same
output and log patterns, wildcards and wildcard constraints, each job's inputs looked up in a table, and no
config validation, subject discovery, params or code versions. Run on the same Snakemake over the same
files, its dry run is what Snakemake itself needs for this DAG, so the ratio ours / synthetic is the
workflow's own overhead, whatever the Snakemake version. For the no-op time, one subject is run for real once
(tiny training budget), its results are copied for every other subject (inputs are identical copies, file
times kept), and a second `snakemake` has nothing to do: pure DAG building and up-to-date checking. Times are
`snakemake --dry-run --quiet rules` (the plan without printing every job), medians of --repeat runs, ours and
the synthetic taking turns. `snakemake --version` is timed too: the start-up cost under every row.

    python bench/dag.py [--counts 1 10 100 300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from workflow_helpers import SNAKEMAKE, planned_jobs, snakemake, write_tiny_config  # noqa: E402


def _timed(fn, *args, repeat: int = 1, **kwargs) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls (this VM's timings vary by +-20 % from run to run)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _planned_alternating(work: Path, snakefiles: dict[str, Path], repeat: int) -> dict[str, tuple[float, dict]]:
    """{label: (median wall time, planned jobs)} of dry runs, the workflows taking turns so that both see
    the same machine load."""
    times: dict[str, list[float]] = {label: [] for label in snakefiles}
    jobs: dict[str, dict] = {}
    for _ in range(repeat):
        for label, snakefile in snakefiles.items():
            t, jobs[label] = _timed(planned_jobs, work, snakefile=snakefile)
            times[label].append(t)
    return {label: (statistics.median(times[label]), jobs[label]) for label in snakefiles}


def _dry_run_jobs(work: Path) -> list[dict]:
    """Every job of our full dry run: {rule, wildcards, input, output, log}."""
    proc = snakemake(work, "--dry-run")
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", proc.stdout + proc.stderr):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if not head:
            continue
        fields = {key: re.search(rf"^    {key}: (.*)$", block, re.M) for key in ("input", "output", "log", "wildcards")}
        files = {key: [f for f in m.group(1).split(", ") if f] if m else [] for key, m in fields.items()}
        wildcards = dict(kv.split("=", 1) for kv in files.pop("wildcards"))
        jobs.append({"rule": head.group(1), "wildcards": wildcards, **files})
    return jobs


def _pattern(path: str, wildcards: dict[str, str]) -> str:
    """``path`` with each wildcard value (bounded by '/', '_' or '.') put back as ``{name}``."""
    for name, value in sorted(wildcards.items(), key=lambda kv: -len(kv[1])):
        path = re.sub(rf"(?<=[/_.]){re.escape(value)}(?=[/_.])", f"{{{name}}}", path)
    return path


def write_synthetic_workflow(work: Path) -> Path:
    """A Snakefile with our DAG's jobs and files and nothing else (see the module docstring)."""
    jobs = _dry_run_jobs(work)
    rules: dict[str, dict] = {}
    table: dict[str, dict[str, list[str]]] = {}
    values: dict[str, set] = {}
    for job in jobs:
        wc = job["wildcards"]
        rule = rules.setdefault(job["rule"], {"output": [_pattern(f, wc) for f in job["output"]],
                                              "log": [_pattern(f, wc) for f in job["log"]], "names": sorted(wc)})
        table.setdefault(job["rule"], {})["/".join(wc[n] for n in rule["names"])] = job["input"]
        for name, value in wc.items():
            values.setdefault(name, set()).add(value)
    (work / "synthetic_jobs.json").write_text(json.dumps(table))
    lines = ["import json, re", f"JOBS = json.load(open({str(work / 'synthetic_jobs.json')!r}))", "",
             "wildcard_constraints:"]
    lines += [f"    {name}={'|'.join(re.escape(v) for v in sorted(vals))!r}," for name, vals in sorted(values.items())]
    lines.append("")
    for name in ["all"] + [r for r in rules if r != "all"]:
        rule = rules[name]
        key = " + '/' + ".join(f"w.{n}" for n in rule["names"]) or "''"
        lines += [f"rule {name}:", f"    input: lambda w: JOBS[{name!r}][{key}]"]
        if rule["output"]:
            lines.append(f"    output: {', '.join(repr(f) for f in rule['output'])}")
        if rule["log"]:
            lines.append(f"    log: {', '.join(repr(f) for f in rule['log'])}")
        if rule["output"]:
            lines.append("    shell: 'touch {output}'")
        lines.append("")
    path = work / "Synthetic.smk"
    path.write_text("\n".join(lines))
    return path


def _copy_results(src: Path, dst: Path) -> None:
    """Copy one subject's results under another name (file names carry the subject), keeping file times."""
    shutil.copytree(src, dst, copy_function=shutil.copy2)
    for path in sorted(dst.rglob(f"*{src.name}*"), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name(path.name.replace(src.name, dst.name)))


def _version() -> str:
    return subprocess.run([str(SNAKEMAKE), "--version"], capture_output=True, text=True, check=True).stdout.strip()


def _startup(repeat: int) -> float:
    return _timed(subprocess.run, [str(SNAKEMAKE), "--version"], capture_output=True, check=True, repeat=repeat)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 100, 300])
    parser.add_argument("--demo", type=Path, default=REPO / "data" / "demo01")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per point (the median is printed)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaitmimic-dag-") as tmp:
        work = Path(tmp)
        write_tiny_config(work)
        print("one real run of subject s0000 (tiny budget) to have complete results to copy ...", flush=True)
        shutil.copytree(args.demo, work / "data" / "s0000")
        snakemake(work)
        rows = []  # (count, jobs, ours dry-run s, synthetic dry-run s, no-op jobs, ours no-op s)
        for count in args.counts:
            for i in range(count):
                name = f"s{i:04d}"
                if not (work / "data" / name).exists():
                    shutil.copytree(args.demo, work / "data" / name)
            for i in range(count, max(args.counts)):
                shutil.rmtree(work / "data" / f"s{i:04d}", ignore_errors=True)
            # Dry run on an empty results folder: every job planned, by ours and by the synthetic twin.
            results = work / "results"
            shutil.move(results, work / "results.keep")
            workflows = {"ours": REPO / "Snakefile", "synthetic": write_synthetic_workflow(work)}
            dry = _planned_alternating(work, workflows, args.repeat)
            shutil.move(work / "results.keep", results)
            if dry["ours"][1] != dry["synthetic"][1]:
                raise SystemExit(f"the synthetic workflow plans other jobs: {dry['synthetic'][1]} vs {dry['ours'][1]}")
            # No-op: copy s0000's results for every subject, then nothing should be left to do.
            for i in range(1, count):
                dst = results / f"s{i:04d}"
                if not dst.exists():
                    _copy_results(results / "s0000", dst)
            snakemake(work)  # the summary gains the new subjects' rows (its only real work)
            t_noop, noop_jobs = _timed(planned_jobs, work, repeat=args.repeat)
            rows.append((count, sum(dry["ours"][1].values()), dry["ours"][0], dry["synthetic"][0],
                         sum(noop_jobs.values()), t_noop))
            print(f"  {count} subjects done", flush=True)

    print()
    print(f"snakemake {_version()} ({SNAKEMAKE}); start-up alone (--version): {_startup(args.repeat):.2f} s")
    print()
    print(f"{'subjects':>8} {'jobs':>6} {'ours dry-run s':>15} {'synthetic s':>12} {'overhead ratio':>15} "
          f"{'per subject ms':>15} {'no-op jobs':>11} {'no-op s':>8}")
    base = rows[0][2]
    for count, jobs, t_dry, t_syn, noop_jobs, t_noop in rows:
        print(f"{count:>8} {jobs:>6} {t_dry:>15.2f} {t_syn:>12.2f} {t_dry / t_syn:>15.2f} "
              f"{1000 * (t_dry - base) / max(count - 1, 1):>15.1f} {noop_jobs:>11} {t_noop:>8.2f}")
    print("\n'overhead ratio': our dry run over the synthetic workflow's (same jobs and files, same Snakemake).")
    print("\n'per subject ms' is the dry-run time added by each subject beyond the first: flat = linear growth.")


if __name__ == "__main__":
    main()
