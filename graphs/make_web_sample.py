#!/usr/bin/env python3
"""Makes graphs/web-sample.tsv.gz, crawlrank's bundled default graph.

A small synthetic web crawl with URL ids: hosts of very different sizes (a few large
portals, many small sites), pages that link to their home page, to their section and to
popular pages of other hosts, PDF files and off-crawl URLs with no out-links (dangling),
query strings with `&`, and a few non-ASCII paths. Deterministic: the same seed gives the
same bytes (gzip mtime is fixed).

Usage: python3 graphs/make_web_sample.py [--seed 2000] [-o graphs/web-sample.tsv.gz]
Standard library only.
"""
import argparse, gzip, io, random

TOPICS = ["news", "science", "sport", "travel", "food", "music", "cinema", "books",
          "history", "art", "tech", "health", "economy", "politics", "weather"]
WORDS = ["alpha", "beta", "città", "über", "naïve", "zero", "delta", "omega", "nord",
         "sud", "mare", "monte", "lago", "fiume", "piazza", "strada", "ponte", "torre"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=2000)
    ap.add_argument("-o", "--output", default="graphs/web-sample.tsv.gz")
    a = ap.parse_args()
    rng = random.Random(a.seed)

    hosts = []
    for k in range(1, 81):
        topic = TOPICS[k % len(TOPICS)]
        name = f"www.{topic}{k}.example.org" if k % 3 else f"{topic}.site{k}.example.com"
        size = int(400 / k ** 0.9) + rng.randint(4, 12)
        hosts.append((name, size))

    pages = {}  # host -> list of URLs
    for name, size in hosts:
        urls = [f"https://{name}/"]
        sections = max(1, size // 25)
        for i in range(1, size):
            sec = TOPICS[(i * 7 + len(name)) % len(TOPICS)] if i % sections else "index"
            kind = rng.random()
            if kind < 0.08:
                url = f"https://{name}/docs/{sec}-{i}.pdf"
            elif kind < 0.16:
                url = f"https://{name}/{sec}/item.php?id={i}&lang=it"
            elif kind < 0.20:
                url = f"https://{name}/{sec}/{rng.choice(WORDS)}-{i}.html"
            else:
                url = f"https://{name}/{sec}/page-{i}.html"
            urls.append(url)
        pages[name] = urls

    # Popularity of hosts for external links: preferential, so a few hosts collect most.
    host_weights = [1.0 / (k + 1) ** 1.1 for k in range(len(hosts))]
    edges = []
    for h, (name, size) in enumerate(hosts):
        urls = pages[name]
        for i, url in enumerate(urls):
            if url.endswith(".pdf"):
                continue  # documents link nowhere: dangling
            out = set()
            if i:
                out.add(urls[0])  # home
            for _ in range(rng.randint(2, 8)):  # same-host navigation, biased to early pages
                out.add(urls[int(len(urls) * rng.random() ** 2)])
            for _ in range(rng.choice([0, 0, 1, 1, 2, 4])):  # links to other hosts
                other = rng.choices(hosts, weights=host_weights)[0][0]
                target = pages[other]
                out.add(target[int(len(target) * rng.random() ** 3)])
            if rng.random() < 0.05:  # off-crawl URL: a target that was never fetched
                out.add(f"https://external{rng.randint(1, 30)}.example.net/ref?from={h}&page={i}")
            for target in sorted(out):
                edges.append((url, target))

    text = io.StringIO()
    text.write(f"# crawlrank bundled sample crawl: {sum(len(p) for p in pages.values())} crawled pages on "
               f"{len(hosts)} hosts, {len(edges)} links; made by graphs/make_web_sample.py --seed {a.seed}\n")
    for s, t in edges:
        text.write(f"{s}\t{t}\n")
    with open(a.output, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(text.getvalue().encode("utf-8"))


if __name__ == "__main__":
    main()
