"""Benchmark: `hvp ingest` of demo CSVs vs raw pyoxigraph bulk_load of the same triples.

    python bench/ingest.py [--patents N] [--quick]

1. generate N demo patents (default 1,000,000) as exchange-format CSV;
2. ingest them into a fresh on-disk store (checks every row, all-or-nothing);
3. export that store's default graph as N-Triples, and bulk_load the file into another fresh
   on-disk store with pyoxigraph directly (the baseline, measured in the same run).
Each phase runs in its own process, so that its peak RSS is its own.
Prints triples/s of both, their ratio (goal: ingest >= 0.5x the raw rate) and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PHASES = {
    "generate": """
from kg.demo import generate
generate(Path(a[0]), patents=int(a[1]))
""",
    "ingest": """
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
store = LocalStore(a[1])
report = ingest(store, [Path(a[0])], base=DEFAULT_BASE)
out["triples"] = report.triples
""",
    "export": """
store = ox.Store.read_only(a[0])
store.dump(a[1], format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
""",
    "bulk_load": """
store = ox.Store(a[1])
store.bulk_load(path=a[0], format=ox.RdfFormat.N_TRIPLES)
store.flush()
out["stored"] = len(store)
""",
}

RUNNER = """
import json, resource, sys, time
from pathlib import Path
import pyoxigraph as ox
a = sys.argv[1:]
out = {}
t = time.perf_counter()
exec(compile(BODY, "phase", "exec"))
out["seconds"] = time.perf_counter() - t
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def phase(name: str, *args: str) -> dict[str, float]:
    code = f"BODY = {PHASES[name]!r}\n{RUNNER}"
    done = subprocess.run([sys.executable, "-c", code, *args], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 patents")
    args = parser.parse_args()
    n = 50_000 if args.quick else args.patents
    work = Path(tempfile.mkdtemp(prefix="hvp-bench-ingest-"))
    try:
        demo, nt = work / "demo", work / "data.nt"
        gen = phase("generate", str(demo), str(n))
        ing = phase("ingest", str(demo), str(work / "store-ingest"))
        phase("export", str(work / "store-ingest"), str(nt))
        raw = phase("bulk_load", str(nt), str(work / "store-raw"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    triples = ing["triples"]
    ingest_rate, raw_rate = triples / ing["seconds"], triples / raw["seconds"]
    print(f"patents                 {n:>14,}")
    print(f"generate demo CSV       {gen['seconds']:>12.1f} s")
    print(f"triples written         {triples:>14,}")
    print(f"hvp ingest              {ing['seconds']:>12.1f} s {ingest_rate:>12,.0f} triples/s"
          f"  peak RSS {ing['peak_rss_mb']:,.0f} MB")
    print(f"pyoxigraph bulk_load    {raw['seconds']:>12.1f} s {raw_rate:>12,.0f} triples/s"
          f"  peak RSS {raw['peak_rss_mb']:,.0f} MB")
    print(f"ratio ingest/raw rate   {ingest_rate / raw_rate:>14.2f}   (goal >= 0.50)")


if __name__ == "__main__":
    main()
