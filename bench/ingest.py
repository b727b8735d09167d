"""Benchmark: `hvp ingest` of demo CSVs vs raw pyoxigraph bulk_load of the same triples;
and the cost of ingest's atomic path (checkpoint + switch) against writing in place.

    python bench/ingest.py [--patents N] [--quick] [--atomic-patents N] [--atomic-only]

1. generate N demo patents (default 1,000,000) as exchange-format CSV;
2. ingest them into a fresh on-disk store (checks every row, all-or-nothing);
3. export that store's default graph as N-Triples, and bulk_load the file into another fresh
   on-disk store with pyoxigraph directly (the baseline, measured in the same run).
Each phase runs in its own process, so that its peak RSS is its own.
Prints triples/s of both, their ratio (goal: ingest >= 0.5x the raw rate) and peak RSS.

Atomic path (``--atomic-patents``, default 20,000): an on-disk store of that many demo patents
is copied; a 1,000-patent update (another seed: it restates 1,000 of them) and the whole load
into a new store are timed with ingest as it is (staged in a hard-link checkpoint, switched by a
rename: :func:`kg.store.staged`) and with the writes made in place (``staged`` replaced by a
pass-through: ingest before the atomic path), each on a fresh copy, median of three; plus a
checkpoint and switch with no writes. Prints the ratio atomic/in place.
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
from kg import generate_demo
generate_demo(Path(a[0]), patents=int(a[1]))
""",
    "generate_seed": """
from kg import generate_demo
generate_demo(Path(a[0]), patents=int(a[1]), seed=int(a[2]))
""",
    "ingest": """
from kg import DEFAULT_BASE, LocalStore, ingest_files
store = LocalStore(a[1])
report = ingest_files(store, [Path(a[0])], base=DEFAULT_BASE)
out["triples"] = report.triples
""",
    "update": """
import contextlib
import kg.ingest  # its staged() replaced to measure an update in place: not the public API
from kg import DEFAULT_BASE, LocalStore
if a[2] == "in-place":
    kg.ingest.staged = contextlib.contextmanager(lambda store: (yield store))
store = LocalStore(a[1])
start = time.perf_counter()
kg.ingest.ingest(store, [Path(a[0])], base=DEFAULT_BASE)
out["work"] = time.perf_counter() - start
""",
    "stage": """
from kg import LocalStore, staged
store = LocalStore(a[0])
start = time.perf_counter()
with staged(store):
    pass
out["work"] = time.perf_counter() - start
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


def atomic(n: int) -> None:
    """The cost of the atomic path, against the same writes made in place."""
    work = Path(tempfile.mkdtemp(prefix="hvp-bench-atomic-"))
    try:
        phase("generate", str(work / "demo"), str(n))
        phase("generate_seed", str(work / "update"), "1000", "1")
        (work / "base").mkdir()
        phase("ingest", str(work / "demo"), str(work / "base" / "store"))
        runs: dict[str, list[float]] = {}
        for i in range(3):
            for mode in ("in-place", "atomic"):
                for what, source, start in (("update", "update", "base"),
                                            ("new store", "demo", None)):
                    copy = work / f"{mode}-{what}-{i}"
                    if start:
                        shutil.copytree(work / start, copy, symlinks=True)
                    else:
                        copy.mkdir()
                    took = phase("update", str(work / source), str(copy / "store"), mode)
                    runs.setdefault(f"{what} {mode}", []).append(took["work"])
                    shutil.rmtree(copy)
            copy = shutil.copytree(work / "base", work / f"stage-{i}", symlinks=True)
            runs.setdefault("stage", []).append(phase("stage", str(copy / "store"))["work"])
            shutil.rmtree(copy)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = {k: sorted(v)[1] for k, v in runs.items()}
    print(f"\natomic path, on-disk store of {n:,} demo patents (median of 3)")
    print(f"checkpoint + switch, no writes   {median['stage']:>8.3f} s")
    for what in ("update", "new store"):
        label = "1,000-patent update" if what == "update" else f"{n:,} into a new store"
        inplace, staged = median[f"{what} in-place"], median[f"{what} atomic"]
        print(f"{label:<32} {inplace:>8.2f} s in place  {staged:>8.2f} s atomic  "
              f"ratio {staged / inplace:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 patents")
    parser.add_argument("--atomic-patents", type=int, default=20_000)
    parser.add_argument("--atomic-only", action="store_true",
                        help="only the cost of the atomic path")
    args = parser.parse_args()
    if args.atomic_only:
        atomic(args.atomic_patents)
        return
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
    atomic(args.atomic_patents)


if __name__ == "__main__":
    main()
