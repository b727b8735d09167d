"""Admission control: a burst of expensive requests gets 503 + Retry-After; cheap ones are
served meanwhile; pages classify only at bounded dates (web.admission, web.limits)."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import pytest

from kg.errors import Busy
from web.admission import Gate

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PATENT = "https://w3id.org/hvp/patent/CN-T01"


def test_a_gate_admits_its_slots_and_refuses_one_more():
    gate = Gate("queries", 2)
    with gate.enter(), gate.enter():
        with pytest.raises(Busy) as refused, gate.enter():
            pass
        assert refused.value.retry_after == 2
    with gate.enter():  # released
        pass


def test_a_gate_says_whether_a_slot_was_free_without_refusing():
    gate = Gate("computations", 1)
    with gate.held() as first:
        with gate.held() as second:
            assert (first, second) == (True, False)
        with pytest.raises(Busy), gate.enter():
            pass
    with gate.held() as again:  # released; a refused hold released nothing
        assert again
        with pytest.raises(Busy), gate.enter():
            pass


def test_a_page_that_computes_is_queued_at_once_while_another_waits(app):
    """While one request waits for a computation (the computing gate is held), a canned query
    and a patent page at a date never classified answer 503 Being computed with Retry-After at
    once, their computations queued (decision 82: on an in-memory store a computation never
    runs in a request thread); a patent page at a stored date, a lookup and /healthz answer;
    the queued answers are served once the gate is free."""
    client = app.test_client()
    assert client.get("/patent/CN-T01?as_of=2024-12-31").status_code == 200  # now stored
    with app.extensions["hvp"].computing.enter():
        for path in ("/queries/criteria-count", "/patent/CN-T01?as_of=2022-06-30",
                     "/indicators"):
            began = time.monotonic()
            answer = client.get(path)
            assert time.monotonic() - began < 5, path  # not after the computation
            assert answer.status_code == 503, path
            assert int(answer.headers["Retry-After"]) >= 1
            assert answer.mimetype == "application/problem+json"
            assert answer.get_json()["title"] == "Being computed"
        assert client.get("/patent/CN-T01?as_of=2024-12-31").status_code == 200
        assert client.get("/healthz").status_code == 200
        lookup = client.get("/sparql?query=" + quote(f"ASK {{ <{PATENT}> ?p ?o }}"))
        assert lookup.status_code == 200
    assert client.get("/queries/criteria-count?format=json").status_code == 200
    assert client.get("/patent/CN-T01?as_of=2022-06-30").status_code == 200


@pytest.mark.parametrize("as_of", ["1900-12-31", "2199-12-31"])
def test_pages_classify_only_at_bounded_dates(app, as_of):
    answer = app.test_client().get(f"/patent/CN-T01?as_of={as_of}")
    assert answer.status_code == 400
    assert "outside 1985-01-01" in answer.get_json()["detail"]
    store = app.extensions["hvp"].store()
    assert not [g for g in store.oxigraph.named_graphs() if as_of in g.value]


def test_a_burst_of_runaways_is_refused_and_lookups_answer(disk_app):
    """Two workers at runaway queries: a third query is 503 at once (not after the time
    limit), and lookups and /healthz answer in well under a second meanwhile."""
    done: list[int] = []

    def runaway() -> None:
        done.append(disk_app.test_client().get("/sparql?query=" + quote(RUNAWAY)).status_code)

    threads = [threading.Thread(target=runaway) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    client = disk_app.test_client()
    started = time.monotonic()
    third = client.get("/sparql?query=" + quote("ASK { ?s ?p ?o }"))
    assert third.status_code == 503 and third.headers["Retry-After"] == "2"
    assert client.get("/healthz").status_code == 200
    assert client.get("/sparql?query=" + quote(f"ASK {{ <{PATENT}> ?p ?o }}")).status_code == 200
    assert time.monotonic() - started < 1.0
    for t in threads:
        t.join(15)
    assert done == [503, 503]  # cut at the 5 s limit
