"""Benchmark: the web app's /sparql (``hvp serve``: granian + worker processes) against
``oxigraph serve``.

Same data (the demo generator, ingested into an on-disk store; the engine serves a copy of it
read-only), same queries, same client: N clients with keep-alive connections, for D seconds per
(query, server), cut into interleaved slices (engine, app, engine, app, ...) so that every server
meets the same moments of a shared machine: on a 2-core VM the engine's p50 alone moves between
0.4 and 1.0 ms from one minute to the next. Reports requests/s, p50 and p95 latency over all
slices, the range of the slices' p50s, and the ratio p50(web) / p50(engine).
For point lookups it also measures the floor of a Python web layer: a bare WSGI app answering a
fixed result without running a query (bench/bare_wsgi.py), on granian (what ``hvp serve`` uses)
and on waitress (``hvp serve --server waitress``); the app itself on waitress; and the app with
``HVP_WORKERS=0`` (queries in the app's process: no worker hop, and no hard time limit), which
prices the hop.

The clients are threads of this process by default. They share one GIL, and at about 130 us of
Python per request they cap the engine near 7,000 requests/s on a 2-core VM: the latency they
see is mostly their own queueing, the same for every server. ``--clients processes`` runs each
client in its own process, so that the servers, not the client, are what saturates the
machine; ``--threads 1`` measures one request at a time (the latency added, with no load).

    .venv/bin/python bench/web.py                       # 20 s per server in 5 slices, 8 threads
    .venv/bin/python bench/web.py --clients processes   # 8 client processes
    .venv/bin/python bench/web.py --quick               # 3 s per server
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from kg import LocalStore, ensure_reference, generate_demo, ingest_files

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BASE = "https://w3id.org/hvp/"
AGGREGATE = """PREFIX hvp: <https://w3id.org/hvp/def#>
SELECT ?region (COUNT(?p) AS ?n) WHERE {
  ?p a hvp:InventionPatent ; hvp:firstOwner/hvp:region ?region } GROUP BY ?region"""
POINT = "SELECT ?p ?o WHERE { <%s> ?p ?o }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def prepare(work: Path, patents: int) -> tuple[Path, list[str]]:
    data, store_dir = work / "demo", work / "store"
    generate_demo(data, patents=patents)
    store = LocalStore(store_dir)
    ensure_reference(store, BASE)
    ingest_files(store, [data], base=BASE)
    store.optimize()
    store.flush()
    ids = [row["p"].value for row in store.select(
        "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> }")]
    del store
    return store_dir, ids


@dataclass
class Runs:
    """The latencies of one server over all its slices."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    slice_p50s: list[float] = field(default_factory=list)

    def add(self, latencies: list[float], seconds: float, errors: int) -> None:
        self.latencies += latencies
        self.seconds += seconds
        self.errors += errors
        self.slice_p50s.append(statistics.median(latencies) * 1000 if latencies else 0.0)

    def p(self, q: float) -> float:
        flat = sorted(self.latencies)
        return flat[min(len(flat) - 1, int(len(flat) * q))] * 1000 if flat else 0.0


