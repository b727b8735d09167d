"""Benchmark classification: ``python bench/classify.py [--quick]`` prints a table.

(a) compiled SPARQL vs pySHACL, same profile and store, demo data (10,000 patents; --quick 1,000):
    time to get every shape's set of conforming patents; goal >= 100x faster, identical sets.
(b) full ``kg.classify.classify`` at one date on the in-memory store, 1,000,000 demo patents
    (--quick 50,000), evidence and graph included; goal <= 30 s. Also the same rows computed
    without evidence and graph (``store_graph=False``, what the indicators use).
(c) the compiled queries vs a hand-written set-based query of the same rules
    (bench/classify_handwritten.rq), same store as (b); goal <= 1.5x, identical sets. The
    compiled queries run as ``classify`` runs them (concurrently, one per CPU) and, for a
    like-for-like figure against the one hand-written query, one at a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import (  # noqa: E402
    DEFAULT_BASE,
    LocalStore,
    classify_patents,
    ensure_reference,
    generate_demo,
    ingest_files,
    load_profile,
)

# The engine's inner steps, measured one by one: not part of the public API (an exception
# listed in tests/test_public_api.py).
from kg.classify import _patents, engines  # noqa: E402
from kg.classify.result_sets import table  # noqa: E402

AS_OF = date(2024, 12, 31)
HANDWRITTEN = Path(__file__).with_name("classify_handwritten.rq")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def build(n: int, tmp: Path) -> LocalStore:
    """Generate n demo patents and ingest them into a fresh in-memory store."""
    folder = tmp / f"demo-{n}"
    _, t_gen = timed(lambda: generate_demo(folder, patents=n, seed=7))
    store = LocalStore()
    ensure_reference(store, DEFAULT_BASE)
    _, t_ingest = timed(lambda: ingest_files(store, [folder], base=DEFAULT_BASE))
    print(f"  {n:,} patents: generated in {t_gen:.1f} s, ingested in {t_ingest:.1f} s "
          f"({len(store):,} quads)", flush=True)
    return store


def named_sets(store: LocalStore, engine: str, workers: int | None = None
               ) -> dict[str, set[str]]:
    """valid, domestic, high_value and each criterion -> conforming patents."""
    prof = load_profile()
    shapes = prof.instantiate(AS_OF)
    names = {prof.valid: "valid", prof.domestic: "domestic", prof.high_value: "high_value"}
    names.update({c.shape: c.key for c in prof.criteria})
    targets = set(_patents(store))
    if engine == "sparql":
        sets = engines.sparql_sets(store, shapes, list(names), targets, workers)
    else:
        sets = engines.pyshacl_sets(store, shapes, list(names), targets)
    return {names[shape]: members for shape, members in sets.items()}


def handwritten_sets(store: LocalStore) -> dict[str, set[str]]:
    query = HANDWRITTEN.read_text().replace("$asOf", f'"{AS_OF.isoformat()}"^^'
                                            "<http://www.w3.org/2001/XMLSchema#date>")
    out: dict[str, set[str]] = {}
    for row in table(store, query):
        out.setdefault(row["set"], set()).add(row["patent"])
    return out


def part_a(n: int, tmp: Path) -> dict[str, Any]:
    print(f"(a) compiled SPARQL vs pySHACL, {n:,} patents", flush=True)
    store = build(n, tmp)
    sparql, t_sparql = timed(lambda: named_sets(store, "sparql"))
    print(f"  compiled SPARQL {t_sparql:.2f} s", flush=True)
    shacl, t_shacl = timed(lambda: named_sets(store, "pyshacl"))
    print(f"  pySHACL {t_shacl:.1f} s", flush=True)
    return {"n": n, "sparql": t_sparql, "pyshacl": t_shacl, "same": sparql == shacl}


def part_bc(n: int, tmp: Path) -> dict[str, Any]:
    print(f"(b, c) {n:,} patents", flush=True)
    store = build(n, tmp)
    result, t_full = timed(lambda: classify_patents(store, AS_OF))
    print(f"  classify (with materialization) {t_full:.1f} s, {len(result.rows):,} rows",
          flush=True)
    _, t_again = timed(lambda: classify_patents(store, AS_OF))
    print(f"  classify again (graph replaced) {t_again:.1f} s", flush=True)
    lean, t_lean = timed(lambda: classify_patents(store, AS_OF, store_graph=False))
    print(f"  classify without evidence and graph {t_lean:.1f} s", flush=True)
    compiled, t_compiled = timed(lambda: named_sets(store, "sparql"))
    print(f"  compiled queries (sets only) {t_compiled:.1f} s", flush=True)
    serial, t_serial = timed(lambda: named_sets(store, "sparql", workers=1))
    print(f"  compiled queries one at a time {t_serial:.1f} s", flush=True)
    hand, t_hand = timed(lambda: handwritten_sets(store))
    print(f"  hand-written query {t_hand:.1f} s", flush=True)
    keys = [k for k in compiled if k != "high_value"]
    same = all(compiled[k] == hand.get(k, set()) for k in keys) and serial == compiled \
        and lean.rows == result.rows
    return {"n": n, "full": t_full, "again": t_again, "lean": t_lean, "compiled": t_compiled,
            "serial": t_serial, "hand": t_hand, "same": same, "rows": len(result.rows)}


def report(a: dict[str, Any] | None, bc: dict[str, Any] | None) -> None:
    print()
    print(f"{'measure':<58}{'value':>12}  goal")
    if a:
        report_a(a)
    if bc:
        report_bc(bc)


def report_a(a: dict[str, Any]) -> None:
    print(f"{'(a) pySHACL / compiled SPARQL, ' + format(a['n'], ',') + ' patents':<58}"
          f"{a['pyshacl'] / a['sparql']:>11.0f}x  >= 100x")
    print(f"{'    compiled SPARQL / pySHACL seconds':<58}"
          f"{a['sparql']:>6.2f}/{a['pyshacl']:<5.0f}")
    print(f"{'    identical sets':<58}{str(a['same']):>12}")


def report_bc(bc: dict[str, Any]) -> None:
    print(f"{'(b) classify incl. evidence + materialization, s, ' + format(bc['n'], ','):<58}"
          f"{bc['full']:>12.1f}  <= 30 s")
    print(f"{'    again on the same store (graph replaced), s':<58}{bc['again']:>12.1f}")
    print(f"{'    the same rows without evidence and graph, s':<58}{bc['lean']:>12.1f}")
    print(f"{'    compiled queries only (all shape sets), s':<58}{bc['compiled']:>12.1f}")
    print(f"{'(c) compiled / hand-written set-based query':<58}"
          f"{bc['compiled'] / bc['hand']:>11.2f}x  <= 1.5x")
    print(f"{'    same, compiled queries one at a time (one thread)':<58}"
          f"{bc['serial'] / bc['hand']:>11.2f}x")
    print(f"{'    hand-written query, s':<58}{bc['hand']:>12.1f}")
    print(f"{'    identical sets':<58}{str(bc['same']):>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (1,000 and 50,000)")
    parser.add_argument("--part", choices=["a", "bc"], help="run only part (a) or (b, c)")
    args = parser.parse_args()
    n_a, n_b = (1_000, 50_000) if args.quick else (10_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="hvp-bench-") as tmp:
        bc = part_bc(n_b, Path(tmp)) if args.part != "a" else None
        a = part_a(n_a, Path(tmp)) if args.part != "bc" else None
    report(a, bc)


if __name__ == "__main__":
    main()
