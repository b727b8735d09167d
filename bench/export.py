"""Benchmark: `hvp export` streams: its memory stays flat as the dataset grows.

    python bench/export.py [--patents N]

Builds on-disk stores of N and 4N demo patents (default N = 5,000; `hvp ingest`), and an
`oxigraph serve` filled with the 4N data (`hvp ingest --endpoint`). For each, runs as a child
process `hvp stats` (the baseline: the program and the store opened, measured first) and
`hvp export --format nq --output FILE`, and prints each one's peak resident memory (the child's
``ru_maxrss``), the export's size, and the export's memory beyond the baseline's against the
size it wrote. Held whole in memory, the export would need at least its own size beyond the
baseline; streamed, the excess stays about the same from N to 4N.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from engines import Oxigraph  # noqa: E402

HVP = [sys.executable, "-m", "kg.cli"]


def peak(argv: list[str]) -> float:
    """Peak RSS of a child process running ``argv``, in MB."""
    proc = subprocess.Popen([*HVP, *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"hvp {' '.join(argv)} exited {proc.returncode}")
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patents", type=int, default=5_000)
    n = parser.parse_args().patents
    with tempfile.TemporaryDirectory(prefix="hvp-bench-export-") as tmp:
        work = Path(tmp)
        targets: list[tuple[str, list[str]]] = []
        for size in (n, 4 * n):
            demo = work / f"demo-{size}"
            subprocess.run([*HVP, "demo", "--out", str(demo), "--patents", str(size), "-q"],
                           cwd=ROOT, check=True)
            store = work / f"store-{size}"
            subprocess.run([*HVP, "--store", str(store), "ingest", "-q", str(demo)], cwd=ROOT,
                           check=True)
            targets.append((f"on-disk store, {size:,} patents", ["--store", str(store)]))
        engine = Oxigraph(work / "oxigraph")
        try:
            subprocess.run([*HVP, "--endpoint", engine.url, "ingest", "-q",
                            str(work / f"demo-{4 * n}")], cwd=ROOT, check=True)
            targets.append((f"oxigraph serve, {4 * n:,} patents", ["--endpoint", engine.url]))
            print(f"{'store':<32}{'stats MB':>10}{'export MB':>11}{'written MB':>12}"
                  f"{'excess/written':>16}")
            for name, target in targets:
                base = peak([*target, "stats"])
                out = work / "out.nq"
                exported = peak([*target, "export", "--format", "nq", "--output", str(out)])
                written = out.stat().st_size / 2**20
                print(f"{name:<32}{base:>10.0f}{exported:>11.0f}{written:>12.0f}"
                      f"{(exported - base) / written:>16.2f}")
        finally:
            engine.stop()


if __name__ == "__main__":
    main()
