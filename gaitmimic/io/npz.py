"""NumPy ``.npz`` archives of the artifacts (reference, joint centres, rollouts): the one atomic writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitmimic.atomic import atomic_path

__all__ = ["write_npz"]


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as a compressed npz (atomically); returns ``path``."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    return Path(path)
