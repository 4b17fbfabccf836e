"""The read-back recipes of docs/read-back.md keep every id and every rank (issues 13 and 17).

Usage: readback_check.py CRAWLRANK WORKDIR [LIBRARY ...]

LIBRARY is any of pandas, polars, duckdb, spark; without any, pandas, polars and duckdb (what
CI installs). A library that is asked for and cannot be imported is a failure, not a skip.

Ranks small CSV graphs whose ids hold a tab, quotes, a carriage return, a line feed, a comma,
a backslash, bytes that are not UTF-8, spaces (leading, trailing, alone), digits with a
leading zero, and texts that readers take for missing values or numbers (NA, null, NULL,
nan, N/A, \\N, 1e5, -0, true), with gzip, zstd and bzip2 part files. Then reads `ranks/part-*`
and `top.tsv` with each recipe, its code taken from docs/read-back.md and run as written
there (the Latin-1 variants with the edits the text gives), and compares
every id with the bytes of the input and every rank with the bits of its text (as Python's
csv module and float() read the same files, uncompressed). Two files crawlrank's library can
write but its CLI cannot are checked the same way: an empty id (written `""`), and an id that
starts with a UTF-8 byte-order mark on the first line of a part file. Exits 1 with the
differences otherwise.
"""

import csv
import gzip
import re
import subprocess
import sys
from pathlib import Path

# The ids as bytes, and the CSV that holds them (comma-separated, RFC 4180 quoting).
UTF8_EDGES = [
    (b"tab\there", b"plain"),
    (b'say "hi"', b"plain"),
    (b'"leading quote', b"tab\there"),
    (b"cr\rinside", b"NA"),
    (b"lf\ninside", b"crlf\r\nend"),
    (b"comma,inside", b"back\\slash"),
    (b'back\\"quote', b"\\N"),
    (b"https://a.example/?q=1&r=2", b'"leading quote'),
    (b"NA", b"nan"),
    (b"null", b"  spaced  "),
    (b"N/A", b"12345"),
    (b"12345", b"plain"),
    (b"00123", b"trailing space "),
    (b" ", b"NULL"),
    (b"#hash", b"1e5"),
    (b"true", b"-0"),
    (b"caf\xc3\xa9", b"00123"),
    (b"plain", b"00123"),
    (b"1e5", b"NA"),
    (b"+7", b"1.50"),
]
# With an id that is not UTF-8: the text recipes of polars and DuckDB refuse these files.
BYTES_EDGES = UTF8_EDGES + [(b"bad \xff\xfe utf-8", b"plain"), (b"NA", b"bad \xff\xfe utf-8")]
# Ids that all look like numbers (read with --ids string, so that crawlrank keeps them as
# text): a reader that guesses column types makes numbers of them, 00123 becoming 123.
DIGITS_EDGES = [
    (b"00123", b"007"), (b"007", b"12345"), (b"12345", b"0"), (b"0", b"42"), (b"42", b"0042"),
    (b"0042", b"7"), (b"7", b"00123"), (b"0", b"00123"),
]
# Part files as crawlrank's library writes them, which its CLI cannot: an empty id (quoted,
# as the writer quotes it) and, first in the file, an id that starts with a byte-order mark.
EMPTY_ID_PART = b'x\t0.25\n""\t0.5\n'
BOM_PART = b'\xef\xbb\xbfbom first\t0.125\n""\t0.5\nbad \xff\t0.375\n'

TOP_COLUMNS = ["position", "id", "pagerank", "in_degree", "out_degree"]
READS = {"gzip": ".gz", "zstd": ".zst", "bzip2": ".bz2"}


# --- the recipes, taken from docs/read-back.md and run as written there ------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "read-back.md"


