"""Benchmark: demo -> ingest (in-memory LocalStore) -> indicators for all regions, 2020-2024.

Reports each step's wall time and the ratio of the indicator run (each patent's high-value
interval from the profile's timeline query, counted per year end, population join, cube
materialized) to one classification run (``kg.classify.classify`` at 2024-12-31 on the freshly
ingested store, evidence and graph included), timed in the same process. First the indicators
of 2024 alone, then those of 2020-2024 with nothing kept (``keep_classifications=False``: the
timeline's query nested in the counting query), so the in-memory store, which never gives back
the memory of removed quads, holds the data and the baseline's classification graph at most.
``hvp indicators`` keeps the timeline (docs/indicators.md).

    .venv/bin/python bench/indicators.py            # 1,000,000 patents
    .venv/bin/python bench/indicators.py --quick    # 50,000 patents
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import psutil
import pyoxigraph as ox

from kg import (
    DEFAULT_BASE,
    LocalStore,
    classification_iri,
    classify_patents,
    compute_indicators,
    ensure_reference,
    generate_demo,
    ingest_files,
    materialize_cube,
)

T = TypeVar("T")
YEARS = range(2020, 2025)


def timed(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    rss = psutil.Process().memory_info().rss / 2**30
    print(f"{label:<46}{seconds:>9.2f} s   (RSS {rss:.1f} GiB)", flush=True)
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 patents")
    parser.add_argument("--profile", default="cnipa-2021")
    parser.add_argument("--disk", action="store_true",
                        help="an on-disk store (RocksDB) instead of memory, for sizes whose "
                        "classification graphs do not fit in RAM")
    args = parser.parse_args()
    n = 50_000 if args.quick else args.patents
    print(f"hvp-kg indicators benchmark: {n:,} patents, years {YEARS[0]}-{YEARS[-1]}")
    with tempfile.TemporaryDirectory(prefix="hvp-bench-") as tmp:
        folder = Path(tmp) / "demo"
        timed("demo.generate", lambda: generate_demo(folder, patents=n))
        store = LocalStore(Path(tmp) / "store" if args.disk else None)
        timed("reference data", lambda: ensure_reference(store))
        timed("ingest (CSV -> store)",
              lambda: ingest_files(store, [folder], base=DEFAULT_BASE))
        if args.disk:
            timed("optimize (on-disk store)", store.optimize)
        print(f"store: {len(store):,} quads ({'on disk' if args.disk else 'in memory'})")
        graph = classification_iri(DEFAULT_BASE, args.profile, date(2024, 12, 31))
        _, t_cls = timed("one classify.classify at 2024-12-31", lambda: classify_patents(
            store, date(2024, 12, 31), profile=args.profile))
        _, t_count = timed("indicators 2024 only", lambda:
                           compute_indicators(store, [2024], profile=args.profile))
        store.clear_graph(ox.NamedNode(graph))  # nothing of the baseline is read
        result, t_ind = timed("indicators 2020-2024, nothing kept", lambda:
                              compute_indicators(store, YEARS, profile=args.profile,
                                                 keep_classifications=False))
        _, t_cube = timed("cube materialize", lambda: materialize_cube(store, result))
    national = {r.year: round(r.per_10k, 3) for r in result.select("nation").rows}
    print(f"rows: {len(result.rows)}; national per 10,000: {national}")
    total = t_ind + t_cube
    print(f"indicators total {total:.2f} s = {total / t_cls:.2f} x one classification "
          f"({t_cls:.2f} s); the indicators of one year {t_count:.2f} s "
          f"({t_count / t_cls:.3f} x)")


if __name__ == "__main__":
    main()
