#!/usr/bin/env python3
"""Renders the report of the synthetic fixture in headless Chromium and checks it.

  - every chart is an <svg> in the rendered DOM with drawn elements inside;
  - the confusion matrix and the slices table are there;
  - the page logs nothing to the console (no errors, no JS at all is expected);
  - a Chinese font is installed (otherwise the Chinese summary renders as boxes);
  - a screenshot is written (look at it: --screenshot PATH, default in the temp dir).

Exit 77 (ctest: skipped) only when Chromium is not installed; 0 on success; 1 on failure.
Before trusting "no console messages", it checks that a page which does log an
error is caught by the same scan, so the check itself can fail.

Usage: check_report_browser.py --kd-report build/bin/kd-report [--fixture DIR] [--screenshot PATH]
"""
import argparse
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
# chart class -> minimum number of drawn elements (path/circle/rect/line/polyline) inside
EXPECTED_CHARTS = {
    "chart-accuracy-params": 12,
    "chart-latency": 10,
    "chart-kd-gain": 8,
    "chart-label-share": 6,
    "chart-per-class": 12,
}
DRAWN = {"path", "circle", "rect", "line", "polyline", "polygon"}


class DomScan(html.parser.HTMLParser):
    """Counts drawn elements per <svg class="chart ..."> and notes tables by class."""

    def __init__(self):
        super().__init__()
        self.svgs = []  # [classes, drawn count]
        self.depth = 0
        self.tables = set()
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append([a.get("class", ""), 0])
            self.depth += 1
        elif self.depth and tag in DRAWN:
            self.svgs[-1][1] += 1
        if tag == "table":
            self.tables.update(a.get("class", "").split())

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.depth -= 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.depth -= 1

    def handle_data(self, data):
        self.text.append(data)


def chromium_binary():
    for c in [os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", shutil.which("chromium") or "",
              shutil.which("chromium-browser") or ""]:
        if c and os.access(c, os.X_OK):
            return c
    return None


def run_chromium(chromium, url, extra, profile):
    cmd = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--no-first-run",
           "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}"] + extra + [url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def console_lines(stderr):
    """Console messages and uncaught errors as Chromium logs them with --enable-logging=stderr."""
    return [l for l in stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kd-report", required=True)
    ap.add_argument("--fixture", default=os.path.join(HERE, "fixtures", "report", "sweep"))
    ap.add_argument("--screenshot", default=None)
    args = ap.parse_args()

    chromium = chromium_binary()
    if not chromium:
        print("SKIP: chromium is not installed (Debian package 'chromium'); the browser check cannot run")
        return SKIP
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
    if not fonts:
        print("FAIL: no Chinese font installed (fc-list :lang=zh is empty); the summary would render as boxes. "
              "Install one, e.g. apt-get install fonts-wqy-microhei")
        return 1

    failures = []
    with tempfile.TemporaryDirectory(prefix="zl_report_browser_") as tmp:
        out = os.path.join(tmp, "report")
        p = subprocess.run([args.kd_report, args.fixture, "--out", out], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"FAIL: kd report exited {p.returncode}:\n{p.stderr}")
            return 1
        page = os.path.join(out, "report.html")
        profile = os.path.join(tmp, "profile")

        # 1. The console scan must catch a page that logs an error.
        probe = os.path.join(tmp, "probe.html")
        with open(probe, "w") as f:
            f.write("<!DOCTYPE html><html><body><script>console.error('zl-probe-error');"
                    "undefinedFunction();</script></body></html>")
        _, _, err = run_chromium(chromium, "file://" + probe, ["--dump-dom"], profile)
        if not any("zl-probe-error" in l for l in console_lines(err)):
            print("FAIL: the console scan did not see a deliberate console.error; cannot check the report's console.\n"
                  + err[-2000:])
            return 1

        # 2. The report's DOM and console.
        rc, dom, err = run_chromium(chromium, "file://" + page, ["--dump-dom"], profile)
        if rc != 0 or "<svg" not in dom:
            failures.append(f"chromium --dump-dom failed (exit {rc}):\n{err[-2000:]}")
        logged = console_lines(err)
        if logged:
            failures.append("console messages on the report page:\n  " + "\n  ".join(logged))
        scan = DomScan()
        scan.feed(dom)
        for cls, minimum in EXPECTED_CHARTS.items():
            found = [n for c, n in scan.svgs if cls in c.split()]
            if not found:
                failures.append(f"chart '{cls}' missing from the rendered page")
            elif found[0] < minimum:
                failures.append(f"chart '{cls}' has {found[0]} drawn elements, expected at least {minimum}")
            else:
                print(f"ok: {cls}: {found[0]} drawn elements")
        for table in ("confusion", "slices", "results"):
            if table not in scan.tables:
                failures.append(f"table '{table}' missing")
        text = "".join(scan.text)
        if "推荐学生模型" not in text or "Recommended student" not in text:
            failures.append("the bilingual summary is missing")

        # 3. Screenshot for a human to look at.
        shot = args.screenshot or os.path.join(tempfile.gettempdir(), "zl_report_check.png")
        rc, _, err = run_chromium(chromium, "file://" + page,
                                  [f"--screenshot={shot}", "--window-size=1280,4000"], profile)
        if rc != 0 or not os.path.exists(shot) or os.path.getsize(shot) < 50_000:
            failures.append(f"screenshot failed or is nearly empty ({shot}):\n{err[-1000:]}")
        else:
            print(f"ok: screenshot {shot} ({os.path.getsize(shot)} bytes)")

    if failures:
        print("FAIL:\n- " + "\n- ".join(failures))
        return 1
    print("ok: report renders in Chromium with all charts and no console messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
