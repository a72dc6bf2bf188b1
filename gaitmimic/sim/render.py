"""The one MuJoCo renderer of the project: a humanoid posed frame by frame from ``qpos`` (kinematics only,
no physics), filmed by a tracking camera, written as an H.264 MP4 (yuv420p) through imageio-ffmpeg.

Options of :func:`render_mp4`:

- ``ghost`` (:class:`Ghost`): a second pose of the same model (e.g. the reference beside a rollout), added
  to the scene with ``mjv_addGeoms`` in one colour, translucent when its alpha is below 1. It exists only in
  the picture: it can neither collide with nor perturb anything, so a rollout can be filmed after the fact
  from its recorded arrays alone.
- ``markers`` (:class:`Markers`): spheres at world points (e.g. the OpenSim joint centres).
- the camera (:class:`Camera`) looks at ``lookat_xy`` per frame, at a fixed height; by default the root's
  horizontal position (the camera follows the walker); :func:`camera_track` smooths it without lag.
- ``captions``: lines of text per frame, drawn in the top-left corner.

World frame: MuJoCo (X forward, Y left, Z up), metres. Each frame is posed with ``mj_kinematics``,
``mj_comPos`` and ``mj_camlight`` (the suite humanoid's light tracks the centre of mass). Headless rendering:
``MUJOCO_GL`` is set by ``gaitmimic/__init__.py`` before mujoco loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import imageio.v2 as imageio
import mujoco
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gaitmimic.atomic import atomic_path

__all__ = ["Camera", "Ghost", "Markers", "camera_track", "render_mp4", "read_video_info"]


@dataclass(frozen=True)
class Camera:
    """A free camera: ``distance_m`` from the look-at point, ``azimuth_deg`` (90 looks along +Y: the walking
    direction +X runs left to right), ``elevation_deg`` (negative: from above), look-at ``height_m``."""

    distance_m: float
    azimuth_deg: float
    elevation_deg: float
    height_m: float


@dataclass(frozen=True)
class Ghost:
    """A second pose per video frame, ``qpos`` (N, nq) of the same model, shifted by ``offset_m`` (3,) and drawn
    in ``rgba`` (translucent when alpha < 1)."""

    qpos: np.ndarray
    rgba: tuple[float, float, float, float]
    offset_m: tuple[float, float, float]


@dataclass(frozen=True)
class Markers:
    """Spheres of ``radius_m`` in ``rgba`` at world ``points`` (N, J, 3) per video frame."""

    points: np.ndarray
    radius_m: float
    rgba: tuple[float, float, float, float]


def camera_track(root_xy: np.ndarray, dt_s: float, window_s: float) -> np.ndarray:
    """Centred moving average (window ``window_s``) of horizontal positions ``(N, 2)`` sampled every ``dt_s``:
    a steady camera without lag. A window shorter than two samples returns the positions unchanged."""
    root_xy = np.asarray(root_xy, dtype=float)
    half = int(round(window_s / dt_s / 2))
    if half < 1 or len(root_xy) < 2:
        return root_xy.copy()
    padded = np.concatenate([np.repeat(root_xy[:1], half, 0), root_xy, np.repeat(root_xy[-1:], half, 0)])
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(2)], axis=1)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _overlay(frame: np.ndarray, lines: Sequence[str], size: int) -> np.ndarray:
    """``lines`` in white with a black shadow, top-left."""
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    font = _font(size)
    y = 6
    for line in lines:
        draw.text((9, y + 1), line, fill=(0, 0, 0), font=font)
        draw.text((8, y), line, fill=(255, 255, 255), font=font)
        y += int(size * 1.3)
    return np.asarray(img)


def _pose(model: mujoco.MjModel, data: mujoco.MjData, qpos: np.ndarray) -> None:
    """Positions for the scene: bodies and geoms, subtree centres of mass, cameras and lights."""
    data.qpos[:] = qpos
    mujoco.mj_kinematics(model, data)
    mujoco.mj_comPos(model, data)
    mujoco.mj_camlight(model, data)


def _add_ghost(scene: mujoco.MjvScene, model: mujoco.MjModel, data: mujoco.MjData, opt: mujoco.MjvOption,
               pert: mujoco.MjvPerturb, rgba) -> None:
    n0 = scene.ngeom
    mujoco.mjv_addGeoms(model, data, opt, pert, int(mujoco.mjtCatBit.mjCAT_DYNAMIC), scene)
    for g in range(n0, scene.ngeom):
        geom = scene.geoms[g]
        geom.rgba[:] = rgba
        geom.matid = -1
        geom.reflectance = 0.0
        geom.transparent = int(rgba[3] < 1.0)  # drawn after the opaque geoms, blended


def _add_spheres(scene: mujoco.MjvScene, points: np.ndarray, radius: float, rgba: np.ndarray) -> None:
    for p in points:
        if scene.ngeom >= scene.maxgeom:
            return
        mujoco.mjv_initGeom(scene.geoms[scene.ngeom], mujoco.mjtGeom.mjGEOM_SPHERE, np.array([radius, 0, 0]),
                            np.asarray(p, float), np.eye(3).reshape(9), rgba)
        scene.ngeom += 1


def render_mp4(humanoid_xml: str | Path, qpos: np.ndarray, out_mp4: str | Path, *, fps: float, width: int,
               height: int, camera: Camera, shadows: bool, crf: int, preset: str,
               lookat_xy: np.ndarray | None = None, ghost: Ghost | None = None, markers: Markers | None = None,
               captions: Sequence[Sequence[str]] | None = None) -> dict:
    """Film the model of ``humanoid_xml`` posed at each row of ``qpos`` (N, nq), one row per video frame at
    ``fps``; write ``out_mp4`` atomically (H.264, quality ``crf``, x264 ``preset``).

    ``lookat_xy`` (N, 2): the camera's horizontal look-at point per frame (default ``qpos[:, :2]``, the root);
    ``shadows``: shadows and floor reflections (nicer, ~1.5x slower on a CPU); ``captions``: N lists of text
    lines. Returns ``{"frames", "width", "height", "fps", "seconds"}``.
    """
    qpos = np.asarray(qpos, dtype=float)
    look = qpos[:, :2] if lookat_xy is None else np.asarray(lookat_xy, dtype=float)
    model = mujoco.MjModel.from_xml_path(str(humanoid_xml))
    model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
    model.vis.global_.offheight = max(model.vis.global_.offheight, height)
    data, gdata = mujoco.MjData(model), mujoco.MjData(model)
    renderer = mujoco.Renderer(model, height=height, width=width)
    opt, pert = mujoco.MjvOption(), mujoco.MjvPerturb()
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_FREE
    cam.distance, cam.azimuth, cam.elevation = camera.distance_m, camera.azimuth_deg, camera.elevation_deg
    font_size = max(10, height // 28)
    marker_rgba = None if markers is None else np.asarray(markers.rgba, dtype=np.float32)
    with atomic_path(out_mp4) as tmp:
        writer = imageio.get_writer(
            str(tmp), format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
            macro_block_size=8, ffmpeg_params=["-crf", str(crf), "-preset", preset],
        )
        try:
            for i in range(qpos.shape[0]):
                _pose(model, data, qpos[i])
                cam.lookat[:] = (look[i, 0], look[i, 1], camera.height_m)
                renderer.update_scene(data, cam, opt)
                scene = renderer.scene
                scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = shadows
                scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = shadows
                if ghost is not None:
                    g = np.array(ghost.qpos[i], dtype=float)
                    g[:3] += np.asarray(ghost.offset_m, dtype=float)
                    gdata.qpos[:] = g
                    mujoco.mj_kinematics(model, gdata)  # geom poses are all mjv_addGeoms draws
                    _add_ghost(scene, model, gdata, opt, pert, ghost.rgba)
                if markers is not None:
                    _add_spheres(scene, markers.points[i], markers.radius_m, marker_rgba)
                frame = renderer.render()
                if captions is not None:
                    frame = _overlay(frame, captions[i], font_size)
                writer.append_data(frame)
        finally:
            writer.close()
            renderer.close()
    n = int(qpos.shape[0])
    return {"frames": n, "width": int(width), "height": int(height), "fps": float(fps), "seconds": float(n / fps)}


def read_video_info(path: str | Path) -> dict:
    """Frame count and size of an MP4, by decoding it: ``{"frames", "width", "height", "fps", "codec"}``."""
    reader = imageio.get_reader(str(path), format="FFMPEG")
    try:
        meta = reader.get_meta_data()
        n = 0
        shape = None
        for frame in reader:
            n += 1
            shape = frame.shape
    finally:
        reader.close()
    return {"frames": n, "width": shape[1] if shape else 0, "height": shape[0] if shape else 0,
            "fps": float(meta.get("fps", 0.0)), "codec": str(meta.get("codec", ""))}
