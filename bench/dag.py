"""DAG overhead with many subjects: dry-run and no-op times for 1, 10, 100 and 300 subjects.

Subjects are made by copying the demo subject under new names. The dry run plans every job of
every subject. For the no-op time, one subject is run for real once (tiny training budget), its
results are copied for every other subject (their inputs are identical copies, file times kept), and a
second `snakemake` then has nothing to do: the time is pure DAG building and up-to-date checking.
Both are timed as `snakemake --dry-run --quiet rules` (the plan without printing every job), median of
--repeat runs (5 by default; with --baseline the two installs take turns). `snakemake --version` is timed
too: the start-up cost under every row.

The baseline, measured in the same run, is another Snakemake install given with --baseline (e.g. the newest
9.x in its own venv: `python3.11 -m venv /tmp/sm9 && /tmp/sm9/bin/pip install snakemake pyyaml jsonschema`);
without it only the project's own Snakemake is timed.

    python bench/dag.py [--counts 1 10 100 300] [--baseline /tmp/sm9/bin/snakemake]
"""

from __future__ import annotations

import argparse
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


def _planned_alternating(work: Path, executables: dict[str, Path], repeat: int) -> dict[str, tuple[float, dict]]:
    """{label: (median wall time, planned jobs)} of dry runs, the executables taking turns so that both
    see the same machine load."""
    times: dict[str, list[float]] = {label: [] for label in executables}
    jobs: dict[str, dict] = {}
    for _ in range(repeat):
        for label, exe in executables.items():
            t, jobs[label] = _timed(planned_jobs, work, executable=exe)
            times[label].append(t)
    return {label: (statistics.median(times[label]), jobs[label]) for label in executables}


def _copy_results(src: Path, dst: Path) -> None:
    """Copy one subject's results under another name (file names carry the subject), keeping file times."""
    shutil.copytree(src, dst, copy_function=shutil.copy2)
    for path in sorted(dst.rglob(f"*{src.name}*"), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name(path.name.replace(src.name, dst.name)))


def _version(executable: Path) -> str:
    return subprocess.run([str(executable), "--version"], capture_output=True, text=True, check=True).stdout.strip()


def _startup(executable: Path, repeat: int) -> float:
    return _timed(subprocess.run, [str(executable), "--version"], capture_output=True, check=True, repeat=repeat)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 100, 300])
    parser.add_argument("--demo", type=Path, default=REPO / "data" / "demo01")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per point (the median is printed)")
    parser.add_argument("--baseline", type=Path, help="another Snakemake executable to time in the same run")
    args = parser.parse_args()
    executables = {"ours": SNAKEMAKE}
    if args.baseline:
        executables["baseline"] = args.baseline

    with tempfile.TemporaryDirectory(prefix="gaitmimic-dag-") as tmp:
        work = Path(tmp)
        write_tiny_config(work)
        print("one real run of subject s0000 (tiny budget) to have complete results to copy ...", flush=True)
        shutil.copytree(args.demo, work / "data" / "s0000")
        snakemake(work)
        rows = []  # (label, count, jobs, dry-run s, no-op jobs, no-op s)
        for count in args.counts:
            for i in range(count):
                name = f"s{i:04d}"
                if not (work / "data" / name).exists():
                    shutil.copytree(args.demo, work / "data" / name)
            for i in range(count, max(args.counts)):
                shutil.rmtree(work / "data" / f"s{i:04d}", ignore_errors=True)
            # Dry run on an empty results folder: every job planned.
            results = work / "results"
            shutil.move(results, work / "results.keep")
            dry = _planned_alternating(work, executables, args.repeat)
            shutil.move(work / "results.keep", results)
            # No-op: copy s0000's results for every subject, then nothing should be left to do.
            for i in range(1, count):
                dst = results / f"s{i:04d}"
                if not dst.exists():
                    _copy_results(results / "s0000", dst)
            snakemake(work)  # the summary gains the new subjects' rows (its only real work)
            noop = _planned_alternating(work, executables, args.repeat)
            for label in executables:
                t_noop, noop_jobs = noop[label]
                t_dry, jobs = dry[label]
                rows.append((label, count, sum(jobs.values()), t_dry, sum(noop_jobs.values()), t_noop))
            print(f"  {count} subjects done", flush=True)

    print()
    for label, exe in executables.items():
        print(f"{label}: snakemake {_version(exe)} ({exe}); start-up alone (--version): "
              f"{_startup(exe, args.repeat):.2f} s")
    print()
    print(f"{'snakemake':>9} {'subjects':>8} {'jobs':>6} {'dry-run s':>10} {'per subject ms':>15} "
          f"{'no-op jobs':>11} {'no-op s':>8}")
    for label in executables:
        mine = [r for r in rows if r[0] == label]
        base = mine[0][3]
        for _, count, jobs, t_dry, noop_jobs, t_noop in mine:
            print(f"{label:>9} {count:>8} {jobs:>6} {t_dry:>10.2f} {1000 * (t_dry - base) / max(count - 1, 1):>15.1f} "
                  f"{noop_jobs:>11} {t_noop:>8.2f}")
    print("\n'per subject ms' is the dry-run time added by each subject beyond the first: flat = linear growth.")


if __name__ == "__main__":
    main()
