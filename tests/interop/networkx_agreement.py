#!/usr/bin/env python3
"""crawlrank against networkx.pagerank: the Common Crawl-layout host graph of tests/data/cc
(--names, --cc-ranks), BVGraphs written by LAW's webgraph CLI (tests/data/law), and graphs
made here: URL ids, huge sparse integer ids,
weighted edges (with duplicates, where the last weight wins), a personalization file (with
both dangling policies), parallel edges (--multi) and CSV input.

Usage: networkx_agreement.py PATH/TO/crawlrank
Needs networkx and scipy (.ci/run makes a virtual environment with them). Prints one line per
case and a closing 'N passed, N failed' line; exits 1 if any case fails.
"""
import csv, gzip, os, random, subprocess, sys, tempfile

import networkx as nx

L1_LIMIT = 1e-9


def read_ranks(folder):
    ranks = {}
    parts = sorted(f for f in os.listdir(os.path.join(folder, "ranks")) if f.startswith("part-"))
    assert os.path.exists(os.path.join(folder, "ranks", "_SUCCESS")), "no _SUCCESS"
    for name in parts:
        # Ids holding a tab, a quote or a line break are quoted CSV-style: read as the README
        # says (csv with a tab delimiter).
        with gzip.open(os.path.join(folder, "ranks", name), "rt", encoding="utf-8", newline="") as f:
            for label, value in csv.reader(f, delimiter="\t", quotechar='"'):
                ranks[label] = float(value)
    return ranks


def crawlrank(binary, tmp, name, text, args, suffix=".tsv"):
    path = os.path.join(tmp, name + suffix)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    out = os.path.join(tmp, name + ".out")
    cmd = [binary, "rank", path, "-o", out, "-q", "--tol", "1e-14", "--max-iter", "1000"] + args
    subprocess.run(cmd, check=True)
    return read_ranks(out)


def compare(ours, theirs, label=str):
    theirs = {label(k): v for k, v in theirs.items()}
    if set(ours) != set(theirs):
        missing = list(set(theirs) - set(ours))[:3]
        extra = list(set(ours) - set(theirs))[:3]
        return f"node sets differ: missing {missing}, extra {extra}"
    l1 = sum(abs(ours[k] - theirs[k]) for k in theirs)
    return None if l1 <= L1_LIMIT else f"L1 {l1:.3e} > {L1_LIMIT:.0e}"


