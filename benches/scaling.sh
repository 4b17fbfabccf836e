#!/usr/bin/env bash
# 1 thread against 2 threads on every benchmark graph: cnr-2000 (../shared), R-MAT scales 20
# and 22, and a uniform random graph of scale 21 (generated into target/bench-graphs if
# missing). Runs alternate between the thread counts so that the machine's drift hits both;
# prints medians per phase, the parallel efficiency of an iteration, and whether 2 threads
# were ever slower than 1.
#
#   benches/scaling.sh [RUNS=3] [ITERATIONS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
iterations=${2:-20}
bin=target/release/crawlrank
cargo build --release --quiet
shared="${CRAWLRANK_SHARED:-$(cd .. && pwd)/shared}"
graphs=target/bench-graphs
mkdir -p "$graphs"
[ -f "$graphs/rmat20.tsv" ] || "$bin" generate rmat --scale 20 -o "$graphs/rmat20.tsv" --quiet
[ -f "$graphs/rmat22.tsv" ] || "$bin" generate rmat --scale 22 -o "$graphs/rmat22.tsv" --quiet
[ -f "$graphs/uniform21.tsv" ] || "$bin" generate uniform --scale 21 -o "$graphs/uniform21.tsv" --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
inputs=("$shared/data/cnr-2000/cnr-2000.el.gz" "$graphs/rmat20.tsv" "$graphs/rmat22.tsv" "$graphs/uniform21.tsv")
for input in "${inputs[@]}"; do
  name=$(basename "$input" | sed 's/\..*//')
  for run in $(seq "$runs"); do
    for threads in 1 2; do
      "$bin" rank "$input" -o "$out/r" --threads "$threads" --tol 0 --max-iter "$iterations" --quiet
      cp "$out/r/summary.json" "$out/$name-t$threads-$run.json"
    done
  done
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
names = sorted({f.split("/")[-1].rsplit("-t", 1)[0] for f in glob.glob(out + "/*.json")})
print("| graph | edges | threads | read s | partition s | s per iteration | end to end s | iteration speed-up (efficiency) |")
print("|---|---|---|---|---|---|---|---|")
slower = []
for name in names:
    med = {}
    for t in (1, 2):
        s = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{name}-t{t}-*.json"))]
        m = lambda f: statistics.median(f(x) for x in s)
        med[t] = dict(read=m(lambda x: x["phases"]["read"]), part=m(lambda x: x["phases"]["partition"]),
                      it=m(lambda x: statistics.median(r["seconds"] for r in x["iterations"])),
                      total=m(lambda x: x["phases"]["total"]), edges=s[0]["graph"]["edges"])
    for t in (1, 2):
        d = med[t]
        gain = "" if t == 1 else f"{med[1]['it'] / d['it']:.2f}× ({med[1]['it'] / d['it'] / 2 * 100:.0f} %)"
        print(f"| {name} | {d['edges']:,} | {t} | {d['read']:.2f} | {d['part']:.2f} | {d['it']:.4f} | {d['total']:.2f} | {gain} |")
    if med[2]["it"] > med[1]["it"] or med[2]["total"] > med[1]["total"]:
        slower.append(name)
print()
print("2 threads slower than 1 on: " + (", ".join(slower) if slower else "no graph"))
PY
