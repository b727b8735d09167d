"""Benchmark: each remote command on each engine against the embedded on-disk store.

    python bench/engines.py [--patents N] [--quick] [--no-virtuoso] [--no-oxigraph]

Writes N demo patents (default 5,000; `--quick` 1,000) and runs `hvp ingest` of them into an
on-disk store (the baseline, measured first), into `oxigraph serve` and into a Virtuoso
configured as docs/engines.md says (`--endpoint`, with `HVP_ENDPOINT_ENGINE=virtuoso`), each
engine started on loopback in a temporary folder (the helpers of tests/engines.py). Then runs
`hvp doctor`, `stats`, `classify --as-of 2024-12-31`, `indicators --year 2024`, `explain`,
`validate` and `export --format nq` through the `hvp` CLI on each engine: wall time per command,
its ratio to the embedded store's, and whether its standard output is identical (`export`: the
same default-graph quads; `stats`: the same lines but for the dataset's times). A command an
engine's probes refuse shows `refused`. For Virtuoso the
classification is also run in the standard dialect (date literals, Python API, no probes), with
how many of its rows differ from the embedded store's: what the Virtuoso dialect is for.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from engines import ISQL, VIRTUOSO, Oxigraph, Virtuoso  # noqa: E402

from kg import EndpointStore, classification_csv, classify_patents, explain_patent  # noqa: E402

# the SPARQL dialects: the baseline forms the benchmark sends (tests/test_public_api.py)
from kg.engines.dialect import STANDARD, Dialect  # noqa: E402

HVP = [sys.executable, "-m", "kg.cli"]


def hvp(target: list[str], *args: str) -> tuple[float, int, bytes]:
    env = dict(os.environ)
    if "virtuoso" in target:  # a marker, not an argument: the preset
        target = [t for t in target if t != "virtuoso"]
        env["HVP_ENDPOINT_ENGINE"] = "virtuoso"
    start = time.perf_counter()
    done = subprocess.run([*HVP, *target, *args], cwd=ROOT, capture_output=True, check=False,
                          env=env)
    return time.perf_counter() - start, done.returncode, done.stdout


def default_quads(nquads: bytes) -> set[ox.Quad]:
    return {q for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)
            if q.graph_name == ox.DefaultGraph()}


def timeless(stats: bytes) -> list[bytes]:
    """`hvp stats` without the dataset description's times."""
    return [line for line in stats.splitlines() if not line.startswith((b"created",
                                                                          b"modified"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patents", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="1,000 patents")
    parser.add_argument("--no-virtuoso", action="store_true")
    parser.add_argument("--no-oxigraph", action="store_true",
                        help="leave out oxigraph serve (the slowest to load at 50,000)")
    args = parser.parse_args()
    n = 1_000 if args.quick else args.patents
    with tempfile.TemporaryDirectory(prefix="hvp-bench-engines-") as tmp:
        run(Path(tmp), n, not args.no_virtuoso and bool(VIRTUOSO and ISQL),
            not args.no_oxigraph)


def run(work: Path, n: int, virtuoso: bool, oxigraph: bool = True) -> None:
    demo, store = work / "demo", work / "store"
    subprocess.run([*HVP, "demo", "--out", str(demo), "--patents", str(n), "-q"], cwd=ROOT,
                   check=True)
    load: dict[str, float] = {}
    targets: dict[str, list[str]] = {"embedded": ["--store", str(store)]}
    engines: list[Oxigraph | Virtuoso] = []
    oxi = None
    try:
        if oxigraph:
            oxi = Oxigraph(work / "oxigraph")
            engines.append(oxi)
            targets["oxigraph serve"] = ["--endpoint", oxi.url]
        if virtuoso:
            (work / "virtuoso").mkdir()
            virt = Virtuoso(work / "virtuoso", configured=True)
            engines.append(virt)
            targets["virtuoso"] = ["--endpoint", virt.url, "virtuoso"]
        for name, target in targets.items():
            seconds, code, _ = hvp(target, "ingest", "-q", str(demo))
            assert code == 0, f"ingest into {name} failed"
            load[name] = seconds
        for target in targets.values():  # every store holds the same graphs when measured
            hvp(target, "classify", "--as-of", "2024-12-31")
        first = hvp(targets["embedded"], "classify", "--as-of", "2024-12-31")[2].decode()
        patent = next(line.split(",")[0] for line in first.splitlines()[1:]
                      if ",true,true," in line)
        commands = {"doctor": ["doctor"], "stats": ["stats"],
                    "classify": ["classify", "--as-of", "2024-12-31"],
                    "indicators": ["indicators", "--year", "2024"],
                    "explain": ["explain", patent, "--as-of", "2024-12-31", "--format", "json"],
                    "validate": ["validate", "-q"],
                    "export": ["export", "--format", "nq"]}
        report(n, load, commands, targets)
        if oxi:
            binding(oxi, patent)
        if virtuoso:
            standard(virt, first)
    finally:
        for engine in engines:
            engine.stop()


def report(n: int, load: dict[str, float], commands: dict[str, list[str]],
           targets: dict[str, list[str]]) -> None:
    print(f"{n:,} demo patents; load: " + ", ".join(f"{k} {v:.2f} s" for k, v in load.items()))
    print(f"{'command':<12}" + "".join(f"{t:>34}" for t in targets))
    for name, argv in commands.items():
        cells, base_time, base_out = [], 0.0, b""
        for target, option in targets.items():
            seconds, code, out = hvp(option, *argv)
            if target == "embedded":
                base_time, base_out = (0.0, b"") if name == "doctor" else (seconds, out)
                cells.append("-" if name == "doctor" else f"{seconds:.2f} s (exit {code})")
                continue
            if name == "doctor":
                verdict = "all pass" if code == 0 else "some fail"
            elif name == "export" and code == 0:
                verdict = "same" if default_quads(out) == default_quads(base_out) else "differs"
            elif name == "stats" and code == 0:  # but the dataset's times (each store's own)
                verdict = "same" if timeless(out) == timeless(base_out) else "differs"
            else:
                verdict = "refused" if code == 2 else ("same" if out == base_out else
                                                       f"exit {code}, differs")
            ratio = f"{seconds / base_time:.1f}x" if base_time else ""
            cells.append(f"{seconds:.2f} s {ratio} {verdict}")
        print(f"{name:<12}" + "".join(f"{c:>34}" for c in cells))


def binding(oxi: Oxigraph, patent: str) -> None:
    """`explain` on oxigraph serve (Python API, no probes) with its parameters first in the
    WHERE group, against a trailing VALUES clause (the baseline)."""
    class Trailing(Dialect):
        def bind(self, query: str, bindings: dict | None) -> str:  # type: ignore[override]
            if not bindings:
                return query
            names = " ".join(f"?{k}" for k in bindings)
            return f"{query}\nVALUES ({names}) {{ ({' '.join(map(str, bindings.values()))}) }}"

    as_of, times = date(2024, 12, 31), {}
    for name, dialect in (("trailing VALUES", Trailing()), ("VALUES inside WHERE", STANDARD)):
        remote = EndpointStore(oxi.url, dialect=dialect)
        start = time.perf_counter()
        answer = explain_patent(remote, patent, as_of).to_dict()
        times[name] = time.perf_counter() - start
    base = times["trailing VALUES"]
    print("explain on oxigraph serve: " + ", ".join(
        f"{k} {v:.2f} s ({v / base:.2f}x)" for k, v in times.items())
        + f"; {len(answer)} parts")


def standard(virt: Virtuoso, embedded_csv: str) -> None:
    """Virtuoso's classification in the standard dialect (date literals), no probes, last (it
    replaces the classification graph): its time, and how many rows are wrong."""
    remote = EndpointStore(virt.url, engine="virtuoso", dialect=STANDARD)
    start = time.perf_counter()
    there = classify_patents(remote, date(2024, 12, 31))
    seconds = time.perf_counter() - start
    mine = classification_csv(there.rows).splitlines()
    wrong = sum(1 for a, b in zip(embedded_csv.splitlines(), mine, strict=False) if a != b)
    print(f"virtuoso classify in the standard dialect (date literals, no probes): "
          f"{seconds:.2f} s, {wrong:,} of {len(there.rows):,} rows differ from the embedded "
          "store's")


if __name__ == "__main__":
    main()
