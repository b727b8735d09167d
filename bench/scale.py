"""Benchmark: the whole pipeline at scale, on the on-disk store, through the real `hvp` CLI.

    python bench/scale.py [--sizes 250000,1000000] [--quick] [--memory] [--keep DIR]

For each size N: generate N demo patents (not timed as a stage), then run, each as its own
`hvp` process on one on-disk store (the CLI's default kind of store):

    ingest      hvp ingest DEMO
    validate    hvp validate                         (exit 1, findings, is fine)
    classify    hvp classify --as-of 2024-12-31
    indicators  hvp indicators --years 2020-2024
    delta       hvp ingest DELTA                     (10,000 rows: see `make_delta`)
    again       hvp indicators --years 2020-2024     (after the delta: the timelines the delta
                                                      kept, their stale patents computed again)

The baseline of the delta, measured in the same run: the same `hvp ingest DELTA` into a copy of
the store whose base (decision 40) is removed, so that it drops the derived graphs quad by quad
("delta, no base"); and of "again": the same indicators with every patent's interval computed
("again, full", through the `kg` API in its own process, nothing written).

Each stage prints its wall and CPU time (user + system of the process, from `wait4`), its peak
RSS, patents/s and the store's size on disk after it. The goals of issue 14 at 5,000,000 patents
(2 cores, idle machine): ingest -> validate -> classify -> indicators <= 30 min wall, peak RSS
<= 8 GB, store <= 20 GB; delta + indicators again <= 2 min; time per patent growing at most
1.2x from the smallest size to the largest. The per-patent curve (microseconds of wall time
per patent and stage, and its ratio to the smallest size, measured in the same run) closes
the table. `--memory` adds the same stages on an in-memory store in one process (through the
`kg` API; its RSS is the process's running peak) as a second column; `--quick`: 20,000 patents.

Each stage's standard error (progress bars as plain lines) goes to `stage.log` in the work
folder; `--keep DIR` keeps the folder (demo data, stores, logs) for a closer look.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kg import (
    DEFAULT_BASE,
    LocalStore,
    classify_patents,
    compute_indicators,
    data_graph,
    ensure_reference,
    forget_base,
    generate_demo,
    ingest_files,
    load_shapes,
    store_home,
    validate_graph,
)

ROOT = Path(__file__).resolve().parent.parent
HVP = [sys.executable, "-m", "kg.cli"]
AS_OF = "2024-12-31"
YEARS = "2020-2024"
DELTA_ROWS = 10_000
GOALS = {"pipeline_s": 30 * 60, "rss_gb": 8.0, "store_gb": 20.0, "delta_s": 120.0,
         "growth": 1.2}


@dataclass
class Stage:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    store_mb: float
    code: int


def du_mb(*paths: Path) -> float:
    """Bytes on disk under ``paths`` (hard links counted once), in MB."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, _, files in (entry for path in paths for entry in os.walk(path)):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total / 1e6


