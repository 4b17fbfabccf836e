#!/usr/bin/env python3
"""GEXF files written by crawlrank, checked from the outside: every file validates against the
official XSD of its version (xmllint), and networkx.read_gexf reads it back with the right
node count, edge count, `pagerank` attribute (equal to the part files) and labels (with
& < > " ' and non-ASCII intact, control characters dropped).

Usage: gexf_check.py PATH/TO/crawlrank PATH/TO/shared
Needs networkx >= 3.6 and xmllint. Prints one line per check and a closing
'N passed, N failed' line; exits 1 if any check fails.
"""
import csv, gzip, os, random, shutil, subprocess, sys, tempfile

import networkx as nx

XML_FORBIDDEN = {c for c in range(0x20) if c not in (9, 10, 13)} | {0xFFFE, 0xFFFF}


def xml_safe(s):
    return "".join(ch for ch in s if ord(ch) not in XML_FORBIDDEN)


def read_parts(folder):
    ranks = {}
    for name in sorted(os.listdir(os.path.join(folder, "ranks"))):
        if not name.startswith("part-"):
            continue
        # Ids holding a tab, a quote or a line break are quoted CSV-style (see the README).
        with gzip.open(os.path.join(folder, "ranks", name), "rt", encoding="utf-8", newline="") as f:
            for label, value in csv.reader(f, delimiter="\t", quotechar='"'):
                ranks[label] = float(value)
    return ranks


def validate(path, version, shared, tmp):
    if path.endswith(".gz"):
        plain = os.path.join(tmp, os.path.basename(path)[:-3])
        with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        path = plain
    xsd = os.path.join(shared, "reference", "gexf", version, "gexf.xsd")
    done = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], capture_output=True, text=True)
    return None if done.returncode == 0 else done.stderr.strip()[-500:]


def by_label(g):
    return {data["label"]: data for _, data in g.nodes(data=True)}


def main():
    binary, shared = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    results = []

    def check(title, problem):
        results.append(problem is None)
        print(f"{'ok  ' if problem is None else 'FAIL'} {title}" + ("" if problem is None else f": {problem}"))

    def run(*args):
        subprocess.run([binary, *args, "--quiet"], check=True)

    with tempfile.TemporaryDirectory() as tmp:
        # 1. cnr-2000: top 2000 as GEXF 1.3 from `rank`, and 1.2draft from `export gexf`.
        cnr = os.path.join(shared, "data", "cnr-2000", "cnr-2000.el.gz")
        out = os.path.join(tmp, "cnr")
        run("rank", cnr, "-o", out, "--gexf", os.path.join(out, "top.gexf"), "--gexf-top", "2000")
        run("export", "gexf", out, "-o", os.path.join(out, "top12.gexf"), "--top", "2000", "--gexf-version", "1.2draft")
        ranks = read_parts(out)
        top = {k for k, _ in sorted(ranks.items(), key=lambda kv: (-kv[1], int(kv[0])))[:2000]}
        induced = 0
        with gzip.open(cnr, "rt") as f:
            for line in f:
                s, t = line.split()
                induced += s in top and t in top
        for name, version in (("top.gexf", "1.3"), ("top12.gexf", "1.2draft")):
            path = os.path.join(out, name)
            check(f"cnr-2000 {name} validates against GEXF {version}", validate(path, version, shared, tmp))
            g = nx.read_gexf(path)
            nodes = by_label(g)
            check(f"cnr-2000 {name}: 2000 nodes, the top 2000 of the part files",
                  None if set(nodes) == top else f"{len(nodes)} nodes, {len(set(nodes) ^ top)} differ")
            check(f"cnr-2000 {name}: {induced} induced edges",
                  None if g.number_of_edges() == induced else f"{g.number_of_edges()} edges")
            wrong = [k for k, d in nodes.items() if d.get("pagerank") != ranks[k]]
            check(f"cnr-2000 {name}: pagerank attributes equal the part files",
                  None if not wrong else f"{len(wrong)} differ, e.g. {wrong[:3]}")

        # 2. A URL crawl with hostile labels, gzip-compressed GEXF, colours by host.
        rng = random.Random(7)
        hostile = [
            "https://a.example/?q=1&r=2", "https://b.example/<b>bold</b>", 'https://c.example/"quoted"',
            "https://d.example/it's", "https://città.example/über/日本", "https://e.example/ctl\x01\x02\x1b",
            "https://f.example/cdata]]>end", "lone & ampersand", "https://g.example/" + "x" * 10000,
        ]
        pages = hostile + [f"https://h{i % 7}.example/p{i}" for i in range(300)]
        edges = {(rng.choice(pages), rng.choice(pages[: 20 + i % 200])) for i in range(3000)}
        edges |= {(p, pages[(i + 1) % len(pages)]) for i, p in enumerate(hostile)}
        crawl = os.path.join(tmp, "hostile.tsv")
        with open(crawl, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(f"{s}\t{t}\n" for s, t in sorted(edges))
        out = os.path.join(tmp, "urls")
        gexf = os.path.join(out, "all.gexf.gz")
        run("rank", crawl, "-o", out, "--gexf", gexf, "--gexf-top", "100000", "--color-by", "host")
        check("hostile URL crawl validates against GEXF 1.3 (gzip)", validate(gexf, "1.3", shared, tmp))
        g = nx.read_gexf(gexf)
        nodes = by_label(g)
        ranks = read_parts(out)
        expected = {xml_safe(label) for label in ranks}
        check("hostile labels survive networkx.read_gexf",
              None if set(nodes) == expected else f"{sorted(set(nodes) ^ expected)[:3]!r}")
        check("hostile crawl: every edge is exported", None if g.number_of_edges() == len(edges)
              else f"{g.number_of_edges()} of {len(edges)}")
        wrong = [k for k in ranks if nodes.get(xml_safe(k), {}).get("pagerank") != ranks[k]]
        check("hostile crawl: pagerank attributes equal the part files", None if not wrong else f"{wrong[:3]!r}")
        hosts = {d.get("host") for d in nodes.values()}
        check("hostile crawl: host attribute", None if "città.example" in hosts and "a.example" in hosts else repr(hosts))

        # 3. export gexf with an explicit node list and their neighbours, as 1.2draft.
        listed = os.path.join(tmp, "nodes.txt")
        with open(listed, "w", encoding="utf-8") as f:
            f.write("# two pages\nhttps://a.example/?q=1&r=2\nhttps://città.example/über/日本\n")
        small = os.path.join(tmp, "neighbors.gexf")
        run("export", "gexf", out, "-o", small, "--nodes", listed, "--neighbors", "--max-nodes", "40",
            "--gexf-version", "1.2draft")
        check("export --nodes --neighbors validates against GEXF 1.2draft", validate(small, "1.2draft", shared, tmp))
        labels = set(by_label(nx.read_gexf(small)))
        ok = {"https://a.example/?q=1&r=2", "https://città.example/über/日本"} <= labels and 2 < len(labels) <= 40
        check("export --nodes --neighbors: the listed nodes and at most 40 in all", None if ok else f"{len(labels)} nodes")

    passed = sum(results)
    print(f"gexf interoperability: {passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
