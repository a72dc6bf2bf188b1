"""Entry of the ``retarget_playback`` rule: the kinematic playback video of a reference, with the OpenSim
joint centres drawn as spheres beside the humanoid's own (a visual check of the retargeting), through the
project's one renderer (:mod:`gaitmimic.sim.render`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitmimic.errors import InputError
from gaitmimic.io.reference import read_joint_centres, read_reference
from gaitmimic.sim import render

__all__ = ["write_playback"]

#: Look of the playback video: joint-centre spheres' colour; side view following the root (azimuth 90 deg
#: looks along +Y, walking direction +X left to right), look-at height; H.264 quality and x264 preset.
SPHERE_RGBA = (1.0, 0.2, 0.1, 0.9)
CAMERA_AZIMUTH_DEG, CAMERA_ELEVATION_DEG, CAMERA_HEIGHT_M = 90.0, -10.0, 0.9
CRF, PRESET = 23, "medium"


def write_playback(reference_npz, centres_npz, humanoid_xml, out_video, video) -> Path:
    """Stage entry: the kinematic playback mp4 of a reference, OpenSim joint centres drawn as spheres, camera
    following the root from the side. ``video``: the ``retarget.playback_video`` settings
    (``settings.section("retarget", ...).playback_video``).

    A job of its own, so a new video size or frame rate re-renders only the video.
    """
    ref = read_reference(reference_npz)
    centres, _ = read_joint_centres(centres_npz)
    if centres.shape[0] != ref.n_frames:
        raise InputError(centres_npz, f"{centres.shape[0]} frames of joint centres for a {ref.n_frames}-frame "
                         f"reference ({reference_npz})", "re-run the retarget stage for this trial")
    fps = min(float(video.fps), ref.control_rate_hz)
    idx = np.round(np.arange(0.0, min(ref.time_s[-1], float(video.max_seconds)) + 1e-9, 1.0 / fps)
                   * ref.control_rate_hz).astype(int)
    idx = idx[idx < ref.n_frames]
    render.render_mp4(
        humanoid_xml, ref.qpos[idx], out_video, fps=fps, width=int(video.width), height=int(video.height),
        camera=render.Camera(float(video.camera_distance_m), CAMERA_AZIMUTH_DEG, CAMERA_ELEVATION_DEG, CAMERA_HEIGHT_M),
        shadows=True, crf=CRF, preset=PRESET,
        markers=render.Markers(centres[idx], float(video.sphere_radius_m), SPHERE_RGBA))
    return Path(out_video)
