#!/usr/bin/env bash
# Remakes the BVGraphs in this folder with LAW's own tools (`cargo install webgraph-cli`,
# version 0.5.0), so that crawlrank's tests read BVGraph files another program wrote:
#   web.{graph,properties,offsets}    `webgraph from arcs` of arcs.tsv.gz (3,100 nodes, the
#                                     last 100 isolated: only --num-nodes says they exist)
#   web-t.{graph,properties,offsets}  `webgraph transform transpose` of it
# arcs.tsv.gz is made by make_arcs.py (deterministic).
set -euo pipefail
cd "$(dirname "$0")"
python3 make_arcs.py
rm -f web.* web-t.*
zcat arcs.tsv.gz | webgraph from arcs --num-nodes 3100 web
webgraph transform transpose --sequential web web-t
rm -f web.ef web-t.ef web.dcf web-t.dcf
ls -l
