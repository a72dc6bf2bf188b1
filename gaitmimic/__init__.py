"""gaitmimic: from a gait lab's motion capture to a simulated humanoid that walks like the subject.

The library holds all logic; the Snakemake workflow (``Snakefile``, ``rules/``, ``workflow_scripts/``)
only wires files to the entry functions here. Nothing in this package imports Snakemake.
"""

__version__ = "0.1.0"
