"""Benchmark: each remote command on each engine against the embedded on-disk store.

    python bench/engines.py [--patents N] [--quick] [--no-virtuoso]

Writes N demo patents (default 5,000; `--quick` 1,000), ingests them into an on-disk store
(the baseline, measured first), exports them as N-Quads and loads them into `oxigraph serve`
(Graph Store Protocol, one POST per graph) and into a Virtuoso configured as docs/engines.md
says (its bulk loader, `ld_dir`), each started on loopback in a temporary folder (the helpers
of tests/engines.py). Then runs `hvp doctor`, `stats`, `classify --as-of 2024-12-31`,
`indicators --year 2024` and `explain` through the `hvp` CLI on each engine, wall time per
command and its ratio to the embedded store's, and whether its standard output is identical.
A command an engine's probes refuse shows `refused`; for Virtuoso the classification is also
timed run anyway (the Python API, no probes) with whether its rows equal the embedded ones.
"""

from __future__ import annotations

import argparse
import io
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

# kg.endpoint itself: binding() swaps its with_values to measure the old form (an exception
# listed in tests/test_public_api.py).
import kg.endpoint  # noqa: E402
from kg import EndpointStore, LocalStore, classification_csv, classify_patents, explain_patent  # noqa: E402

HVP = [sys.executable, "-m", "kg.cli"]


def hvp(target: list[str], *args: str) -> tuple[float, int, bytes]:
    start = time.perf_counter()
    done = subprocess.run([*HVP, *target, *args], cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - start, done.returncode, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patents", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="1,000 patents")
    parser.add_argument("--no-virtuoso", action="store_true")
    args = parser.parse_args()
    n = 1_000 if args.quick else args.patents
    with tempfile.TemporaryDirectory(prefix="hvp-bench-engines-") as tmp:
        run(Path(tmp), n, not args.no_virtuoso and bool(VIRTUOSO and ISQL))


def run(work: Path, n: int, virtuoso: bool) -> None:
    demo, store = work / "demo", work / "store"
    subprocess.run([*HVP, "demo", "--out", str(demo), "--patents", str(n), "-q"], cwd=ROOT,
                   check=True)
    load: dict[str, float] = {}
    start = time.perf_counter()
    subprocess.run([*HVP, "--store", str(store), "ingest", "-q", str(demo)], cwd=ROOT,
                   check=True, capture_output=True)
    load["embedded"] = time.perf_counter() - start
    first = subprocess.run([*HVP, "--store", str(store), "classify", "--as-of", "2024-12-31"],
                           cwd=ROOT, check=True, capture_output=True).stdout.decode()
    local = LocalStore(store)  # exported with its classification graph: the same graphs
    buffer = io.BytesIO()
    local.dump(buffer, ox.RdfFormat.N_QUADS)
    local.close()
    nquads = buffer.getvalue()
    patent = next(line.split(",")[0] for line in first.splitlines()[1:] if ",true,true," in line)
    commands = {"doctor": ["doctor"], "stats": ["stats"],
                "classify": ["classify", "--as-of", "2024-12-31"],
                "indicators": ["indicators", "--year", "2024"],
                "explain": ["explain", patent, "--as-of", "2024-12-31", "--format", "json"]}
    targets: dict[str, list[str]] = {"embedded": ["--store", str(store)]}
    engines: list[Oxigraph | Virtuoso] = []
    try:
        oxi = Oxigraph(work / "oxigraph")
        engines.append(oxi)
        start = time.perf_counter()
        EndpointStore(oxi.url).load(nquads, ox.RdfFormat.N_QUADS)
        load["oxigraph serve"] = time.perf_counter() - start
        targets["oxigraph serve"] = ["--endpoint", oxi.url]
        if virtuoso:
            (work / "virtuoso").mkdir()
            virt = Virtuoso(work / "virtuoso", configured=True)
            engines.append(virt)
            start = time.perf_counter()
            virt.load_nquads(nquads, "urn:hvp:data")
            load["virtuoso"] = time.perf_counter() - start
            targets["virtuoso"] = ["--endpoint", virt.url, "--update-endpoint", virt.url,
                                   "--gsp-endpoint", virt.gsp]
        report(n, load, commands, targets)
        binding(oxi, patent)
        if virtuoso:
            anyway(virt, first)
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
            else:
                verdict = "refused" if code == 2 else ("same" if out == base_out else
                                                       f"exit {code}, differs")
            ratio = f"{seconds / base_time:.1f}x" if base_time else ""
            cells.append(f"{seconds:.2f} s {ratio} {verdict}")
        print(f"{name:<12}" + "".join(f"{c:>34}" for c in cells))


def binding(oxi: Oxigraph, patent: str) -> None:
    """`explain` on oxigraph serve (Python API, no probes) with its parameters first in the
    WHERE group, against the trailing VALUES clause used before (the baseline)."""
    def trailing(query: str, bindings: dict | None) -> str:
        if not bindings:
            return query
        names = " ".join(f"?{k}" for k in bindings)
        return f"{query}\nVALUES ({names}) {{ ({' '.join(map(str, bindings.values()))}) }}"

    remote, as_of, times = EndpointStore(oxi.url), date(2024, 12, 31), {}
    inside = kg.endpoint.with_values
    for name, bind in (("trailing VALUES", trailing), ("VALUES inside WHERE", inside)):
        kg.endpoint.with_values = bind  # type: ignore[assignment]
        start = time.perf_counter()
        answer = explain_patent(remote, patent, as_of).to_dict()
        times[name] = time.perf_counter() - start
    kg.endpoint.with_values = inside
    base = times["trailing VALUES"]
    print("explain on oxigraph serve: " + ", ".join(
        f"{k} {v:.2f} s ({v / base:.2f}x)" for k, v in times.items())
        + f"; {len(answer)} parts")


def anyway(virt: Virtuoso, embedded_csv: str) -> None:
    """Virtuoso's classification without the probes: its time, and how many rows are wrong."""
    remote = EndpointStore(virt.url, update=virt.url, graph_store=virt.gsp)
    start = time.perf_counter()
    there = classify_patents(remote, date(2024, 12, 31))
    seconds = time.perf_counter() - start
    wrong = sum(1 for a, b in zip(embedded_csv.splitlines(),
                                  classification_csv(there.rows).splitlines(), strict=False)
                if a != b)
    print(f"virtuoso classify run anyway (no probes): {seconds:.2f} s, "
          f"{wrong:,} of {len(there.rows):,} rows differ from the embedded store's")


if __name__ == "__main__":
    main()