def doc_blocks(heading: str, language: str) -> list[str]:
    """The code blocks in `language` of the section `## heading` of docs/read-back.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def edit(code: str, old: str, new: str) -> str:
    """`code` with `old` replaced; `old` must be there (so a changed recipe is noticed here)."""
    assert old in code, f"docs/read-back.md no longer holds {old!r}"
    return code.replace(old, new)


def run(code: str, d: str, **names):
    """Runs a recipe on the result folder `d`; returns its `ranks` and `top`."""
    namespace = dict(names)
    exec(edit(code, "output/crawl", d), namespace)
    return namespace["ranks"], namespace["top"]


def pandas_2() -> dict:
    """What the text adds for pandas 2, which reads shortest round-trip text to the nearest
    double only when asked to (pandas 3 always does, and deprecates the option)."""
    import pandas as pd

    return {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


def pandas_code() -> str:
    code = doc_blocks("pandas", "python")[0]
    if pandas_2():
        code = edit(code, "na_filter=False,", 'na_filter=False, float_precision="round_trip",')
    return code


def pandas_text(d):
    ranks, top = run(pandas_code(), d)
    # An id that is not UTF-8 is a str whose .encode("utf-8", "surrogateescape") is its bytes.
    return ranks, top, lambda id: id.encode("utf-8", "surrogateescape")


def pandas_bytes(d):
    # The Latin-1 options in place of the first ones, then the ids of both frames to bytes.
    latin1 = doc_blocks("pandas", "python")[1].splitlines()
    code = doc_blocks("pandas", "python")[0].splitlines()
    assert code[1].startswith("options = ") and latin1[0].startswith("options = "), "pandas recipe"
    code[1] = edit(latin1[0], 'encoding="latin-1")', 'encoding="latin-1", **PANDAS_2)')
    code.append(latin1[2])
    code.append(latin1[2].split("#")[0].replace("ranks", "top"))
    ranks, top = run("\n".join(code), d, PANDAS_2=pandas_2())
    return ranks, top, bytes


def polars_text(d):
    ranks, top = run(doc_blocks("polars", "python")[0], d)
    return ranks, top, lambda id: id.encode("utf-8")


def polars_bytes(d):
    code = "import polars as pl\n" + doc_blocks("polars", "python")[1]
    ranks, top = run(code, d)
    return ranks, top, bytes


def duckdb_queries(d, latin1: bool) -> list[str]:
    queries = [q.strip() for q in doc_blocks("DuckDB", "sql")[0].split(";") if q.strip()]
    if latin1:
        as_bytes = doc_blocks("DuckDB", "sql")[1].strip().rstrip(";")
        queries = [
            edit(as_bytes, "read_csv(... as above ..., encoding = 'latin-1')",
                 "(" + edit(q, "allow_quoted_nulls = false", "allow_quoted_nulls = false, encoding = 'latin-1'") + ")")
            for q in queries
        ]
    return [edit(q, "output/crawl", d) for q in queries]


def duckdb_text(d):
    import duckdb

    con = duckdb.connect()
    ranks, top = (con.sql(q).df() for q in duckdb_queries(d, latin1=False))
    return ranks, top, lambda id: id.encode("utf-8")


def duckdb_bytes(d):
    import duckdb

    con = duckdb.connect()
    ranks, top = (con.sql(q).df() for q in duckdb_queries(d, latin1=True))
    # DuckDB's BLOBs come to pandas as bytearray.
    return ranks, top, bytes


SPARK = None


def spark_session():
    global SPARK
    if SPARK is None:
        from pyspark.sql import SparkSession

        SPARK = (
            SparkSession.builder.master("local[1]")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
        SPARK.sparkContext.setLogLevel("ERROR")
    return SPARK


class Table(dict):
    """A Spark frame's rows collected into columns, for compare()."""

    def __init__(self, frame):
        rows = frame.collect()
        super().__init__((name, [row[name] for row in rows]) for name in frame.columns)
        self.columns = frame.columns


def spark_text(d):
    ranks, top = run(doc_blocks("Spark", "python")[0], d, spark=spark_session())
    return Table(ranks), Table(top), lambda id: id.encode("utf-8")


def spark_bytes(d):
    # As the text says: encoding="ISO-8859-1" in the options, then encode the ids back.
    code = edit(doc_blocks("Spark", "python")[0], "multiLine=True)", 'multiLine=True, encoding="ISO-8859-1")')
    code += 'from pyspark.sql.functions import encode\n'
    code += 'ranks, top = (df.withColumn("id", encode(coalesce(col("id"), lit("")), "ISO-8859-1")) for df in (ranks, top))\n'
    ranks, top = run(code, d, spark=spark_session())
    return Table(ranks), Table(top), bytes


