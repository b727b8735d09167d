"""Benchmark: "on or before the as-of date" written for every engine, against the form before.

    python bench/forms.py [--patents N]

`hvpfn:onOrBefore` is written `COALESCE(BOUND(?date) && ?date <= asOf, false)` (right on
Virtuoso, which takes `COALESCE(?unbound <= asOf, false)` as true). On the embedded in-memory
store with N demo patents (default 50,000), times the compiled queries of the criteria that use
it (overseas, pledge) with that form and with the previous `COALESCE(?date <= asOf, false)` (the
baseline, measured first), alternately, five times each; prints the medians, their ratio, and
whether the sets are identical.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rdflib import Graph, Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the sets of each compiled shape, timed one by one (tests/test_public_api.py)
import kg.classify.engines as engines  # noqa: E402
from kg import DEFAULT_BASE, SH, LocalStore, ensure_reference, ingest_files, load_profile  # noqa: E402

NOW = re.compile(r"COALESCE\(BOUND\((\?\w+)\) && \1 <= ")


def previous(shapes: Graph) -> Graph:
    """The shapes with the form used before: COALESCE(?date <= asOf, false)."""
    out = Graph()
    for s, p, o in shapes:
        if p == SH.select and isinstance(o, Literal):
            o = Literal(NOW.sub(r"COALESCE(\1 <= ", str(o)), datatype=o.datatype)
        out.add((s, p, o))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patents", type=int, default=50_000)
    n = parser.parse_args().patents
    with tempfile.TemporaryDirectory(prefix="hvp-bench-forms-") as tmp:
        subprocess.run([sys.executable, "-m", "kg.cli", "demo", "--out", f"{tmp}/demo",
                        "--patents", str(n), "-q"], cwd=ROOT, check=True)
        store = LocalStore()
        ensure_reference(store)
        ingest_files(store, [Path(tmp) / "demo"], base=DEFAULT_BASE)
    profile = load_profile()
    now = profile.instantiate(date(2024, 12, 31))
    before = previous(now)
    assert any(NOW.search(str(o)) for o in now.objects(None, SH.select)), "form not found"
    wanted = [c.shape for c in profile.criteria if c.key in ("overseas", "pledge")]
    targets = {str(r["p"].value) for r in store.select(
        "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> }")}
    times: dict[str, list[float]] = {"COALESCE(?d <= D, false)": [],
                                     "COALESCE(BOUND(?d) && ?d <= D, false)": []}
    sets = {}
    for _ in range(5):
        for (name, shapes) in zip(times, (before, now), strict=True):
            start = time.perf_counter()
            sets[name] = engines.sparql_sets(store, shapes, wanted, targets)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(next(iter(times.values())))
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"{name:<40} {median:.3f} s ({median / base:.2f}x)")
    first, second = sets.values()
    sizes = ", ".join(f"{shape.split('/')[-1]}: {len(found):,}" for shape, found in first.items())
    print(f"{n:,} patents; sets identical: {first == second}; {sizes}")


if __name__ == "__main__":
    main()
