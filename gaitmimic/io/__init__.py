"""The file formats of the pipeline: every file passed between jobs is read and written here only.

- :mod:`~gaitmimic.io.c3d`: C3D motion capture (read): markers, ``EVENT`` annotations, force plates.
- :mod:`~gaitmimic.io.trc`: TRC marker files (read, tolerant of lab variants; write, OpenSim layout).
- :mod:`~gaitmimic.io.markerdata`: what the C3D/TRC readers return (:class:`MarkerTrial`), their unit
  table and label rule.
- :mod:`~gaitmimic.io.mot`: OpenSim ``.mot``/``.sto`` storage files (read/write).
- :mod:`~gaitmimic.io.events`: the gait events CSV of the marker stage (read/write).
- :mod:`~gaitmimic.io.reference`: the retarget stage's reference motion and joint-centres npz (read/write).
- :mod:`~gaitmimic.io.policy`: the trained policy bundle (read/write).
- :mod:`~gaitmimic.io.rollouts`: the evaluation rollouts npz (read/write).
- :mod:`~gaitmimic.io.npz`: the atomic npz writer the three npz formats share.
- :mod:`~gaitmimic.io.reports`: the JSON reports and CSV tables of the stages (read/write).
"""
