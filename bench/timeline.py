"""Benchmark the timeline's computation (each patent's high-value interval, then its year tally):
``python bench/timeline.py [--quick] [--sizes N,N,..] [--store DIR]``.

For each size, demo data is ingested into an on-disk store and its timeline written once
(``hvp indicators`` would); ``--store DIR`` uses an existing store as it is (read only). Then,
each in a fresh process (its own peak RSS), on the on-disk store and on an in-memory copy:

- **composed** (the baseline): the one query of ``kg.classify.timeline.select_text``, its rows
  read as entries, then the year tally counted by the engine (``year_tally.full``: two GROUP BYs
  over the timeline graph, the regions joined);
- **parts** (what ``hvp indicators`` runs on an embedded store): one query per unit, two at a
  time, joined in Python (``kg.classify.intervals``), then the tally counted in passing
  (``year_tally.Counter``: each domestic entry's regions read from the indexes).

Printed: wall and CPU seconds and peak RSS of each, and the ratios composed / parts; the
entries of both are checked equal (a digest of the sorted entries) and so are the tallies.
Default sizes 100,000 patents; --quick 10,000.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validate import peak_rss_mb  # noqa: E402  (bench/validate.py, beside this script)

from kg import (  # noqa: E402
    DEFAULT_BASE,
    LocalStore,
    YearTallyCounter,
    composed_timeline_entries,
    count_year_tally,
    ensure_reference,
    ensure_timeline,
    generate_demo,
    ingest_files,
    load_profile,
    timeline_entries,
    timeline_iri,
    year_tally_literal,
)

PROFILE = "cnipa-2021"


def run_one(way: str, store_dir: str, memory: bool) -> dict[str, object]:
    """One computation in this process: seconds and peak RSS of the entries and of the
    tally, a digest of the entries, the tally."""
    disk = LocalStore(store_dir, read_only=True)
    store = disk
    if memory:  # the copy is made before the clock starts
        store = LocalStore()
        store.oxigraph.bulk_extend(disk.oxigraph.quads_for_pattern(None, None, None, None))
    prof = load_profile(PROFILE)
    shapes = prof.instantiate(date(2024, 12, 31))
    graph = timeline_iri(DEFAULT_BASE, prof.name)
    wall, cpu = time.perf_counter(), time.process_time()
    if way == "composed":
        entries = list(composed_timeline_entries(store, prof, shapes))
    else:
        entries = list(timeline_entries(store, prof, shapes))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = peak_rss_mb()
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    if way == "composed":
        tally = count_year_tally(store, graph)
    else:
        counter = YearTallyCounter(store)
        for _ in counter.passing(entries):
            pass
        tally = counter.tally
    t_wall, t_cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
    digest = hashlib.sha256(repr(sorted(entries)).encode()).hexdigest()[:16]
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "tally_wall": t_wall, "tally_cpu": t_cpu,
            "total_rss_mb": peak_rss_mb(), "entries": len(entries), "digest": digest,
            "tally": year_tally_literal(tally).value}


def measure(way: str, store_dir: Path, memory: bool = False) -> dict:
    out = subprocess.run([sys.executable, __file__, "--run", way, str(store_dir)]
                         + (["--memory"] if memory else []),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def build(n: int, tmp: Path) -> Path:
    """n demo patents ingested into an on-disk store, its timeline written once."""
    folder, path = tmp / f"demo-{n}", tmp / f"store-{n}"
    generate_demo(folder, patents=n, seed=7)
    store = LocalStore(path)
    ensure_reference(store, DEFAULT_BASE)
    ingest_files(store, [folder], base=DEFAULT_BASE)
    ensure_timeline(store, load_profile(PROFILE), PROFILE, DEFAULT_BASE)
    store.close()
    return path


def _sum(m: dict, key: str) -> float:
    """The seconds of the entries and of the tally together."""
    return float(m[key] + m[f"tally_{key}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 patents only")
    parser.add_argument("--sizes", help="comma-separated patent counts [100000]")
    parser.add_argument("--store", type=Path, help="an existing on-disk store, as it is")
    parser.add_argument("--no-memory", action="store_true", help="the on-disk store only")
    parser.add_argument("--run", nargs=2, metavar=("WAY", "STORE"), help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run[0], args.run[1], args.memory)))
        return
    sizes = [10_000] if args.quick else [int(s) for s in (args.sizes or "100000").split(",")]
    print("the timeline of cnipa-2021: one composed query + the engine's tally (baseline) vs "
          "one query per unit joined in Python + the tally counted in passing")
    print(f"\n{'store':<22} {'way':<9} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} "
          f"{'tally s':>8} {'tally CPU':>9} {'entries':>9}   composed/parts: wall, CPU, RSS")
    with tempfile.TemporaryDirectory() as tmp:
        stores = [(str(args.store), args.store)] if args.store else \
            [(f"{n:,} patents", build(n, Path(tmp))) for n in sizes]
        for name, path in stores:
            for memory in (False,) if args.no_memory else (False, True):
                where = f"{name}, {'memory' if memory else 'disk'}"
                base = measure("composed", path, memory)
                mine = measure("parts", path, memory)
                for way, m in (("composed", base), ("parts", mine)):
                    ratio = "" if way == "composed" else (
                        f"   {_sum(base, 'wall') / _sum(m, 'wall'):.2f}x"
                        f" {_sum(base, 'cpu') / _sum(m, 'cpu'):.2f}x"
                        f" {base['total_rss_mb'] / m['total_rss_mb']:.2f}x")
                    print(f"{where[-22:]:<22} {way:<9} {m['wall']:8.1f} {m['cpu']:8.1f} "
                          f"{m['total_rss_mb']:8,.0f} {m['tally_wall']:8.1f} {m['tally_cpu']:9.1f} "
                          f"{m['entries']:>9,}{ratio}", flush=True)
                if (base["digest"], base["tally"]) != (mine["digest"], mine["tally"]):
                    sys.exit(f"{where}: the two ways differ (entries {base['digest']} / "
                             f"{mine['digest']}, tallies equal: {base['tally'] == mine['tally']})")


if __name__ == "__main__":
    main()
