#!/usr/bin/env python3
"""Where a store's cell bytes go (docs/benchmarks.md, "Where the store's bytes go" and "A hot
table per record"): counts the headers, destinations, wide steps and step bytes of each shard
file (layout versions 3 and 4, docs/store.md), and the order-0 entropy of the step bytes and
of the destination offsets, what an entropy coder over the same symbols could at best bring
them to. Version 4's destinations are split into hot tables, new bits, first and second bytes.

    benches/store_composition.py STORE/shards/shard-NNNNN.cells...
"""
import collections, math, struct, sys

def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return v, i

tot = collections.Counter()
steps = collections.Counter()
dests = collections.Counter()
edges_per_cell = collections.Counter()
hot_edges = raw_edges = 0
versions = set()
for path in sys.argv[1:]:
    b = open(path, 'rb').read()
    assert b[:8] == b'CRCELLS1'
    version = struct.unpack_from('<I', b, 8)[0]
    assert version in (3, 4), f"{path}: layout version {version}"
    versions.add(version)
    B = struct.unpack_from('<I', b, 24)[0]
    edges, cells, payload = struct.unpack_from('<QQQ', b, 32)
    start = 56 + 3 * 8 * (B + 1)
    idx = struct.unpack_from('<%dQ' % (B + 1), b, 56)
    tot['file index'] += start
    tot['edges'] += edges
    for blk in range(B):
        lo, hi = start + idx[blk], start + idx[blk + 1]
        if lo == hi:
            continue
        if b[lo] != 0:
            tot['zstd records'] += hi - lo
            continue
        i = lo + 1
        n, i = varint(b, i)
        table = []
        if version == 4:
            h, i = varint(b, i)
            table = struct.unpack_from('<%dH' % h, b, i)
            i += 2 * h
        tot['record headers'] += i - lo - 2 * len(table)
        if version == 4:
            tot['hot tables'] += 2 * len(table)
        for _ in range(n):
            j = i
            _, i = varint(b, i); e, i = varint(b, i); w, i = varint(b, i)
            e += 1
            tot['cell headers'] += i - j
            if version == 3:
                d = b[i:i + 2 * e]; i += 2 * e
                tot['destinations'] += 2 * e
                news = 0
                for k in range(0, 2 * e, 2):
                    v = d[k] | d[k + 1] << 8
                    news += v >> 15
                    dests[v & 0x7FFF] += 1
                tot['wide steps'] += 2 * w; i += 2 * w
            else:
                nb = (e + 7) // 8
                news = sum(bin(x).count('1') for x in b[i:i + nb])
                tot['new bits'] += nb; i += nb
                firsts = b[i:i + e]; i += e
                tot['first bytes'] += e
                tot['wide steps'] += 2 * w; i += 2 * w
                seconds_at = i + news
                cold = 0
                for f in firsts:
                    if f < 128:
                        dests[table[f]] += 1
                        hot_edges += 1
                    else:
                        dests[(f & 0x7F) << 8 | b[seconds_at + cold]] += 1
                        cold += 1
            for x in b[i:i + news]:
                steps[x] += 1
            tot['step bytes'] += news; i += news
            if version == 4:
                tot['second bytes'] += cold; i += cold
            edges_per_cell[min(e, 4096)] += 1
            raw_edges += e
        assert i == hi, (path, blk)
E = tot['edges']
def H(c):
    n = sum(c.values()); return -sum(v / n * math.log2(v / n) for v in c.values())
for k, v in tot.items():
    print(f"{k:16s} {v:16,d}  {v / E:.4f} bytes an edge")
hs, hd = H(steps), H(dests)
print(f"step bytes: order-0 entropy {hs:.3f} bits a step ({sum(steps.values()) / E:.3f} steps an edge)")
coded = {3: "coded in 15 bits", 4: "coded in 8 bits when hot, 15 when cold"}
print(f"destination offsets: order-0 entropy {hd:.3f} bits ({'; '.join(coded[v] for v in sorted(versions))})")
if 4 in versions:
    print(f"edges to a hot destination: {hot_edges / max(raw_edges, 1):.3f} of those in raw records")
cells = sum(edges_per_cell.values())
print(f"cells {cells:,}, {E / cells:.1f} edges a cell")
