"""IK throughput: our IK stage (gaitmimic.opensim.stage.run_ik) vs OpenSim's InverseKinematicsTool run
directly on the same model, marker file and marker weights, in the same run.

Our stage adds: reading and rewriting the TRC (marker map, NaN gaps), writing the setup XML, reporting
model marker locations, and the per-frame error summary. The table shows what that costs.

    python bench/opensim.py [--repeats 2]

Cases: OpenSim's tutorial walk (gait2354, 151 frames), the demo subject's walk (built-in model; needs
data/demo01) and the BTK Plug-in Gait walk BELT_C (built-in model; needs ../shared/data).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# This file is named opensim.py: keep its folder off the import path so `import opensim` finds OpenSim.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.modules.pop("opensim", None) if getattr(sys.modules.get("opensim"), "__file__", "") == __file__ else None
SHARED = REPO.parent / "shared" / "data"


def _direct_ik(osim, model_path: Path, trc: Path, weights: dict[str, float], coord_tasks: dict, ik, out: Path) -> float:
    """OpenSim's InverseKinematicsTool set up through its API, no gaitmimic code in the loop; returns seconds."""
    t0 = time.perf_counter()
    model = osim.Model(str(model_path))
    tool = osim.InverseKinematicsTool()
    tool.setModel(model)
    tool.set_marker_file(str(trc))
    tasks = tool.getIKTaskSet()
    for name, w in weights.items():
        task = osim.IKMarkerTask()
        task.setName(name)
        task.setWeight(w)
        tasks.cloneAndAppend(task)
    for name, t in coord_tasks.items():
        task = osim.IKCoordinateTask()
        task.setName(name)
        task.setWeight(t["weight"])
        tasks.cloneAndAppend(task)
    table = osim.TimeSeriesTableVec3(str(trc))
    times = table.getIndependentColumn()
    tool.setStartTime(times[0])
    tool.setEndTime(times[-1])
    tool.set_accuracy(ik.accuracy)
    tool.set_constraint_weight(ik.constraint_weight)
    tool.setOutputMotionFileName(str(out))
    tool.setResultsDir(str(out.parent))
    assert tool.run()
    return time.perf_counter() - t0


def _cases(work: Path) -> list[tuple[str, Path, Path, object]]:
    """(name, scaled model, processed TRC, model settings) for each case whose data exists."""
    from gaitmimic import settings
    from gaitmimic.opensim.stage import scale_subject

    cases = []
    tut = SHARED / "opensim-tutorial5"
    if tut.is_dir():
        model = settings.section("model", {"generic": str(tut / "gait2354_simbody.osim"),
                                           "marker_set": str(tut / "gait2354_Scale_MarkerSet.xml")})
        scale_subject(tut / "subject01_static.trc", work / "tut.osim", work / "tut.json", subject="subject01",
                      mass_kg=72.6, height_m=1.8, model=model, scale=settings.section("scale"))
        cases.append(("tutorial walk1, gait2354", work / "tut.osim", tut / "subject01_walk1.trc", model))
    from gaitmimic.markers.stage import process_trial

    raw_sets = [("demo01 walk01, built-in", REPO / "data" / "demo01", "static01.c3d", "walk01.c3d", 70.0, 1.75),
                ("BTK BELT_C walk, built-in", SHARED / "btk-plugingait", "PiG_Calibration-FlatFoot-Full.c3d",
                 "PiG_Motion-FlatFoot-Full.c3d", 47.5, 1.505)]
    for name, folder, static, walk, mass, height in raw_sets:
        if not (folder / walk).exists():
            print(f"(skipping {name}: {folder / walk} not found)", file=sys.stderr)
            continue
        trcs = []
        for raw, is_static in ((static, True), (walk, False)):
            out = work / f"{Path(raw).stem}.trc"
            process_trial(folder / raw, out, None, work / f"{Path(raw).stem}.json", None, settings.section("markers"),
                          settings.section("events"), {}, is_static)
            trcs.append(out)
        key = name.split(",")[0].replace(" ", "_")
        scale_subject(trcs[0], work / f"{key}.osim", work / f"{key}.json", subject=key, mass_kg=mass, height_m=height,
                      model=settings.section("model"), scale=settings.section("scale"))
        cases.append((name, work / f"{key}.osim", trcs[1], settings.section("model")))
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant; the fastest counts")
    args = parser.parse_args(argv)

    from gaitmimic.opensim.ik import IK_COORDINATE_TASKS
    from gaitmimic.opensim.runtime import import_opensim, opensim_log
    from gaitmimic.opensim.stage import run_ik

    osim = import_opensim()
    rows = []
    sys.stdout.flush()
    saved_stdout = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)                 # OpenSim's C++ console log would bury the table; it goes to the log file
    try:
        rows = _measure(osim, args.repeats, run_ik, opensim_log, IK_COORDINATE_TASKS)
    finally:
        os.dup2(saved_stdout, 1)
    print(f"\nIK frames per second (best of {args.repeats}; same machine, same run)\n")
    print(f"| {'case':28s} | frames | OpenSim IK tool direct | our IK stage | our overhead |")
    print(f"| {'-' * 28} | ------ | ---------------------- | ------------ | ------------ |")
    for name, n, fps_direct, fps_ours, overhead in rows:
        print(f"| {name:28s} | {n:6d} | {fps_direct:22.1f} | {fps_ours:12.1f} | {overhead:+11.1f}% |")


def _measure(osim, repeats, run_ik, opensim_log, coord_tasks) -> list[tuple]:
    from gaitmimic import settings

    ik = settings.section("ik")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_opensim_") as tmp:
        work = Path(tmp)
        log = work / "opensim.log"
        with opensim_log(log), contextlib.redirect_stdout(io.StringIO()):
            cases = _cases(work)
        for name, model, trc, model_settings in cases:
            ours, direct = [], []
            for r in range(repeats):
                direct_trc = _direct_trc(trc, work)            # prepared outside the timed region

                def run_ours():
                    t0 = time.perf_counter()
                    with contextlib.redirect_stdout(io.StringIO()):
                        result = run_ik(model, trc, work / f"ours{r}.mot", work / f"ours{r}.json", model=model_settings,
                                        ik=ik, log_file=log)
                    ours.append(time.perf_counter() - t0)
                    return result

                def run_direct(weights):
                    with opensim_log(log), contextlib.redirect_stdout(io.StringIO()):
                        direct.append(_direct_ik(osim, model, direct_trc, weights, coord_tasks, ik,
                                                 work / f"direct{r}.mot"))

                if r == 0:
                    summary = run_ours()           # its marker weights are the direct run's tasks
                    run_direct(summary["marker_weights"])
                else:                              # alternate the order: the machine is shared and noisy
                    run_direct(summary["marker_weights"])
                    run_ours()
            n = summary["n_frames"]
            rows.append((name, n, n / min(direct), n / min(ours), (min(ours) / min(direct) - 1) * 100))
    return rows


def _direct_trc(trc: Path, work: Path) -> Path:
    """The same marker data for the direct run, in a TRC OpenSim's own reader accepts (gaps as NaN)."""
    from gaitmimic.io.trc import read_trc, write_trc

    out = work / f"direct_{trc.stem}.trc"
    if not out.exists():
        write_trc(out, read_trc(trc))
    return out


if __name__ == "__main__":
    sys.exit(main())
