#!/bin/bash
# R-MAT scale 28: generate | build beyond memory, then rank 20 iterations from the store.
set -o pipefail
B=/work/bin/crawlrank-s28
D=/tmp/s28
rm -rf $D/tmp $D/r28.store $D/out
mkdir -p $D/tmp
T0=$(date +%s.%N)
(
  while true; do
    now=$(date +%s.%N)
    procs=$(ps -C crawlrank-s28 -o rss=,args= | awk '{printf "%s:%d ", $3, $1/1024}')
    used=$(df --output=used -B1M / | tail -1 | tr -d ' ')
    tmp=$(du -sm $D/tmp 2>/dev/null | cut -f1)
    store=$(du -sm $D/r28.store $D/.r28.store.building 2>/dev/null | awk '{s+=$1} END {print s+0}')
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "$(echo "$now - $T0" | bc) rss_mib=[$procs] disk_used_mib=$used tmp_mib=${tmp:-0} store_mib=$store load=$load"
    sleep 5
  done
) > $D/samples.log &
SAMPLER=$!
echo "start $(date -Is) commit $(cd /work/main && git log --oneline | head -1)" > $D/phases.log
/usr/bin/time -v -o $D/gen.time $B generate rmat --scale 28 -q -o - \
  | /usr/bin/time -v -o $D/build.time $B build - -o $D/r28.store --memory 8GiB --tmp $D/tmp 2> $D/build.err
echo "build rc $? at $(date -Is) elapsed $(echo "$(date +%s.%N) - $T0" | bc)" >> $D/phases.log
du -sb $D/r28.store >> $D/phases.log
/usr/bin/time -v -o $D/rank.time $B rank $D/r28.store -o $D/out --tol 0 --max-iter 20 2> $D/rank.err
echo "rank rc $? at $(date -Is) elapsed $(echo "$(date +%s.%N) - $T0" | bc)" >> $D/phases.log
kill $SAMPLER
