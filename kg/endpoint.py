"""A remote SPARQL 1.1 engine behind the same interface as :class:`kg.store.LocalStore`
(:class:`kg.protocol.Store`).

Queries and updates go through the SPARQL 1.1 Protocol (SPARQLWrapper, form-encoded POST: some
engines, Virtuoso among them, hang on ``application/sparql-query`` bodies); loads and dumps
through the Graph Store Protocol, one graph per request. Parameters are bound by a ``VALUES``
block of RDF terms first in the query's WHERE group (:mod:`kg.engines.binding`), never by
formatting user text in; the engine's :class:`kg.engines.dialect.Dialect` (from the
``endpoint_engine`` setting) writes the forms it answers right.

Nothing an engine answers is taken on trust: a result that the engine says it cut
(``X-SPARQL-MaxRows``, Virtuoso) or whose row count equals the engine's known cap
(``endpoint_row_limit``) is a :class:`StoreError` naming the setting to raise, never a partial
answer; a write must answer 200, 201 or 204 without an HTML page (Virtuoso answers 200 and a page
for a write it ignored).

Defaults follow ``oxigraph serve``: query ``/query``, update ``/update``, graph store ``/store``;
the ``update_endpoint`` and ``gsp_endpoint`` settings name others (docs/engines.md has them per
engine). Credentials: ``endpoint_user``/``endpoint_password`` (HTTP basic, or digest with
``endpoint_auth = "digest"``: Virtuoso's ``/sparql-auth``), or ``endpoint_token`` (bearer).
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox
from SPARQLWrapper import BASIC, DIGEST, JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException, Unauthorized

from kg.engines.binding import query_form
from kg.engines.dialect import Dialect, for_engine
from kg.engines.presets import Traits, traits, urls
from kg.errors import KGError, QueryError, QueryTimeout, StoreError
from kg.protocol import Row, Term, boolean_of, rows_of

_MEDIA = {
    ox.RdfFormat.N_TRIPLES: "application/n-triples",
    ox.RdfFormat.N_QUADS: "application/n-quads",
    ox.RdfFormat.TURTLE: "text/turtle",
    ox.RdfFormat.TRIG: "application/trig",
    ox.RdfFormat.JSON_LD: "application/ld+json",
    ox.RdfFormat.RDF_XML: "application/rdf+xml",
}
_WRITTEN = (200, 201, 204)
#: IRI prefix of the scratch graphs that merge a query's default graph (left out of listings)
SCRATCH = "urn:hvp:merged:"
_CHUNK = 1 << 20
#: Virtuoso names blank nodes ``nodeID://b10001`` in JSON results, not a valid blank node label
_NODE_ID = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
#: Virtuoso writes stored xsd:boolean values as "1" and "0" (valid lexical forms, not canonical)
_BOOLEAN = re.compile(rb'("datatype"\s*:\s*"http://www\.w3\.org/2001/XMLSchema#boolean"\s*,'
                      rb'\s*"value"\s*:\s*")([01])"')
_TRUNCATED = "X-SPARQL-MaxRows"
_ROW_FIX = ("raise the engine's result limit (Virtuoso: ResultSetMaxRows in the [SPARQL] "
            "section of virtuoso.ini) and the endpoint_row_limit setting (HVP_ENDPOINT_ROW_LIMIT) "
            "with it")


#: the settings that fix a 401 (kg.engines.doctor names them too)
CREDENTIALS = ("endpoint_user and endpoint_password (HVP_ENDPOINT_USER, HVP_ENDPOINT_PASSWORD; "
                "endpoint_auth = digest where the engine asks for digest) or endpoint_token "
                "(HVP_ENDPOINT_TOKEN)")


class EndpointStore:
    """A SPARQL 1.1 endpoint (plus its Graph Store Protocol service) as a store."""

    path = None

    def __init__(self, query: str, *, update: str | None = None, graph_store: str | None = None,
                 timeout: float = 600.0, user: str = "", password: str = "", token: str = "",
                 auth: str = "basic", row_limit: int = 0, engine: str = "",
                 dialect: Dialect | None = None) -> None:
        self.query_url = query
        default_update, default_graph_store = urls(engine, query)
        self.update_url = update or default_update
        self.graph_store_url = graph_store or default_graph_store
        self.timeout = timeout
        if auth not in ("basic", "digest"):
            raise StoreError("endpoint_auth %(auth)r: expected basic or digest", auth=auth)
        if token and user:
            raise StoreError("give endpoint_token or endpoint_user/endpoint_password, not both")
        self.user, self.password, self.token, self.auth = user, password, token, auth
        self.row_limit = row_limit
        self.dialect = dialect or for_engine(engine)
        self.traits: Traits = traits(engine)
        #: Writes made through this object (the web app publishes derived graphs after one).
        self.writes = 0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> EndpointStore:
        """The store that the ``endpoint*`` settings (kg.settings) describe."""
        query = str(settings["endpoint"])
        return cls(query,
                   update=str(settings.get("update_endpoint") or "") or None,
                   graph_store=str(settings.get("gsp_endpoint") or "") or None,
                   timeout=float(settings.get("endpoint_timeout") or 600.0),
                   user=str(settings.get("endpoint_user") or ""),
                   password=str(settings.get("endpoint_password") or ""),
                   token=str(settings.get("endpoint_token") or ""),
                   auth=str(settings.get("endpoint_auth") or "basic"),
                   row_limit=int(settings.get("endpoint_row_limit") or 0),
                   engine=str(settings.get("endpoint_engine") or ""))

    def __repr__(self) -> str:
        return f"EndpointStore({self.query_url!r})"

    # --- SPARQL protocol -------------------------------------------------------------------
    def _client(self, url: str) -> SPARQLWrapper:
        client = SPARQLWrapper(url)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.setTimeout(int(self.timeout))
        if self.user:
            client.setHTTPAuth(DIGEST if self.auth == "digest" else BASIC)
            client.setCredentials(self.user, self.password)
        if self.token:
            client.addCustomHttpHeader("Authorization", f"Bearer {self.token}")
        return client

    def _request(self, text: str, fmt: str, url: str | None = None, *,
                 union: bool = False, graphs: list[str] | None = None) -> bytes:
        client = self._client(url or self.query_url)
        client.setReturnFormat(fmt)
        client.setQuery(text)
        if union:
            client.addParameter("union-default-graph", "true")
        for graph in graphs or []:
            client.addDefaultGraph(graph)
        try:
            response = client.query().response
            body = response.read()
        except QueryBadFormed as exc:
            _close(exc)
            raise QueryError("the endpoint refused the query: %(exc)s", exc=exc) from exc
        except Unauthorized as exc:
            _close(exc)
            raise self._refused(401, client.endpoint) or StoreError(str(exc)) from None
        except urllib.error.HTTPError as exc:
            _close(exc)
            raise self._refused(exc.code, client.endpoint) or StoreError(
                "%(endpoint)r: %(exc)s", endpoint=self, exc=exc) from exc
        except (SPARQLWrapperException, urllib.error.URLError, OSError) as exc:
            _close(exc)
            raise StoreError("%(endpoint)r: %(exc)s", endpoint=self, exc=exc) from exc
        cap = response.headers.get(_TRUNCATED)
        if cap is not None:
            raise StoreError("%(endpoint)r cut the result at %(cap)s rows (%(truncated)s): "
                             "%(row_fix)s",
                             endpoint=self, cap=cap, truncated=_TRUNCATED, row_fix=_ROW_FIX)
        return body  # type: ignore[no-any-return]

    def forward(self, query: str, accept: Mapping[str, str | None], *,
                default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                base: str | None = None, timeout: float | None = None
                ) -> tuple[str, str | None, bytes]:
        """A user's query sent on as it is (the SPARQL protocol's dataset parameters too):
        ``(kind, media type, body)``, the kind ``results``, ``boolean`` or ``graph`` and the
        media type ``accept[kind]`` (None: nothing sent, that kind is not acceptable). The time
        limit is the client's (``timeout`` seconds): past it, :class:`QueryTimeout`."""
        form = query_form(query)
        kind = {"ASK": "boolean", "SELECT": "results"}.get(form, "graph")
        media = accept.get(kind)
        if media is None:
            return kind, None, b""
        text = self.dialect.text(query if base is None else f"BASE {ox.NamedNode(base)}\n"
                                 f"{query}")
        fields = [("query", text), *(("default-graph-uri", g) for g in default_graphs or []),
                  *(("named-graph-uri", g) for g in named_graphs or [])]
        request = urllib.request.Request(
            self.query_url, data=urllib.parse.urlencode(fields).encode(), method="POST",
            headers={"Accept": media, "Content-Type": "application/x-www-form-urlencoded",
                     **self._authorization()})
        limit = timeout or self.timeout
        try:
            with self._opener(self.query_url).open(request, timeout=limit) as response:
                body: bytes = response.read()
                cap = response.headers.get(_TRUNCATED)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace").strip()
            exc.close()
            refused = self._refused(exc.code, self.query_url)
            if refused:
                raise refused from None
            if exc.code == 400:
                raise QueryError("the engine refused the query: %(detail)s",
                                 detail=detail) from None
            raise StoreError("%(endpoint)r: HTTP %(code)s: %(detail)s",
                             endpoint=self, code=exc.code, detail=detail) from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            if isinstance(exc, TimeoutError) or "timed out" in str(exc):
                raise QueryTimeout("the query ran past its time limit (%(limit)s s)",
                                   limit=f"{limit:g}") from None
            raise StoreError("%(endpoint)r: %(exc)s", endpoint=self, exc=exc) from None
        if cap is not None:
            raise StoreError("%(endpoint)r cut the result at %(cap)s rows (%(truncated)s): "
                             "%(row_fix)s",
                             endpoint=self, cap=cap, truncated=_TRUNCATED, row_fix=_ROW_FIX)
        return kind, media, body

    def _refused(self, status: int, url: str) -> StoreError | None:
        """The error for an engine's 401 or 403, naming the settings to fix; None for
        another status."""
        sent = ("the bearer token (endpoint_token)" if self.token else
                f"user {self.user!r} ({self.auth})" if self.user else "no credentials")
        if status == 401:
            return StoreError("%(url)s answered 401 Unauthorized to %(sent)s: set "
                              "%(credentials)s to credentials the engine accepts",
                              url=url, sent=sent, credentials=CREDENTIALS)
        if status == 403:
            return StoreError("%(url)s answered 403 Forbidden to %(sent)s: these credentials "
                              "may not do this (a query, an update or a graph store write); "
                              "give the engine's user the right (Virtuoso: GRANT "
                              "SPARQL_UPDATE) or set %(credentials)s to a user who has it",
                              url=url, sent=sent, credentials=CREDENTIALS)
        return None

    def _named(self, graph: ox.NamedNode | ox.DefaultGraph) -> str:
        """The IRI naming ``graph`` in ``default-graph-uri``: the default graph is the data
        graph (:meth:`query` merges it into a named one on an engine without a data graph)."""
        if isinstance(graph, ox.NamedNode):
            return graph.value
        assert self.traits.data_graph, "query() names the engine's default graph"
        return self.traits.data_graph

    def quads(self, subject: ox.NamedNode | ox.BlankNode | None = None,
              predicate: ox.NamedNode | None = None, obj: Term | None = None,
              graph: ox.NamedNode | ox.DefaultGraph | None = None) -> Iterator[ox.Quad]:
        """The quads that match (``graph`` None: in every graph, the data's as the default
        graph), as :meth:`kg.store.LocalStore.quads`."""
        given = {"s": subject, "p": predicate, "o": obj}  # bound, and projected back
        bindings = {name: term for name, term in given.items() if term is not None}
        if graph is None and not self.traits.data_graph:
            where = "{ ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } }"
        elif graph is None:
            where = "GRAPH ?g { ?s ?p ?o }"
        else:
            name = self._graph_iri(graph)
            where = f"GRAPH {name} {{ ?s ?p ?o }}" if name else "?s ?p ?o"
        own = (*self.traits.own_graphs, SCRATCH)
        for row in self.select(f"SELECT ?s ?p ?o ?g WHERE {{ {where} }}", bindings):
            g = row["g"] if "g" in row else graph or ox.DefaultGraph()
            if isinstance(g, ox.NamedNode) and g.value == self.traits.data_graph:
                g = ox.DefaultGraph()
            elif isinstance(g, ox.NamedNode) and own and g.value.startswith(own):
                continue
            yield ox.Quad(row["s"], row["p"], row["o"], g)  # type: ignore[arg-type]

    def _graph_iri(self, graph: ox.NamedNode | ox.DefaultGraph) -> ox.NamedNode | None:
        """The named graph that holds ``graph`` on the engine, None for its default graph."""
        if isinstance(graph, ox.NamedNode):
            return graph
        return self.data if isinstance(self.data, ox.NamedNode) else None

    def _check_rows(self, count: int) -> None:
        if self.row_limit and count >= self.row_limit:
            raise StoreError("%(endpoint)r answered %(count)s rows, the engine's cap "
                             "(endpoint_row_limit = %(row_limit)s): the result may be cut; "
                             "%(row_fix)s",
                             endpoint=self, count=f"{count:,}", row_limit=f"{self.row_limit:,}",
                             row_fix=_ROW_FIX)

    def query(self, query: str, bindings: Mapping[str, Term] | None = None, *,
              union_default_graph: bool = False,
              default_graph: list[ox.NamedNode | ox.DefaultGraph] | None = None
              ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Run a query: solutions, a boolean, or (CONSTRUCT, DESCRIBE) a list of triples.
        ``union_default_graph``: the default graph is the union of all graphs (Oxigraph's
        ``union-default-graph`` parameter; Virtuoso's default graph is that already).
        ``default_graph``: the graphs whose union is the default graph (``default-graph-uri``);
        The protocol cannot name an engine's default graph: where the data is a named graph
        (Virtuoso) that graph is named; else (oxigraph serve) the graphs are merged first into
        a scratch graph of their own (:meth:`_merged`), named, and dropped after the query."""
        if default_graph is not None and not self.traits.data_graph and any(
                isinstance(g, ox.DefaultGraph) for g in default_graph):
            with self._merged(default_graph) as merged:
                return self.query(query, bindings, default_graph=[merged])
        union = union_default_graph and not self.traits.data_graph
        graphs = None if default_graph is None else [self._named(g) for g in default_graph]
        if query_form(query) in ("CONSTRUCT", "DESCRIBE"):
            return self.construct(query, bindings, union=union, graphs=graphs)
        text = self.dialect.bind(query, bindings)
        body = _NODE_ID.sub(rb"\1", self._request(text, JSON, union=union, graphs=graphs))
        body = _BOOLEAN.sub(lambda m: m.group(1) + (b'true"' if m.group(2) == b"1"
                                                    else b'false"'), body)
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)

    @contextmanager
    def _merged(self, graphs: list[ox.NamedNode | ox.DefaultGraph]) -> Iterator[ox.NamedNode]:
        """A scratch named graph holding the merge of ``graphs`` (the default graph among
        them) for one query: one update of ``ADD``s, dropped afterwards whatever happens. It
        costs a copy of the data per query: the CLI and the web app keep a canned query's
        answer (kg.answers), so it is paid once per query and parameters."""
        merged = ox.NamedNode(f"{SCRATCH}{uuid.uuid4().hex}")
        adds = [f"ADD SILENT {'DEFAULT' if isinstance(g, ox.DefaultGraph) else g} TO {merged}"
                for g in graphs]
        try:  # not counted in self.writes: nothing the app publishes changes
            self._request(" ;\n".join(adds), JSON, self.update_url)
            yield merged
        finally:
            with suppress(KGError):
                self._request(f"DROP SILENT GRAPH {merged}", JSON, self.update_url)

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        rows = rows_of(self.query(query, bindings))
        self._check_rows(len(rows))
        return rows

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        return boolean_of(self.query(query, bindings))

    def construct(self, query: str, bindings: Mapping[str, Term] | None = None, *,
                  union: bool = False, graphs: list[str] | None = None) -> list[ox.Triple]:
        body = self._request(self.dialect.bind(query, bindings), TURTLE, union=union,
                             graphs=graphs)
        triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)]
        self._check_rows(len(triples))
        return triples

    def update(self, update: str) -> None:
        self.writes += 1
        self._request(self.dialect.text(update), JSON, self.update_url)

    # --- Graph Store Protocol ----------------------------------------------------------------
    def _graph_url(self, graph: ox.NamedNode | ox.DefaultGraph | None) -> str:
        """The graph store URL of a graph; the default graph is the data graph where the
        engine has one (Virtuoso)."""
        if graph is None or isinstance(graph, ox.DefaultGraph):
            if not self.traits.data_graph:
                return f"{self.graph_store_url}?default"
            graph = self.data
            assert isinstance(graph, ox.NamedNode)
        return f"{self.graph_store_url}?graph={urllib.parse.quote(graph.value, safe='')}"

    def _authorization(self) -> dict[str, str]:
        """The Authorization header sent with every request: the bearer token, or basic
        credentials (sent at once, not after a 401 challenge); digest goes by the opener."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.user and self.auth == "basic":
            pair = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        return {}

    def _opener(self, url: str) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = []
        if self.user and self.auth == "digest":
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, url, self.user, self.password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
        return urllib.request.build_opener(*handlers)

    def _open(self, method: str, url: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> Any:
        """The engine's answer to a request, open for reading (the caller closes it); an
        HTML answer to a GET is an error (Virtuoso answers a graph it has not with a page)."""
        headers = {**(headers or {}), **self._authorization()}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            response = self._opener(url).open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            _close(exc)
            raise self._refused(exc.code, url) or StoreError(
                "%(endpoint)r: %(method)s %(url)s: %(exc)s",
                endpoint=self, method=method, url=url, exc=exc) from None
        except (urllib.error.URLError, OSError) as exc:
            _close(exc)
            raise StoreError("%(endpoint)r: %(method)s %(url)s: %(exc)s",
                             endpoint=self, method=method, url=url, exc=exc) from exc
        if method == "GET" and "html" in response.headers.get("Content-Type", ""):
            response.close()
            raise StoreError("%(endpoint)r: GET %(url)s answered an HTML page, not RDF: check the "
                             "gsp_endpoint setting (docs/engines.md)", endpoint=self, url=url)
        return response

    def _http(self, method: str, url: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> bytes:
        with self._open(method, url, body, headers) as response:
            try:
                data: bytes = response.read()
            except OSError as exc:
                raise StoreError("%(endpoint)r: %(method)s %(url)s: %(exc)s",
                                 endpoint=self, method=method, url=url, exc=exc) from exc
            status, kind = response.status, response.headers.get("Content-Type", "")
        if method != "GET" and (status not in _WRITTEN or (data.strip() and "html" in kind)):
            raise StoreError("%(endpoint)r: %(method)s %(url)s answered %(status)s with %(value)s "
                             "(%(data)r): the engine did not store the data; check the "
                             "gsp_endpoint setting (docs/engines.md)",
                             endpoint=self, method=method, url=url, status=status,
                             value=kind or 'no type', data=data[:200])
        return data

    def _get_to(self, out: IO[bytes], url: str, fmt: ox.RdfFormat) -> None:
        """GET ``url`` as ``fmt`` into ``out``, a chunk at a time (never whole in memory)."""
        with self._open("GET", url, None, {"Accept": _MEDIA[fmt]}) as response:
            try:
                shutil.copyfileobj(response, out, _CHUNK)
            except OSError as exc:
                raise StoreError("%(endpoint)r: GET %(url)s: %(exc)s",
                                 endpoint=self, url=url, exc=exc) from exc

    def load(self, source: IO[bytes] | bytes | Path, fmt: ox.RdfFormat,
             graph: ox.NamedNode | None = None) -> None:
        if isinstance(source, Path):
            data = source.read_bytes()
        elif isinstance(source, bytes):
            data = source
        else:
            data = source.read()
        if fmt.supports_datasets and graph is None:  # one POST per graph: engines without a
            self.add(ox.parse(data, format=fmt))  # dataset POST (Virtuoso) ignore it
            return
        self._http("POST", self._graph_url(graph), data, {"Content-Type": _MEDIA[fmt]})

    @property
    def data(self) -> ox.NamedNode | ox.DefaultGraph:
        """Where the engine holds the data: its default graph, or a named graph (Virtuoso)."""
        name = self.traits.data_graph
        return ox.NamedNode(name) if name else ox.DefaultGraph()

    def named_graphs(self) -> list[ox.NamedNode]:
        """The named graphs that hold something, but the engine's own and the data graph."""
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        own = (*self.traits.own_graphs, SCRATCH, *filter(None, [self.traits.data_graph]))
        return sorted((row["g"] for row in rows if isinstance(row["g"], ox.NamedNode)
                       and not row["g"].value.startswith(own)), key=lambda g: g.value)

    def dump(self, out: IO[bytes], fmt: ox.RdfFormat,
             graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
        """Write a graph, or (``graph`` None, a dataset format) the dataset: streamed from the
        graph store; an engine without a dataset GET (Virtuoso) graph by graph, its data graph
        written as the default graph and its own graphs left out."""
        if graph is None and not fmt.supports_datasets:
            graph = ox.DefaultGraph()
        if graph is not None:
            self._get_to(out, self._graph_url(graph), fmt)
        elif self.traits.dataset_get:
            self._get_to(out, self.graph_store_url, fmt)
        else:
            for name in [self.data, *self.named_graphs()]:
                self._graph_to(out, fmt, name)

    def _graph_to(self, out: IO[bytes], fmt: ox.RdfFormat,
                  name: ox.NamedNode | ox.DefaultGraph) -> None:
        """One graph into a dataset serialization, parsed and written as it arrives."""
        target = ox.DefaultGraph() if name == self.data else name
        url = self._graph_url(name)
        with self._open("GET", url, None, {"Accept": _MEDIA[ox.RdfFormat.N_TRIPLES]}) as answer:
            try:
                quads = (ox.Quad(q.subject, q.predicate, q.object, target)
                         for q in ox.parse(answer, format=ox.RdfFormat.N_TRIPLES))
                ox.serialize(quads, out, format=fmt)
            except (OSError, SyntaxError) as exc:
                raise StoreError("%(endpoint)r: GET %(url)s: %(exc)s",
                                 endpoint=self, url=url, exc=exc) from exc

    def add(self, quads: Iterable[ox.Quad]) -> None:
        """POST the quads as N-Triples, one request per graph."""
        self.writes += 1
        by_graph: dict[ox.NamedNode | ox.DefaultGraph, list[ox.Triple]] = {}
        for quad in quads:
            graph = quad.graph_name
            if isinstance(graph, ox.BlankNode):
                raise StoreError("%(endpoint)r: a graph named by a blank node cannot be written "
                                 "through the Graph Store Protocol", endpoint=self)
            by_graph.setdefault(graph, []).append(quad.triple)
        for graph, triples in by_graph.items():
            buffer = io.BytesIO()
            ox.serialize(triples, buffer, format=ox.RdfFormat.N_TRIPLES)
            self._http("POST", self._graph_url(graph), buffer.getvalue(),
                       {"Content-Type": "application/n-triples"})

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        for quad in quads:
            graph = quad.graph_name
            if isinstance(graph, ox.DefaultGraph):
                graph = self.data
            triple = f"{quad.subject} {quad.predicate} {quad.object} ."
            inner = triple if isinstance(graph, ox.DefaultGraph) else \
                f"GRAPH {graph} {{ {triple} }}"
            self.update(f"DELETE DATA {{ {inner} }}")

    def clear_graph(self, graph: ox.NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")

    def flush(self) -> None:
        """Nothing to do: the remote engine persists its own writes."""

    def __len__(self) -> int:
        """The quads of the data and of the named graphs (on an engine with a data graph: the
        data graph and the named graphs but the engine's own, its default graph being their
        union)."""
        if not self.traits.data_graph:
            rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION "
                               "{ GRAPH ?g { ?s ?p ?o } } }")
            return int(rows[0]["n"].value)
        graphs = " ".join(str(g) for g in [self.data, *self.named_graphs()])
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {graphs} }} "
                           "GRAPH ?g { ?s ?p ?o } }")
        return int(rows[0]["n"].value)


def _close(exc: BaseException | None) -> None:
    """Close the HTTP answer an error holds (urllib's HTTPError keeps its socket open)."""
    while exc is not None:
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()
        exc = exc.__cause__ or exc.__context__
