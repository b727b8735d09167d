"""A remote SPARQL 1.1 engine behind the same interface as :class:`kg.store.LocalStore`.

Queries and updates go through the SPARQL 1.1 Protocol (SPARQLWrapper, form-encoded POST: some
engines, Virtuoso among them, hang on ``application/sparql-query`` bodies); bulk loads and dumps
through the Graph Store Protocol. Parameters are bound by a ``VALUES`` block of RDF terms first
in the query's WHERE group (:mod:`kg.engines.binding`), never by formatting user text in.

Defaults follow ``oxigraph serve``: query ``/query``, update ``/update``, graph store ``/store``.
Pass ``update=`` and ``graph_store=`` for other engines (Fuseki: ``/ds/sparql``, ``/ds/update``,
``/ds/data``).
"""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from kg.engines.binding import query_form, with_values
from kg.errors import QueryError, StoreError
from kg.store import Row, Term, boolean_of, rows_of

_MEDIA = {
    ox.RdfFormat.N_TRIPLES: "application/n-triples",
    ox.RdfFormat.N_QUADS: "application/n-quads",
    ox.RdfFormat.TURTLE: "text/turtle",
    ox.RdfFormat.TRIG: "application/trig",
    ox.RdfFormat.JSON_LD: "application/ld+json",
    ox.RdfFormat.RDF_XML: "application/rdf+xml",
}


class EndpointStore:
    """A SPARQL 1.1 endpoint (plus its Graph Store Protocol service) as a store."""

    path = None

    def __init__(self, query: str, *, update: str | None = None, graph_store: str | None = None,
                 timeout: float = 600.0) -> None:
        self.query_url = query
        root = query.rsplit("/", 1)[0]
        self.update_url = update or f"{root}/update"
        self.graph_store_url = graph_store or f"{root}/store"
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"EndpointStore({self.query_url!r})"

    # --- SPARQL protocol -------------------------------------------------------------------
    def _request(self, text: str, fmt: str, url: str | None = None) -> bytes:
        client = SPARQLWrapper(url or self.query_url)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.setTimeout(int(self.timeout))
        client.setReturnFormat(fmt)
        client.setQuery(text)
        try:
            return client.query().response.read()  # type: ignore[no-any-return]
        except QueryBadFormed as exc:
            raise QueryError(f"the endpoint refused the query: {exc}") from exc
        except (SPARQLWrapperException, urllib.error.URLError, OSError) as exc:
            raise StoreError(f"{self!r}: {exc}") from exc

    def query(self, query: str, bindings: Mapping[str, Term] | None = None
              ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Run a query: solutions, a boolean, or (CONSTRUCT, DESCRIBE) a list of triples."""
        if query_form(query) in ("CONSTRUCT", "DESCRIBE"):
            return self.construct(query, bindings)
        body = self._request(with_values(query, bindings), JSON)
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        return rows_of(self.query(query, bindings))

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        return boolean_of(self.query(query, bindings))

    def construct(self, query: str,
                  bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
        body = self._request(with_values(query, bindings), TURTLE)
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)]

    def update(self, update: str) -> None:
        self._request(update, JSON, self.update_url)

    # --- Graph Store Protocol ----------------------------------------------------------------
    def _graph_url(self, graph: ox.NamedNode | ox.DefaultGraph | None) -> str:
        if graph is None or isinstance(graph, ox.DefaultGraph):
            return f"{self.graph_store_url}?default"
        return f"{self.graph_store_url}?graph={urllib.parse.quote(graph.value, safe='')}"

    def _http(self, method: str, url: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> bytes:
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()  # type: ignore[no-any-return]
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"{self!r}: {method} {url}: {exc}") from exc

    def load(self, source: IO[bytes] | bytes | Path, fmt: ox.RdfFormat,
             graph: ox.NamedNode | None = None) -> None:
        if isinstance(source, Path):
            data = source.read_bytes()
        elif isinstance(source, bytes):
            data = source
        else:
            data = source.read()
        url = self.graph_store_url if fmt.supports_datasets and graph is None \
            else self._graph_url(graph)
        self._http("POST", url, data, {"Content-Type": _MEDIA[fmt]})

    def dump(self, out: IO[bytes], fmt: ox.RdfFormat,
             graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
        if graph is None and fmt.supports_datasets:
            out.write(self._http("GET", self.graph_store_url, None,
                                 {"Accept": _MEDIA[fmt]}))
            return
        out.write(self._http("GET", self._graph_url(graph), None, {"Accept": _MEDIA[fmt]}))

    def add(self, quads: Iterable[ox.Quad]) -> None:
        buffer = io.BytesIO()
        ox.serialize(list(quads), buffer, format=ox.RdfFormat.N_QUADS)
        self._http("POST", self.graph_store_url, buffer.getvalue(),
                   {"Content-Type": "application/n-quads"})

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        for quad in quads:
            graph = quad.graph_name
            triple = f"{quad.subject} {quad.predicate} {quad.object} ."
            inner = triple if isinstance(graph, ox.DefaultGraph) else \
                f"GRAPH {graph} {{ {triple} }}"
            self.update(f"DELETE DATA {{ {inner} }}")

    def clear_graph(self, graph: ox.NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")

    def flush(self) -> None:
        """Nothing to do: the remote engine persists its own writes."""

    def __len__(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION "
                           "{ GRAPH ?g { ?s ?p ?o } } }")
        return int(rows[0]["n"].value)
