"""MP4 of a rollout: the simulated humanoid with a translucent reference ghost, tracking side view.

The ghost is a second copy of the same humanoid model, posed at the reference ``qpos`` of each frame
and added to the scene with ``mjv_addGeoms``: it exists only in the picture, so it can neither collide
with nor perturb the simulated humanoid, and the rollout can be rendered after the fact from its
recorded arrays alone. Headless: ``MUJOCO_GL`` defaults to ``egl`` (set before mujoco loads a
renderer). H.264 through imageio-ffmpeg.
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import imageio.v2 as imageio  # noqa: E402
import mujoco  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from gaitmimic.atomic import atomic_path  # noqa: E402
from gaitmimic.evaluate.rollouts import Rollout  # noqa: E402


@dataclass
class VideoSettings:
    """How a rollout is filmed (config ``evaluate.video``)."""

    width: int = 640
    height: int = 480
    fps: float = 25.0
    ghost_rgba: tuple[float, float, float, float] = (0.2, 0.55, 1.0, 0.35)
    ghost_offset_m: tuple[float, float, float] = (0.0, 0.0, 0.0)  # shift the ghost (e.g. beside: 0, 1, 0)
    camera_distance_m: float = 4.0
    camera_elevation_deg: float = -10.0
    camera_azimuth_deg: float = 90.0   # looking along +Y: walking direction +X runs left to right
    camera_height_m: float = 0.9
    camera_smoothing_s: float = 1.0    # centred moving-average window of the tracking camera (no lag)
    crf: int = 23                      # H.264 quality (lower = better, larger)
    shadows: bool = False              # shadows and floor reflections: nicer, ~1.5x slower on a CPU

    @classmethod
    def from_config(cls, cfg: dict | None) -> "VideoSettings":
        cfg = dict(cfg or {})
        for key in ("ghost_rgba", "ghost_offset_m"):
            if key in cfg:
                cfg[key] = tuple(float(v) for v in cfg[key])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in cfg.items() if k in known})


def frame_rows(rollout: Rollout, fps: float) -> np.ndarray:
    """Rollout row shown in each video frame (sample and hold): the whole episode at ``fps``."""
    duration_s = rollout.n_steps * rollout.control_dt_s
    n_frames = max(1, int(np.ceil(duration_s * fps - 1e-6)))
    rows = np.floor(np.arange(n_frames) / fps / rollout.control_dt_s + 1e-6).astype(int)
    return np.clip(rows, 0, rollout.n_steps - 1)


def camera_track(root_xy: np.ndarray, dt_s: float, window_s: float) -> np.ndarray:
    """Centred moving average of the root's horizontal position ``(N, 2)``: a steady camera without lag."""
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


def _overlay(frame: np.ndarray, lines: list[str], size: int) -> np.ndarray:
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    font = _font(size)
    y = 6
    for line in lines:
        draw.text((9, y + 1), line, fill=(0, 0, 0), font=font)
        draw.text((8, y), line, fill=(255, 255, 255), font=font)
        y += int(size * 1.3)
    return np.asarray(img)


def render_rollout(
    humanoid_xml: str | Path,
    rollout: Rollout,
    out_mp4: str | Path,
    settings: VideoSettings | None = None,
    title: str = "",
    caption_lines: list[str] | None = None,
) -> dict:
    """Render ``rollout`` to ``out_mp4`` (H.264); return ``{"frames", "width", "height", "fps", "seconds"}``.

    ``title`` and ``caption_lines`` are drawn in the top-left corner with the running time and a fall
    marker.
    """
    s = settings or VideoSettings()
    model = mujoco.MjModel.from_xml_path(str(humanoid_xml))
    ghost = mujoco.MjModel.from_xml_path(str(humanoid_xml))
    model.vis.global_.offwidth = max(model.vis.global_.offwidth, s.width)
    model.vis.global_.offheight = max(model.vis.global_.offheight, s.height)
    data, gdata = mujoco.MjData(model), mujoco.MjData(ghost)
    renderer = mujoco.Renderer(model, height=s.height, width=s.width)
    opt, pert = mujoco.MjvOption(), mujoco.MjvPerturb()
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_FREE
    cam.distance, cam.azimuth, cam.elevation = s.camera_distance_m, s.camera_azimuth_deg, s.camera_elevation_deg
    rows = frame_rows(rollout, s.fps)
    look_xy = camera_track(rollout.qpos[:, :2], rollout.control_dt_s, s.camera_smoothing_s)
    offset = np.asarray(s.ghost_offset_m, dtype=float)
    font_size = max(10, s.height // 28)
    with atomic_path(out_mp4) as tmp:
        writer = imageio.get_writer(
            str(tmp), format="FFMPEG", mode="I", fps=s.fps, codec="libx264", pixelformat="yuv420p",
            macro_block_size=8, ffmpeg_params=["-crf", str(s.crf), "-preset", "veryfast"],
        )
        try:
            for row in rows:
                data.qpos[:] = rollout.qpos[row]
                mujoco.mj_kinematics(model, data)
                mujoco.mj_camlight(model, data)
                gdata.qpos[:] = rollout.ref_qpos[row]
                gdata.qpos[:3] += offset
                mujoco.mj_kinematics(ghost, gdata)
                cam.lookat[:] = (look_xy[row, 0], look_xy[row, 1], s.camera_height_m)
                renderer.update_scene(data, cam, opt)
                scene = renderer.scene
                scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = s.shadows
                scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = s.shadows
                n0 = scene.ngeom
                mujoco.mjv_addGeoms(ghost, gdata, opt, pert, int(mujoco.mjtCatBit.mjCAT_DYNAMIC), scene)
                for g in range(n0, scene.ngeom):
                    geom = scene.geoms[g]
                    geom.rgba[:] = s.ghost_rgba
                    geom.matid = -1
                    geom.reflectance = 0.0
                    geom.transparent = int(s.ghost_rgba[3] < 1.0)  # drawn after the opaque geoms, blended
                frame = renderer.render()
                lines = [title] if title else []
                status = f"t = {rollout.time_s[row]:5.2f} s   ghost = reference"
                if rollout.fell[row]:
                    status += "   FELL"
                lines += list(caption_lines or []) + [status]
                writer.append_data(_overlay(frame, lines, font_size))
        finally:
            writer.close()
            renderer.close()
    return {"frames": int(len(rows)), "width": s.width, "height": s.height, "fps": s.fps,
            "seconds": float(len(rows) / s.fps)}


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
