#!/usr/bin/env python3
"""One PageRank run of a peer tool on an integer edge list, in this process, computing what
crawlrank computes: the simple directed graph of the file (duplicate edges collapsed,
self-loops kept, nodes = ids that appear), damping 0.85, uniform teleport, dangling mass
spread uniformly, L1 norm, K iterations from the uniform vector.

Usage: peers.py TOOL GRAPH --threads T --iterations K
TOOL: networkit | scipy | igraph | pyspark. Prints one JSON object: seconds to read and build,
seconds per iteration, total, peak RSS, and the top-10 ids with their ranks.
"""
import argparse, json, os, time

ALPHA = 0.85


def peak_rss(pid="self"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def top10(ids, ranks):
    order = sorted(range(len(ranks)), key=lambda i: -ranks[i])[:10]
    return [[str(ids[i]), float(ranks[i])] for i in order]


def read_arrays(path):
    import numpy as np, pandas as pd
    frame = pd.read_csv(path, sep=r"\s+", header=None, comment="#", dtype=np.int64, usecols=[0, 1], engine="c")
    src, dst = frame[0].to_numpy(), frame[1].to_numpy()
    ids, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
    return ids, inverse[: len(src)], inverse[len(src):]


def run_scipy(a):
    import numpy as np, scipy.sparse as sp
    t0 = time.perf_counter()
    ids, s, d = read_arrays(a.graph)
    t1 = time.perf_counter()
    n = len(ids)
    adjacency = sp.csr_matrix((np.ones(len(s)), (s, d)), shape=(n, n))
    adjacency.sum_duplicates()
    adjacency.data[:] = 1.0  # collapse duplicate edges
    out = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse_out = np.divide(1.0, out, out=np.zeros(n), where=out > 0)
    dangling = out == 0
    transposed = adjacency.T.tocsr()
    t2 = time.perf_counter()
    x = np.full(n, 1.0 / n)
    for _ in range(a.iterations):
        x = ALPHA * (transposed @ (x * inverse_out) + x[dangling].sum() / n) + (1 - ALPHA) / n
    t3 = time.perf_counter()
    return dict(read=t1 - t0, build=t2 - t1, iterate=t3 - t2, iterations=a.iterations, top10=top10(ids, x))


def run_igraph(a):
    import numpy as np, igraph as ig
    t0 = time.perf_counter()
    ids, s, d = read_arrays(a.graph)
    t1 = time.perf_counter()
    g = ig.Graph(n=len(ids), edges=np.column_stack([s, d]), directed=True)
    g.simplify(multiple=True, loops=False)
    t2 = time.perf_counter()
    ranks = g.pagerank(damping=ALPHA, directed=True, implementation="prpack")
    t3 = time.perf_counter()
    # PRPACK solves to convergence: there is no per-iteration time.
    return dict(read=t1 - t0, build=t2 - t1, iterate=t3 - t2, iterations=None, top10=top10(ids, ranks))


def run_networkit(a):
    import networkit as nk
    nk.setNumberOfThreads(a.threads)
    t0 = time.perf_counter()
    reader = nk.graphio.EdgeListReader("\t", 0, commentPrefix="#", continuous=False, directed=True)
    g = reader.read(a.graph)
    t1 = time.perf_counter()
    g.removeMultiEdges()
    t2 = time.perf_counter()
    pr = nk.centrality.PageRank(g, damp=ALPHA, tol=0.0, distributeSinks=nk.centrality.SinkHandling.DistributeSinks)
    pr.norm = nk.centrality.Norm.L1_NORM
    pr.maxIterations = a.iterations
    pr.run()
    t3 = time.perf_counter()
    back = {v: k for k, v in reader.getNodeMap().items()}
    scores = pr.scores()
    return dict(read=t1 - t0, build=t2 - t1, iterate=t3 - t2, iterations=pr.numberOfIterations(),
                top10=top10([back[i] for i in range(len(scores))], scores))


def run_pyspark(a):
    from operator import add
    from pyspark import SparkConf, SparkContext
    conf = SparkConf().setMaster(f"local[{a.threads}]").setAppName("crawlrank-peer").set("spark.ui.enabled", "false")
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    t0 = time.perf_counter()
    edges = (sc.textFile(a.graph).filter(lambda l: l and not l.startswith("#"))
             .map(lambda l: tuple(int(x) for x in l.split()[:2])).distinct())
    links = edges.groupByKey().mapValues(list).cache()
    nodes = edges.flatMap(lambda e: e).distinct().cache()
    n = nodes.count()
    links.count()
    t1 = time.perf_counter()
    ranks = nodes.map(lambda v: (v, 1.0 / n))
    for _ in range(a.iterations):
        contributions = links.join(ranks).flatMap(lambda kv: [(t, kv[1][1] / len(kv[1][0])) for t in kv[1][0]])
        dangling = ranks.subtractByKey(links).values().sum()
        ranks = (nodes.map(lambda v: (v, 0.0)).union(contributions).reduceByKey(add)
                 .mapValues(lambda s, d=dangling: (1 - ALPHA) / n + ALPHA * (s + d / n)).cache())
    top = ranks.takeOrdered(10, key=lambda kv: -kv[1])
    t2 = time.perf_counter()
    jvm = peak_rss(sc._gateway.proc.pid) if getattr(sc._gateway, "proc", None) else 0
    sc.stop()
    return dict(read=t1 - t0, build=0.0, iterate=t2 - t1, iterations=a.iterations, jvm_rss=jvm,
                top10=[[str(k), v] for k, v in top])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool", choices=["networkit", "scipy", "igraph", "pyspark"])
    ap.add_argument("graph")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=20)
    a = ap.parse_args()
    if a.tool in ("scipy", "igraph"):
        os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    start = time.perf_counter()
    result = globals()[f"run_{a.tool}"](a)
    result["total"] = time.perf_counter() - start
    result["peak_rss"] = peak_rss() + result.pop("jvm_rss", 0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