def run(name: str, args: list[str], store: Path, log: Path, ok: tuple[int, ...] = (0,),
        argv: list[str] | None = None) -> Stage:
    """One `hvp` command (or ``argv``) as its own process: wall, CPU and peak RSS from
    `wait4`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = argv or [*HVP, "--store", str(store), *args]
    with log.open("a") as err:
        err.write(f"\n== {name}: {' '.join(argv)}\n")
        err.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in ok:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise SystemExit(f"{name} failed (exit {code}); the end of {log}:\n{tail}")
    return Stage(name, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                 du_mb(store, store.parent / f".{store.name}.hvp"), code)


def make_delta(demo: Path, out: Path, rows: int = DELTA_ROWS, seed: int = 11) -> None:
    """A delta of ``rows`` patent rows in the exchange format, drawn from the demo data:
    half are existing invention patents that lapse on 2023-06-30 (or get a new first owner, one
    in five), half are new invention patents (copies of existing rows under new ids); plus a
    pledge of 20,000,000 CNY and an award for one new patent in ten each."""
    rng = random.Random(seed)
    with (demo / "patents.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        inventions = [r for r in reader if r["kind"] == "invention"]
    with (demo / "owners.csv").open(newline="", encoding="utf-8") as f:
        owners = [r["owner_id"] for r in csv.DictReader(f)]
    picked = rng.sample(inventions, min(rows, len(inventions)))
    half = len(picked) // 2
    changed, copied = picked[:half], picked[half:]
    out.mkdir(parents=True)
    pledges, awards = [], []
    with (out / "patents.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        for i, row in enumerate(changed):
            row = dict(row)
            if i % 5 == 0:
                row["owners"] = rng.choice(owners)
            elif not row["lapse_date"] and row["grant_date"] and row["grant_date"] < "2023-06-30":
                row["lapse_date"] = "2023-06-30"
            writer.writerow(row)
        for i, row in enumerate(copied):
            row = dict(row, patent_id=f"CNDELTA{i:07d}", family_id="")
            writer.writerow(row)
            if i % 10 == 0 and row["grant_date"]:
                pledges.append([f"DELTA-PL{i}", row["patent_id"], row["grant_date"], "20000000"])
                awards.append([f"DELTA-AW{i}", row["patent_id"], "china-patent-excellence",
                               row["grant_date"][:4]])
    for name, head, body in (("pledges.csv", "pledge_id,patent_id,registration_date,amount_cny",
                              pledges),
                             ("awards.csv", "award_id,patent_id,award,year", awards)):
        with (out / name).open("w", newline="", encoding="utf-8") as f:
            f.write(head + "\n")
            csv.writer(f).writerows(body)


def disk_run(n: int, work: Path) -> list[Stage]:
    demo, delta, store, log = work / "demo", work / "delta", work / "store", work / "stage.log"
    start = time.perf_counter()
    generate_demo(demo, patents=n)
    make_delta(demo, delta)
    print(f"  {n:,} patents: demo data in {time.perf_counter() - start:.1f} s "
          f"({du_mb(demo):,.0f} MB of CSV)", flush=True)
    stages = []
    for name, args, ok in (("ingest", ["ingest", str(demo)], (0,)),
                           ("validate", ["validate"], (0, 1)),
                           ("classify", ["classify", "--as-of", AS_OF, "-o", os.devnull], (0,)),
                           ("indicators", ["indicators", "--years", YEARS], (0,)),
                           ("delta", ["ingest", str(delta)], (0,)),
                           ("again", ["indicators", "--years", YEARS], (0,))):
        if name == "delta":  # the baseline: the same delta into a copy that has no base
            stages.append(_without_base(store, delta, work, log))
            _say(n, stages[-1])
        stage = run(name, args, store, log, ok)
        stages.append(stage)
        _say(n, stage)
    stages.append(run("again, full", [], store, log, argv=[sys.executable, "-c", FULL,
                                                           str(store)]))
    _say(n, stages[-1])
    return stages


#: The baseline of "again": the same indicators with every patent's interval computed (nested
#: in the counting query, nothing written), not read back from the answers kept for the data.
FULL = """import sys
from kg.indicators import core
from kg.store import LocalStore
core._compute(LocalStore(sys.argv[1]), range(2020, 2025), keep_classifications=False)
"""


def _say(n: int, stage: Stage) -> None:
    print(f"    {stage.name:<15}{stage.wall:>9.1f} s wall{stage.cpu:>9.1f} s CPU"
          f"{n / stage.wall:>11,.0f} patents/s  RSS {stage.rss_mb:>7,.0f} MB"
          f"  store {stage.store_mb:>8,.0f} MB", flush=True)


def _without_base(store: Path, delta: Path, work: Path, log: Path) -> Stage:
    """The delta ingested into a copy of the store whose base is removed: it must then drop the
    derived graphs quad by quad (what every ingest did before the base, decision 40)."""
    copy = work / "no-base" / store.name
    copy.parent.mkdir()
    shutil.copytree(store_home(store), store_home(copy), symlinks=True)
    os.symlink(os.readlink(store), copy)
    forget_base(copy)
    try:
        return run("delta, no base", ["ingest", str(delta)], copy, log)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def memory_run(n: int, work: Path) -> dict[str, float]:
    """The same stages on an in-memory store in this process (wall seconds per stage)."""
    from datetime import date


    demo, delta = work / "mem-demo", work / "mem-delta"
    generate_demo(demo, patents=n)
    make_delta(demo, delta)
    store = LocalStore()
    ensure_reference(store, DEFAULT_BASE)
    steps = {
        "ingest": lambda: ingest_files(store, [demo], base=DEFAULT_BASE),
        "validate": lambda: validate_graph(data_graph(store), load_shapes()),
        "classify": lambda: classify_patents(store, date(2024, 12, 31)),
        "indicators": lambda: compute_indicators(store, range(2020, 2025)),
        "delta": lambda: ingest_files(store, [delta], base=DEFAULT_BASE),
        "again": lambda: compute_indicators(store, range(2020, 2025)),
    }
    out = {}
    for name, fn in steps.items():
        if name == "validate" and n > 50_000:  # pySHACL on rdflib: 461 s at 50k patents
            continue
        start = time.perf_counter()
        fn()
        out[name] = time.perf_counter() - start
    return out


def report(results: dict[int, list[Stage]], memory: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    print("\nstage" + " " * 13 + "".join(f"{n:>22,}" for n in sizes))
    names = [s.name for s in results[sizes[0]]]
    width = max(len(name) for name in names) + 2
    for i, name in enumerate(names):
        cells = []
        for n in sizes:
            s = results[n][i]
            mem = memory.get(n, {}).get(name)
            cells.append(f"{s.wall:>10.1f} s" + (f" ({mem:>6.1f} s)" if mem else " " * 11))
        print(f"{name:<{width}}" + "".join(f"{c:>22}" for c in cells))
    if memory:
        print("(in parentheses: the in-memory store, same stages, one process)")
    print("\nmicroseconds of wall time per patent, and the ratio to the smallest size")
    for i, name in enumerate(names):
        base = results[sizes[0]][i].wall / sizes[0]
        cells = [f"{results[n][i].wall / n * 1e6:>9.0f} ({results[n][i].wall / n / base:.2f}x)"
                 for n in sizes]
        print(f"{name:<{width}}" + "".join(f"{c:>22}" for c in cells))
    big = sizes[-1]
    stages = {s.name: s for s in results[big]}
    ours = [s for s in results[big] if s.name != "delta, no base"]  # not the baseline's copy
    pipeline = sum(stages[k].wall for k in ("ingest", "validate", "classify", "indicators"))
    scale = big / 5_000_000
    # the delta is 10,000 rows at every size; the indicators after it grow with the store
    delta = stages["delta"].wall + stages["again"].wall / scale
    base_ratio = stages["delta"].wall / stages["delta, no base"].wall
    again_ratio = stages["again"].wall / stages["again, full"].wall
    rss = max(s.rss_mb for s in ours) / 1000
    store = max(s.store_mb for s in ours) / 1000
    per_patent = [sum(s.wall for s in results[n][:4]) / n for n in sizes]
    growth = per_patent[-1] / per_patent[0]
    print(f"\nat {big:,} patents, against the goals at 5,000,000 (the pipeline's time and the "
          f"store scaled by {scale:g}; the indicators after the delta projected to 5,000,000):")
    for label, value, goal, unit in (
            ("pipeline ingest -> indicators", pipeline, GOALS["pipeline_s"] * scale, "s"),
            ("peak RSS", rss, GOALS["rss_gb"], "GB"),
            ("store on disk", store, GOALS["store_gb"] * scale, "GB"),
            ("delta + indicators again (projected)", delta, GOALS["delta_s"], "s"),
            ("delta / the same delta without a base", base_ratio, 1.0, "x"),
            ("indicators again / computed in full", again_ratio, 1.0, "x"),
            ("per-patent time, largest / smallest", growth, GOALS["growth"], "x")):
        mark = "ok" if value <= goal else "MISSED"
        print(f"  {label:<38}{value:>10.2f} {unit:<3} goal <= {goal:.2f} {unit:<3} {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250000,1000000",
                        help="comma-separated patent counts (5000000 for the issue's goal)")
    parser.add_argument("--quick", action="store_true", help="20,000 patents")
    parser.add_argument("--memory", action="store_true",
                        help="also the in-memory store, as a second column")
    parser.add_argument("--keep", type=Path, help="keep the work folder here")
    args = parser.parse_args()
    sizes = [20_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(f"hvp-kg scale benchmark: on-disk store, sizes {', '.join(f'{n:,}' for n in sizes)}",
          flush=True)
    results: dict[int, list[Stage]] = {}
    memory: dict[int, dict[str, float]] = {}
    top = Path(tempfile.mkdtemp(prefix="hvp-bench-scale-"))
    try:
        for n in sizes:
            work = top / str(n)
            work.mkdir()
            results[n] = disk_run(n, work)
            if args.memory:
                memory[n] = memory_run(n, work)
            if not args.keep:
                shutil.rmtree(work / "store", ignore_errors=True)
    finally:
        if args.keep:
            # symlinks: the store stays a link to its generation
            shutil.copytree(top, args.keep, dirs_exist_ok=True, symlinks=True)
            print(f"work folder kept in {args.keep}")
        shutil.rmtree(top, ignore_errors=True)
    report(results, memory)


if __name__ == "__main__":
    main()
