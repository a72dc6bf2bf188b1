"""The evaluation video: H.264, the expected frame count and size, the ghost visible."""

from __future__ import annotations

import numpy as np
import pytest

from gaitmimic import settings
from gaitmimic.evaluate import synthetic
from gaitmimic.evaluate.video import frame_rows, render_rollout
from gaitmimic.sim.humanoid import suite_humanoid_path
from gaitmimic.sim.render import camera_track, read_video_info


def VideoSettings(**video):
    """The ``evaluate.video`` settings with ``video`` changed."""
    return settings.section("evaluate", {"video": video}).video


@pytest.fixture(scope="module")
def rollout():
    ref = synthetic.synthetic_reference(suite_humanoid_path(), n_cycles=2)
    return synthetic.replay_rollout(ref, episode_s=1.5, fall_fraction=0.8)  # 49 of 60 steps: 1.225 s


def test_frame_rows_cover_the_episode(rollout):
    rows = frame_rows(rollout, fps=20.0)
    assert len(rows) == np.ceil(rollout.n_steps * rollout.control_dt_s * 20.0) == 25  # 1.225 s at 20 fps
    assert rows[0] == 0 and rows[-1] == rollout.n_steps - 1  # the last frame shows the last step
    assert np.all(np.diff(rows) >= 0)


def test_camera_track_has_no_lag_on_steady_walking():
    xy = np.stack([np.arange(100) * 0.025, np.zeros(100)], axis=1)  # 1 m/s
    look = camera_track(xy, 0.025, 1.0)
    np.testing.assert_allclose(look[30:70], xy[30:70], atol=1e-12)


def test_video_frames_size_codec_and_ghost(tmp_path, rollout):
    settings = VideoSettings(width=320, height=240, fps=20.0)
    info = render_rollout(suite_humanoid_path(), rollout, tmp_path / "v.mp4", settings, title="demo")
    got = read_video_info(tmp_path / "v.mp4")
    assert got["frames"] == info["frames"] == 25
    assert (got["width"], got["height"]) == (320, 240)
    assert got["codec"] == "h264"
    # The ghost, shifted 1 m to the side, adds blue pixels where the humanoid is not.
    import imageio.v2 as imageio

    side = VideoSettings(width=320, height=240, fps=5.0, ghost_offset_m=[0.0, 1.0, 0.0])
    clear = VideoSettings(width=320, height=240, fps=5.0, ghost_alpha=0.0)
    render_rollout(suite_humanoid_path(), rollout, tmp_path / "g.mp4", side)
    render_rollout(suite_humanoid_path(), rollout, tmp_path / "n.mp4", clear)
    a = imageio.get_reader(tmp_path / "g.mp4").get_data(0).astype(float)
    b = imageio.get_reader(tmp_path / "n.mp4").get_data(0).astype(float)
    changed = np.abs(a - b).sum(axis=2) > 30
    assert changed.mean() > 0.005  # the ghost covers part of the picture
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
