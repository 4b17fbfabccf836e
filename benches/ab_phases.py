#!/usr/bin/env python3
"""Alternating runs: benches/ab_phases.py TAG GRAPH RUNS ITERS name=BIN[,opt...] ...
Runs run1 of every variant, then run2 ..., keeps each summary.json, prints read/partition/iterate/total
min/median/max, read MB/s (input bytes / read seconds), external wall and peak RSS."""
import json, os, resource, shutil, statistics, subprocess, sys, time
tag, graph, runs, iters = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
variants = [v.split("=", 1) for v in sys.argv[5:]]
size = os.path.getsize(graph)
res = {n: [] for n, _ in variants}
outdir = os.path.join(os.environ.get("AB_OUT", "target/ab-phases"), tag); os.makedirs(outdir, exist_ok=True)
def busy(dt=1.0):
    def snap():
        f = open("/proc/stat").readline().split()[1:]
        v = list(map(int, f)); return sum(v), v[3] + v[4]
    a = snap(); time.sleep(dt); b = snap()
    return 2 * (1 - (b[1] - a[1]) / max(1, b[0] - a[0]))  # cores busy
def wait_quiet():
    waited = 0
    while True:
        u = busy()
        if u < 0.25 or waited > 45: return waited, u
        time.sleep(5); waited += 6
for r in range(runs):
    for name, spec in variants:
        w, u = wait_quiet()
        if w: print(f"  (waited {w}s for a quiet machine, busy {u:.2f} cores)", flush=True)
        cmd = spec.split(",")
        out = f"/tmp/abphase-{tag}-{name}"
        shutil.rmtree(out, ignore_errors=True)
        def stat():
            v = list(map(int, open("/proc/stat").readline().split()[1:])); return sum(v), v[3] + v[4]
        s0 = stat(); ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.monotonic()
        p = subprocess.run([cmd[0], "rank", graph, "-o", out, "--tol", "0", "--max-iter", iters,
                            "--threads", "2", "--quiet"] + cmd[1:])
        wall = time.monotonic() - t
        s1 = stat(); ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        hz = os.sysconf("SC_CLK_TCK")
        allbusy = ((s1[0] - s0[0]) - (s1[1] - s0[1])) / hz
        own = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        other = max(0.0, (allbusy - own) / wall)
        assert p.returncode == 0, p.returncode
        s = json.load(open(f"{out}/summary.json"))
        shutil.copy(f"{out}/summary.json", f"{outdir}/{name}-{r+1}.json")
        ph = s["phases"]
        res[name].append(dict(read=ph["read"], partition=ph["partition"], iterate=ph["iterate"],
                              total=ph["total"], wall=wall, rss=s["peak_rss_bytes"] / 2**20,
                              mbps=size / 1e6 / ph["read"], other=other))
        print(f"run {r+1} {name}: read {ph['read']:.3f} part {ph['partition']:.3f} it {ph['iterate']:.3f} "
              f"total {ph['total']:.3f} wall {wall:.3f} other-load {other:.2f} cores", flush=True)
        shutil.rmtree(out, ignore_errors=True)
print(f"\n{tag}: {graph} ({size/1e6:.1f} MB), {runs} alternating runs, --max-iter {iters} --tol 0 --threads 2")
print(f"| variant | metric | min | median | max |\n|---|---|---|---|---|")
CLEAN = 0.15
for name, _ in variants:
    c = [x for x in res[name] if x["other"] < CLEAN]
    print(f"| {name} | clean runs (other load < {CLEAN} cores) | {len(c)} of {len(res[name])} | | |")
    for k, unit in [("read", "s"), ("mbps", "MB/s"), ("total", "s")]:
        xs = [x[k] for x in c]
        if xs: print(f"| {name} | CLEAN {k} ({unit}) | {min(xs):.3f} | {statistics.median(xs):.3f} | {max(xs):.3f} |")
for name, _ in variants:
    for k, unit in [("read", "s"), ("mbps", "MB/s"), ("partition", "s"), ("iterate", "s"), ("total", "s"), ("wall", "s"), ("rss", "MiB")]:
        xs = [x[k] for x in res[name]]
        print(f"| {name} | {k} ({unit}) | {min(xs):.3f} | {statistics.median(xs):.3f} | {max(xs):.3f} |")
