#!/usr/bin/env bash
# Distributed ranking on loopback: 1 process × 2 workers against 2 processes × 1 worker,
# on a generated R-MAT graph split into two files (so that each process reads one).
# Prints, per layout, the median seconds per iteration and the bytes that crossed between
# processes per iteration, from summary.json.
#
#   benches/distributed.sh [SCALE=22] [ITERATIONS=10] [RUNS=3]
#
# Scale 22 has 65.2 M edges after duplicates collapse (67.1 M generated).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-22}
iterations=${2:-10}
runs=${3:-3}
bin=target/release/crawlrank
work=target/bench-distributed
mkdir -p "$work"
cargo build --release --quiet
graph="$work/rmat$scale"
if [ ! -f "$graph.1.tsv" ]; then
  "$bin" generate rmat --scale "$scale" -o "$graph.tsv" --quiet
  split -n l/2 -d --additional-suffix=.tsv "$graph.tsv" "$graph.part"
  mv "$graph.part00.tsv" "$graph.0.tsv"
  mv "$graph.part01.tsv" "$graph.1.tsv"
  rm "$graph.tsv"
fi
inputs=("$graph.0.tsv" "$graph.1.tsv")
common=(--tol 0 --max-iter "$iterations" --shards 4 --quiet)
port=$((20000 + RANDOM % 20000))
printf '127.0.0.1:%s\n' "$port" > "$work/hosts1"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$((port + 1))" "$((port + 2))" > "$work/hosts2"
# Two processes authenticate each other with a shared secret (docs/distributed.md).
CRAWLRANK_SECRET="$(head -c 32 /dev/urandom | base64)"
export CRAWLRANK_SECRET

report() { # layout folder
  python3 - "$1" "$2" <<'PY'
import json, statistics, sys
layout, out = sys.argv[1], sys.argv[2]
s = json.load(open(out + "/summary.json"))
per = statistics.median(r["seconds"] for r in s["iterations"])
d = s.get("distributed") or {}
cross = d.get("partial_bytes_per_round", 0) + d.get("state_bytes_per_round", 0)
print(f"{layout}\tedges {s['graph']['edges']}\tread+build {s['phases']['read'] + s['phases']['partition']:.2f} s"
      f"\titeration {per:.3f} s\tbetween processes {cross / 1e6:.1f} MB/iteration"
      f" ({cross / s['graph']['edges']:.3f} B/edge; partial sums {d.get('partial_bytes_per_round', 0) / 1e6:.1f} MB,"
      f" {d.get('partial_records_per_round', 0):.0f} records)\ttotal {s['phases']['total']:.2f} s"
      f"\tpeak RSS {s['peak_rss_bytes'] / 2**20:.0f} MiB")
PY
}

for run in $(seq "$runs"); do
  echo "run $run"
  "$bin" rank "${inputs[@]}" -o "$work/local" "${common[@]}" --threads 2
  report "local, 2 threads" "$work/local"
  "$bin" rank "${inputs[@]}" -o "$work/d1x2" "${common[@]}" --hosts "$work/hosts1" --workers 2
  report "1 process × 2 workers" "$work/d1x2"
  "$bin" rank "${inputs[@]}" -o "$work/d2x1" "${common[@]}" --hosts "$work/hosts2" --process 1 --workers 1 &
  member=$!
  "$bin" rank "${inputs[@]}" -o "$work/d2x1" "${common[@]}" --hosts "$work/hosts2" --process 0 --workers 1
  wait "$member"
  report "2 processes × 1 worker" "$work/d2x1"
  for f in "$work"/local/ranks/part-*; do cmp "$f" "$work/d2x1/ranks/$(basename "$f")"; done
  echo "part files identical to the local run's"
done
