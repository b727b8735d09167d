"""Load benchmark: ``hvp serve`` under a mixed load with runaway queries (issue 13).

A demo store (``kg.demo``, 20,000 patents by default) ingested on disk and served by ``hvp serve``
(granian, query workers, defaults but the time limit) on 127.0.0.1. 16 client threads with
keep-alive connections send, for ``--seconds`` (60), a mix: point lookups on ``/sparql``,
``/healthz``, patent pages, canned queries, the dashboard, and 1 request in 20 a runaway query
(a cartesian product that never ends within the limit). It stops by itself and prints, against
the goals:

- 5xx answers other than the intended 503s (``Service busy`` from admission control, ``Being
  computed`` from a queued computation, and the runaways cut at the time limit): goal 0;
- p99 of lookups and of ``/healthz``, over the run and in its worst 10 s window: goal < 100 ms;
- runaway queries: cut at the limit (503 within the limit + 1.5 s), refused at once (busy), or
  anything else (a runaway answered 200, or cut late): goal, every admitted one cut;
- RSS of the server (the app's process; and with ``hvp serve`` and the query workers) after a
  warm-up and ``--settle`` (20) seconds of the same mix, unmeasured (the store's block cache and
  the allocator's arenas fill with what the mix reads), and at the end: goal, growth < 10%; the
  app's RSS is also sampled every 5 s and its growth over the run's second half printed.

    .venv/bin/python bench/load.py                 # 60 s, 16 clients, 20,000 demo patents
    .venv/bin/python bench/load.py --quick         # 10 s, 2,000 demo patents

Each run is made twice, on stores prepared alike: first the baseline (pages rendered in the
app's process, 4 request threads), then the server as ``hvp serve`` starts it (page workers,
32 threads); ``--no-baseline`` skips the first. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.web import free_port, wait_up  # noqa: E402

HVP = Path(sys.executable).parent / "hvp"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CANNED = ["/queries/criteria-count?format=json", "/queries/top-owners?format=csv",
          "/queries/per10k-by-region?year=2023&format=json", "/queries/criteria-count"]
#: (kind, weight out of 20)
MIX = [("lookup", 9), ("healthz", 2), ("patent", 3), ("canned", 2), ("dashboard", 3),
       ("runaway", 1)]
WINDOW = 10.0
#: Seconds between two samples of the app's RSS during a run.
SAMPLE = 5.0


def prepare(work: Path, patents: int) -> tuple[Path, list[str]]:
    """A demo store made as ``make run`` makes it (``hvp demo``, ``hvp ingest``: the
    generations layout, where canned queries' answers and indicators are kept), and the IRIs of
    its invention patents."""
    import pyoxigraph as ox

    data, store = work / "demo", work / "store"
    subprocess.run([str(HVP), "demo", "-q", "--out", str(data), "--patents", str(patents)],
                   check=True, stderr=subprocess.DEVNULL)
    subprocess.run([str(HVP), "--store", str(store), "ingest", "-q", str(data)], check=True)
    oxigraph = ox.Store.read_only(str(store))
    ids = [row[0].value for row in oxigraph.query(  # type: ignore[index, union-attr]
        "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> }")]
    del oxigraph
    return store, ids


def _path(kind: str, rng: random.Random, ids: list[str]) -> str:
    patent = rng.choice(ids)
    if kind == "lookup":
        return "/sparql?query=" + quote(f"SELECT ?p ?o WHERE {{ <{patent}> ?p ?o }}")
    if kind == "healthz":
        return "/healthz"
    if kind == "patent":
        return "/patent/" + patent.rsplit("/", 1)[1]
    if kind == "canned":
        return rng.choice(CANNED)
    if kind == "dashboard":
        return "/indicators"
    return "/sparql?query=" + quote(RUNAWAY)


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[tuple[float, float]]] = defaultdict(list)  # (t, s)
        self.status: dict[str, Counter[str]] = defaultdict(Counter)
        self.runaway = Counter[str]()
        self.samples: list[tuple[float, int]] = []  # (t, app's RSS)

    def add(self, kind: str, at: float, seconds: float, status: int, title: str) -> None:
        with self.lock:
            self.latency[kind].append((at, seconds))
            self.status[kind][f"{status} {title}".strip()] += 1


def _client(port: int, ids: list[str], end: float, seed: int, limit: float,
            results: Results, start: float) -> None:
    rng = random.Random(seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=limit + 30)
    while time.monotonic() < end:
        kind = rng.choice(kinds)
        accept = "text/html" if kind in ("patent", "dashboard") else "application/json"
        began = time.monotonic()
        try:
            conn.request("GET", _path(kind, rng, ids), headers={"Accept": accept})
            response = conn.getresponse()
            body = response.read()
            status = response.status
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=limit + 30)
            results.add(kind, began - start, time.monotonic() - began, 0, "connection error")
            continue
        took = time.monotonic() - began
        title = ""
        if status == 503 and response.getheader("Refresh"):
            title = "Being computed"  # a queued computation (web.computations)
        elif status == 503 and response.getheader("Retry-After"):
            title = "Service busy"  # admission control (a page gets it as HTML)
        elif status >= 500:
            try:
                title = json.loads(body).get("title", "")
            except ValueError:
                title = "(not problem+json)"
        results.add(kind, began - start, took, status, title)
        if kind == "runaway":
            with results.lock:
                if status == 503 and title == "Query time limit exceeded":
                    results.runaway["cut at the limit" if took <= limit + 1.5 else "cut late"] += 1
                elif status == 503 and title == "Service busy":
                    results.runaway["refused at once (busy)"] += 1
                else:
                    results.runaway[f"other: {status} {title}".strip()] += 1


def _load(port: int, ids: list[str], args: argparse.Namespace, seconds: float,
          results: Results, seed: int = 0) -> None:
    """``args.clients`` client threads sending the mix for ``seconds``."""
    start = time.monotonic()
    end = start + seconds
    threads = [threading.Thread(target=_client, args=(port, ids, end, seed + i, args.timeout,
                                                      results, start))
               for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + args.timeout + 60)


def _sample(pid: int, samples: list[tuple[float, int]], done: threading.Event) -> None:
    """The app's RSS every :data:`SAMPLE` seconds until ``done``."""
    start = time.monotonic()
    while not done.wait(SAMPLE):
        samples.append((time.monotonic() - start, _rss(pid)[0]))


def _rss(pid: int) -> tuple[int, int]:
    """RSS of the app's process (granian's worker, which holds the store and the caches) and
    of the whole server (with ``hvp serve`` and the query workers, which are replaced when
    killed at the time limit)."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
        # hvp serve's child is granian's worker; the query workers are its children
        app = max(root.children(), key=lambda p: p.memory_info().rss, default=root)
        return app.memory_info().rss, sum(p.memory_info().rss for p in family)
    except psutil.Error:
        return 0, 0


def _p99(values: list[float]) -> float:
    flat = sorted(values)
    return flat[min(len(flat) - 1, int(len(flat) * 0.99))] * 1000 if flat else 0.0


def _warm(port: int, ids: list[str]) -> None:
    """What the first visitors would compute (the dashboard's years, the pages' date, the
    canned queries' graphs), so that the run measures serving, not the first computation."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for path in ["/indicators", "/patent/" + ids[0].rsplit("/", 1)[1], *CANNED]:
        for _ in range(100):  # another warm-up request may hold the computing gate
            conn.request("GET", path, headers={"Accept": "text/html"})
            response = conn.getresponse()
            response.read()
            if response.status != 503:
                break
            time.sleep(1)
    conn.close()


#: The configurations run, in order: the baseline (pages rendered in the app's process, 4
#: request threads: the server before web.renderer) and the server as ``hvp serve`` starts it.
CONFIGS = {"baseline: pages in the app's process, 4 threads": ({"HVP_PAGE_WORKERS": "0"}, 4),
           "as served: page workers (page_workers 2), 32 threads": ({}, None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument("--quick", action="store_true", help="10 s on 2,000 demo patents")
    parser.add_argument("--clients", type=int, default=16, help="client threads")
    parser.add_argument("--patents", type=int, default=20_000, help="demo size")
    parser.add_argument("--serve-threads", type=int, default=32,
                        help="request threads of hvp serve (--threads) as served")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="the server's query time limit, in seconds")
    parser.add_argument("--settle", type=float, default=20.0,
                        help="seconds of the same mix after the warm-up, not measured (the "
                        "store's caches fill), before the run is measured")
    parser.add_argument("--no-baseline", action="store_true",
                        help="only the server as served, not the baseline before it")
    args = parser.parse_args()
    seconds = 10.0 if args.quick else args.seconds
    args.settle = min(args.settle, 5.0) if args.quick else args.settle
    patents = 2_000 if args.quick else args.patents
    configs = list(CONFIGS.items())[1:] if args.no_baseline else list(CONFIGS.items())
    print(f"load average before: {_load_average()}")
    for name, (env, threads) in configs:
        print(f"\n== {name}")
        _run(args, seconds, patents, env, threads or args.serve_threads)
    print(f"\nload average after: {_load_average()}")


def _load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


def _run(args: argparse.Namespace, seconds: float, patents: int, extra: dict[str, str],
         serve_threads: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="hvp-bench-load-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        t0 = time.monotonic()
        store_dir, ids = prepare(work, patents)
        print(f"data: {patents:,} demo patents ({time.monotonic() - t0:.1f} s to prepare)")
        port = free_port()
        env = {**os.environ, "HVP_TIMEOUT": str(args.timeout), **extra}
        proc = subprocess.Popen([str(HVP), "--store", str(store_dir), "serve", "--port",
                                 str(port), "--threads", str(serve_threads)], env=env,
                                stderr=subprocess.DEVNULL)
        wait_up(port, "/healthz")
        t1 = time.monotonic()
        _warm(port, ids)
        print(f"warm-up (dashboard, pages, canned queries computed): "
              f"{time.monotonic() - t1:.1f} s")
        if args.settle > 0:  # the mix itself, unmeasured: the engine's caches fill
            _load(port, ids, args, args.settle, Results(), seed=1000)
            print(f"settled: {args.settle:g} s of the same mix, not measured")
        rss_before = _rss(proc.pid)
        results = Results()
        samples: list[tuple[float, int]] = []
        done = threading.Event()
        sampler = threading.Thread(target=_sample, args=(proc.pid, samples, done))
        sampler.start()
        _load(port, ids, args, seconds, results)
        done.set()
        sampler.join()
        rss_after = _rss(proc.pid)
        results.samples = samples
        print(f"load average at the end of the run: {_load_average()}")
        _report(results, seconds, args, rss_before, rss_after)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)


def _report(results: Results, seconds: float, args: argparse.Namespace,
            rss_before: tuple[int, int], rss_after: tuple[int, int]) -> None:
    total = sum(sum(c.values()) for c in results.status.values())
    print(f"load: {args.clients} clients for {seconds:g} s, {total:,} requests "
          f"({total / seconds:,.0f}/s), time limit {args.timeout:g} s")
    print(f"{'kind':<10} {'count':>7} {'p50 ms':>8} {'p99 ms':>8}  answers")
    for kind, _ in MIX:
        lat = [s for _, s in results.latency[kind]]
        p50 = sorted(lat)[len(lat) // 2] * 1000 if lat else 0.0
        answers = ", ".join(f"{k} x{v}" for k, v in results.status[kind].most_common())
        print(f"{kind:<10} {len(lat):>7,} {p50:>8.1f} {_p99(lat):>8.1f}  {answers}")
    unintended = sum(v for kind, c in results.status.items() for k, v in c.items()
                     if (k.startswith("5") or k.startswith("0"))
                     and not (k in ("503 Service busy", "503 Being computed")
                              and kind not in ("lookup", "healthz"))
                     and not (k == "503 Query time limit exceeded" and kind == "runaway"))
    print(f"5xx (and connection errors) other than intended 503s: {unintended} (goal 0)")
    for kind in ("lookup", "healthz"):
        points = results.latency[kind]
        windows = defaultdict(list)
        for at, s in points:
            windows[int(at // WINDOW)].append(s)
        worst = max((_p99(w) for w in windows.values()), default=0.0)
        print(f"p99 {kind}: {_p99([s for _, s in points]):.1f} ms over the run, "
              f"{worst:.1f} ms in the worst {WINDOW:g} s window (goal < 100 ms)")
    runaways = ", ".join(f"{k} x{v}" for k, v in results.runaway.most_common())
    print(f"runaway queries: {runaways} (goal: every admitted one cut at the limit)")
    for what, before, after in (("the app's process", rss_before[0], rss_after[0]),
                                ("all the server's processes", rss_before[1], rss_after[1])):
        growth = (after - before) / before * 100 if before else 0.0
        print(f"RSS of {what}: {before / 1e6:.0f} MB after warm-up, {after / 1e6:.0f} MB at "
              f"the end: {growth:+.1f}% (goal < 10%)")
    if results.samples:
        half = [r for t, r in results.samples if t >= seconds / 2]
        trace = " ".join(f"{r / 1e6:.0f}" for _, r in results.samples)
        growth = (half[-1] - half[0]) / half[0] * 100 if len(half) > 1 and half[0] else 0.0
        print(f"RSS of the app's process every {SAMPLE:g} s (MB): {trace}; over the run's "
              f"second half {growth:+.1f}%")


if __name__ == "__main__":
    main()