def web_like(rng, nodes, edges, name):
    """Edges with a skewed in-degree, some self-loops and duplicates, some sink-only nodes."""
    out = []
    for _ in range(edges):
        s = rng.randrange(nodes)
        t = int(nodes * rng.random() ** 2.5)
        out.append((name(s), name(t)))
    out += [(name(v), name(v)) for v in range(0, nodes, 97)]  # self-loops
    out += out[: edges // 20]  # duplicates
    out += [(name(rng.randrange(nodes)), name(nodes + k)) for k in range(nodes // 10)]  # dangling targets
    rng.shuffle(out)
    return out


def nx_pagerank(g, **kw):
    return nx.pagerank(g, alpha=0.85, tol=1e-15, max_iter=10000, **kw)


def main():
    binary = os.path.abspath(sys.argv[1])
    rng = random.Random(20001)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        def case(title, check):
            try:
                problem = check()
            except Exception as e:  # a crash is a failure of this case, reported as such
                problem = f"{type(e).__name__}: {e}"
            results.append(problem is None)
            print(f"{'ok  ' if problem is None else 'FAIL'} {title}" + ("" if problem is None else f": {problem}"))

        def urls():
            hosts = ["a.example.org", "b.example.com", "città.example.it", "x.example.net"]
            tricky = ["?q=1&r=2", "?s=<b>", '?t="quoted"', "?u='single'", "/über", "/naïve/ç", ""]
            name = lambda v: f"https://{hosts[v % 4]}/p{v}{tricky[v % len(tricky)]}"
            edges = web_like(rng, 1500, 12000, name)
            g = nx.DiGraph(edges)
            text = "".join(f"{s}\t{t}\n" for s, t in edges)
            return compare(crawlrank(binary, tmp, "urls", text, []), nx_pagerank(g))

        def sparse_ints():
            ids = list(dict.fromkeys(rng.getrandbits(64) for _ in range(2100)))[:2000]
            ids[0], ids[1] = 2**64 - 1, 0
            edges = web_like(rng, 2000, 16000, lambda v: ids[v % 2000] if v < 2000 else 2**40 + v)
            g = nx.DiGraph(edges)
            text = "".join(f"{s} {t}\n" for s, t in edges)
            return compare(crawlrank(binary, tmp, "sparse", text, []), nx_pagerank(g))

        def weighted():
            edges = web_like(rng, 1200, 10000, lambda v: v)
            weighted = [(s, t, round(rng.uniform(0.0, 5.0), 3)) for s, t in edges]
            weighted += [(s, t, 9.5) for s, t, _ in weighted[:50]]  # duplicates: the last weight wins
            weighted += [(5000, 1, 0.0), (5000, 2, 0.0)]  # all out-weights zero: dangling
            g = nx.DiGraph()
            g.add_weighted_edges_from(weighted)
            text = "".join(f"{s},{t},{w}\n" for s, t, w in weighted)
            return compare(crawlrank(binary, tmp, "weighted", text, ["--weighted"], ".csv"), nx_pagerank(g), str)

        def personalized(dangling):
            def check():
                edges = web_like(rng, 1500, 12000, lambda v: f"n{v}")
                g = nx.DiGraph(edges)
                seeds = {"n3": 1.0, "n10": 2.0, "n1600": 1.0}  # n1600 is a dangling target
                seeds = {k: v for k, v in seeds.items() if k in g}
                seed_file = os.path.join(tmp, f"seeds-{dangling}.txt")
                with open(seed_file, "w") as f:
                    f.write("# seeds with weights\n" + "".join(f"{k}\t{v}\n" for k, v in seeds.items()))
                text = "".join(f"{s} {t}\n" for s, t in edges)
                ours = crawlrank(binary, tmp, f"pers-{dangling}", text, ["--personalize", seed_file, "--dangling", dangling])
                kw = {"personalization": seeds}
                if dangling == "uniform":
                    kw["dangling"] = {v: 1.0 for v in g}
                return compare(ours, nx_pagerank(g, **kw))
            return check

        def multi():
            edges = web_like(rng, 1000, 9000, lambda v: v)
            g = nx.MultiDiGraph(edges)
            text = "".join(f"{s}\t{t}\n" for s, t in edges)
            return compare(crawlrank(binary, tmp, "multi", text, ["--multi"]), nx_pagerank(g), str)

        data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

        def gz_lines(folder):
            for name in sorted(os.listdir(folder)):
                with gzip.open(os.path.join(folder, name), "rt", encoding="utf-8") as f:
                    yield from (line.rstrip("\n").split("\t") for line in f)

        def common_crawl_hosts():
            # tests/data/cc/host: vertices and edges each split over two gzip files, isolated
            # hosts; ranked with the names the usual way round.
            cc = os.path.join(data, "cc", "host")
            unreverse = lambda name: ".".join(reversed(name.split(".")))
            names = {int(i): unreverse(n) for i, n in gz_lines(os.path.join(cc, "vertices"))}
            g = nx.DiGraph()
            g.add_nodes_from(names.values())
            g.add_edges_from((names[int(s)], names[int(t)]) for s, t in gz_lines(os.path.join(cc, "edges")))
            out = os.path.join(tmp, "cc.out")
            cmd = [binary, "rank", os.path.join(cc, "edges"), "-o", out, "-q", "--tol", "1e-14", "--cc-ranks",
                   "--names", os.path.join(cc, "vertices"), "--names-reversed"]
            subprocess.run(cmd, check=True)
            ours = read_ranks(out)
            with gzip.open(os.path.join(out, "cc-ranks.txt.gz"), "rt", encoding="utf-8") as f:
                header = f.readline().rstrip("\n")
                rows = [line.rstrip("\n").split("\t") for line in f]
            if header != "#pr_pos\t#pr_val\t#host_rev" or len(rows) != len(names):
                return f"cc-ranks.txt.gz: header {header!r}, {len(rows)} rows for {len(names)} hosts"
            if any(float(v) != ours[unreverse(h)] for _, v, h in rows):
                return "cc-ranks.txt.gz disagrees with the part files"
            return compare(ours, nx_pagerank(g))

        def law_bvgraph(basename, transposed):
            # A BVGraph written by LAW's `webgraph` CLI (tests/data/law/make_fixture.sh).
            def check():
                law = os.path.join(data, "law")
                g = nx.DiGraph()
                g.add_nodes_from(range(3100))
                arcs = ((int(s), int(t)) for s, t in gz_lines_file(os.path.join(law, "arcs.tsv.gz")))
                g.add_edges_from((t, s) if transposed else (s, t) for s, t in arcs)
                out = os.path.join(tmp, basename + ".out")
                cmd = [binary, "rank", os.path.join(law, basename), "-o", out, "-q", "--tol", "1e-14"]
                subprocess.run(cmd, check=True)
                return compare(read_ranks(out), nx_pagerank(g), str)
            return check

        def gz_lines_file(path):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                yield from (line.rstrip("\n").split("\t") for line in f)

        case("Common Crawl-layout host graph with --names --names-reversed, and --cc-ranks", common_crawl_hosts)
        case("BVGraph written by `webgraph from arcs` (isolated nodes)", law_bvgraph("web", False))
        case("BVGraph written by `webgraph transform transpose`", law_bvgraph("web-t", True))
        case("URL ids with & < > \" ' and non-ASCII", urls)
        case("sparse 64-bit integer ids", sparse_ints)
        case("weighted CSV, last duplicate weight wins, zero out-weight is dangling", weighted)
        case("personalization file, dangling mass to the seeds", personalized("teleport"))
        case("personalization file, dangling mass uniform", personalized("uniform"))
        case("parallel edges with --multi", multi)

    passed = sum(results)
    print(f"networkx agreement: {passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
