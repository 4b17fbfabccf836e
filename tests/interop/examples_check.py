"""The two library examples print the same top 5 as `crawlrank rank` on the same graph.

Usage: examples_check.py CRAWLRANK EXAMPLE TOLERANCE WORKDIR

Runs `EXAMPLE --edges WORKDIR/edges.tsv` (the example writes the edges it ranked), then
`CRAWLRANK rank WORKDIR/edges.tsv`, and compares the example's printed `id<TAB>rank` lines with
the first five rows of `top.tsv`: the same ids in the same order, ranks within TOLERANCE
(0 asks for the same bits). Exits 1 with the differences otherwise.
"""

import subprocess
import sys
from pathlib import Path


def main() -> int:
    crawlrank, example, tolerance, work = sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
    work.mkdir(parents=True, exist_ok=True)
    edges = work / "edges.tsv"
    printed = subprocess.run([example, "--edges", str(edges)], check=True, capture_output=True, text=True).stdout
    ours = [(i, float(r)) for i, r in (line.split("\t") for line in printed.splitlines())]
    subprocess.run([crawlrank, "rank", str(edges), "-o", str(work / "out"), "--quiet"], check=True)
    rows = (work / "out" / "top.tsv").read_text().splitlines()[1:6]
    theirs = [(f[1], float(f[2])) for f in (row.split("\t") for row in rows)]
    if len(ours) != 5 or [i for i, _ in ours] != [i for i, _ in theirs]:
        print(f"{example}: top 5 ids differ\n  example: {ours}\n  rank:    {theirs}")
        return 1
    worst = max(abs(a - b) for (_, a), (_, b) in zip(ours, theirs))
    if worst > tolerance:
        print(f"{example}: ranks differ by {worst:.3e} (> {tolerance:g})\n  example: {ours}\n  rank:    {theirs}")
        return 1
    print(f"{Path(example).name}: the same top 5 as crawlrank rank (largest difference {worst:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
