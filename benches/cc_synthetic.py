#!/usr/bin/env python3
"""Makes a synthetic graph in the layout of Common Crawl's host graph releases, for the
measurements of docs/common-crawl.md.

    benches/cc_synthetic.py CRAWLRANK SCALE OUTDIR [--edge-factor 36] [--files 4]
                            [--seed 1] [--stdout]

writes

- OUTDIR/edges/part-0000K.txt.gz: the `src<TAB>dst` lines of
  `CRAWLRANK generate rmat --scale SCALE --edge-factor EF` (2^SCALE * EF lines, duplicates
  and self-loops as R-MAT makes them, not sorted), dealt round-robin in blocks of about
  4 MiB of whole lines over --files gzip files (level 1);
- OUTDIR/vertices/part-0000K.txt.gz: `id<TAB>reversed.host.name` for every id
  0..2^SCALE-1, in id order, split into --files consecutive id ranges. The names sort in id
  order like Common Crawl's (whose ids are the ranks of the sorted names): twenty top-level
  domains in alphabetical order, each owning a share of the id range, four hosts a domain
  (`com.example00001234`, `.blog`, `.m`, `.www` after it), about 22 bytes a name;

and prints the sizes and times (and a last line of JSON with the same).

The generator writes a temporary text file OUTDIR/.rmat-edges.tsv (about 14 bytes an edge at
scale 20, 17 at scale 25; deleted at the end) that is then split and compressed: `generate
-o -` deadlocks in crawlrank-15 (its main thread holds the stdout lock while a pool thread
writes). --stdout reads the generator's standard output instead, for a binary where that
works (no temporary file).

Compression runs in one thread a file with the standard library's zlib (which releases the
GIL while it compresses): on a 2-core machine that was faster than `gzip -1` subprocesses
fed through pipes (see docs/common-crawl-measurements.md). Python 3.11, standard library only.
"""
import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import zlib

BLOCK = 4 << 20  # bytes of edge text per block dealt to a file
# (top-level domain, share of the ids), alphabetical so that the names sort in id order.
TLDS = [("at", 1), ("au", 2), ("br", 3), ("ca", 2), ("ch", 1), ("com", 45), ("de", 8),
        ("es", 2), ("fr", 3), ("in", 1), ("info", 2), ("io", 2), ("it", 3), ("jp", 3),
        ("net", 6), ("nl", 2), ("org", 6), ("pl", 2), ("ru", 4), ("uk.co", 2)]
SUFFIXES = ("", ".blog", ".m", ".www")  # host i is suffix i % 4 of domain i // 4; sorted


class GzipWriter:
    """A gzip file (level 1) written by its own thread from a bounded queue of blocks."""

    def __init__(self, path):
        self.path = path
        self.file = open(path, "wb")
        self.z = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: gzip header and trailer
        self.q = queue.Queue(maxsize=4)
        self.raw = 0
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while (block := self.q.get()) is not None:
                self.raw += len(block)
                self.file.write(self.z.compress(block))
            self.file.write(self.z.flush())
            self.file.close()
        except BaseException as e:  # reported by close()
            self.error = e
            while self.q.get() is not None:  # let the producer finish
                pass

    def write(self, block):
        self.q.put(block)

    def close(self):
        self.q.put(None)
        self.thread.join()
        if self.error:
            raise self.error
        return self.raw, os.path.getsize(self.path)


def part(folder, k):
    return os.path.join(folder, f"part-{k:05d}.txt.gz")


def deal(stream, writers):
    """Deals whole-line blocks of about BLOCK bytes of `stream` round-robin to `writers`."""
    k, carry, lines = 0, b"", 0
    while chunk := stream.read(BLOCK):
        chunk = carry + chunk
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            carry = chunk
            continue
        carry = chunk[cut:]
        block = chunk[:cut]
        lines += block.count(b"\n")
        writers[k].write(block)
        k = (k + 1) % len(writers)
    if carry:
        lines += 1
        writers[k].write(carry + b"\n")
    return lines


