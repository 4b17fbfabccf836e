#!/usr/bin/env python3
"""arcs.tsv.gz: 3,000 linked nodes with a skewed in-degree, sorted and deduplicated (BVGraph is
a simple graph), some self-loops; nodes 3000..3099 have no arc."""
import gzip, os, random

rng = random.Random(15)
arcs = set()
for _ in range(24000):
    s = rng.randrange(3000)
    t = int(3000 * rng.random() ** 2.2)
    arcs.add((s, t))
for v in range(0, 3000, 151):
    arcs.add((v, v))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "arcs.tsv.gz"), "wb") as raw:
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write("".join(f"{s}\t{t}\n" for s, t in sorted(arcs)).encode())
