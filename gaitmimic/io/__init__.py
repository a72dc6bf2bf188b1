"""File formats at the pipeline's boundaries: C3D (read), TRC (read/write), MOT/STO (read/write)."""