# What each recipe must read: "utf8" and "bytes" are runs of UTF8_EDGES and BYTES_EDGES, with
# the part files compressed as listed; "digits" a run of DIGITS_EDGES (gzip); "empty" and
# "bom" the library-written part files (gzip).
# A recipe listed under "refuses" must fail loudly on that input, never read it wrongly.
RECIPES = {
    "pandas": [
        ("text", pandas_text, {"reads": ["utf8", "bytes", "digits", "empty"], "compress": ["gzip", "bzip2"]}),
        ("bytes", pandas_bytes, {"reads": ["bytes", "digits", "empty", "bom"], "compress": ["gzip"]}),
    ],
    "polars": [
        ("text", polars_text, {"reads": ["utf8", "digits", "empty"], "refuses": ["bytes"], "compress": ["gzip", "zstd"]}),
        ("bytes", polars_bytes, {"reads": ["bytes", "digits", "empty", "bom"], "compress": ["gzip", "bzip2"]}),
    ],
    "duckdb": [
        ("text", duckdb_text, {"reads": ["utf8", "digits", "empty"], "refuses": ["bytes"], "compress": ["gzip", "zstd"]}),
        ("bytes", duckdb_bytes, {"reads": ["bytes", "digits", "empty", "bom"], "compress": ["gzip", "zstd"]}),
    ],
    "spark": [
        ("text", spark_text, {"reads": ["utf8", "digits", "empty"], "compress": ["gzip", "bzip2", "zstd"]}),
        ("bytes", spark_bytes, {"reads": ["bytes", "digits", "empty", "bom"], "compress": ["gzip"]}),
    ],
}


# --- the reference: Python's csv module on the uncompressed files --------------------------


def reference(path: Path, header: bool) -> list[list[bytes]]:
    """The file's rows, fields as bytes, read by Python's csv module in the same dialect."""
    with open(path, encoding="latin-1", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quotechar='"', doublequote=True, strict=True))
    rows = [[field.encode("latin-1") for field in row] for row in rows]
    return rows[1:] if header else rows


def csv_field(field: bytes) -> bytes:
    return b'"' + field.replace(b'"', b'""') + b'"'


def rank(crawlrank, edges, work: Path, name: str, compress: str, *options: str) -> Path:
    source = work / f"{name}.csv"
    source.write_bytes(b"".join(csv_field(s) + b"," + csv_field(t) + b"\n" for s, t in edges))
    out = work / f"{name}-{compress}"
    subprocess.run(
        [crawlrank, "rank", str(source), "--sep", "comma", "--shards", "3", "--compress", compress,
         "-o", str(out), "--quiet", *options],
        check=True,
    )
    return out


def library_folder(work: Path, name: str, part: bytes) -> Path:
    """A result folder holding `part` as its one gzip part file, and its top.tsv."""
    out = work / name
    (out / "ranks").mkdir(parents=True, exist_ok=True)
    (out / "ranks" / "part-00000.gz").write_bytes(gzip.compress(part))
    rows = [row for row in reference_bytes(part)]
    rows.sort(key=lambda r: -float(r[1]))
    lines = [b"\t".join(c.encode() for c in TOP_COLUMNS)]
    for position, (id, pagerank) in enumerate(rows, 1):
        quoted = csv_field(id) if not id or any(b in id for b in b'\t"\r\n') else id
        lines.append(b"\t".join([str(position).encode(), quoted, pagerank, b"0", b"0"]))
    (out / "top.tsv").write_bytes(b"\n".join(lines) + b"\n")
    (out / "plain" / "ranks").mkdir(parents=True, exist_ok=True)
    (out / "plain" / "ranks" / "part-00000").write_bytes(part)
    (out / "plain" / "top.tsv").write_bytes((out / "top.tsv").read_bytes())
    return out


def reference_bytes(data: bytes) -> list[list[bytes]]:
    rows = csv.reader(data.decode("latin-1").splitlines(keepends=True), delimiter="\t")
    return [[field.encode("latin-1") for field in row] for row in rows]


def expected(folder: Path):
    """Ids (bytes) to rank texts, and top.tsv's (id, rank text) in order, of an uncompressed
    copy of the folder."""
    parts = sorted((folder / "ranks").glob("part-*"))
    ranks = {}
    for p in parts:
        for id, pagerank in reference(p, header=False):
            ranks[id] = pagerank
    top = [(r[1], r[2]) for r in reference(folder / "top.tsv", header=True)]
    return ranks, top


