"""An in-memory store's computations (a classification at a new date, a canned query's answer,
the indicators) are queued for the app's computations' thread, one at a time, never run in a
request thread; that thread runs each in a child it forks, killed at ``write_timeout``
(decisions 82 and 89). A request waits for
one at most ``compute_wait`` seconds, then answers 503 ``Being computed`` with ``Retry-After``;
``/healthz`` and lookups answer while it computes; SIGTERM stops the server within seconds."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest
from werkzeug.serving import make_server

from tests.conftest import ServedApp, copy_of
from web.app import create_app

#: A canned query that runs for hours: a cartesian product over the reference data.
RUNAWAY = "#+ title: A runaway\nSELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?o . ?b ?q ?r . ?c ?s ?t }\n"
LOOKUP = "ASK { <https://w3id.org/hvp/region/CN-GD> ?p ?o }"


def _get(url: str, accept: str = "text/html", timeout: float = 30
         ) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, \
                response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _timed(url: str, accept: str = "text/html") -> tuple[float, int, bytes]:
    began = time.monotonic()
    status, _, body = _get(url, accept)
    return time.monotonic() - began, status, body


@pytest.fixture()
def served_memory(tmp_path: Path) -> Iterator[ServedApp]:
    """An in-memory store served by granian as `hvp serve` runs it, with a runaway canned
    query (an operator's: in memory nothing can stop it but the process's end)."""
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "runaway.rq").write_text(RUNAWAY)
    (queries / "another.rq").write_text(RUNAWAY.replace("?t }", "?t . ?d ?e ?f }"))
    served = ServedApp({"store": ":memory:", "compute_wait": 0.5, "queries_dir": str(queries)})
    yield served
    served.close()


@pytest.fixture()
def memory_server(small_store) -> Iterator[str]:
    """The app over an in-memory copy of the small store, served over HTTP on loopback by
    werkzeug's threaded server in this process; its URL."""
    app = create_app({"store": copy_of(small_store), "compute_wait": 0.0})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["hvp"].close()


