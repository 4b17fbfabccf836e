#!/usr/bin/env python3
"""crawlrank against the tools a user would pick instead, on the same integer edge list, same
thread count, each run in its own process: NetworKit, scipy's sparse power iteration
(networkx's fast path), igraph (PRPACK) and, for small graphs, PySpark's classic RDD
PageRank. Every peer's top 10 must agree with crawlrank's before any time of it is reported.

Usage: compare.py GRAPH [--threads 2] [--iterations 20] [--runs 3] [--tools ...] [--json FILE]
Tools: crawlrank, crawlrank-f32 (--precision f32), networkit, scipy, igraph, pyspark.
Run through benches/compare.sh, which makes the virtual environment. Prints a Markdown table:
medians of --runs runs, ratios to crawlrank measured in this same command.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def crawlrank(a, tmp, extra=()):
    binary = os.environ.get("CRAWLRANK_BIN", os.path.join(ROOT, "target", "release", "crawlrank"))
    out = os.path.join(tmp, "crawlrank")
    started = time.perf_counter()
    subprocess.run([binary, "rank", a.graph, "-o", out, "--threads", str(a.threads), "--tol", "0",
                    "--max-iter", str(a.iterations), "--top", "10", "--quiet", *extra], check=True)
    wall = time.perf_counter() - started
    s = json.load(open(os.path.join(out, "summary.json")))
    top = [line.split("\t") for line in open(os.path.join(out, "top.tsv")).read().splitlines()[1:]]
    per_iteration = statistics.median(r["seconds"] for r in s["iterations"])
    return dict(read=s["phases"]["read"], build=s["phases"]["partition"], iterate=s["phases"]["iterate"],
                iterations=s["iterations_run"], per_iteration=per_iteration, total=wall,
                peak_rss=s["peak_rss_bytes"], top10=[[row[1], float(row[2])] for row in top])


def peer(a, tool):
    done = subprocess.run([sys.executable, os.path.join(HERE, "peers.py"), tool, a.graph, "--threads", str(a.threads),
                           "--iterations", str(a.iterations)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-800:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    its = result["iterations"]
    result["per_iteration"] = result["iterate"] / its if its else None
    return result


def agreement(ours, theirs):
    """None when the top 10 agree: same ids, ranks within 1% of each other."""
    a = {k: v for k, v in ours}
    b = {k: v for k, v in theirs}
    if set(a) != set(b):
        return f"different top 10: only crawlrank {sorted(set(a) - set(b))[:3]}, only peer {sorted(set(b) - set(a))[:3]}"
    worst = max(abs(a[k] - b[k]) / a[k] for k in a)
    return None if worst < 1e-2 else f"top-10 ranks differ by up to {worst:.1%}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("graph")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tools", default="crawlrank,networkit,scipy,igraph")
    ap.add_argument("--json")
    a = ap.parse_args()
    a.graph = os.path.abspath(a.graph)
    tools = a.tools.split(",")
    results, problems = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for tool in tools:
            runs = []
            for _ in range(a.runs):
                try:
                    if tool == "crawlrank":
                        runs.append(crawlrank(a, tmp))
                    elif tool == "crawlrank-f32":
                        runs.append(crawlrank(a, tmp, ["--precision", "f32"]))
                    else:
                        runs.append(peer(a, tool))
                except Exception as e:  # a peer that fails is reported, not timed
                    problems[tool] = f"failed: {e}"
                    break
                print(f"  {tool}: {runs[-1]['total']:.2f} s", file=sys.stderr)
            if runs and tool not in problems:
                results[tool] = runs
    if "crawlrank" not in results:
        sys.exit("compare: crawlrank did not run: " + problems.get("crawlrank", "not in --tools"))
    ours = results["crawlrank"][0]["top10"]
    for tool, runs in results.items():
        if tool != "crawlrank" and (problem := agreement(ours, runs[0]["top10"])):
            problems[tool] = problem

    def med(tool, key):
        values = [r[key] for r in results[tool] if r.get(key) is not None]
        return statistics.median(values) if values else None

    base = {k: med("crawlrank", k) for k in ("total", "per_iteration")}
    base["build"] = med("crawlrank", "read") + med("crawlrank", "build")
    rows = []
    print(f"\n{os.path.basename(a.graph)}: {a.threads} threads, {a.iterations} iterations, medians of {a.runs} runs\n")
    print("| tool | read + build s | per iteration s | end to end s | peak RSS MiB | read + build ratio | per iteration ratio | end to end ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for tool in tools:
        if tool in problems:
            print(f"| {tool} | {problems[tool]} | | | | | | |")
            continue
        build = med(tool, "read") + med(tool, "build")
        per, total, rss = med(tool, "per_iteration"), med(tool, "total"), med(tool, "peak_rss")
        fmt = lambda v, d=3: "n/a" if v is None else f"{v:.{d}f}"
        ratio = lambda v, b: "n/a" if v is None or not b else f"{v / b:.1f}×"
        print(f"| {tool} | {fmt(build, 2)} | {fmt(per, 4)} | {fmt(total, 2)} | {rss / 2**20:.0f} "
              f"| {ratio(build, base['build'])} | {ratio(per, base['per_iteration'])} | {ratio(total, base['total'])} |")
        rows.append(dict(tool=tool, build=build, per_iteration=per, total=total, peak_rss=rss))
    if "networkit" in results and "networkit" not in problems:
        print()
        for ours_tool in ("crawlrank", "crawlrank-f32"):
            if ours_tool in results and ours_tool not in problems:
                print(f"{ours_tool} ÷ NetworKit: per iteration "
                      f"{med(ours_tool, 'per_iteration') / med('networkit', 'per_iteration'):.3f}×, end to end "
                      f"{med(ours_tool, 'total') / med('networkit', 'total'):.4f}×")
    print("\nPer iteration: crawlrank's median iteration; NetworKit and scipy: their iteration time / iterations; "
          "igraph's PRPACK solves to convergence and has none. End to end: the whole process, wall clock "
          "(crawlrank's includes writing gzip part files; the peers write nothing).")
    if a.json:
        json.dump(dict(graph=a.graph, threads=a.threads, iterations=a.iterations, runs=a.runs, rows=rows,
                       problems=problems), open(a.json, "w"), indent=1)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
