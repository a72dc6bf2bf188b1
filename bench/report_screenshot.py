"""Open the Snakemake report in headless Chromium and save screenshots under results/.

    .venv/bin/python bench/report_screenshot.py [--report results/report.html|results/report.zip]
                                                [--out results/report_screenshot.png]
                                                [--click SUBJECT --click evaluate]

A ``.zip`` report is unpacked to a temporary folder first. Chromium is the Debian package
``chromium`` (``apt-get install -y chromium``). The report is a single-page app without URLs per
page, so ``--click`` drives Chromium over the DevTools protocol (``websockets``) to click menu entries
by their text before the screenshot (e.g. a subject, then a stage); ``--click "view:video: policy"``
presses the view button of the result row that mentions the text. Prints one line per
screenshot, and fails when Chromium is missing, a click target is absent or the page renders blank.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--hide-scrollbars", "--disable-dev-shm-usage"]


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("chromium not found: apt-get install -y chromium")


def report_page(report: Path, workdir: Path) -> Path:
    """The HTML file to open: the report itself, or report.html inside an unpacked .zip report."""
    if report.suffix != ".zip":
        return report.resolve()
    with zipfile.ZipFile(report) as z:
        z.extractall(workdir)
    pages = sorted(workdir.rglob("report.html"))
    if not pages:
        sys.exit(f"{report}: no report.html inside")
    return pages[0].resolve()


def screenshot(chromium: str, url: str, out: Path, size: tuple[int, int], budget_ms: int, profile: Path) -> float:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp.png")
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
           f"--virtual-time-budget={budget_ms}", f"--screenshot={tmp}", url]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    tmp.replace(out)
    return time.perf_counter() - t0


_CLICK_JS = """
(() => {
  let want = %s;
  if (want.startsWith('view:')) {  // the 'view' button of the result row mentioning the text
    want = want.slice(5);
    const row = [...document.querySelectorAll('tr')].find(r => r.textContent.includes(want));
    const button = row && row.querySelector('a');
    if (!button) return false;
    button.click();
    return true;
  }
  const hits = [...document.querySelectorAll('body *')].filter(e => e.textContent.trim() === want);
  if (!hits.length) return false;
  hits.sort((a, b) => a.querySelectorAll('*').length - b.querySelectorAll('*').length);
  hits[0].click();
  return true;
})()
"""


def screenshot_after_clicks(chromium: str, url: str, out: Path, size: tuple[int, int], clicks: list[str],
                            profile: Path, settle_s: float = 2.0) -> float:
    """Load ``url``, click the elements whose text is each of ``clicks`` in turn, screenshot."""
    import base64
    import json
    import socket
    import urllib.request

    from websockets.sync.client import connect

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
           f"--remote-debugging-port={port}", "--remote-allow-origins=*", "about:blank"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    try:
        for _ in range(100):
            try:
                pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=1).read())
                ws_url = next(p["webSocketDebuggerUrl"] for p in pages if p.get("type") == "page")
                break
            except (OSError, StopIteration, ValueError):
                time.sleep(0.2)
        else:
            raise RuntimeError("chromium's DevTools endpoint did not come up")
        with connect(ws_url, max_size=None) as ws:
            counter = iter(range(1, 10**6))

            def call(method: str, **params):
                msg_id = next(counter)
                ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
                while True:
                    msg = json.loads(ws.recv(timeout=60))
                    if msg.get("id") == msg_id:
                        if "error" in msg:
                            raise RuntimeError(f"{method}: {msg['error']}")
                        return msg.get("result", {})

            call("Emulation.setDeviceMetricsOverride", width=size[0], height=size[1], deviceScaleFactor=1, mobile=False)
            call("Page.navigate", url=url)
            time.sleep(settle_s + 1.0)
            for text in clicks:
                ok = call("Runtime.evaluate", expression=_CLICK_JS % json.dumps(text), returnByValue=True)
                if not ok.get("result", {}).get("value"):
                    raise RuntimeError(f"no element with text {text!r} to click")
                time.sleep(settle_s)
            shot = call("Page.captureScreenshot", format="png")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.stem}.tmp.png")
        tmp.write_bytes(base64.b64decode(shot["data"]))
        tmp.replace(out)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return time.perf_counter() - t0


def blank_fraction(png: Path) -> float:
    """Share of pixels equal to the most common colour (1.0 = a blank page)."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    _, counts = np.unique(a, axis=0, return_counts=True)
    return float(counts.max() / len(a))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", type=Path, default=Path("results/report.html"))
    ap.add_argument("--out", type=Path, default=Path("results/report_screenshot.png"))
    ap.add_argument("--size", default="1400,1000", help="window width,height in pixels")
    ap.add_argument("--budget-ms", type=int, default=15000, help="virtual time for the page's scripts")
    ap.add_argument("--click", action="append", default=[], metavar="TEXT",
                    help="click the menu entry with this text before the screenshot (repeatable, in order)")
    args = ap.parse_args(argv)
    if not args.report.is_file():
        sys.exit(f"{args.report}: no report; build it with snakemake --report {args.report}")
    chromium = find_chromium()
    size = tuple(int(v) for v in args.size.split(","))
    with tempfile.TemporaryDirectory(prefix="gaitmimic-report-") as tmp:
        tmp = Path(tmp)
        page = report_page(args.report, tmp / "unpacked")
        if args.click:
            seconds = screenshot_after_clicks(chromium, page.as_uri(), args.out, size, args.click, tmp / "profile")
        else:
            seconds = screenshot(chromium, page.as_uri(), args.out, size, args.budget_ms, tmp / "profile")
    blank = blank_fraction(args.out)
    after = f" after clicking {' > '.join(args.click)}" if args.click else ""
    print(f"{args.out}: {size[0]}x{size[1]}{after} in {seconds:.1f} s, {100 * blank:.0f} % background")
    if blank > 0.98:
        print("the page rendered blank", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
