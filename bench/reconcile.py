"""Benchmark: finding owners by name for /reconcile, on an on-disk store.

    python bench/reconcile.py [--patents N] [--owners-only] [--store DIR] [--queries Q]

Builds an on-disk store from N demo patents (default 1,000,000, about 143,000 owners;
`--owners-only` ingests the demo's owners.csv alone, which is all that a name lookup reads), or
uses `--store DIR` as it is. Then, on Q owner names drawn from the store (default 200):

- baseline: the engine's exact-name lookup, ``?o foaf:name ?name`` with the name bound (an index
  lookup, but only for the name spelled exactly as stored: no other legal form, no traditional
  characters);
- the bounded SPARQL alternative that normalizes: ``FILTER(CONTAINS(?name, core))`` over every
  owner's name, ``LIMIT 50`` (a scan of all names per query);
- the in-process index of /reconcile (kg.link.index.OwnerIndex): its one-time build (one SELECT
  of every owner, the keys computed) and its lookups by key and by prefix;
- whole /reconcile batches of 10 queries through the app (Flask's test client, no workers).

Times per query (median), and ratios against the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import LocalStore, OwnerIndex, name_core  # noqa: E402

EXACT = """PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?o ?name WHERE { ?o foaf:name ?name }"""
SCAN = """PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX hvp: <https://w3id.org/hvp/def#>
SELECT ?o ?core WHERE { ?o a hvp:Owner ; foaf:name ?name FILTER(CONTAINS(?name, ?core)) }
LIMIT 50"""


def build(n: int, work: Path, owners_only: bool) -> Path:
    demo, store = work / "demo", work / "store"
    hvp = [sys.executable, "-m", "kg.cli"]
    subprocess.run([*hvp, "demo", "--out", str(demo), "--patents", str(n), "-q"], check=True,
                   cwd=ROOT)
    source = demo
    if owners_only:
        source = work / "owners"
        source.mkdir()
        (demo / "owners.csv").rename(source / "owners.csv")
    subprocess.run([*hvp, "--store", str(store), "ingest", "-q", str(source)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return store


def per_query(fn, items) -> float:  # type: ignore[no-untyped-def]
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--owners-only", action="store_true")
    parser.add_argument("--store", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        started = time.perf_counter()
        path = args.store or build(args.patents, Path(tmp), args.owners_only)
        print(f"store {path} ready in {time.perf_counter() - started:.1f} s")
        run(path, args.queries)


def run(path: Path, queries: int) -> None:
    store = LocalStore(path)
    rows = store.select("PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
                        "SELECT ?name WHERE { ?o foaf:name ?name }")
    all_names = [r["name"].value for r in rows]
    picked = random.Random(16).sample(all_names, min(queries, len(all_names)))
    print(f"{len(all_names):,} owner names; {len(picked)} queries")

    base = per_query(lambda n: store.select(EXACT, {"name": ox.Literal(n)}), picked)
    scan = per_query(lambda n: store.select(SCAN, {"core": ox.Literal(name_core(n))}),
                     picked[:5])
    before = rss_mb()
    start = time.perf_counter()
    index = OwnerIndex.build(store)
    built = time.perf_counter() - start
    grown = rss_mb() - before
    key = per_query(index.exact, picked)
    prefix = per_query(lambda n: index.prefixed(n[:3], 10), picked)

    from web.app import create_app

    app = create_app({"store": store, "workers": 0})
    app.extensions["hvp-reconcile"] = index
    client = app.test_client()
    batches = [picked[i:i + 10] for i in range(0, len(picked), 10)]

    def batch(group: list[str]) -> None:
        body = {f"q{i}": {"query": n, "type": "owner"} for i, n in enumerate(group)}
        answer = client.post("/reconcile", data={"queries": json.dumps(body)})
        assert answer.status_code == 200

    whole = per_query(batch, batches)
    print(f"{'what':<52} {'median':>12} {'x baseline':>11}")
    for what, seconds in (
            ("baseline: exact-name SPARQL lookup (indexed)", base),
            ("SPARQL FILTER(CONTAINS) over all names, LIMIT 50", scan),
            ("index: lookup by key", key),
            ("index: prefix (suggest), 10 results", prefix),
            ("/reconcile batch of 10 owner queries (app)", whole)):
        print(f"{what:<52} {seconds * 1000:>9.3f} ms {seconds / base:>10.2f}x")
    print(f"index build (once per app): {built:.2f} s, about {grown:.0f} MB more peak RSS, "
          f"{len(index):,} owners, {len(index.keys):,} keys")
    app.extensions["hvp"].close()


if __name__ == "__main__":
    main()
