"""Benchmark ``hvp validate``:
``python bench/validate.py [--quick] [--sizes N,N,..] [--baseline DIR]``.

For each size, demo data (``hvp demo --patents N``) is ingested into an on-disk store; then the
data-quality shapes are validated by the compiled SPARQL engine on that store (the CLI
default) and on an in-memory copy (second column), and, at the smallest size only, by pySHACL
(``--engine pyshacl``, the reference: the data copied into rdflib; only up to 50,000 patents)
as the baseline of the ratio. ``--baseline DIR``: DIR is a checkout of another revision (e.g.
``git worktree add /tmp/main main``); its compiled engine validates the same on-disk stores in
the same run, and the CPU ratio (baseline / this tree) is printed. Each run is a fresh process
(so its peak RSS is its own), timed for wall and CPU; on a shared machine CPU seconds are the
steadier figure. Default sizes 20,000 and 100,000 patents; --quick 5,000.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import (  # noqa: E402
    DEFAULT_BASE,
    RDF,
    SH,
    LocalStore,
    compiled_results,
    data_graph,
    ensure_reference,
    generate_demo,
    ingest_files,
    load_shapes,
    validate_graph,
)

# pySHACL's baseline runs at the smallest size if it is at most this (its copy of the data
# takes about 3 KB of RAM per triple: 1M patents would not fit).
PYSHACL_MAX = 50_000


def run_one(engine: str, store_dir: str, memory: bool) -> dict[str, float]:
    """One validation in this process: wall and CPU seconds, peak RSS, result count."""
    import pyoxigraph as ox


    shapes = load_shapes()
    disk = LocalStore(store_dir, read_only=True)
    store = disk
    if memory:  # the copy is made before the clock starts
        store = LocalStore()
        store.oxigraph.bulk_extend(disk.oxigraph.quads_for_pattern(None, None, None,
                                                                   ox.DefaultGraph()))
    wall, cpu = time.perf_counter(), time.process_time()
    if engine == "pyshacl":
        report = validate_graph(data_graph(store), shapes).graph
        count = len(set(report.subjects(RDF.type, SH.ValidationResult)))
    else:
        count = sum(1 for _ in compiled_results(store, shapes))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "rss_mb": peak_rss_mb(), "results": count}


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: its own, where getrusage's ru_maxrss also
    counts the parent's memory at the fork that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(engine: str, store_dir: Path, memory: bool = False,
            code: Path = ROOT) -> dict[str, float]:
    """One run in a fresh process, with the code of the tree ``code`` (its own copy of this
    script, which puts that tree first on the path)."""
    script = code / "bench" / "validate.py"
    out = subprocess.run([sys.executable, str(script), "--run", engine, str(store_dir)]
                         + (["--memory"] if memory else []),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def build(n: int, tmp: Path) -> tuple[Path, float]:
    """Generate n demo patents, ingest them into a fresh on-disk store (as ``hvp ingest``)."""
    folder, path = tmp / f"demo-{n}", tmp / f"store-{n}"
    generate_demo(folder, patents=n, seed=7)
    start = time.perf_counter()
    store = LocalStore(path)
    ensure_reference(store, DEFAULT_BASE)
    ingest_files(store, [folder], base=DEFAULT_BASE)
    store.flush()
    took = time.perf_counter() - start
    triples = len(store)
    store.close()
    print(f"  {n:,} patents: ingested on disk in {took:.1f} s ({triples:,} quads)", flush=True)
    return path, took


def row(n: int, label: str, m: dict[str, float], base: dict[str, float] | None,
        key: str = "wall") -> str:
    ratio = f"{base[key] / m[key]:8.2f}x" if base else " " * 9
    return (f"{n:>9,} {label:<20} {m['wall']:8.2f} {m['cpu']:8.2f} {n / m['wall']:>10,.0f} "
            f"{m['rss_mb']:9,.0f} {int(m['results']):>8} {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 patents only")
    parser.add_argument("--sizes", help="comma-separated patent counts [20000,100000]")
    parser.add_argument("--baseline", type=Path,
                        help="a checkout of another revision: its compiled validation on the "
                        "same stores, and the CPU ratio")
    parser.add_argument("--run", nargs=2, metavar=("ENGINE", "STORE"), help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run[0], args.run[1], args.memory)))
        return
    sizes = [5_000] if args.quick else \
        [int(s) for s in (args.sizes or "20000,100000").split(",")]
    print("hvp validate: compiled SPARQL (on disk, in memory) vs pySHACL (smallest size)")
    with tempfile.TemporaryDirectory() as tmp:
        built = {n: build(n, Path(tmp))[0] for n in sizes}
        print(f"\n{'patents':>9} {'engine, store':<20} {'wall s':>8} {'CPU s':>8} "
              f"{'patents/s':>10} {'peak MB':>9} {'results':>8} {'vs pySHACL':>9}")
        base = None
        for n in sizes:
            if n == sizes[0] and n <= PYSHACL_MAX:
                base = measure("pyshacl", built[n])
                print(row(n, "pyshacl, disk", base, None), flush=True)
            print(row(n, "sparql, disk", measure("sparql", built[n]),
                      base if n == sizes[0] else None), flush=True)
            print(row(n, "sparql, memory", measure("sparql", built[n], memory=True),
                      base if n == sizes[0] else None), flush=True)
            if args.baseline:
                before = measure("sparql", built[n], code=args.baseline.resolve())
                now = measure("sparql", built[n])
                print(row(n, "baseline, disk", before, None), flush=True)
                print(row(n, "sparql, disk again", now, before, key="cpu")
                      + " CPU vs baseline", flush=True)


if __name__ == "__main__":
    main()
