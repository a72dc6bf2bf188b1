"""OpenSim setup files (ScaleTool, InverseKinematicsTool) written from templates.

The files are kept beside the outputs' scratch folder so a user can open and rerun them in the
OpenSim GUI. Every path in them is absolute; every number is written with '.' decimals.
"""

from __future__ import annotations

import os
from pathlib import Path
from string import Template
from typing import Any
from xml.sax.saxutils import escape

SCALE_TEMPLATE = Template("""<?xml version="1.0" encoding="UTF-8"?>
<OpenSimDocument Version="40000">
  <ScaleTool name="$name">
    <mass>$mass_kg</mass>
    <height>$height_mm</height>
    <age>-1</age>
    <notes>Written by gaitmimic.opensim</notes>
    <GenericModelMaker>
      <model_file>$generic_model</model_file>
      <marker_set_file>Unassigned</marker_set_file>
    </GenericModelMaker>
    <ModelScaler>
      <apply>true</apply>
      <scaling_order>$scaling_order</scaling_order>
      <MeasurementSet>
        <objects>
$measurements
        </objects>
        <groups/>
      </MeasurementSet>
      <ScaleSet>
        <objects>
$manual_scales
        </objects>
        <groups/>
      </ScaleSet>
      <marker_file>$marker_file</marker_file>
      <time_range>$t0 $t1</time_range>
      <preserve_mass_distribution>true</preserve_mass_distribution>
      <output_model_file>$scaled_only_model</output_model_file>
      <output_scale_file>$scale_set_file</output_scale_file>
    </ModelScaler>
    <MarkerPlacer>
      <apply>true</apply>
      <IKTaskSet>
        <objects>
$tasks
        </objects>
        <groups/>
      </IKTaskSet>
      <marker_file>$marker_file</marker_file>
      <coordinate_file>Unassigned</coordinate_file>
      <time_range>$p0 $p1</time_range>
      <output_motion_file>$static_motion</output_motion_file>
      <output_model_file>$output_model</output_model_file>
      <output_marker_file>Unassigned</output_marker_file>
      <max_marker_movement>-1</max_marker_movement>
    </MarkerPlacer>
  </ScaleTool>
</OpenSimDocument>
""")

IK_TEMPLATE = Template("""<?xml version="1.0" encoding="UTF-8"?>
<OpenSimDocument Version="40000">
  <InverseKinematicsTool name="$name">
    <results_directory>$results_dir</results_directory>
    <model_file>$model_file</model_file>
    <constraint_weight>$constraint_weight</constraint_weight>
    <accuracy>$accuracy</accuracy>
    <IKTaskSet>
      <objects>
$tasks
      </objects>
      <groups/>
    </IKTaskSet>
    <marker_file>$marker_file</marker_file>
    <coordinate_file>Unassigned</coordinate_file>
    <time_range>$t0 $t1</time_range>
    <report_errors>true</report_errors>
    <output_motion_file>$output_motion</output_motion_file>
    <report_marker_locations>true</report_marker_locations>
  </InverseKinematicsTool>
</OpenSimDocument>
""")

_MEASUREMENT = Template("""          <Measurement name="$name">
            <apply>true</apply>
            <MarkerPairSet><objects>
$pairs
            </objects><groups/></MarkerPairSet>
            <BodyScaleSet><objects>
$bodies
            </objects><groups/></BodyScaleSet>
          </Measurement>""")


def _rel(p: Path, setup: Path) -> str:
    """Paths relative to the setup file's folder (OpenSim's tools resolve them from there)."""
    return escape(os.path.relpath(Path(p).resolve(), Path(setup).resolve().parent))


def _num(x: float) -> str:
    return repr(float(x))


def _name(s: str) -> str:
    return escape(str(s), {'"': "&quot;"})


def marker_tasks_xml(weights: dict[str, float]) -> str:
    return "\n".join(
        f'          <IKMarkerTask name="{_name(m)}"><apply>true</apply><weight>{_num(w)}</weight></IKMarkerTask>'
        for m, w in weights.items())


