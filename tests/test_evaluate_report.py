"""Report pages (the report build itself is tested on a real run in test_workflow_pipeline.py)."""

from __future__ import annotations

import base64

import pandas as pd

from gaitmimic.evaluate import report_html


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
