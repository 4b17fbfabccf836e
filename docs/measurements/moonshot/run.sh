#!/bin/bash
# Moonshot: R-MAT 2^28 ids, edge factor 36 (Common Crawl host graph shape): generate | build beyond memory, rank 20 iterations from the store.
set -o pipefail
B=/work/bin/crawlrank-moon
D=/work/moon
rm -rf $D/tmp $D/moon.store $D/out
mkdir -p $D/tmp
T0=$(date +%s.%N)
(
  while true; do
    now=$(date +%s.%N)
    procs=$(ps -C crawlrank-moon -o rss=,args= | awk '{printf "%s:%d ", $3, $1/1024}')
    used=$(df --output=used -B1M / | tail -1 | tr -d ' ')
    tmp=$(du -sm $D/tmp 2>/dev/null | cut -f1)
    store=$(du -sm $D/moon.store $D/.moon.store.building 2>/dev/null | awk '{s+=$1} END {print s+0}')
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "$(echo "$now - $T0" | bc) rss_mib=[$procs] disk_used_mib=$used tmp_mib=${tmp:-0} store_mib=$store load=$load"
    sleep 5
  done
) > $D/samples.log &
SAMPLER=$!
echo "start $(date -Is) commit $(cd /work/main && git log --oneline | head -1)" > $D/phases.log
/usr/bin/time -v -o $D/gen.time $B generate rmat --scale 28 --edge-factor 36 -q -o - \
  | /usr/bin/time -v -o $D/build.time $B build - -o $D/moon.store --memory 8GiB --tmp $D/tmp 2> $D/build.err
echo "build rc $? at $(date -Is) elapsed $(echo "$(date +%s.%N) - $T0" | bc)" >> $D/phases.log
du -sb $D/moon.store >> $D/phases.log
/usr/bin/time -v -o $D/rank.time $B rank $D/moon.store -o $D/out --tol 0 --max-iter 20 --memory 8GiB 2> $D/rank.err
echo "rank rc $? at $(date -Is) elapsed $(echo "$(date +%s.%N) - $T0" | bc)" >> $D/phases.log
kill $SAMPLER
