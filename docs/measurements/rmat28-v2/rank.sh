#!/bin/bash
D=/work/s28
T0=$(date +%s.%N)
( while true; do now=$(date +%s.%N); procs=$(ps -C crawlrank-v2 -o rss=,args= | awk '{printf "%s:%d ", $3, $1/1024}'); load=$(cut -d' ' -f1 /proc/loadavg); echo "$(echo "$now - $T0" | bc) rss_mib=[$procs] load=$load"; sleep 5; done ) > $D/rank-samples.log &
S=$!
/usr/bin/time -v -o $D/rank.time /work/bin/crawlrank-v2 rank $D/graph.store -o $D/out --tol 0 --max-iter 20 --memory 8GiB 2> $D/rank.err
echo "rank rc $? elapsed $(echo "$(date +%s.%N) - $T0" | bc)" >> $D/phases.log
kill $S
