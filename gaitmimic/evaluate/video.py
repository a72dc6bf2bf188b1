"""MP4 of a rollout: the simulated humanoid with a translucent reference ghost, tracking side view.
Entry of the ``eval_video`` rule: :func:`render_videos`.

The ghost is the reference ``qpos`` of each frame drawn by :mod:`gaitmimic.sim.render` (the project's one
renderer) in a single colour: it exists only in the picture, so it can neither collide with nor perturb the
simulated humanoid, and the rollout is filmed after the fact from its recorded arrays alone. H.264 through
imageio-ffmpeg. What the config sets is ``evaluate.video`` (size, frame rate, ghost alpha and offset, camera
distance, shadows); the rest of the look is fixed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.evaluate import report_html
from gaitmimic.io.reports import read_json
from gaitmimic.io.rollouts import Rollout, read_rollouts
from gaitmimic.sim.render import Camera, Ghost, camera_track, render_mp4

__all__ = ["frame_rows", "render_rollout", "render_videos"]

#: Colour of the reference ghost (its alpha is ``evaluate.video.ghost_alpha``).
GHOST_RGB = (0.2, 0.55, 1.0)
#: Side view following the walker: azimuth 90 deg looks along +Y (walking direction +X left to right).
CAMERA_AZIMUTH_DEG, CAMERA_ELEVATION_DEG, CAMERA_HEIGHT_M = 90.0, -10.0, 0.9
#: Centred moving-average window (s) of the tracking camera (steady, no lag).
CAMERA_SMOOTHING_S = 1.0
#: H.264 quality (lower = better, larger) and x264 speed preset.
CRF, PRESET = 23, "veryfast"


def frame_rows(rollout: Rollout, fps: float) -> np.ndarray:
    """Rollout row shown in each video frame (sample and hold): the whole episode at ``fps``."""
    duration_s = rollout.n_steps * rollout.control_dt_s
    n_frames = max(1, int(np.ceil(duration_s * fps - 1e-6)))
    rows = np.floor(np.arange(n_frames) / fps / rollout.control_dt_s + 1e-6).astype(int)
    return np.clip(rows, 0, rollout.n_steps - 1)


def render_rollout(humanoid_xml: str | Path, rollout: Rollout, out_mp4: str | Path, video, title: str = "",
                   caption_lines: list[str] | None = None) -> dict:
    """Render ``rollout`` to ``out_mp4`` (H.264) with the ``evaluate.video`` settings ``video``
    (``settings.section("evaluate", ...).video``); return ``{"frames", "width", "height", "fps", "seconds"}``.

    ``title`` and ``caption_lines`` are drawn in the top-left corner with the running time and a fall marker.
    """
    rows = frame_rows(rollout, video.fps)
    look_xy = camera_track(rollout.qpos[:, :2], rollout.control_dt_s, CAMERA_SMOOTHING_S)
    captions = []
    for row in rows:
        status = f"t = {rollout.time_s[row]:5.2f} s   ghost = reference"
        if rollout.fell[row]:
            status += "   FELL"
        captions.append(([title] if title else []) + list(caption_lines or []) + [status])
    return render_mp4(
        humanoid_xml, rollout.qpos[rows], out_mp4, fps=video.fps, width=video.width, height=video.height,
        camera=Camera(video.camera_distance_m, CAMERA_AZIMUTH_DEG, CAMERA_ELEVATION_DEG, CAMERA_HEIGHT_M),
        shadows=video.shadows, crf=CRF, preset=PRESET, lookat_xy=look_xy[rows],
        ghost=Ghost(rollout.ref_qpos[rows], (*GHOST_RGB, float(video.ghost_alpha)), tuple(video.ghost_offset_m)),
        captions=captions,
    )


def render_videos(subject: str, humanoid_xml: str | Path, rollouts_npz: str | Path, metrics_json: str | Path,
                  films: list[tuple[str, str | Path, str | Path | None]], evaluate) -> list[dict]:
    """Entry of the ``eval_video`` rule: for each ``(which, out_mp4, out_html)`` of ``films``, film the phase-0
    rollout of ``which`` ("policy" or "zero_action") with the reference ghost (``evaluate``: the ``evaluate``
    settings; ``evaluate.video`` says how). The rollouts and metrics are read once."""
    rollouts, metrics = read_rollouts(rollouts_npz), read_json(metrics_json)
    out = []
    for which, out_mp4, out_html in films:
        candidates = [r for r in rollouts if r.policy == which]
        if not candidates:
            raise InputError(rollouts_npz, f"no {which!r} rollout recorded",
                             "enable evaluate.zero_action_floor or drop it from evaluate.video.rollouts")
        out.append(_film(subject, humanoid_xml, candidates[0], metrics[which], which, evaluate, out_mp4, out_html))
    return out


def _film(subject: str, humanoid_xml: str | Path, r: Rollout, m: dict, which: str, evaluate, out_mp4: str | Path,
          out_html: str | Path | None) -> dict:
    per = m["rollouts"][0]

    def fmt(v, spec):
        return format(v, spec) if isinstance(v, (int, float)) else "n/a"

    sim_v, ref_v = per["forward_speed_mps"], per["reference_speed_mps"]
    ratio = sim_v / ref_v if isinstance(sim_v, (int, float)) and isinstance(ref_v, (int, float)) and ref_v else None
    lines = [f"tracked {fmt(per['tracked_fraction'], '.2f')}   joint RMSE {fmt(m['joint_rmse_deg'], '.1f')} deg"
             f"   speed ratio {fmt(ratio, '.2f')}"]
    title = f"{subject}   {which.replace('_', '-')}   start phase {r.start_phase:.2f}"
    info = render_rollout(humanoid_xml, r, out_mp4, evaluate.video, title=title, caption_lines=lines)
    if out_html is not None:
        report_html.video_page(out_mp4, out_html, title, lines + [
            f"{info['frames']} frames, {info['width']}x{info['height']} at {info['fps']:g} fps; "
            "translucent blue = the reference (ghost), solid = the simulated humanoid."])
    return info
