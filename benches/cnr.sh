#!/usr/bin/env bash
# Phase times of `crawlrank rank` on cnr-2000 with 1 and 2 threads: medians of RUNS runs each,
# read from each run's summary.json. Prints a Markdown table for docs/benchmarks.md.
#
# Usage: benches/cnr.sh [RUNS] [EXTRA RANK OPTIONS...]   (default 5 runs; needs ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"; shift || true
shared="${CRAWLRANK_SHARED:-$(cd .. && pwd)/shared}"
input="$shared/data/cnr-2000/cnr-2000.el.gz"
bin=target/release/crawlrank
[ -x "$bin" ] || cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for threads in 1 2; do
  for run in $(seq "$runs"); do
    "$bin" rank "$input" -o "$out/t$threads" --threads "$threads" --quiet "$@"
    cp "$out/t$threads/summary.json" "$out/summary-t$threads-$run.json"
  done
done
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys, glob
out, runs = sys.argv[1], int(sys.argv[2])
print(f"| threads | read s | partition s | iterations | s per iteration | write s | total s | peak RSS MiB |")
print(f"|---|---|---|---|---|---|---|---|")
for t in (1, 2):
    s = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/summary-t{t}-*.json"))]
    med = lambda f: statistics.median(f(x) for x in s)
    per_iter = med(lambda x: x["phases"]["iterate"] / x["iterations_run"])
    print(f"| {t} | {med(lambda x: x['phases']['read']):.3f} | {med(lambda x: x['phases']['partition']):.3f} "
          f"| {s[0]['iterations_run']} | {per_iter * 1000:.2f} ms | {med(lambda x: x['phases']['write']):.3f} "
          f"| {med(lambda x: x['phases']['total']):.3f} | {med(lambda x: x['peak_rss_bytes']) / 2**20:.1f} |")
print(f"\n(medians of {runs} runs each; {s[0]['graph']['nodes']} nodes, {s[0]['graph']['edges']} edges, "
      f"{s[0]['parameters']['shards']} shards, converged: {s[0]['converged']})")
PY
