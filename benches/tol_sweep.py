#!/usr/bin/env python3
"""benches/tol_sweep.py TAG GRAPH REF RUNS MAXITER tol... : $CRAWLRANK (default target/release/crawlrank) at each --tol; waits for an idle machine before each run, RUNS runs (alternating over tols), median
iterate/total seconds, iterations, converged, exit status, L1 to REF (compare_ranks.py)."""
import json, os, re, shutil, statistics, subprocess, sys
tag, graph, ref, runs, maxit = sys.argv[1:6]; tols = sys.argv[6:]
BIN = os.environ.get("CRAWLRANK", "target/release/crawlrank")
COMPARE = os.environ.get("COMPARE_RANKS", "../shared/tools/compare_ranks.py")
res = {t: [] for t in tols}
import time
def busy(dt=1.0):
    def snap():
        v = list(map(int, open("/proc/stat").readline().split()[1:])); return sum(v), v[3] + v[4]
    a = snap(); time.sleep(dt); b = snap()
    return 2 * (1 - (b[1] - a[1]) / max(1, b[0] - a[0]))
def wait_quiet():
    w = 0
    while busy(0.5) > 0.25 and w < 30: time.sleep(3); w += 3.5
    return w
waits = 0
for r in range(int(runs)):
    for t in tols:
        out = f"target/tol-sweep/{tag}-{t}"
        shutil.rmtree(out, ignore_errors=True)
        args = [BIN, "rank", graph, "-o", out, "--threads", "2", "--quiet"]
        if t != "default": args += ["--tol", t, "--max-iter", maxit]
        waits += wait_quiet()
        p = subprocess.run(args)
        s = json.load(open(f"{out}/summary.json"))
        res[t].append((p.returncode, s))
        if r == int(runs) - 1:
            c = subprocess.run(["python3", COMPARE, f"{out}/ranks", ref, "--l1", "1"],
                               capture_output=True, text=True).stdout
            l1 = re.search(r"L1 (\S+)", c).group(1); mx = re.search(r"max abs (\S+):", c).group(1)
            res[t].append(("l1", l1, mx))
print(f"(waited {waits:.0f} s in total for a quiet machine before runs)")
print(f"{tag}: {graph}, NEW, --threads 2, {runs} runs each (median; min-max), L1 vs {ref}")
print("| tol | iterations | converged | exit | last change | iterate s median (min-max) | s/iter | total s median (min-max) | L1 to ref | max abs |")
print("|---|---|---|---|---|---|---|---|---|---|")
for t in tols:
    rr = [x for x in res[t] if x[0] != "l1"]; _, l1, mx = res[t][-1]
    its = {s["iterations_run"] for _, s in rr}; conv = {s["converged"] for _, s in rr}; rc = {c for c, _ in rr}
    it = [s["phases"]["iterate"] for _, s in rr]; tot = [s["phases"]["total"] for _, s in rr]
    n = rr[0][1]["iterations_run"]
    print(f"| {t} | {','.join(map(str, its))} | {','.join(map(str, conv))} | {','.join(map(str, rc))} | {rr[0][1]['residual']:.2e} | "
          f"{statistics.median(it):.3f} ({min(it):.3f}-{max(it):.3f}) | {statistics.median(it)/n*1000:.2f} ms | "
          f"{statistics.median(tot):.3f} ({min(tot):.3f}-{max(tot):.3f}) | {l1} | {mx} |")
