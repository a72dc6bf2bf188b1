"""Kinematic playback video of a reference (no physics), with the OpenSim joint centres drawn as
small spheres for comparison. mp4 through imageio-ffmpeg; offscreen rendering through EGL by default.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco  # noqa: E402

from gaitmimic.atomic import atomic_path  # noqa: E402

SPHERE_RGBA = np.array([1.0, 0.2, 0.1, 0.9], dtype=np.float32)


def _add_spheres(scene: mujoco.MjvScene, points: np.ndarray, radius: float, rgba: np.ndarray) -> None:
    for p in points:
        if scene.ngeom >= scene.maxgeom:
            return
        mujoco.mjv_initGeom(scene.geoms[scene.ngeom], mujoco.mjtGeom.mjGEOM_SPHERE, np.array([radius, 0, 0]),
                            np.asarray(p, float), np.eye(3).reshape(9), rgba)
        scene.ngeom += 1


def render_frames(model: mujoco.MjModel, qpos: np.ndarray, points: np.ndarray | None = None, *,
                  width: int = 320, height: int = 240, camera_distance_m: float = 3.0,
                  azimuth_deg: float = 90.0, elevation_deg: float = -10.0, sphere_radius_m: float = 0.03):
    """Yield RGB frames (height, width, 3) uint8 of the humanoid posed at each ``qpos`` row.

    ``points`` (T, J, 3) are drawn as spheres (e.g. OpenSim joint centres). The camera follows the
    torso from the side (azimuth 90 deg looks along +Y, walking direction to the right).
    """
    data = mujoco.MjData(model)
    renderer = mujoco.Renderer(model, height=height, width=width)
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_FREE
    cam.distance, cam.azimuth, cam.elevation = camera_distance_m, azimuth_deg, elevation_deg
    torso = model.body("torso").id
    try:
        for t in range(qpos.shape[0]):
            data.qpos[:] = qpos[t]
            mujoco.mj_forward(model, data)
            cam.lookat[:] = [data.xpos[torso][0], data.xpos[torso][1], 0.9]
            renderer.update_scene(data, camera=cam)
            if points is not None:
                _add_spheres(renderer.scene, points[t], sphere_radius_m, SPHERE_RGBA)
            yield renderer.render().copy()
    finally:
        renderer.close()


def write_playback_video(model: mujoco.MjModel, qpos: np.ndarray, path: str | Path, fps: float,
                         points: np.ndarray | None = None, **render_kw) -> Path:
    """Write the kinematic playback mp4 (atomically); returns ``path``."""
    import imageio.v2 as imageio

    path = Path(path)
    with atomic_path(path) as tmp:
        writer = imageio.get_writer(str(tmp), fps=fps, codec="libx264", format="FFMPEG", macro_block_size=8,
                                    pixelformat="yuv420p")
        try:
            for frame in render_frames(model, qpos, points, **render_kw):
                writer.append_data(frame)
        finally:
            writer.close()
    return path
