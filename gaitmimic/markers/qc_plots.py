"""QC figure of the marker stage: marker heights before and after filtering, with the gait events."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_marker_heights"]


def plot_marker_heights(path: str | Path, time_s: np.ndarray, names: list[str], raw_heights: np.ndarray,
                        filtered_heights: np.ndarray, events=None, title: str = "") -> None:
    """Write a PNG: one panel per marker, raw (grey dots) and filtered (line) height in meters;
    heel strikes (solid) and toe offs (dashed) as vertical lines, left blue / right red.

    ``raw_heights``/``filtered_heights``: (n_frames, len(names)). ``events``: DataFrame of the events table.
    The caller makes the write atomic (pass a temporary path).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(names), 1)
    fig, axes = plt.subplots(n, 1, figsize=(10, 1.6 * n + 1), sharex=True, squeeze=False)
    for i, name in enumerate(names):
        ax = axes[i, 0]
        ax.plot(time_s, raw_heights[:, i], ".", color="0.6", ms=2, label="raw (rotated)")
        ax.plot(time_s, filtered_heights[:, i], "-", color="k", lw=1, label="filled + filtered")
        ax.set_ylabel(f"{name}\nheight (m)", fontsize=8)
        if events is not None and len(events):
            for _, ev in events.iterrows():
                ax.axvline(ev["time_s"], color="tab:blue" if ev["side"] == "left" else "tab:red",
                           ls="-" if ev["event"] == "heel_strike" else "--", lw=0.8)
    axes[0, 0].legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("time (s)  |  events: solid = heel strike, dashed = toe off, blue = left, red = right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(str(path), format="png", dpi=80)
    plt.close(fig)
