"""OpenSim stages: scale the generic model per subject, inverse kinematics per walking trial.

Public API:

- :func:`gaitmimic.opensim_tools.scale.scale_subject` (static TRC -> scaled ``.osim`` + ``scale_report.json``)
- :func:`gaitmimic.opensim_tools.ik.run_ik` (scaled model + TRC -> ``.mot`` in degrees + ``<trial>_ik_summary.json``)
- :mod:`gaitmimic.opensim_tools.marker_sets`: scale measurements, default IK/placement weights and the
  Plug-in Gait -> gait2392/gait2354 marker map.

Both entry points take the ``model:`` section of config.yaml plus their own (``scale:``/``ik:``) as plain
dicts, force the C numeric locale, drive OpenSim through setup XML written from templates
(:mod:`~gaitmimic.opensim_tools.setup_xml`) and can send OpenSim's log to a file (``log_file``).
"""

from gaitmimic.opensim_tools.ik import run_ik
from gaitmimic.opensim_tools.scale import scale_subject

__all__ = ["run_ik", "scale_subject"]
