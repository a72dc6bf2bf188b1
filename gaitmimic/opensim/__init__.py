"""OpenSim stages: scale the generic model per subject, inverse kinematics per walking trial.

Public API:

- :func:`gaitmimic.opensim.scale.scale_subject` (static TRC -> scaled ``.osim`` + ``scale_report.json``)
- :func:`gaitmimic.opensim.ik.run_ik` (scaled model + TRC -> ``.mot`` in degrees + ``<trial>_ik_summary.json``)
- :mod:`gaitmimic.opensim.marker_sets`: scale measurements, default IK/placement weights and the
  Plug-in Gait -> gait2392/gait2354 marker map.

Both entry points take the ``model:`` section of config.yaml plus their own (``scale:``/``ik:``) as plain
dicts, force the C numeric locale, drive OpenSim through setup XML written from templates
(:mod:`~gaitmimic.opensim.setup_xml`) and can send OpenSim's log to a file (``log_file``).
"""

from gaitmimic.opensim.ik import run_ik
from gaitmimic.opensim.scale import scale_subject

__all__ = ["run_ik", "scale_subject"]
