"""The time limit really stops the work: a runaway query's worker is killed and replaced."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import psutil
import pytest

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SMALL = "ASK { ?s ?p ?o }"


@pytest.fixture()
def limited_app(disk_store_dir):
    from web.app import create_app

    app = create_app({"store": str(disk_store_dir), "workers": 2, "timeout": 1.0})
    yield app
    app.extensions["hvp"].close()


def test_runaway_query_is_stopped_and_others_are_served(limited_app):
    pool = limited_app.extensions["hvp"].pool
    before = set(pool.pids())
    client = limited_app.test_client()
    result: dict[str, object] = {}

    def runaway() -> None:
        start = time.monotonic()
        result["response"] = client.get("/sparql?query=" + quote(RUNAWAY))
        result["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    # meanwhile, other requests are served
    other = limited_app.test_client()
    assert other.get("/healthz").status_code == 200
    small = other.get("/sparql?query=" + quote(SMALL))
    assert small.status_code == 200 and small.get_json()["boolean"] is True
    first = {p: sum(psutil.Process(p).cpu_times()[:2]) for p in before}
    time.sleep(0.3)
    used = {p: sum(psutil.Process(p).cpu_times()[:2]) - first[p] for p in before}
    busy = [max(used, key=used.__getitem__)]
    assert used[busy[0]] > 0.02, f"the runaway query should be using a worker's CPU: {used}"
    thread.join(10)
    response = result["response"]
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert response.mimetype == "application/problem+json"  # type: ignore[attr-defined]
    assert response.get_json()["detail"] == "query exceeded the 1 s time limit"  # type: ignore
    assert result["seconds"] < 2.0  # type: ignore[operator]
    for pid in busy:  # the worker that ran it is gone: it uses no CPU any more
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
    deadline = time.monotonic() + 10
    while len(pool.pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(pool.pids()) == 2 and set(pool.pids()) != before  # replaced
    assert client.get("/sparql?query=" + quote(SMALL)).status_code == 200


def test_workers_see_data_written_after_they_started(disk_app):
    import pyoxigraph as ox

    svc = disk_app.extensions["hvp"]
    client = disk_app.test_client()
    q = "ASK { <https://example.org/new> ?p ?o }"
    assert client.get("/sparql?query=" + quote(q)).get_json()["boolean"] is False
    svc.store().add([ox.Quad(ox.NamedNode("https://example.org/new"),
                             ox.NamedNode("https://example.org/p"), ox.Literal("x"))])
    svc.changed()
    for _ in range(2):  # each worker
        assert client.get("/sparql?query=" + quote(q)).get_json()["boolean"] is True


def test_in_memory_store_runs_in_process(app):
    assert app.extensions["hvp"].pool is None
