#!/usr/bin/env python3
"""Opens a report.html written by crawlrank in headless Chromium, as a person would: the page
must load from the file system with nothing fetched, carry the expected title, lay out in two
columns on a laptop screen and in one on a narrow window, keep its top table readable with
scripts off, sort the table when a heading is clicked and hide rows when the filter is typed
in, and render (a screenshot that is not blank).

The clicks and the typing are driven by a small script appended to a copy of the page (the
report itself is not changed); Chromium runs it and dumps the DOM it leaves.

Usage: report_check.py REPORT.html EXPECTED_TITLE SCREENSHOT.png
Needs chromium and Pillow. Writes SCREENSHOT.png (the whole page at 1366 px wide) and
SCREENSHOT-1366x768.png (the first screen of a laptop). Prints one line per check and a
closing 'N passed, N failed' line.
"""
import html, json, os, re, subprocess, sys, tempfile
from html.parser import HTMLParser

from PIL import Image

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
LAPTOP = (1366, 768)
NARROW = (600, 900)


def chromium(url, *args):
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(["chromium", *FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=180).stdout


def dom(url, window=LAPTOP):
    return chromium(url, f"--window-size={window[0]},{window[1]}", "--virtual-time-budget=5000", "--dump-dom")


def dom_without_scripts(page, workdir):
    """The DOM of a copy of the page whose content security policy forbids every script
    (Chromium's own switch for that, scriptEnabled=false, also stops --dump-dom)."""
    head = page.index("<head>") + len("<head>")
    copy = os.path.join(workdir, "no-scripts.html")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(page[:head] + "\n<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\"/>"
                + page[head:])
    return dom("file://" + copy)


def dom_after(page, driver, workdir, name, window=LAPTOP):
    """The DOM after `driver` (JavaScript) ran on a copy of the page, after the page's own
    scripts."""
    end = page.rindex("</body>")
    copy = os.path.join(workdir, name + ".html")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(page[:end] + "<script>//<![CDATA[\n" + driver + "\n//]]></script>\n" + page[end:])
    return dom("file://" + copy, window)


class Page(HTMLParser):
    """The rows of table#top (cell texts and whether hidden), every element's attributes, and
    the attributes of <body>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.rows, self.elements, self.body = [], [], {}
        self.in_top, self.row, self.cell = False, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "body":
            self.body = attrs
        elif tag == "table":
            self.in_top = attrs.get("id") == "top"
        elif tag == "tr" and self.in_top:
            self.row = {"hidden": "hidden" in attrs, "cells": [], "head": False}
        elif tag in ("td", "th") and self.row is not None:
            self.row["head"] |= tag == "th"
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_top = False
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row["cells"].append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if not self.row["head"]:
                self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def positions(rows):
    return [int(r["cells"][0]) for r in rows]


def column(rows, index):
    return [float(r["cells"][index]) for r in rows]


CLICK = """
function clickHeading(name) {
  var buttons = document.querySelectorAll("#top thead th button");
  for (var i = 0; i < buttons.length; i++) {
    if (buttons[i].textContent.trim() === name) { buttons[i].click(); return; }
  }
  document.body.setAttribute("data-check-error", "no button " + name);
}
function order() {
  return Array.prototype.map.call(document.querySelectorAll("#top tbody tr"),
                                  function (row) { return row.cells[0].textContent.trim(); });
}
"""

LAYOUT = """
(function () {
  function box(e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
  var layout = {
    figures: Array.prototype.map.call(document.querySelectorAll("figure"), box),
    table: box(document.getElementById("top")),
    viewport: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight
  };
  document.body.setAttribute("data-check-layout", JSON.stringify(layout));
})();
"""


def main():
    report, expected, shot = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    url = "file://" + report
    with open(report, encoding="utf-8") as f:
        page = f.read()
    results = []

    def check(title, problem):
        results.append(problem is None)
        print(f"{'ok  ' if problem is None else 'FAIL'} {title}" + ("" if problem is None else f": {problem}"))

    loaded = dom(url)
    found = re.search(r"<title>(.*?)</title>", loaded, re.S)
    title = html.unescape(found.group(1)) if found else None
    check(f"Chromium loads the page with title {expected!r}", None if title == expected else f"title {title!r}")
    svgs = loaded.count("<svg")
    check("five charts in the rendered DOM", None if svgs == 5 else f"{svgs} svg elements")

    rendered = Page(loaded)
    fetched = [(tag, a) for tag, a in rendered.elements
               if "src" in a or (tag == "link" and "href" in a) or tag in ("iframe", "object", "embed")]
    check("nothing fetched: no src, link, iframe, object or embed", None if not fetched else str(fetched[:3]))
    links = [a for tag, a in rendered.elements if tag == "a"]
    bad = [a for a in links
           if not re.match(r"https?://", a.get("href", ""), re.I) or "noopener" not in a.get("rel", "").split()]
    check(f"{len(links)} links, every one http(s) with rel=noopener", None if not bad else str(bad[:3]))

    # Scripts off: the table is there, complete, in rank order, nothing hidden, no controls.
    with tempfile.TemporaryDirectory() as work:
        static = Page(dom_without_scripts(page, work))
    ranks = positions(static.rows)
    problem = None
    if not ranks or ranks != sorted(ranks) or any(r["hidden"] for r in static.rows):
        problem = f"positions {ranks[:5]}..., hidden {sum(r['hidden'] for r in static.rows)}"
    elif any(tag == "input" for tag, _ in static.elements):
        problem = "a filter box without scripts"
    check(f"scripts off: {len(ranks)} rows in rank order, none hidden", problem)

    # Scripts on, nothing touched: the same rows in the same order, and the controls.
    live = Page(loaded)
    problem = None
    if positions(live.rows) != ranks:
        problem = "rows differ from the page without scripts"
    elif not any(tag == "input" and a.get("id") == "top-filter" for tag, a in live.elements):
        problem = "no filter box"
    check("scripts on: same rows in rank order, with a filter box", problem)

    with tempfile.TemporaryDirectory() as work:
        # Sorting: a click on in_degree puts the largest in-degree first, a second click the
        # smallest; rank order breaks ties.
        sorted_dom = Page(dom_after(page, CLICK + """
            clickHeading("in_degree");
            document.body.setAttribute("data-check-first", JSON.stringify(order()));
            clickHeading("in_degree");""", work, "sort"))
        error = sorted_dom.body.get("data-check-error")
        by_position = {int(r["cells"][0]): r for r in static.rows}
        first = [by_position[int(p)] for p in json.loads(sorted_dom.body.get("data-check-first", "[]"))]
        degree = lambda r: float(r["cells"][3])
        descending = positions(sorted(static.rows, key=lambda r: (-degree(r), int(r["cells"][0]))))
        ascending = positions(sorted(static.rows, key=lambda r: (degree(r), int(r["cells"][0]))))
        problem = error
        if problem is None and descending == ranks:
            problem = "in-degree order is the rank order in this report: a click cannot be seen to sort"
        elif problem is None and positions(first) != descending:
            problem = f"in_degree not descending with ties in rank order: {[degree(r) for r in first][:8]}"
        check(f"click on in_degree: rows reordered, in-degree {[degree(r) for r in first][:3]}... descending", problem)
        again = [degree(by_position[p]) for p in positions(sorted_dom.rows)]
        check(f"second click: in-degree {again[:3]}... ascending",
              None if error is None and positions(sorted_dom.rows) == ascending else f"{again[:8]}")

        # Filtering: a word from the best node's id keeps exactly the rows whose id has it.
        ids = [r["cells"][1] for r in static.rows]
        word = re.sub(r"^https?://(www\.)?", "", ids[0]).split("/")[0].split(".")[0] or ids[0]
        if all(word.lower() in i.lower() for i in ids):
            word = ids[0]
        filtered_text = dom_after(page, """
            var box = document.getElementById("top-filter");
            box.value = %s;
            box.dispatchEvent(new Event("input", { bubbles: true }));""" % json.dumps(word.upper()),
                                  work, "filter")
        filtered = Page(filtered_text)
        shown = [r["cells"][1] for r in filtered.rows if not r["hidden"]]
        expected_shown = [i for i in ids if word.lower() in i.lower()]
        counter = re.search(r'id="top-count"[^>]*>([^<]*)<', filtered_text)
        problem = None
        if shown != expected_shown:
            problem = f"{len(shown)} shown, {len(expected_shown)} expected"
        elif not 0 < len(shown) < len(ids):
            problem = f"{word!r} does not split the table ({len(shown)} of {len(ids)})"
        elif not counter or counter.group(1) != f"{len(shown)} of {len(ids)} rows":
            problem = f"counter says {counter.group(1) if counter else None!r}"
        check(f"filter {word.upper()!r}: {len(shown)} rows shown, {len(ids) - len(shown)} hidden", problem)

        # Layout: charts two by two on a laptop, the table full width, one column when narrow,
        # never a horizontal scroll bar.
        layouts = {}
        for window in (LAPTOP, NARROW):
            laid = Page(dom_after(page, LAYOUT, work, f"layout-{window[0]}", window))
            layouts[window] = json.loads(laid.body.get("data-check-layout", "null") or "null")
        wide = layouts[LAPTOP]
        problem = None
        if not wide or len(wide["figures"]) < 4:
            problem = "no layout"
        else:
            f = wide["figures"]
            side_by_side = lambda a, b: abs(a[1] - b[1]) < 2 and b[0] >= a[2]
            if not (side_by_side(f[0], f[1]) and side_by_side(f[2], f[3]) and f[2][1] >= f[0][3]):
                problem = f"charts not two by two: {f[:4]}"
            elif wide["table"][2] - wide["table"][0] < 0.9 * wide["viewport"] - 60:
                problem = f"table {wide['table']} not full width of {wide['viewport']}"
            elif wide["scrollWidth"] > wide["viewport"]:
                problem = f"scrolls sideways ({wide['scrollWidth']} > {wide['viewport']})"
        check(f"{LAPTOP[0]}x{LAPTOP[1]}: charts two by two, table full width, no sideways scroll", problem)
        narrow = layouts[NARROW]
        problem = None
        if not narrow:
            problem = "no layout"
        else:
            f = narrow["figures"]
            if any(b[1] < a[3] for a, b in zip(f, f[1:])):
                problem = f"charts side by side: {f[:2]}"
            elif narrow["scrollWidth"] > narrow["viewport"]:
                problem = f"scrolls sideways ({narrow['scrollWidth']} > {narrow['viewport']})"
        check(f"{NARROW[0]} px wide: one column, no sideways scroll", problem)

    height = min(int(wide["scrollHeight"]) if wide else 2600, 16000)
    screens = [(shot, (LAPTOP[0], height)), (re.sub(r"(\.png)?$", f"-{LAPTOP[0]}x{LAPTOP[1]}.png", shot, 1), LAPTOP)]
    for path, (width, tall) in screens:
        if os.path.exists(path):
            os.remove(path)
        chromium(url, f"--window-size={width},{tall}", f"--screenshot={path}")
        if not os.path.exists(path):
            check(f"screenshot {path}", "no file")
            continue
        image = Image.open(path).convert("RGB")
        small = image.resize((max(1, image.width // 4), max(1, image.height // 4)))
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
