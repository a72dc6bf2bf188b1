"""gaitmimic: from a gait lab's motion capture to a simulated humanoid that walks like the subject.

The library holds all logic; the Snakemake workflow (``Snakefile``, ``rules/``, ``workflow_scripts/``)
only wires files to the entry functions here. Nothing in this package imports Snakemake.
"""

__version__ = "0.3.0"

import os as _os

# Offscreen rendering without a display or GPU (Mesa EGL). Users never need to set it.
_os.environ.setdefault("MUJOCO_GL", "egl")
