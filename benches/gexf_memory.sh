#!/usr/bin/env bash
# Peak memory of `export gexf --top 100000` against the ranking it exports, on a generated
# R-MAT graph (scale 22 by default: 4.2 M node ids, 67 M edges). Prints a Markdown table row.
#
# Usage: benches/gexf_memory.sh [SCALE] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-22}"
work="${2:-$(mktemp -d)}"
bin=target/release/crawlrank
[ -x "$bin" ] || cargo build --release --quiet
graph="$work/rmat$scale.tsv"
[ -f "$graph" ] || "$bin" generate rmat --scale "$scale" -o "$graph" --quiet
peak() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }   # max RSS in KiB
rank_kib=$(peak "$bin" rank "$graph" -o "$work/ranked" --quiet)
export_kib=$(peak "$bin" export gexf "$work/ranked" --top 100000 -o "$work/top.gexf" --quiet)
python3 - "$work" "$rank_kib" "$export_kib" <<'PY'
import json, sys
work, rank_kib, export_kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = json.load(open(f"{work}/ranked/summary.json"))
import re
gexf = open(f"{work}/top.gexf", encoding="utf-8").read()
nodes = len(re.findall(r"<node ", gexf)); edges = len(re.findall(r"<edge ", gexf))
print("| graph | nodes | edges | rank peak RSS | export gexf --top 100000 peak RSS | ratio | GEXF nodes / edges |")
print("|---|---|---|---|---|---|---|")
print(f"| R-MAT scale {s['graph']['nodes'].bit_length()} | {s['graph']['nodes']:,} | {s['graph']['edges']:,} "
      f"| {rank_kib / 1024:.0f} MiB | {export_kib / 1024:.0f} MiB | {export_kib / rank_kib:.2f} | {nodes:,} / {edges:,} |")
PY
