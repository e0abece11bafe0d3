#!/usr/bin/env python3
"""The report of the imbalanced fixture in headless Chromium (tests/fixtures/report/imbalanced).

  - with the default metric (accuracy) and with --metric macro_f1, the imbalance
    warning is on the rendered page in Chinese and English, and it is visible:
    displayed, not transparent, at least 100 x 20 px, inside the first screen
    (a small script appended to a copy of the page measures the element with
    getBoundingClientRect/getComputedStyle and writes the result into the DOM);
  - ranked by accuracy the page recommends tiny; ranked by macro-F1 it recommends
    base, and the headline chart is the macro-F1 one;
  - the summary sentence shows macro-F1 beside accuracy;
  - no console messages; a screenshot of the macro-F1 page is written.

Exit 77 (ctest: skipped) only when Chromium is not installed; 0 on success; 1 on failure.
Usage: check_report_imbalance_browser.py --kd-report build/bin/kd-report [--screenshot PATH]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_report_browser as base  # noqa: E402  (chromium lookup and console scan)

FIXTURE = os.path.join(HERE, "fixtures", "report", "imbalanced")
PROBE = """<script>
(function () {
  var el = document.getElementById('imbalance-warning');
  var out = document.createElement('pre');
  out.id = 'zl-visibility';
  if (!el) { out.textContent = 'missing'; }
  else {
    var r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    var ok = cs.display !== 'none' && cs.visibility !== 'hidden' && parseFloat(cs.opacity) > 0.5 &&
             r.width >= 100 && r.height >= 20 && r.top >= 0 && r.bottom <= window.innerHeight;
    out.textContent = (ok ? 'visible' : 'hidden') + ' ' + [r.left, r.top, r.width, r.height].map(Math.round).join(',') +
                      ' ' + cs.display + ' ' + cs.backgroundColor;
  }
  document.body.appendChild(out);
})();
</script>"""


def recommended_row(dom):
    m = re.search(r'<tr class="[^"]*recommended[^"]*"><td>([^<]+)', dom)
    return m.group(1).strip() if m else None


def check_page(chromium, kd_report, tmp, metric, shot, failures):
    out = os.path.join(tmp, "report-" + metric)
    p = subprocess.run([kd_report, FIXTURE, "--out", out, "--metric", metric], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f"kd report --metric {metric} exited {p.returncode}:\n{p.stderr}")
        return
    page = os.path.join(out, "report.html")
    with open(page, encoding="utf-8") as f:
        html = f.read()
    probed = os.path.join(out, "probed.html")
    with open(probed, "w", encoding="utf-8") as f:
        f.write(html.replace("</body>", PROBE + "</body>"))
    profile = os.path.join(tmp, "profile-" + metric)
    rc, dom, err = base.run_chromium(chromium, "file://" + probed, ["--dump-dom", "--window-size=1280,900"], profile)
    if rc != 0 or "<svg" not in dom:
        failures.append(f"[{metric}] chromium --dump-dom failed (exit {rc}):\n{err[-2000:]}")
        return
    logged = [l for l in base.console_lines(err)]
    if logged:
        failures.append(f"[{metric}] console messages:\n  " + "\n  ".join(logged))
    vis = re.search(r'<pre id="zl-visibility">([^<]*)</pre>', dom)
    if not vis or not vis.group(1).startswith("visible"):
        failures.append(f"[{metric}] the imbalance warning is not visible in the first screen: "
                        f"{vis.group(1) if vis else 'probe did not run'}")
    else:
        print(f"ok [{metric}]: warning {vis.group(1)}")
    for needle in ("数据不均衡", "正常咨询", "Imbalanced data", "87.0%"):
        if needle not in dom:
            failures.append(f"[{metric}] '{needle}' missing from the warning")
    want = {"accuracy": "tiny", "macro_f1": "base"}[metric]
    got = recommended_row(dom)
    if got != want:
        failures.append(f"[{metric}] recommended row is {got!r}, expected {want!r}")
    else:
        print(f"ok [{metric}]: recommends {got}")
    if not re.search(r"Recommended student: " + want + r" .*macro-F1 \d+\.\d% vs \d+\.\d%", dom):
        failures.append(f"[{metric}] the summary does not name {want} with macro-F1 beside accuracy")
    headline = "Macro-F1 versus model size" if metric == "macro_f1" else "Accuracy versus model size"
    if headline not in dom:
        failures.append(f"[{metric}] headline '{headline}' missing")
    if shot:
        rc, _, err = base.run_chromium(chromium, "file://" + page, [f"--screenshot={shot}", "--window-size=1280,1600"],
                                       profile)
        if rc != 0 or not os.path.exists(shot) or os.path.getsize(shot) < 30_000:
            failures.append(f"[{metric}] screenshot failed or is nearly empty ({shot}):\n{err[-1000:]}")
        else:
            print(f"ok [{metric}]: screenshot {shot} ({os.path.getsize(shot)} bytes)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kd-report", required=True)
    ap.add_argument("--screenshot", default=None, help="PNG of the macro-F1 page")
    args = ap.parse_args()
    chromium = base.chromium_binary()
    if not chromium:
        print("SKIP: chromium is not installed (Debian package 'chromium'); the browser check cannot run")
        return base.SKIP
    failures = []
    with tempfile.TemporaryDirectory(prefix="zl_report_imbalance_") as tmp:
        check_page(chromium, args.kd_report, tmp, "accuracy", None, failures)
        shot = args.screenshot or os.path.join(tempfile.gettempdir(), "zl_report_imbalance.png")
        check_page(chromium, args.kd_report, tmp, "macro_f1", shot, failures)
    if failures:
        print("FAIL:\n- " + "\n- ".join(failures))
        return 1
    print("ok: the imbalance warning is visible and the recommendation follows the chosen metric")
    return 0


if __name__ == "__main__":
    sys.exit(main())
