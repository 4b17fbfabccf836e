#!/usr/bin/env bash
# Benchmarks crawlrank against NetworKit, scipy, igraph (and PySpark with --tools ...pyspark)
# on one integer edge list; makes its own virtual environment in target/bench-venv.
#
# Usage: benches/compare.sh GRAPH [--threads 2] [--iterations 20] [--runs 3] [--tools LIST] [--json FILE]
# Example: target/release/crawlrank generate rmat --scale 20 -o /tmp/rmat20.tsv
#          benches/compare.sh /tmp/rmat20.tsv --tools crawlrank,networkit,scipy,igraph,pyspark
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/crawlrank ] || cargo build --release --quiet
if [ ! -x target/bench-venv/bin/python ]; then
  python3 -m venv target/bench-venv
fi
target/bench-venv/bin/pip install --quiet --disable-pip-version-check networkit igraph scipy numpy pandas pyspark
exec target/bench-venv/bin/python benches/compare.py "$@"
