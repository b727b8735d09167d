"""/shacl parses and validates in a killable worker with a memory limit (web.sandbox); RDF/XML
with a DTD is refused before any parsing."""

from __future__ import annotations

import time

import psutil
import pytest

from tests.conftest import copy_of

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/s"><ex:p>&h;</ex:p></rdf:Description>
</rdf:RDF>
"""
SMALL = b'<http://example.org/a> <http://example.org/b> "c" .\n'
#: SHACL-SPARQL shapes whose query is a cartesian product of the data: never ends in time.
RUNAWAY_SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;
  sh:sparql [ sh:select "SELECT $this WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }" ] .
"""


def _app(small_store, **settings):
    from web.app import create_app

    return create_app({"store": copy_of(small_store), **settings})


def _sandbox_pids(app) -> list[int]:
    process = app.extensions["hvp"].sandbox._process
    return [process.pid] if process is not None else []


@pytest.mark.parametrize("body", [LAUGHS, LAUGHS.replace(b"DOCTYPE", b"doctype"),
                                  b"\xff\xfe" + LAUGHS.decode().encode("utf-16-le")])
def test_rdfxml_with_a_dtd_is_refused_before_parsing(client, body):
    started = time.monotonic()
    answer = client.post("/shacl", data=body, content_type="application/rdf+xml")
    assert answer.status_code == 400
    assert time.monotonic() - started < 1
    problem = answer.get_json()
    assert "DTD" in problem["detail"] or "UTF-8" in problem["detail"]


def test_a_dtd_in_pasted_shapes_is_refused(client):
    answer = client.post("/shacl", data={"data": SMALL.decode(), "syntax": "ntriples",
                                         "shapes": LAUGHS.decode(), "shapes_syntax": "rdfxml"})
    assert answer.status_code == 400 and answer.get_json()["part"] == "shapes"


@pytest.mark.slow
def test_a_validation_past_the_time_limit_is_killed(small_store):
    app = _app(small_store, timeout=3.0)
    try:
        client = app.test_client()
        assert client.post("/shacl", data=SMALL, content_type="application/n-triples"
                           ).status_code == 200  # the worker has started
        data = "".join(f"<http://example.org/s{i}> <http://example.org/p> \"{i}\" .\n"
                       for i in range(300)) + SMALL.decode()
        first = _sandbox_pids(app)
        started = time.monotonic()
        answer = client.post("/shacl", data={"data": data, "syntax": "ntriples",
                                             "shapes": RUNAWAY_SHAPES},
                             headers={"Accept": "text/turtle"})
        assert answer.status_code == 503, answer.get_data(as_text=True)
        assert time.monotonic() - started < 6
        assert not psutil.pid_exists(first[0]) or \
            psutil.Process(first[0]).status() == psutil.STATUS_ZOMBIE
        assert client.post("/shacl", data=SMALL, content_type="application/n-triples"
                           ).status_code == 200  # a new worker
    finally:
        app.extensions["hvp"].close()


@pytest.mark.slow
def test_an_upload_past_the_memory_limit_is_413_and_the_app_stays_small(small_store):
    app = _app(small_store, worker_memory=400, max_body=20_000_000)
    try:
        client = app.test_client()
        before = psutil.Process().memory_info().rss
        data = "".join(f'<x:s{i}> <x:p> "value {i}" .\n' for i in range(150_000)).encode()
        answer = client.post("/shacl", data=data, content_type="application/n-triples")
        assert answer.status_code == 413, answer.get_data(as_text=True)[:300]
        assert "worker_memory" in answer.get_json()["detail"]
        # the app's own process did not parse it
        assert psutil.Process().memory_info().rss - before < 100_000_000
        assert client.post("/shacl", data=SMALL, content_type="application/n-triples"
                           ).status_code == 200
    finally:
        app.extensions["hvp"].close()