def edges(crawlrank, scale, edge_factor, seed, files, outdir, via_stdout):
    folder = os.path.join(outdir, "edges")
    os.makedirs(folder)
    cmd = [crawlrank, "generate", "rmat", "--scale", str(scale), "--edge-factor", str(edge_factor),
           "--seed", str(seed), "-q"]
    t0 = time.monotonic()
    writers = [GzipWriter(part(folder, k)) for k in range(files)]
    if via_stdout:
        gen = subprocess.Popen(cmd + ["-o", "-"], stdout=subprocess.PIPE)
        lines = deal(gen.stdout, writers)
        if gen.wait():
            sys.exit(f"{' '.join(cmd)}: exit status {gen.returncode}")
        t_gen = None
    else:
        text = os.path.join(outdir, ".rmat-edges.tsv")
        subprocess.run(cmd + ["-o", text], check=True)
        t_gen = time.monotonic() - t0
        with open(text, "rb") as f:
            lines = deal(f, writers)
        os.remove(text)
    sizes = [w.close() for w in writers]
    return {
        "edge_lines": lines,
        "edges_text_bytes": sum(r for r, _ in sizes),
        "edges_gz_bytes": sum(g for _, g in sizes),
        "generate_s": None if t_gen is None else round(t_gen, 2),
        "edges_s": round(time.monotonic() - t0, 2),
    }


def names(first, last, n, width):
    """The `id<TAB>name` lines of ids first..last-1 (of n), as bytes."""
    out = []
    total = sum(s for _, s in TLDS)
    lo = 0
    acc = 0
    for tld, share in TLDS:
        acc += share
        hi = n if acc == total else (n * acc // total) & ~3  # whole domains
        a, b = max(lo, first), min(hi, last)
        if a < b:
            prefix = tld + ".example"
            out.append("".join(f"{i}\t{prefix}{i >> 2:0{width}d}{SUFFIXES[i & 3]}\n" for i in range(a, b)))
        lo = hi
    return "".join(out).encode()


def vertices(scale, files, outdir):
    n = 1 << scale
    folder = os.path.join(outdir, "vertices")
    os.makedirs(folder)
    width = max(8, len(str((n - 1) >> 2)))
    t0 = time.monotonic()
    writers = [GzipWriter(part(folder, k)) for k in range(files)]
    step = 1 << 16
    for k, w in enumerate(writers):
        first, last = n * k // files, n * (k + 1) // files
        for a in range(first, last, step):
            w.write(names(a, min(a + step, last), n, width))
    sizes = [w.close() for w in writers]
    return {
        "vertices": n,
        "vertices_text_bytes": sum(r for r, _ in sizes),
        "vertices_gz_bytes": sum(g for _, g in sizes),
        "vertices_s": round(time.monotonic() - t0, 2),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("crawlrank", help="the crawlrank binary that generates the edges")
    p.add_argument("scale", type=int, help="2^SCALE hosts")
    p.add_argument("outdir", help="created; must be empty if it exists")
    p.add_argument("--edge-factor", type=int, default=36, help="edge lines per host (default 36)")
    p.add_argument("--files", type=int, default=4, help="gzip files for the edges, and for the vertices (default 4)")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument("--stdout", action="store_true",
                   help="read `generate -o -` instead of a temporary file (not with crawlrank-15: it deadlocks)")
    a = p.parse_args()
    if os.path.exists(a.outdir) and os.listdir(a.outdir):
        sys.exit(f"{a.outdir} exists and is not empty")
    os.makedirs(a.outdir, exist_ok=True)
    if not a.stdout:
        need = (1 << a.scale) * a.edge_factor * 18  # text; the gzip files add about half
        free = shutil.disk_usage(a.outdir).free
        if free < need * 1.6:
            sys.exit(f"needs about {need / 1e9:.1f} GB of temporary text plus the gzip files; {free / 1e9:.1f} GB free")
    t0 = time.monotonic()
    r = {"scale": a.scale, "edge_factor": a.edge_factor, "files": a.files, "seed": a.seed}
    r |= edges(a.crawlrank, a.scale, a.edge_factor, a.seed, a.files, a.outdir, a.stdout)
    print(f"edges:    {r['edge_lines']:,} lines, {r['edges_text_bytes'] / 1e9:.2f} GB of text, "
          f"{r['edges_gz_bytes'] / 1e9:.2f} GB gzip in {a.files} files, {r['edges_s']:.1f} s"
          + ("" if r["generate_s"] is None else f" (generate {r['generate_s']:.1f} s)"), flush=True)
    r |= vertices(a.scale, a.files, a.outdir)
    print(f"vertices: {r['vertices']:,} lines, {r['vertices_text_bytes'] / 1e9:.2f} GB of text, "
          f"{r['vertices_gz_bytes'] / 1e9:.2f} GB gzip in {a.files} files, {r['vertices_s']:.1f} s")
    r["total_s"] = round(time.monotonic() - t0, 2)
    print(f"total:    {r['total_s']:.1f} s, {(r['edges_gz_bytes'] + r['vertices_gz_bytes']) / 1e9:.2f} GB in {a.outdir}")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
