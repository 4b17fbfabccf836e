#!/usr/bin/env python3
"""Opens a report.html written by crawlrank in headless Chromium, as a person would: the page
must load from the file system with nothing fetched, carry the expected title, and render
(a screenshot that is not blank: many colours, a fair share of non-white pixels, charts
drawn).

Usage: report_check.py REPORT.html EXPECTED_TITLE SCREENSHOT.png
Needs chromium and Pillow. Prints one line per check and a closing 'N passed, N failed' line.
"""
import html, os, re, subprocess, sys, tempfile

from PIL import Image

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def main():
    report, expected, shot = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    url = "file://" + report
    results = []

    def check(title, problem):
        results.append(problem is None)
        print(f"{'ok  ' if problem is None else 'FAIL'} {title}" + ("" if problem is None else f": {problem}"))

    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(["chromium", *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120).stdout
    found = re.search(r"<title>(.*?)</title>", dom, re.S)
    title = html.unescape(found.group(1)) if found else None
    check(f"Chromium loads the page with title {expected!r}", None if title == expected else f"title {title!r}")
    svgs = dom.count("<svg")
    check("five charts in the rendered DOM", None if svgs == 5 else f"{svgs} svg elements")

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", *FLAGS, f"--user-data-dir={profile}", "--window-size=1200,2600",
                        f"--screenshot={shot}", url], capture_output=True, timeout=120)
    if not os.path.exists(shot):
        check("screenshot taken", "no file")
    else:
        image = Image.open(shot).convert("RGB")
        small = image.resize((image.width // 4, image.height // 4))
        pixels = list(small.get_flattened_data()) if hasattr(small, "get_flattened_data") else list(small.getdata())
        colours = len(set(pixels))
        ink = sum(1 for p in pixels if sum(p) < 600) / len(pixels)
        check(f"screenshot {image.width}x{image.height} is not blank ({colours} colours, {ink:.0%} ink)",
              None if colours > 50 and 0.02 < ink < 0.9 else "looks blank")

    passed = sum(results)
    print(f"report in Chromium: {passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
