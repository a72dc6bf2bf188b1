"""Report pages and the report build.

The report test runs the whole workflow on the demo subject with tiny budgets, so it skips (with the
reason) until every stage's rule file exists; it then checks that ``snakemake --report`` builds and
that the page carries each subject's videos, figures and tables.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gaitmimic.evaluate import report_html

STAGES = ("markers", "scale", "ik", "retarget", "train", "evaluate")


def test_video_page_embeds_the_mp4(tmp_path):
    mp4 = tmp_path / "v.mp4"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypmp42fake")
    report_html.video_page(mp4, tmp_path / "v.html", "s1 policy <phase 0>", ["tracked 0.50"])
    text = (tmp_path / "v.html").read_text()
    assert f"data:video/mp4;base64,{base64.b64encode(mp4.read_bytes()).decode()}" in text
    assert "s1 policy &lt;phase 0&gt;" in text and "tracked 0.50" in text and "<video controls" in text


def test_table_page(tmp_path):
    df = pd.DataFrame({"policy": ["policy", "zero_action"], "tracked_fraction": [0.83251, float("nan")]})
    report_html.table_page(df, tmp_path / "t.html", "metrics", transpose=True)
    text = (tmp_path / "t.html").read_text()
    assert "0.8325" in text and "n/a" in text and "zero_action" in text


@pytest.mark.workflow
def test_report_builds_with_videos(repo_root, tmp_path):
    missing = [s for s in STAGES if not (repo_root / "rules" / f"{s}.smk").is_file()]
    if missing:
        pytest.skip(f"the whole workflow does not exist yet (no rules/{', '.join(missing)}.smk)")
    demo = repo_root / "data" / "demo01"
    if not demo.is_dir() or not any(demo.iterdir()):
        pytest.skip("no demo subject in data/demo01 (make demo-data)")
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from workflow_helpers import snakemake, write_tiny_config

    import yaml

    cfg_path = write_tiny_config(tmp_path)
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["train"] = {"total_steps": 512, "n_steps": 128, "batch_size": 64, "n_epochs": 1, "checkpoint_every_steps": 256,
                    "vec_env": "dummy"}  # one process: fast to start, and independent of the subproc set-up
    cfg["evaluate"] = {"episode_s": 1.0, "random_phases": 1, "video": {"width": 160, "height": 120, "fps": 10}}
    cfg_path.write_text(yaml.safe_dump(cfg))
    shutil.copytree(demo, tmp_path / "data" / "demo01")
    snakemake(tmp_path)
    summary = pd.read_csv(tmp_path / "results" / "summary.csv")
    assert list(summary["subject"]) == ["demo01"]
    assert 0.0 <= summary.loc[0, "tracked_fraction"] <= 1.0
    snakemake(tmp_path, "--report", str(tmp_path / "results" / "report.html"))
    page = (tmp_path / "results" / "report.html").read_text(errors="replace")
    for name in ("demo01_policy_video.html", "gait_cycle.png", "metrics.html", "summary.html", "learning_curve.png"):
        assert name in page, name
    if shutil.which("chromium"):  # open it in headless Chromium and show the policy video
        import subprocess

        shot = tmp_path / "results" / "report_screenshot.png"
        proc = subprocess.run([sys.executable, str(repo_root / "bench" / "report_screenshot.py"), "--report",
                               str(tmp_path / "results" / "report.html"), "--out", str(shot), "--click", "demo01",
                               "--click", "evaluate", "--click", "view:video: policy"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert shot.stat().st_size > 20_000
