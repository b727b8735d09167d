"""Credentials against a real server: an HTTP front that checks basic and bearer credentials
(tests/engines.py AuthFront) before a real `oxigraph serve`, both on loopback. Queries, updates
and Graph Store reads and writes pass with the right credentials; a 401 or 403 is a clear error
naming the settings to fix, from the store and from the `hvp` command."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.endpoint import EndpointStore
from kg.errors import StoreError

sys.path.insert(0, str(Path(__file__).parent))
from engines import AuthFront, oxigraph_served  # noqa: E402

USER, PASSWORD, TOKEN, READER = "hvp", "s3cret-パス", "t0ken", "read-only"
GRAPH = ox.NamedNode("urn:hvp:test:auth")


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthFront]:
    with oxigraph_served(tmp_path_factory.mktemp("auth")) as engine:
        proxy = AuthFront(engine.url.rsplit("/", 1)[0], user=USER, password=PASSWORD,
                          token=TOKEN, readers=(READER,))
        try:
            yield proxy
        finally:
            proxy.stop()


def store(front: AuthFront, **credentials: str) -> EndpointStore:
    return EndpointStore(f"{front.url}/query", engine="oxigraph", **credentials)


def round_trip(remote: EndpointStore) -> None:
    """An update, a query, a Graph Store write and read, a forwarded query."""
    remote.clear_graph(GRAPH)
    remote.update(f'INSERT DATA {{ GRAPH {GRAPH} {{ {GRAPH} {GRAPH} "update" }} }}')
    remote.add([ox.Quad(GRAPH, GRAPH, ox.Literal("graph store"), GRAPH)])
    rows = remote.select(f"SELECT ?o WHERE {{ GRAPH {GRAPH} {{ ?s ?p ?o }} }} ORDER BY ?o")
    assert [r["o"].value for r in rows] == ["graph store", "update"]
    out = io.BytesIO()
    remote.dump(out, ox.RdfFormat.N_TRIPLES, GRAPH)
    assert len(list(ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES))) == 2
    kind, media, body = remote.forward("ASK { GRAPH ?g { ?s ?p ?o } }",
                                       {"boolean": "application/sparql-results+json"})
    assert kind == "boolean" and b"true" in body
    remote.clear_graph(GRAPH)


def test_basic_credentials(front: AuthFront) -> None:
    round_trip(store(front, user=USER, password=PASSWORD))
    assert any(h.startswith("Basic ") for h in front.seen)


def test_bearer_token(front: AuthFront) -> None:
    front.seen.clear()
    round_trip(store(front, token=TOKEN))
    assert front.seen and all(h == f"Bearer {TOKEN}" for h in front.seen)


@pytest.mark.parametrize(("credentials", "sent"), [
    ({}, "no credentials"),
    ({"user": USER, "password": "wrong"}, f"user {USER!r}"),
    ({"token": "wrong"}, "the bearer token"),
])
def test_wrong_credentials_name_the_settings(front: AuthFront, credentials: dict[str, str],
                                             sent: str) -> None:
    remote = store(front, **credentials)
    attempts = [lambda: remote.ask("ASK {}"),
                lambda: remote.update(f"DROP SILENT GRAPH {GRAPH}"),
                lambda: remote.add([ox.Quad(GRAPH, GRAPH, GRAPH, GRAPH)]),
                lambda: remote.dump(io.BytesIO(), ox.RdfFormat.N_TRIPLES, GRAPH),
                lambda: remote.forward("ASK {}", {"boolean": "application/sparql-results+json"})]
    for attempt in attempts:
        with pytest.raises(StoreError, match="401 Unauthorized") as caught:
            attempt()
        assert sent in str(caught.value)
        assert "endpoint_user and endpoint_password" in str(caught.value)
        assert "endpoint_token" in str(caught.value)


def test_a_reader_may_query_but_a_write_is_forbidden(front: AuthFront) -> None:
    remote = store(front, token=READER)
    assert remote.ask("ASK {}")
    for write in (lambda: remote.update(f"DROP SILENT GRAPH {GRAPH}"),
                  lambda: remote.add([ox.Quad(GRAPH, GRAPH, GRAPH, GRAPH)])):
        with pytest.raises(StoreError, match="403 Forbidden.*may not do this.*endpoint_token"):
            write()


def test_the_command_names_the_setting(front: AuthFront) -> None:
    runner = CliRunner(env={"HVP_ENDPOINT_TOKEN": "wrong"})
    result = runner.invoke(cli, ["--endpoint", f"{front.url}/query", "stats"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "401 Unauthorized" in result.stderr and "HVP_ENDPOINT_TOKEN" in result.stderr
    assert "Traceback" not in result.output
