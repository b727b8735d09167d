"""The time limit really stops the work: a runaway query's worker is killed and replaced."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import psutil
import pytest

from tests.conftest import settled, waiting

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


#: Pages write derived graphs, all named (a query of the default graph is a lookup, answered in
#: the app's process: web.lookup).
DERIVED = "https://example.org/derived"
NEW = f"ASK {{ GRAPH <{DERIVED}> {{ <https://example.org/new> ?p ?o }} }}"


def _new_quads(n: int) -> list:
    import pyoxigraph as ox

    return [ox.Quad(ox.NamedNode("https://example.org/new"), ox.NamedNode("https://example.org/p"),
                    ox.Literal(i), ox.NamedNode(DERIVED)) for i in range(n)]


def _sees_new(client) -> list[bool]:
    """What each of the two workers answers (one query each: they take turns)."""
    return [client.get("/sparql?query=" + quote(NEW)).get_json()["boolean"] for _ in range(2)]


def test_workers_see_what_a_page_wrote_once_it_is_complete(disk_app):
    svc = disk_app.extensions["hvp"]
    client = disk_app.test_client()
    assert _sees_new(client) == [False, False]
    with svc.deriving() as store:
        store.add(_new_quads(1))
        store.flush()  # on disk: a worker opening the store now would see it
        assert _sees_new(client) == [False, False]  # not yet: the write is not complete
        store.add(_new_quads(2))
    assert _sees_new(client) == [True, True]


def test_a_page_ending_while_another_writes_does_not_show_half_a_write(disk_app):
    svc = disk_app.extensions["hvp"]
    client = disk_app.test_client()
    with svc.deriving() as writer:  # page A, at work
        page_b = svc.deriving()  # page B, which only reads, starts, and ends while A writes
        page_b.__enter__().select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        writer.add(_new_quads(1))
        writer.flush()
        page_b.__exit__(None, None, None)
        assert _sees_new(client) == [False, False]
        writer.add(_new_quads(2))
    assert _sees_new(client) == [True, True]


def test_a_page_that_writes_nothing_keeps_the_workers_view_and_the_statistics(disk_app):
    svc = disk_app.extensions["hvp"]
    generation = svc.pool.generation
    svc.cache["void"] = {"triples": 1}
    with svc.deriving() as store:
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert svc.pool.generation == generation and svc.cache == {"void": {"triples": 1}}
    with svc.deriving() as store:
        store.add(_new_quads(1))
    assert svc.pool.generation == generation + 1 and svc.cache == {}


def test_workers_see_a_classification_a_canned_query_computed(disk_app):
    client = disk_app.test_client()
    graph = "https://w3id.org/hvp/graph/classification/cnipa-2021/2019-12-31"
    ask = quote(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert client.get("/sparql?query=" + ask).get_json()["boolean"] is False
    assert client.get("/queries/criteria-count?date=2019-12-31",
                      headers={"Accept": "application/json"}).status_code == 200
    settled(disk_app)  # the app has opened the generation its writer made, told its workers
    for _ in range(2):
        assert client.get("/sparql?query=" + ask).get_json()["boolean"] is True


def test_in_memory_store_runs_in_process(app):
    assert app.extensions["hvp"].pool is None


def test_the_app_keeps_a_bounded_number_of_classifications_at_odd_dates(disk_store_dir):
    """A patent page computes a classification for any date a visitor asks: beyond
    ``kept_dates`` the oldest it computed at dates other than 31 December are dropped; the
    year-ends stay, and so do the graphs the store held before; a dropped date is computed
    again when asked."""
    from datetime import date

    from kg.classify import ensure
    from kg.store import LocalStore
    from web.app import create_app

    operator = LocalStore(disk_store_dir)  # what `hvp classify` stored before: never dropped
    ensure(operator, date(2019, 6, 30))
    ensure(operator, date(2019, 6, 30), profile="cnipa-2026-four")
    operator.flush()
    operator.close()  # released now, not when a reference cycle is collected
    app = waiting(create_app({"store": str(disk_store_dir), "workers": 1, "kept_dates": 2}))
    try:
        client = app.test_client()

        def dates() -> list[str]:  # the app's store: it opens each generation its writer makes
            store = app.extensions["hvp"].store()
            return sorted("/".join(g.value.rsplit("/", 2)[1:])
                          for g in store.oxigraph.named_graphs()
                          if "/graph/classification/" in g.value)

        kept = ["cnipa-2021/2019-06-30", "cnipa-2026-four/2019-06-30"]
        for day in ("2020-12-31", "2021-03-01", "2021-06-01", "2021-09-01"):
            assert client.get(f"/patent/CN-T01?as_of={day}").status_code == 200
        assert dates() == sorted([*kept, "cnipa-2021/2020-12-31", "cnipa-2021/2021-06-01",
                                  "cnipa-2021/2021-09-01"])
        page = client.get("/patent/CN-T01?as_of=2021-03-01")
        assert page.status_code == 200 and "2021-03-01" in page.get_data(as_text=True)
        assert dates() == sorted([*kept, "cnipa-2021/2020-12-31", "cnipa-2021/2021-03-01",
                                  "cnipa-2021/2021-09-01"])
    finally:
        app.extensions["hvp"].close()