def coordinate_tasks_xml(tasks: dict[str, dict[str, Any]]) -> str:
    """``{coordinate: {"weight": w, "value_deg": v or None}}``: None = the model's default value."""
    out = []
    for name, t in tasks.items():
        value = t["value_deg"]
        kind = "default_value" if value is None else "manual_value"
        value_rad = 0.0 if value is None else float(value) * 3.141592653589793 / 180.0
        out.append(f'          <IKCoordinateTask name="{_name(name)}"><apply>true</apply><weight>{_num(t["weight"])}</weight>'
                   f'<value_type>{kind}</value_type><value>{_num(value_rad)}</value></IKCoordinateTask>')
    return "\n".join(out)


def measurements_xml(measurements: dict[str, dict[str, Any]]) -> str:
    blocks = []
    for name, m in measurements.items():
        pairs = "\n".join(f"              <MarkerPair><markers>{_name(a)} {_name(b)}</markers></MarkerPair>" for a, b in m["pairs"])
        bodies = "\n".join(f'              <BodyScale name="{_name(b)}"><axes>{m["axes"]}</axes></BodyScale>' for b in m["bodies"])
        blocks.append(_MEASUREMENT.substitute(name=_name(name), pairs=pairs, bodies=bodies))
    return "\n".join(blocks)


def manual_scales_xml(scales: dict[str, float]) -> str:
    return "\n".join(
        f"          <Scale><scales>{_num(s)} {_num(s)} {_num(s)}</scales><segment>{_name(b)}</segment><apply>true</apply></Scale>"
        for b, s in scales.items())


def write_scale_setup(path: Path, *, name: str, mass_kg: float, height_m: float, generic_model: Path,
                      marker_file: Path, time_range: tuple[float, float], placement_time_range: tuple[float, float], measurements: dict, manual_scales: dict[str, float],
                      marker_weights: dict[str, float], coordinate_tasks: dict, out_dir: Path) -> dict[str, Path]:
    """Write a ScaleTool setup; returns the paths of the files the tool will write."""
    outs = {"scaled_only_model": out_dir / "scaled_only.osim", "scale_set_file": out_dir / "scale_set_applied.xml",
            "static_motion": out_dir / "static_pose.mot", "output_model": out_dir / "scaled.osim"}
    order = " ".join(k for k, v in (("measurements", measurements), ("manualScale", manual_scales)) if v) or "manualScale"
    text = SCALE_TEMPLATE.substitute(
        name=_name(name), mass_kg=_num(mass_kg), height_mm=_num(height_m * 1000.0), generic_model=_rel(generic_model, path),
        scaling_order=order, measurements=measurements_xml(measurements), manual_scales=manual_scales_xml(manual_scales),
        marker_file=_rel(marker_file, path), t0=_num(time_range[0]), t1=_num(time_range[1]),
        p0=_num(placement_time_range[0]), p1=_num(placement_time_range[1]),
        tasks=marker_tasks_xml(marker_weights) + "\n" + coordinate_tasks_xml(coordinate_tasks),
        **{k: _rel(v, path) for k, v in outs.items()})
    path.write_text(text)
    return outs


def write_ik_setup(path: Path, *, name: str, model_file: Path, marker_file: Path, time_range: tuple[float, float],
                   marker_weights: dict[str, float], coordinate_tasks: dict, output_motion: Path, results_dir: Path,
                   accuracy: float = 1e-5, constraint_weight: float = 20.0) -> None:
    text = IK_TEMPLATE.substitute(
        name=_name(name), results_dir=_rel(results_dir, path), model_file=_rel(model_file, path), constraint_weight=_num(constraint_weight),
        accuracy=_num(accuracy), tasks=marker_tasks_xml(marker_weights) + "\n" + coordinate_tasks_xml(coordinate_tasks),
        marker_file=_rel(marker_file, path), t0=_num(time_range[0]), t1=_num(time_range[1]),
        output_motion=_rel(output_motion, path))
    path.write_text(text)