def as_float(value) -> float:
    """The rank a reader gave, or NaN (never equal to a written rank) if it gave no number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def compare(label, ranks_frame, top_frame, to_bytes, truth, truth_top) -> list[str]:
    failures = []
    ids = list(ranks_frame["id"])
    pageranks = list(ranks_frame["pagerank"])
    read = {}
    for id, pagerank in zip(ids, pageranks):
        if not isinstance(id, (str, bytes, bytearray)):
            failures.append(f"{label}: part files: an id read as {id!r}")
            continue
        read[to_bytes(id)] = as_float(pagerank)
    if len(read) != len(ids) or sorted(read) != sorted(truth):
        failures.append(
            f"{label}: part files: ids read\n  {sorted(read)}\nexpected\n  {sorted(truth)}"
        )
    for id, text in truth.items():
        if id in read and read[id].hex() != float(text).hex():
            failures.append(f"{label}: part files: {id!r} read as {read[id]!r}, written {text!r}")
    if list(top_frame.columns) != TOP_COLUMNS:
        failures.append(f"{label}: top.tsv: columns {list(top_frame.columns)}")
        return failures
    top = []
    for id, pagerank in zip(top_frame["id"], top_frame["pagerank"]):
        known = isinstance(id, (str, bytes, bytearray))
        top.append((to_bytes(id) if known else f"not an id: {id!r}", as_float(pagerank)))
    want = [(id, float(text)) for id, text in truth_top]
    if [(i, r.hex()) for i, r in top] != [(i, r.hex()) for i, r in want]:
        failures.append(f"{label}: top.tsv: read\n  {top}\nexpected\n  {want}")
    return failures


def main() -> int:
    crawlrank, work = sys.argv[1], Path(sys.argv[2])
    libraries = sys.argv[3:] or ["pandas", "polars", "duckdb"]
    work.mkdir(parents=True, exist_ok=True)
    folders = {}  # (input, compression) -> (folder, uncompressed folder)
    for name, edges in [("utf8", UTF8_EDGES), ("bytes", BYTES_EDGES)]:
        plain = rank(crawlrank, edges, work, name, "none")
        folders[name, None] = plain
        for compress in READS:
            folders[name, compress] = rank(crawlrank, edges, work, name, compress)
    folders["digits", None] = rank(crawlrank, DIGITS_EDGES, work, "digits", "none", "--ids", "string")
    folders["digits", "gzip"] = rank(crawlrank, DIGITS_EDGES, work, "digits", "gzip", "--ids", "string")
    for name, part in [("empty", EMPTY_ID_PART), ("bom", BOM_PART)]:
        folder = library_folder(work, name, part)
        folders[name, None] = folder / "plain"
        folders[name, "gzip"] = folder
    failures, versions, checked = [], [], 0
    for library in libraries:
        try:
            module = __import__("pyspark" if library == "spark" else library)
        except ImportError as error:
            failures.append(f"{library}: cannot be imported ({error})")
            continue
        versions.append(f"{library} {module.__version__}")
        for variant, recipe, plan in RECIPES[library]:
            for name in plan["reads"] + plan.get("refuses", []):
                compressions = plan["compress"] if name in ("utf8", "bytes") else ["gzip"]
                for compress in compressions:
                    folder = folders[name, compress]
                    label = f"{library} {variant} on {name} ({compress})"
                    truth, truth_top = expected(folders[name, None])
                    try:
                        ranks, top, to_bytes = recipe(str(folder))
                    except Exception as error:  # noqa: BLE001 - any failure to read is reported
                        if name in plan.get("refuses", []):
                            checked += 1
                            continue
                        failures.append(f"{label}: {type(error).__name__}: {error}")
                        continue
                    if name in plan.get("refuses", []):
                        failures.append(f"{label}: read a file it should refuse")
                        continue
                    found = compare(label, ranks, top, to_bytes, truth, truth_top)
                    failures.extend(found)
                    checked += not found

    if failures:
        print("\n".join(failures))
        print(f"readback: {checked} passed, {len(failures)} failed ({', '.join(versions)})")
        return 1
    ids = len({id for edge in BYTES_EDGES for id in edge}) + 2
    print(f"readback: {', '.join(versions)}: {ids} hostile ids read back exactly by every recipe")
    print(f"{checked} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
