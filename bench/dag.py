"""DAG overhead with many subjects: dry-run and no-op times for 1, 10, 100 and 300 subjects.

Subjects are made by copying the demo subject under new names. The dry run plans every job of
every subject. For the no-op time, one subject is run for real once (tiny training budget), its
results are copied for every other subject (their inputs are identical copies, file times kept), and a
second `snakemake` then has nothing to do: the time is pure DAG building and up-to-date checking.
Both are timed as `snakemake --dry-run --quiet rules` (the plan without printing every job), median of
--repeat runs.

    python bench/dag.py [--counts 1 10 100 300]
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
from workflow_helpers import TINY_CONFIG, planned_jobs, snakemake, write_tiny_config  # noqa: E402


def _timed(fn, *args, repeat: int = 1, **kwargs) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls (this VM's timings vary by +-20 % from run to run)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _copy_results(src: Path, dst: Path) -> None:
    """Copy one subject's results under another name (file names carry the subject), keeping file times."""
    shutil.copytree(src, dst, copy_function=shutil.copy2)
    for path in sorted(dst.rglob(f"*{src.name}*"), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name(path.name.replace(src.name, dst.name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 100, 300])
    parser.add_argument("--demo", type=Path, default=REPO / "data" / "demo01")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per point (the median is printed)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaitmimic-dag-") as tmp:
        work = Path(tmp)
        write_tiny_config(work)
        print("one real run of subject s0000 (tiny budget) to have complete results to copy ...", flush=True)
        shutil.copytree(args.demo, work / "data" / "s0000")
        snakemake(work)
        rows = []
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
            t_dry, jobs = _timed(planned_jobs, work, repeat=args.repeat)
            shutil.move(work / "results.keep", results)
            # No-op: copy s0000's results for every subject, then nothing should be left to do.
            for i in range(1, count):
                dst = results / f"s{i:04d}"
                if not dst.exists():
                    _copy_results(results / "s0000", dst)
            snakemake(work)  # the summary gains the new subjects' rows (its only real work)
            t_noop, noop_jobs = _timed(planned_jobs, work, repeat=args.repeat)
            rows.append((count, sum(jobs.values()), t_dry, sum(noop_jobs.values()), t_noop))
            print(f"  {count} subjects done", flush=True)

    base = rows[0][2]
    print()
    print(f"{'subjects':>8} {'jobs':>6} {'dry-run s':>10} {'per subject ms':>15} {'no-op jobs':>11} {'no-op s':>8}")
    for count, jobs, t_dry, noop_jobs, t_noop in rows:
        print(f"{count:>8} {jobs:>6} {t_dry:>10.2f} {1000 * (t_dry - base) / max(count - 1, 1):>15.1f} {noop_jobs:>11} {t_noop:>8.2f}")
    print("\n'per subject ms' is the dry-run time added by each subject beyond the first: flat = linear growth.")


if __name__ == "__main__":
    main()
