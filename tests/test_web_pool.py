"""The query workers' round trip: what a worker answers is what the engine answers in-process,
byte for byte, whatever its size; the wire format survives any split of its bytes."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.errors import QueryError
from kg.store import LocalStore
from kg.vocab import PREFIXES
from web.pool import LENGTH, QueryPool, Request, execute, receive, send

HVP = "PREFIX hvp: <https://w3id.org/hvp/def#> "
ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"


@pytest.fixture(scope="module")
def pool(small_store_dir: Path):
    workers = QueryPool(small_store_dir, 1, 10.0, dict(PREFIXES))
    yield workers
    workers.close()


@pytest.mark.parametrize("req", [
    Request(ALL, results_type="text/csv"),
    Request(ALL, results_type="application/sparql-results+json"),
    Request(ALL, results_type="application/sparql-results+xml"),
    Request(HVP + "ASK { ?p a hvp:InventionPatent }"),
    Request("CONSTRUCT WHERE { ?s ?p ?o }", graph_type="text/turtle"),
    Request("DESCRIBE <https://w3id.org/hvp/patent/CN-T01>", graph_type="application/ld+json"),
    Request("SELECT ?s WHERE { ?s ?p ?o }", results_type=None),  # not acceptable: kind only
    Request("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
            named_graphs=["https://w3id.org/hvp/graph/none"]),
    Request("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            default_graph=["https://w3id.org/hvp/graph/none"]),
], ids=["csv", "json", "xml", "ask", "construct-turtle", "describe-jsonld", "not-acceptable",
        "named-graphs", "default-graph"])
def test_worker_answers_what_the_engine_answers(pool, small_store: LocalStore, req):
    here = execute(small_store.oxigraph, req, dict(PREFIXES))
    there = pool.run(req)
    if here.kind == "graph":  # the same triples (two stores may list them in another order)
        assert (there.kind, there.media_type) == (here.kind, here.media_type)
        assert isomorphic(*(Graph().parse(data=r.body, format=r.media_type)
                            for r in (here, there)))
    else:
        assert there == here
    if req.query == ALL and req.results_type == "text/csv":
        assert len(there.body) > 4 * 65536  # more than one read, more than a socket buffer


def test_worker_reports_a_syntax_error_with_its_position(pool):
    with pytest.raises(QueryError, match=r"error at 1:27"):
        pool.run(Request("SELECT ?s WHERE { ?s ?p ?o"))
    assert pool.run(Request("ASK {}")).body  # the worker is still there


@pytest.mark.parametrize("split", [1, 3, LENGTH.size, LENGTH.size + 1, 70_000])
def test_message_survives_any_split(split):
    message = ("results", "text/csv", b"x" * 200_000 + "\u00e9".encode(), "")
    left, right = socket.socketpair()
    wire = socket.socketpair()
    try:
        send(wire[0], message)
        data = wire[1].recv(1 << 20)
        while len(data) < LENGTH.size + LENGTH.unpack_from(data)[0]:
            data += wire[1].recv(1 << 20)

        def trickle() -> None:  # the bytes arrive in two parts
            left.sendall(data[:split])
            threading.Event().wait(0.05)
            left.sendall(data[split:])

        thread = threading.Thread(target=trickle)
        thread.start()
        assert receive(right) == message
        thread.join()
    finally:
        for s in (left, right, *wire):
            s.close()


@pytest.mark.parametrize("sent", [b"", b"\x05\x00", LENGTH.pack(100) + b"partial"])
def test_a_closed_connection_is_an_eof(sent):
    left, right = socket.socketpair()
    left.sendall(sent)
    left.close()
    with pytest.raises(EOFError):
        receive(right)
    right.close()
