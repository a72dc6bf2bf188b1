"""Shared inputs of the retarget tests: OpenSim's tutorial subject (scaled + IK in a scratch folder),
the demo subject's ground-truth walk on the built-in model, and tiny synthetic .mot files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo01"


def run_tutorial_scale_ik(tutorial_dir: Path, work: Path) -> tuple[Path, Path]:
    """OpenSim's own tutorial 5 (unchanged setups, IK over the whole walk) in ``work``: (scaled .osim, .mot)."""
    import opensim as osim

    osim.Logger.setLevelString("error")
    osim.Logger.removeFileSink()
    for f in tutorial_dir.iterdir():
        if f.is_file():
            shutil.copy(f, work / f.name)
    setup = (work / "subject01_Setup_IK.xml").read_text()
    start, stop = setup.index("<time_range>"), setup.index("</time_range>")
    (work / "ik_full.xml").write_text(setup[:start] + "<time_range> 0 10" + setup[stop:])
    import os

    cwd = os.getcwd()
    try:
        os.chdir(work)
        osim.ScaleTool("gait2354_Setup_Scale.xml").run()
        osim.InverseKinematicsTool("ik_full.xml").run()
    finally:
        os.chdir(cwd)
    return work / "subject01_simbody.osim", work / "subject01_walk1_ik.mot"


def write_mot(path: Path, coords: dict[str, np.ndarray], rate_hz: float = 100.0) -> Path:
    """A small OpenSim .mot of ``coords`` (degrees for rotations; translations in metres) at ``rate_hz``."""
    from gaitmimic.io.mot import write_mot_arrays

    names = list(coords)
    n = len(next(iter(coords.values())))
    write_mot_arrays(path, names, np.arange(n) / rate_hz, np.column_stack([np.asarray(coords[k], float) for k in names]),
                     in_degrees=True, name=path.stem)
    return path


def builtin_model(path: Path, height_m: float = 1.75, mass_kg: float = 70.0) -> Path:
    from gaitmimic.opensim.model.builtin import build_model

    build_model(height_m, mass_kg, path)
    return path


#: Subjects run through the upstream stages by the retarget tests: static, walk, mass (kg), height (m),
#: raw folder ("shared" = ../shared/data/btk-plugingait, "demo" = data/demo01). BTK numbers as in
#: tests/_opensim_cases.py (ANTO_M's C3D has no mass/height: estimated there).
UPSTREAM_SUBJECTS = {
    "demo01": ("static01", "walk01", 70.0, 1.75, "demo"),
    "BELT_C": ("PiG_Calibration-FlatFoot-Full", "PiG_Motion-FlatFoot-Full", 47.5, 1.505, "shared"),
    "ANTO_M": ("PiG_Calibration-FlatFoot-Hole", "PiG_Motion-FlatFoot-Hole", 65.0, 1.77, "shared"),
    "flatFoot": ("PiG_Calibration3_FF", "PiG_Motion3_FF", 74.0, 1.76, "shared"),
}


def run_upstream(raw_dir: Path, static: str, walk: str, mass_kg: float, height_m: float, out: Path, name: str) -> dict:
    """markers (+ events) -> scale (built-in model) -> IK with the upstream stages' library functions.

    Returns paths: osim, mot, events, markers_json. Raises what the stages raise (InputError for bad data).
    """
    from gaitmimic import settings
    from gaitmimic.markers.stage import process_trial
    from gaitmimic.opensim.stage import run_ik, scale_subject

    static_trc, walk_trc = out / f"{static}.trc", out / f"{walk}.trc"
    markers, events = settings.section("markers"), settings.section("events")
    process_trial(raw_dir / f"{static}.c3d", static_trc, None, out / f"{static}_markers.json", None, markers, events, {}, True)
    process_trial(raw_dir / f"{walk}.c3d", walk_trc, out / f"{walk}.csv", out / f"{walk}_markers.json", None, markers, events, {},
                  False)
    osim = out / f"{name}.osim"
    scale_subject(static_trc, osim, out / "scale_report.json", subject=name, mass_kg=mass_kg, height_m=height_m,
                  model=settings.section("model"), scale=settings.section("scale"), log_file=out / "opensim.log")
    mot = out / f"{walk}.mot"
    run_ik(osim, walk_trc, mot, out / f"{walk}_ik_summary.json", model=settings.section("model"), ik=settings.section("ik"),
           log_file=out / "opensim.log")
    return {"osim": osim, "mot": mot, "events": out / f"{walk}.csv", "markers_json": out / f"{walk}_markers.json"}
