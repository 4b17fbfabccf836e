"""pandas reads the part files and top.tsv back with every id's exact bytes (issue 13).

Usage: pandas_check.py CRAWLRANK WORKDIR

Ranks a small CSV whose ids hold a tab, quotes, a carriage return, a comma, bytes that are not
UTF-8, spaces, and texts pandas would take for missing values (NA, null, nan, empty-looking),
then reads `ranks/part-*` and `top.tsv` with the options the README gives. Every id must come
back with the bytes of the input, and every rank with the bits of its text (checked against
Python's own csv module reading the same files). Exits 1 with the differences otherwise.
"""

import csv
import gzip
import subprocess
import sys
from pathlib import Path

import pandas as pd

# The ids as bytes, and the CSV that holds them (comma-separated, RFC 4180 quoting).
EDGES = [
    (b"tab\there", b"plain"),
    (b'say "hi"', b"plain"),
    (b'"leading quote', b"tab\there"),
    (b"cr\rinside", b"NA"),
    (b"comma,inside", b"bad \xff\xfe utf-8"),
    (b"https://a.example/?q=1&r=2", b'"leading quote'),
    (b"NA", b"nan"),
    (b"null", b"  spaced  "),
    (b"N/A", b"12345"),
    (b"12345", b"plain"),
]

# The options of the README's pandas example.
OPTIONS = dict(
    sep="\t",
    dtype={"id": str},
    keep_default_na=False,
    na_filter=False,
    encoding_errors="surrogateescape",
)


def csv_field(field: bytes) -> bytes:
    return b'"' + field.replace(b'"', b'""') + b'"'


def raw(text: str) -> bytes:
    """The bytes pandas read an id from (surrogateescape keeps bytes that are not UTF-8)."""
    return text.encode("utf-8", "surrogateescape")


def reference(path: Path, header: bool) -> list[list[str]]:
    """The file's rows as Python's csv module reads them, in the same dialect."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="surrogateescape", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quotechar='"', doublequote=True, strict=True))
    return rows[1:] if header else rows


def main() -> int:
    crawlrank, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    edges = work / "tricky.csv"
    edges.write_bytes(b"".join(csv_field(s) + b"," + csv_field(t) + b"\n" for s, t in EDGES))
    out = work / "out"
    subprocess.run(
        [crawlrank, "rank", str(edges), "--sep", "comma", "--shards", "3", "-o", str(out), "--quiet"],
        check=True,
    )
    expected = sorted({id for edge in EDGES for id in edge})
    failures = []

    parts = sorted((out / "ranks").glob("part-*"))
    ranks = pd.concat(
        [pd.read_csv(p, header=None, names=["id", "pagerank"], **OPTIONS) for p in parts],
        ignore_index=True,
    )
    ids = sorted(raw(i) for i in ranks["id"])
    if ids != expected:
        failures.append(f"part files: pandas read the ids\n  {ids}\nexpected\n  {expected}")
    truth = {raw(i): float(r) for p in parts for i, r in reference(p, header=False)}
    read = dict(zip(map(raw, ranks["id"]), ranks["pagerank"]))
    if read != truth:
        failures.append(f"part files: pandas read\n  {read}\nPython's csv module\n  {truth}")

    top = pd.read_csv(out / "top.tsv", **OPTIONS)
    if list(top.columns) != ["position", "id", "pagerank", "in_degree", "out_degree"]:
        failures.append(f"top.tsv: columns {list(top.columns)}")
    top_ids = sorted(raw(i) for i in top["id"])
    if top_ids != expected:
        failures.append(f"top.tsv: pandas read the ids\n  {top_ids}\nexpected\n  {expected}")
    for row in top.itertuples():
        if read.get(raw(row.id)) != row.pagerank:
            failures.append(f"top.tsv: {raw(row.id)!r} has rank {row.pagerank!r}, the part files {read.get(raw(row.id))!r}")
    rows = reference(out / "top.tsv", header=True)
    if [raw(r[1]) for r in rows] != [raw(i) for i in top["id"]]:
        failures.append("top.tsv: pandas and Python's csv module read different ids")

    if failures:
        print("\n".join(failures))
        return 1
    print(f"pandas {pd.__version__}: {len(expected)} tricky ids read back byte for byte from the part files and top.tsv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
