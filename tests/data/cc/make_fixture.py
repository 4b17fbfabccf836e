#!/usr/bin/env python3
"""Makes the Common Crawl-layout fixtures in this folder (deterministic; run it again to
remake them byte for byte):

- host/vertices/part-0000{0,1}.txt.gz: `id<TAB>reversed.host.name`, ids following the
  sorted names, split over two gzip files;
- host/edges/part-0000{0,1}.txt.gz: `from<TAB>to`, sorted, deduplicated, no self-loops,
  split over two gzip files; about three quarters of the hosts have no out-link and a few
  none at all (isolated hosts, present only in the vertices);
- domain/vertices/part-00000.txt.gz: `id<TAB>reversed.domain<TAB>host_count`, and
  domain/edges/part-00000.txt.gz: the host graph's links between distinct domains.

This is the layout of Common Crawl's web graph releases (cc-main-*-host-vertices.txt.gz and
-host-edges.txt.gz), at a few dozen hosts.
"""
import gzip, os, random

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261202)

domains = ["com.example", "org.wikipedia", "net.sample", "com.shop-online", "org.archive",
           "de.beispiel", "fr.exemple", "io.github", "uk.co.bbc", "com.news"]
subs = ["www", "blog", "en", "de", "api", "m", "shop", "docs"]
hosts = set()
for d in domains:
    for s in rng.sample(subs, rng.randint(2, 6)):
        hosts.add(f"{d}.{s}")
    hosts.add(d)
hosts = sorted(hosts)
n = len(hosts)
sources = rng.sample(range(n), n // 4)  # a quarter of the hosts link out
isolated = set(rng.sample([v for v in range(n) if v not in sources], 5))
edges = set()
for s in sources:
    for _ in range(rng.randint(1, 12)):
        t = int(n * rng.random() ** 1.8)
        if t != s and t not in isolated:
            edges.add((s, t))
edges = sorted(edges)


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode()
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(data)


half = n // 2
write(f"{here}/host/vertices/part-00000.txt.gz", [f"{i}\t{hosts[i]}" for i in range(half)])
write(f"{here}/host/vertices/part-00001.txt.gz", [f"{i}\t{hosts[i]}" for i in range(half, n)])
cut = len(edges) // 2
write(f"{here}/host/edges/part-00000.txt.gz", [f"{s}\t{t}" for s, t in edges[:cut]])
write(f"{here}/host/edges/part-00001.txt.gz", [f"{s}\t{t}" for s, t in edges[cut:]])


def domain_of(host):
    for d in sorted(domains, key=len, reverse=True):
        if host == d or host.startswith(d + "."):
            return d
    raise ValueError(host)


dnames = sorted(domains)
did = {d: i for i, d in enumerate(dnames)}
counts = {d: sum(1 for h in hosts if domain_of(h) == d) for d in dnames}
dedges = sorted({(did[domain_of(hosts[s])], did[domain_of(hosts[t])]) for s, t in edges
                 if domain_of(hosts[s]) != domain_of(hosts[t])})
write(f"{here}/domain/vertices/part-00000.txt.gz", [f"{i}\t{d}\t{counts[d]}" for i, d in enumerate(dnames)])
write(f"{here}/domain/edges/part-00000.txt.gz", [f"{s}\t{t}" for s, t in dedges])
print(f"{n} hosts, {len(edges)} host links, {len(isolated)} isolated hosts; "
      f"{len(dnames)} domains, {len(dedges)} domain links")