def _client(port: int, path: str, queries: list[str], seconds: float, seed: int
            ) -> tuple[list[float], int]:
    """One client: its latencies and errors, requests on one keep-alive connection."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept": "application/sparql-results+json"}
    latencies, errors = [], 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        url = path + "?" + urlencode({"query": rng.choice(queries)}, quote_via=quote)
        start = time.perf_counter()
        try:
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies.append(time.perf_counter() - start)
        errors += not ok
    return latencies, errors


class Clients:
    """``count`` concurrent clients: threads of this process, or processes of their own."""

    def __init__(self, count: int, processes: bool) -> None:
        self.count = count
        self.pool = multiprocessing.get_context("spawn").Pool(count) if processes else None

    def load(self, port: int, path: str, queries: list[str], seconds: float
             ) -> tuple[list[float], float, int]:
        """The latencies, elapsed seconds and errors of the clients for ``seconds``."""
        jobs = [(port, path, queries, seconds, i) for i in range(self.count)]
        began = time.monotonic()
        if self.pool is not None:
            results = self.pool.starmap(_client, jobs)
        else:
            results = [([], 0)] * self.count

            def run(i: int) -> None:
                results[i] = _client(*jobs[i])

            threads = [threading.Thread(target=run, args=(i,)) for i in range(self.count)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        elapsed = time.monotonic() - began
        return [x for xs, _ in results for x in xs], elapsed, sum(e for _, e in results)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="load time of each server (per query)")
    parser.add_argument("--slices", type=int, default=5,
                        help="interleaved slices the seconds are cut into")
    parser.add_argument("--quick", action="store_true", help="3 s per server")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients")
    parser.add_argument("--clients", choices=("threads", "processes"), default="threads",
                        help="clients as threads of one process (default) or processes")
    parser.add_argument("--patents", type=int, default=20_000, help="demo size")
    parser.add_argument("--workers", type=int, default=2, help="query worker processes")
    parser.add_argument("--serve-threads", type=int, default=4,
                        help="request threads of `hvp serve` (its --threads)")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    work = Path(tempfile.mkdtemp(prefix="hvp-bench-web-"))
    procs: list[subprocess.Popen[bytes]] = []
    clients = Clients(args.threads, args.clients == "processes")
    try:
        t0 = time.monotonic()
        store_dir, ids = prepare(work, args.patents)
        engine_dir, waitress_dir = work / "engine", work / "waitress"
        in_process_dir = work / "in-process"
        for copy in (engine_dir, waitress_dir, in_process_dir):  # one app per store: each
            shutil.copytree(store_dir, copy)                      # opens it read-write
        print(f"data: {args.patents:,} demo patents, {len(ids):,} invention patents "
              f"({time.monotonic() - t0:.1f} s to prepare)")
        web_port, engine_port = free_port(), free_port()
        env = {**os.environ, "HVP_WORKERS": str(args.workers)}
        procs.append(subprocess.Popen(
            [str(BIN / "hvp"), "--store", str(store_dir), "serve", "--port", str(web_port),
             "--threads", str(args.serve_threads)],
            env=env, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [str(BIN / "oxigraph"), "serve-read-only", "--location", str(engine_dir),
             "--bind", f"127.0.0.1:{engine_port}"], stderr=subprocess.DEVNULL))
        in_process_port = free_port()  # workers = 0: queries in the app, no hard time limit
        procs.append(subprocess.Popen(
            [str(BIN / "hvp"), "--store", str(in_process_dir), "serve", "--port",
             str(in_process_port), "--threads", str(args.serve_threads)],
            env={**env, "HVP_WORKERS": "0"}, stderr=subprocess.DEVNULL))
        waitress_port = free_port()
        procs.append(subprocess.Popen(
            [str(BIN / "hvp"), "--store", str(waitress_dir), "serve", "--port", str(waitress_port),
             "--server", "waitress"], env=env, stderr=subprocess.DEVNULL))
        bare_port, bare_granian_port = free_port(), free_port()
        procs.append(subprocess.Popen(
            [str(BIN / "waitress-serve"), f"--listen=127.0.0.1:{bare_port}",
             f"--threads={args.threads}", "bare_wsgi:app"], cwd=Path(__file__).parent,
            stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port",
             str(bare_granian_port), "--blocking-threads", str(args.threads), "--log-level",
             "error", "bare_wsgi:app"], cwd=Path(__file__).parent, stderr=subprocess.DEVNULL))
        wait_up(web_port, "/healthz")
        wait_up(waitress_port, "/healthz")
        wait_up(in_process_port, "/healthz")
        wait_up(bare_port, "/")
        wait_up(bare_granian_port, "/")
        wait_up(engine_port, "/query?query=" + quote("ASK {}"))
        scenarios = {"point lookup": [POINT % i for i in ids[:2000]], "aggregate": [AGGREGATE]}
        print(f"{args.threads} client {args.clients}, {seconds:g} s per server in {args.slices} "
              f"interleaved slices, {args.workers} query workers\n")
        print("| query | server | requests/s | p50 ms | p95 ms | errors | p50 of slices ms "
              "| p50 / engine |")
        print("|---|---|---:|---:|---:|---:|---|---:|")
        for name, queries in scenarios.items():
            servers = {"hvp serve /sparql (granian)": (web_port, "/sparql"),
                       "oxigraph serve": (engine_port, "/query")}
            if name == "point lookup":
                servers |= {"HVP_WORKERS=0 hvp serve /sparql (no hard time limit)":
                            (in_process_port, "/sparql"),
                            "hvp serve --server waitress /sparql": (waitress_port, "/sparql"),
                            "floor: bare WSGI on granian, no query": (bare_granian_port, "/"),
                            "floor: bare WSGI on waitress, no query": (bare_port, "/")}
            runs = {label: Runs() for label in servers}
            for port, path in servers.values():
                clients.load(port, path, queries, 1.0)  # warm up
            for _ in range(args.slices):  # the same moments of the machine for every server
                for label, (port, path) in servers.items():
                    runs[label].add(*clients.load(port, path, queries,
                                                  seconds / args.slices))
            engine = runs["oxigraph serve"]
            for label, r in runs.items():
                slices = [w / e for w, e in zip(r.slice_p50s, engine.slice_p50s, strict=True)]
                ratio = f"{r.p(0.5) / engine.p(0.5):.2f}x (slices {min(slices):.2f}-" \
                    f"{max(slices):.2f})" if r is not engine else ""
                spread = f"{min(r.slice_p50s):.2f}-{max(r.slice_p50s):.2f}"
                print(f"| {name} | {label} | {len(r.latencies) / r.seconds:,.0f} "
                      f"| {r.p(0.5):.2f} | {r.p(0.95):.2f} | {r.errors} | {spread} | {ratio} |")
    finally:
        clients.close()
        for p in procs:
            p.terminate()
            p.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
