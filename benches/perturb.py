#!/usr/bin/env python3
"""Changes a fraction of a graph's edges, as tomorrow's crawl changes today's: for the warm-start
(--init) measurement in docs/benchmarks.md.

Usage: perturb.py EDGES.tsv[.gz] OUT.tsv [--fraction 0.01] [--new-nodes 1000] [--seed 1]

Removes fraction/2 of the edge lines at random and adds as many new edges: most between
existing nodes, and --new-nodes pages that did not exist, each with one link in and one out.
Comment lines are dropped. Deterministic for a seed.
"""
import argparse, gzip, random


def main():
    p = argparse.ArgumentParser()
    p.add_argument("edges")
    p.add_argument("out")
    p.add_argument("--fraction", type=float, default=0.01)
    p.add_argument("--new-nodes", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    opener = gzip.open if a.edges.endswith(".gz") else open
    with opener(a.edges, "rt") as f:
        edges = [line.split() for line in f if line.strip() and line[0] not in "#%"]
    nodes = sorted({int(x) for e in edges for x in e[:2]})
    changed = int(len(edges) * a.fraction / 2)
    for i in sorted(rng.sample(range(len(edges)), changed), reverse=True):
        edges[i] = edges[-1]
        edges.pop()
    top = nodes[-1]
    added = []
    for k in range(a.new_nodes):
        page = top + 1 + k
        added.append((rng.choice(nodes), page))
        added.append((page, rng.choice(nodes)))
    while len(added) < changed:
        added.append((rng.choice(nodes), rng.choice(nodes)))
    with open(a.out, "w") as f:
        for e in edges:
            f.write(f"{e[0]}\t{e[1]}\n")
        for s, t in added:
            f.write(f"{s}\t{t}\n")
    print(f"{len(edges)} edges kept, {changed} removed, {len(added)} added ({a.new_nodes} new nodes)")


if __name__ == "__main__":
    main()