def test_a_classification_at_a_new_date_is_queued_then_served(memory_server):
    """Regression: a patent page at a date not classified ran the classification of the whole
    in-memory store in its request thread. Now it is queued: 503 Being computed at once, with
    Retry-After; the page once it is done; the classification stored in the app's store."""
    page = f"{memory_server}/patent/CN-T01?as_of=2017-03-31"
    status, headers, body = _get(page)
    assert status == 503 and b"Being computed" in body, body[:500]
    assert int(headers["retry-after"]) >= 1 and "refresh" in headers
    deadline = time.monotonic() + 120
    while status == 503 and b"Being computed" in body:
        assert time.monotonic() < deadline, "still being computed after 120 s"
        time.sleep(0.2)
        status, headers, body = _get(page)
    assert status == 200, body[:500]
    graph = "https://w3id.org/hvp/graph/classification/cnipa-2021/2017-03-31"
    status, _, body = _get(f"{memory_server}/sparql?query="
                           + quote(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"),
                           "application/sparql-results+json")
    assert json.loads(body)["boolean"] is True


def test_a_canned_querys_answer_is_given_until_the_data_changes(memory_server):
    """An in-memory store keeps no answers on disk: the answer its computation made is given
    to every request after it, not computed again (each request would otherwise be queued)."""
    url = f"{memory_server}/queries/criteria-count?format=json"
    status, _, body = _get(url)
    deadline = time.monotonic() + 120
    while status == 503 and b"Being computed" in body and time.monotonic() < deadline:
        time.sleep(0.2)
        status, _, body = _get(url)
    assert status == 200, body[:500]
    for _ in range(3):
        again, _, same = _get(url)
        assert (again, same) == (200, body)


@pytest.mark.slow
def test_healthz_and_lookups_answer_while_an_in_memory_computation_runs(served_memory):
    """A canned query that never ends computes in the app's process: its request and the
    next ones are 503 Being computed within compute_wait (the computation goes on), another
    computation is queued behind it (503 at once), and /healthz and lookups answer in well
    under a second throughout."""
    url = served_memory.url
    took, status, body = _timed(f"{url}/queries/runaway")
    assert status == 503 and b"Being computed" in body, body[:500]
    assert took < 5, took
    took, status, body = _timed(f"{url}/queries/another", "application/json")
    assert status == 503 and json.loads(body)["title"] == "Being computed", body[:500]
    assert took < 2, took  # queued behind the runaway: no request waits for it
    slow = []
    ends = time.monotonic() + 6
    while time.monotonic() < ends:
        for path, accept in (("/healthz", "application/json"),
                             ("/sparql?query=" + quote(LOOKUP), "application/sparql-results+json")):
            took, status, body = _timed(url + path, accept)
            assert status == 200, (path, body[:300])
            slow.append(took)
        time.sleep(0.1)
    assert max(slow) < 1.0, sorted(slow)[-5:]
    took, status, body = _timed(f"{url}/queries/runaway", "application/json")
    assert status == 503 and json.loads(body)["title"] == "Being computed"  # still running
    assert took < 2, took  # waits only while no other request waits


@pytest.mark.slow
def test_sigterm_stops_the_server_while_an_in_memory_computation_runs(served_memory):
    """SIGTERM to the server while its app computes a runaway in memory: the server, its
    worker and the worker's computing child are gone within a few seconds (granian's kill
    timeout, as kg.cli.server.STOP_SECONDS)."""
    status, _, body = _get(f"{served_memory.url}/queries/runaway")
    assert status == 503 and b"Being computed" in body, body[:500]
    time.sleep(1.0)
    # granian's worker, and the child it forked that computes (web.forked)
    family = psutil.Process(served_memory.process.pid).children(recursive=True)
    assert len(family) >= 2, family
    # it is computing (a share of a CPU that a machine loaded 5 times over its cores still gives)
    assert max(p.cpu_percent(0.5) for p in family) > 5
    began = time.monotonic()
    served_memory.process.send_signal(signal.SIGTERM)
    served_memory.process.wait(20)
    stopped = time.monotonic() - began
    _, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, alive
    assert stopped < 8, f"the server took {stopped:.1f} s to stop"


#: The write limit of ``limited_memory``: a computation past it is killed.
LIMIT = 3.0
#: A canned query that ends at once.
COUNT = "#+ title: Quads\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n"


@pytest.fixture()
def limited_memory(tmp_path: Path) -> Iterator[ServedApp]:
    """``served_memory`` with a write limit of :data:`LIMIT` seconds."""
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "runaway.rq").write_text(RUNAWAY)
    (queries / "count.rq").write_text(COUNT)
    served = ServedApp({"store": ":memory:", "compute_wait": 0.5, "queries_dir": str(queries),
                        "write_timeout": LIMIT})
    yield served
    served.close()


