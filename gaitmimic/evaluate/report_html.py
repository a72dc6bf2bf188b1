"""Self-contained HTML pages for the Snakemake report, which shows HTML inline but offers other
files (MP4, CSV) only as downloads: a page that plays a video, and a styled metrics table."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from gaitmimic.atomic import write_text

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 12px; color: #222; }
h3 { margin: 4px 0 8px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
p.note { font-size: 12px; color: #555; max-width: 60em; }
video { max-width: 100%; border: 1px solid #ccc; }
"""


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n")


def video_page(mp4: str | Path, out_html: str | Path, title: str, lines: list[str] | None = None) -> None:
    """An HTML page that plays ``mp4`` (embedded as a data URI, so the page stands alone)."""
    data = base64.b64encode(Path(mp4).read_bytes()).decode("ascii")
    notes = "".join(f"<p class='note'>{html.escape(line)}</p>" for line in (lines or []))
    body = (f"<h3>{html.escape(title)}</h3>\n"
            f"<video controls autoplay muted loop playsinline src='data:video/mp4;base64,{data}'></video>\n{notes}")
    write_text(out_html, _page(title, body))


def table_page(df: pd.DataFrame, out_html: str | Path, title: str, note: str = "", transpose: bool = False) -> None:
    """``df`` as a styled HTML table (numbers to 4 significant digits, missing values as "n/a")."""
    shown = df.set_index(df.columns[0]).T if transpose else df

    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return "n/a"
        return f"{v:.4g}" if isinstance(v, float) else v

    table = shown.map(cell).to_html(index=transpose, border=0)
    body = f"<h3>{html.escape(title)}</h3>\n{table}\n" + (f"<p class='note'>{html.escape(note)}</p>" if note else "")
    write_text(out_html, _page(title, body))
