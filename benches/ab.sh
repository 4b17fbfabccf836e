#!/usr/bin/env bash
# Alternating A/B runs of crawlrank binaries (or of one binary with different options) on one
# graph: run 1 of every variant, then run 2 of every variant, and so on, so that the machine's
# drift hits all of them alike. Prints, per variant, the median of the per-run median
# iteration times (of all iterations, and from the second on), the first iterations, and the
# median end-to-end time, with every run's figure.
#
#   benches/ab.sh GRAPH RUNS ITERATIONS NAME=BINARY[,OPTION...] ...
#
# e.g. benches/ab.sh target/bench-graphs/rmat22.tsv 3 20 before=/tmp/old/crawlrank \
#        now=target/release/crawlrank now-f32=target/release/crawlrank,--precision,f32
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
graph=$1 runs=$2 iterations=$3
shift 3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for run in $(seq "$runs"); do
  for variant in "$@"; do
    name=${variant%%=*}
    IFS=, read -r -a command <<< "${variant#*=}"
    "${command[0]}" rank "$graph" -o "$out/ranks-$name" --tol 0 --max-iter "$iterations" \
      --threads 2 --quiet "${command[@]:1}"
    cp "$out/ranks-$name/summary.json" "$out/$name-$run.json"
  done
done
python3 - "$out" "$@" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
for variant in sys.argv[2:]:
    name = variant.split("=", 1)[0]
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{name}-[0-9]*.json"))]
    its = [statistics.median(r["seconds"] for r in x["iterations"]) for x in runs]
    # Without the first iteration, which decodes a store's kept cells or faults pages in.
    later = [statistics.median(r["seconds"] for r in x["iterations"][1:] or x["iterations"]) for x in runs]
    firsts = [x["iterations"][0]["seconds"] for x in runs]
    totals = [x["phases"]["total"] for x in runs]
    print(f"{name:14s} iteration {statistics.median(its):.4f} s {[round(i, 4) for i in its]}"
          f"  from the second {statistics.median(later):.4f} s {[round(i, 4) for i in later]}"
          f"  first {[round(i, 3) for i in firsts]}"
          f"  end to end {statistics.median(totals):.2f} s {[round(t, 2) for t in totals]}")
PY