def _until_done(url: str, accept: str, seconds: float) -> tuple[int, bytes]:
    """Ask ``url`` again while it answers 503 Being computed, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        status, _, body = _get(url, accept)
        if status != 503 or b"Being computed" not in body or time.monotonic() > deadline:
            return status, body
        time.sleep(0.2)


@pytest.mark.slow
def test_an_in_memory_computation_past_the_write_limit_is_cut_and_the_next_is_served(
        limited_memory):
    """Regression: an in-memory store's computation had no hard limit: a runaway canned query
    held the computations' thread for ever, and every later computation answered 503 Being
    computed for ever. Now it runs in a forked child killed at write_timeout: the page that
    asked gets 503 Limit exceeded naming the setting, the child is gone, /healthz answers
    throughout, and the next computation (a canned query over the data) is served."""
    url = limited_memory.url
    began = time.monotonic()
    status, body = _until_done(f"{url}/queries/runaway", "application/json", LIMIT + 30)
    took = time.monotonic() - began
    assert status == 503, body[:500]
    problem = json.loads(body)
    assert problem["title"] == "Limit exceeded" and "write_timeout" in problem["detail"], problem
    assert took < LIMIT + 20, took
    server = psutil.Process(limited_memory.process.pid)
    assert not [p for p in server.children(recursive=True)
                if p.status() != psutil.STATUS_ZOMBIE and p.cpu_percent(0.5) > 50], \
        "a child still computes"
    took, status, _ = _timed(f"{url}/healthz", "application/json")
    assert status == 200 and took < 1, took
    status, body = _until_done(f"{url}/queries/count?format=json", "application/json", 120)
    assert status == 200, body[:500]
    assert int(json.loads(body)["rows"][0]["n"]) > 100, body[:500]


def test_a_computation_is_served_by_a_process_holding_more_than_1024_descriptors(
        memory_server):
    """Regression: the app waited for its forked child with ``select.select``, which refuses a
    descriptor past 1,023 (FD_SETSIZE): in a busy process (many connections, stores, a long
    test run) every in-memory computation answered 500. It polls now."""
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        status, _, body = _get(f"{memory_server}/queries/criteria-count?format=json")
        deadline = time.monotonic() + 120
        while status == 503 and b"Being computed" in body and time.monotonic() < deadline:
            time.sleep(0.2)
            status, _, body = _get(f"{memory_server}/queries/criteria-count?format=json")
        assert status == 200, body[:500]
        assert json.loads(body)["rows"], body[:500]
    finally:
        for fd in held:
            os.close(fd)


def test_a_lock_held_by_another_thread_at_the_fork_is_free_in_the_child(small_store):
    """Regression: a module's lock that another thread of the app held at the moment of the
    fork stayed held in the child for ever (only the forking thread is copied): the child's
    classification waited on it until the write limit killed it, 503 Limit exceeded. Such
    locks (``kg.fork_safe``) are taken by the forking thread across the fork now."""
    from kg import collector

    app = create_app({"store": copy_of(small_store), "compute_wait": 0.0,
                      "write_timeout": 30.0})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    holding = threading.Event()

    def hold() -> None:
        with collector._lock:  # as a thread's classification does, a moment (3 s here)
            holding.set()
            time.sleep(3)

    try:
        threading.Thread(target=hold, daemon=True).start()
        holding.wait()
        url = f"http://127.0.0.1:{server.server_port}/patent/CN-T01?as_of=2018-06-30"
        status, _, body = _get(url)  # its computation forks while the lock is held
        assert status == 503 and b"Being computed" in body, body[:300]
        began = time.monotonic()
        while status == 503 and b"Being computed" in body:
            assert time.monotonic() - began < 25, "still being computed: the child waits"
            time.sleep(0.2)
            status, _, body = _get(url)
        assert status == 200, body[:500]
    finally:
        server.shutdown()
        app.extensions["hvp"].close()


def test_a_fork_the_system_refuses_answers_503_busy(memory_server, monkeypatch):
    """The system short of memory or processes refuses the computation's child (ENOMEM): the
    page answers 503 Service busy with Retry-After, naming the cause, and the next
    computation is served once it forks again."""
    import errno

    def refused() -> int:
        raise OSError(errno.ENOMEM, os.strerror(errno.ENOMEM))

    monkeypatch.setattr(os, "fork", refused)
    url = f"{memory_server}/queries/criteria-count?format=json"
    status, headers, body = _get(url, "application/json")
    deadline = time.monotonic() + 60
    while status == 503 and b"Being computed" in body and time.monotonic() < deadline:
        time.sleep(0.2)
        status, headers, body = _get(url, "application/json")
    problem = json.loads(body)
    assert status == 503 and problem["title"] == "Service busy", body[:500]
    assert "Cannot allocate memory" in problem["detail"] and int(headers["retry-after"]) >= 1
    monkeypatch.undo()
    status, body = _until_done(url, "application/json", 60)
    assert status == 200, body[:500]
