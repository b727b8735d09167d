"""An ad-hoc SPARQL query (``hvp sparql``): run under a time limit, streamed in a chosen format.

The formats are those of ``/sparql``: JSON, XML, CSV and TSV results for SELECT and ASK;
Turtle, N-Triples, JSON-LD and RDF/XML for CONSTRUCT and DESCRIBE. Without a format the query's
form decides: JSON results, or Turtle.

On an on-disk store the query runs in a worker process that opens the store read only and sends
the serialized answer back in chunks, written as they come; at the time limit the worker is
killed (pyoxigraph's ``Store.query`` has no timeout, and a ``SERVICE`` call is part of the
query, so the limit covers a federated query whole). In memory the query runs in this process,
without a hard limit; on a remote endpoint the limit is the request's.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg import federation
from kg.errors import KGError, QueryError, QueryTimeout, StoreError
from kg.evaluation import evaluating
from kg.store import LocalStore, Store

R, G = ox.QueryResultsFormat, ox.RdfFormat
#: Results of SELECT and ASK, by short name (as ``/sparql``'s ``format`` parameter).
RESULTS: dict[str, ox.QueryResultsFormat] = {"json": R.JSON, "xml": R.XML, "csv": R.CSV,
                                              "tsv": R.TSV}
#: Graphs of CONSTRUCT and DESCRIBE.
GRAPHS: dict[str, ox.RdfFormat] = {"turtle": G.TURTLE, "ntriples": G.N_TRIPLES,
                                   "jsonld": G.JSON_LD, "rdfxml": G.RDF_XML}
FORMATS = (*RESULTS, *GRAPHS)
#: Bytes per message from the worker.
CHUNK = 1 << 16
_POSITION = re.compile(r"^error at (\d+):(\d+): ?")


@dataclass(frozen=True)
class Answer:
    kind: str  # "results", "boolean" or "graph"
    format: str


def run(store: Store, query: str, out: IO[bytes], *, fmt: str | None = None,
        timeout: float | None = None, allow: Iterable[str] = (), source: str = "-",
        prefixes: dict[str, str] | None = None) -> Answer:
    """Run ``query`` on ``store`` and write its answer to ``out`` in ``fmt`` (a key of
    :data:`FORMATS`, or ``None``: by the query's form). ``timeout`` in seconds (``None`` or 0:
    none); ``allow``: the endpoints a ``SERVICE`` may call; ``source`` names the query's file
    in errors (``file:line:column``)."""
    if fmt is not None and fmt not in FORMATS:
        raise QueryError("unknown format %(fmt)r; known: %(formats)s",
                         fmt=fmt, formats=', '.join(FORMATS))
    federation.check(query, allow)
    limit = timeout or None
    try:
        if isinstance(store, LocalStore) and store.path is not None:
            return _in_worker(str(store.path), query, out, fmt, limit, prefixes or {})
        if isinstance(store, LocalStore):
            return execute(store.oxigraph, query, fmt, out, prefixes or {})
        return _remote(store, query, out, fmt, limit, prefixes or {})
    except QueryError as exc:
        raise QueryError(located(str(exc), source)) from None


def located(message: str, source: str) -> str:
    """The engine's ``error at LINE:COLUMN: ...`` as ``SOURCE:LINE:COLUMN: invalid SPARQL: ...``."""
    text = message.removeprefix("invalid SPARQL: ")
    position = _POSITION.match(text)
    if position is None:
        return f"{source}: {message}"
    return (f"{source}:{position[1]}:{position[2]}: invalid SPARQL: "
            f"{text[position.end():]}")


def execute(oxigraph: ox.Store, query: str, fmt: str | None, out: Any,
            prefixes: dict[str, str]) -> Answer:
    """Run the query on an engine and serialize its answer to ``out`` (anything with
    ``write(bytes)``)."""
    with evaluating(query):  # what the engine raises, said by kg.evaluation
        result = oxigraph.query(query)
    return _serialize(result, fmt, out, prefixes, query)


def _serialize(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple],
               fmt: str | None, out: Any, prefixes: dict[str, str], query: str = "") -> Answer:
    """The answer written to ``out``; ``query``'s rows come while it is written (what the
    engine raises then is said by :mod:`kg.evaluation`)."""
    if isinstance(result, (ox.QueryTriples, list)):
        name = fmt or "turtle"
        if name not in GRAPHS:
            raise QueryError("--format %(name)s: a CONSTRUCT or DESCRIBE answers a graph: give "
                             "one of %(graphs)s", name=name, graphs=', '.join(GRAPHS))
        rdf = GRAPHS[name]
        with evaluating(query, writing=rdf.name):
            ox.serialize(result, out, rdf, prefixes=prefixes if rdf == G.TURTLE else None)
        return Answer("graph", name)
    kind = "boolean" if isinstance(result, ox.QueryBoolean) else "results"
    name = fmt or "json"
    if name not in RESULTS:
        form = "an ASK answers a boolean" if kind == "boolean" else "a SELECT answers a table"
        raise QueryError("--format %(name)s: %(form)s: give one of %(results)s",
                         name=name, form=form, results=', '.join(RESULTS))
    with evaluating(query):
        result.serialize(out, RESULTS[name])
    return Answer(kind, name)


def _remote(store: Store, query: str, out: IO[bytes], fmt: str | None, limit: float | None,
            prefixes: dict[str, str]) -> Answer:
    """A remote engine: its answer parsed, then serialized here (its request's time limit)."""
    if limit is not None and hasattr(store, "timeout"):
        store.timeout = limit
    result = store.query(query)  # type: ignore[attr-defined]
    return _serialize(result, fmt, out, prefixes)


# --- the worker process ----------------------------------------------------------------------
class _Chunks:
    """A writable that sends what is written to the parent in chunks."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.buffer = conn, bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.conn.send(("data", bytes(self.buffer)))
            self.buffer.clear()


def _orphaned(parent: int) -> None:
    """End the worker as soon as its parent is gone (killed, or ended by a closed pipe)."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def _work(conn: Any, path: str, query: str, fmt: str | None, prefixes: dict[str, str],
          parent: int) -> None:
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    try:
        view = LocalStore(Path(path), read_only=True)  # holds its generation (a lease)
        chunks = _Chunks(conn)
        answer = execute(view.oxigraph, query, fmt, chunks, prefixes)
        chunks.flush()
        conn.send(("done", answer.kind, answer.format))
    except KGError as exc:  # sent whole: its class, template and values
        conn.send(("error", exc))
    except OSError as exc:
        conn.send(("error", StoreError("cannot open the store %(path)s: %(exc)s", path=path,
                                       exc=str(exc))))
    conn.close()


def _in_worker(path: str, query: str, out: IO[bytes], fmt: str | None, limit: float | None,
               prefixes: dict[str, str]) -> Answer:
    ctx = multiprocessing.get_context("spawn")
    mine, theirs = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_work, args=(theirs, path, query, fmt, prefixes, os.getpid()),
                          daemon=True, name="hvp-sparql")
    process.start()
    theirs.close()
    deadline = None if limit is None else time.monotonic() + limit
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not mine.poll(wait):
                raise QueryTimeout("the query exceeded the %(limit)s s time limit (the timeout "
                                   "setting, --timeout) and was stopped", limit=f"{limit:g}")
            try:
                message = mine.recv()
            except EOFError:
                raise StoreError("the query's worker process died (out of memory?)") from None
            if message[0] == "data":
                out.write(message[1])
            elif message[0] == "done":
                return Answer(message[1], message[2])
            else:
                raise message[1]
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        mine.close()
