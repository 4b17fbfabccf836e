#!/bin/bash
# Builds an R-MAT graph beyond memory straight from the generator and ranks it 20 iterations
# from the store, recording the time, RSS and disk of each phase.
#
#   benches/beyond_memory.sh BINARY DIR SCALE EDGE_FACTOR BUILD_MEMORY [RANK_OPTION…]
#
# DIR gets: samples.log (every 5 s: RSS of each crawlrank process, disk used, sizes of the
# temporary runs and of the store), phases.log, /usr/bin/time -v of generate, build and rank
# (*.time), their stderr (*.err) and the ranking in out/ (its summary.json). The store and
# the runs are left in DIR: delete them after. Used for docs/measurements/rmat28
# (28 16 8GiB) and docs/measurements/moonshot (28 36 8GiB --memory 8GiB).
set -o pipefail
if [ $# -lt 5 ]; then
  sed -n 5p "$0" >&2
  exit 2
fi
B=$1 D=$2 SCALE=$3 FACTOR=$4 MEMORY=$5
shift 5
NAME=$(basename "$B")
S=$D/graph.store
rm -rf "$D/tmp" "$S" "$D/out"
mkdir -p "$D/tmp"
T0=$(date +%s.%N)
(
  while true; do
    now=$(date +%s.%N)
    procs=$(ps -C "$NAME" -o rss=,args= | awk '{printf "%s:%d ", $3, $1/1024}')
    used=$(df --output=used -B1M "$D" | tail -1 | tr -d ' ')
    tmp=$(du -sm "$D/tmp" 2>/dev/null | cut -f1)
    store=$(du -sm "$S" "$D/.graph.store.building" 2>/dev/null | awk '{s+=$1} END {print s+0}')
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "$(echo "$now - $T0" | bc) rss_mib=[$procs] disk_used_mib=$used tmp_mib=${tmp:-0} store_mib=$store load=$load"
    sleep 5
  done
) > "$D/samples.log" &
SAMPLER=$!
trap 'kill $SAMPLER 2>/dev/null' EXIT
echo "start $(date -Is) scale $SCALE edge factor $FACTOR build --memory $MEMORY rank $*" > "$D/phases.log"
/usr/bin/time -v -o "$D/gen.time" "$B" generate rmat --scale "$SCALE" --edge-factor "$FACTOR" -q -o - \
  | /usr/bin/time -v -o "$D/build.time" "$B" build - -o "$S" --memory "$MEMORY" --tmp "$D/tmp" 2> "$D/build.err"
echo "build rc $? at $(date -Is) elapsed $(echo "$(date +%s.%N) - $T0" | bc)" >> "$D/phases.log"
du -sb "$S" >> "$D/phases.log"
/usr/bin/time -v -o "$D/rank.time" "$B" rank "$S" -o "$D/out" --tol 0 --max-iter 20 "$@" 2> "$D/rank.err"
echo "rank rc $? at $(date -Is) elapsed $(echo "$(date +%s.%N) - $T0" | bc)" >> "$D/phases.log"
