"""Query worker processes: the time limit that really stops the work.

pyoxigraph's ``Store.query`` has no timeout, so each query of a web user runs in a worker process
(``multiprocessing``, spawn) that opens the on-disk store read-only. A worker still busy at the
deadline is killed and replaced; the caller gets :class:`kg.errors.QueryTimeout` (HTTP 503).
The app is the store's only writer while it serves (it writes derived graphs); it calls
:meth:`QueryPool.refresh` when a write is complete and flushed, and each worker reopens its view
on its next query (about 6 ms). Between two refreshes a worker's view does not change, even while
the app writes (a read-only view keeps the files it opened, measured with compactions).

The app and a worker talk over a socket pair: one message each way per query, a length and a
:mod:`marshal`-ed tuple of strings and bytes (:func:`send`, :func:`receive`). Both ends are this
program, started from the same interpreter. It is the cheapest round trip measured: pickled
dataclasses through ``multiprocessing.Connection`` cost the app's process twice the CPU, as
much as the engine's whole answer to a point lookup (docs/web.md, "Benchmark").

:func:`execute` is also what runs in-process for an in-memory store (no hard time limit there).
"""

from __future__ import annotations

import logging
import marshal
import multiprocessing
import os
import queue
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import (
    Busy,
    KGError,
    LocalStore,
    QueryError,
    QueryTimeout,
    ServiceFailed,
    StoreError,
    Word,
    evaluation_error,
)

_log = logging.getLogger(__name__)

KINDS = ("results", "boolean", "graph")
#: Apache Jena's name for a store's default graph, taken in ``default-graph-uri`` so that a
#: dataset can join it with named graphs (the editor's examples).
DEFAULT_GRAPH = "urn:x-arq:DefaultGraph"


@dataclass
class Request:
    """One query, with formats as media types (``None``: that kind of answer is not acceptable)."""

    query: str
    results_type: str | None = "application/sparql-results+json"
    graph_type: str | None = "application/n-triples"
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    base: str | None = None  # relative IRIs in the query resolve against it
    #: Values bound by the engine (a canned query's parameters): (variable, N-Triples term)
    substitutions: tuple[tuple[str, str], ...] | None = None


@dataclass
class Reply:
    kind: str  # "results" | "boolean" | "graph", or "error"
    media_type: str | None = None
    body: bytes = b""
    #: the kg error, as its class's name, its template and its values (as text): marshal-able
    error: tuple[str, str, dict[str, str]] | None = None


def execute(oxigraph: ox.Store, req: Request, prefixes: dict[str, str] | None = None) -> Reply:
    """Run one query on an engine and serialize the answer as asked."""
    # A dataset given with the request replaces the query's (FROM, FROM NAMED) whole: named
    # graphs only mean an empty default graph, and the reverse (SPARQL 1.1 Protocol 2.1.4).
    dataset = req.default_graph is not None or req.named_graphs is not None
    writing = None  # the format of a graph being written, once its triples are all in
    try:
        result = oxigraph.query(
            req.query, base_iri=req.base, substitutions={
                ox.Variable(name): _term(text) for name, text in req.substitutions or ()} or None,
            default_graph=[_graph(g) for g in req.default_graph or []] if dataset else None,
            named_graphs=[ox.NamedNode(g) for g in req.named_graphs or []] if dataset else None)
        if isinstance(result, ox.QueryTriples):
            if req.graph_type is None:
                return Reply("graph")
            fmt = ox.RdfFormat.from_media_type(req.graph_type)
            assert fmt is not None  # the app negotiated it among the formats it serializes
            triples = list(result)
            writing = fmt.name
            body = ox.serialize(triples, format=fmt,
                                prefixes=prefixes if fmt == ox.RdfFormat.TURTLE else None)
            return Reply("graph", req.graph_type, body or b"")
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "results"
        if req.results_type is None:
            return Reply(kind)
        fmt_r = ox.QueryResultsFormat.from_media_type(req.results_type)
        return Reply(kind, req.results_type, result.serialize(format=fmt_r) or b"")
    except (SyntaxError, RuntimeError, OSError, ValueError) as exc:
        # the engine's words said by kg.evaluation
        error = evaluation_error(exc, req.query, writing, dict(req.substitutions or ()))
        return Reply("error", error=(type(error).__name__, error.template,
                                     {k: str(v) for k, v in error.params.items()}))


def _term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A term written in N-Triples (``str`` of a pyoxigraph term), read back."""
    triple = next(iter(ox.parse(f"<urn:x:s> <urn:x:p> {text} .".encode(),
                                format=ox.RdfFormat.N_TRIPLES)))
    return triple.object  # type: ignore[return-value]


def _graph(iri: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if iri == DEFAULT_GRAPH else ox.NamedNode(iri)


#: The kg errors a query's reply may carry, by name (any other: a store error).
ERRORS: dict[str, type[KGError]] = {
    c.__name__: c for c in (QueryError, ServiceFailed, StoreError)}


def raise_for(reply: Reply) -> Reply:
    """``reply``, unless it carries an error: then that error, raised."""
    if reply.kind == "error":
        name, template, params = reply.error or ("StoreError", "", {})
        raise ERRORS.get(name, StoreError)(template, **params)
    return reply


#: How much lower than the app's the CPU priority of a query worker is (``nice``).
NICE = 10
#: The message that has an idle worker let go of its view of an old generation now
#: (:meth:`QueryPool.refresh`); the worker answers it with the same message.
LET_GO = ("let go",)
#: Seconds a worker has to answer :data:`LET_GO` before it is replaced.
LET_GO_SECONDS = 10.0
#: Each message: its length (8 bytes, little-endian), then a marshal-ed tuple.
LENGTH = struct.Struct("<Q")
CHUNK = 1 << 16


def send(sock: socket.socket, message: tuple[Any, ...]) -> None:
    payload = marshal.dumps(message)
    data = memoryview(LENGTH.pack(len(payload)) + payload)
    fd = sock.fileno()
    while data:
        data = data[os.write(fd, data):]


def receive(sock: socket.socket) -> tuple[Any, ...]:
    """One message (EOFError when the other end is gone). A point lookup's answer comes in
    one read; larger ones are read into one buffer."""
    fd, data = sock.fileno(), b""
    while len(data) < LENGTH.size:
        more = os.read(fd, CHUNK)
        if not more:
            raise EOFError("the other end closed the connection")
        data += more
    size = LENGTH.size + LENGTH.unpack_from(data)[0]
    if len(data) >= size:
        message = marshal.loads(memoryview(data)[LENGTH.size:])
    else:
        buffer = bytearray(size)
        buffer[:len(data)] = data
        view, got = memoryview(buffer), len(data)
        while got < size:
            n = os.readv(fd, [view[got:]])
            if not n:
                raise EOFError("the other end closed the connection")
            got += n
        message = marshal.loads(view[LENGTH.size:])
    assert isinstance(message, tuple)
    return message


class _ReadOnly:
    """A read-only store, reopened for a new generation of the app's writes. The view holds the
    generation it opened (:class:`kg.generations.Lease`) until the next one is opened, so the
    query running on it keeps its files whatever the app switches in meanwhile."""

    def __init__(self, path: str) -> None:
        self.path, self.generation = path, -1
        self.view: LocalStore | None = None

    def get(self, generation: int) -> ox.Store:
        if self.view is None or generation != self.generation:
            self.view = LocalStore(Path(self.path), read_only=True)  # the last one let go
            self.generation = generation
        return self.view.oxigraph

    def let_go(self) -> None:
        """Close the view (and its lease): the next query opens the store's current one."""
        if self.view is not None:
            self.view.close()
        self.view = None


def _orphaned(parent: int) -> None:
    """End this worker as soon as the app's process is gone (killed, or cut at the end of a
    SIGTERM's grace period), even in the middle of a query: a worker outliving the app would
    run on, unkillable by anyone but the operator, holding the store open."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def _work(sock: socket.socket, path: str, prefixes: dict[str, str], generation: int,
          parent: int) -> None:
    """The loop of a worker process. Its view of the store is taken before it says it is
    ready (not at its first query, which may come while a page writes)."""
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    # below the app's priority: a query that runs to the time limit holds a core; the app's
    # request threads (lookups, /healthz, pages) are served first (bench/load.py)
    os.nice(NICE)
    store = _ReadOnly(path)
    store.get(generation)
    send(sock, ("ready",))
    while True:
        try:
            message = receive(sock)
        except (EOFError, OSError):
            return
        if message == LET_GO:
            store.let_go()
            send(sock, LET_GO)
            continue
        *fields, generation = message
        try:
            reply = execute(store.get(generation), Request(*fields), prefixes)
        except (OSError, RuntimeError) as exc:
            reply = Reply("error", error=("StoreError", "cannot open store: %(exc)s",
                                          {"exc": str(exc)}))
        send(sock, (reply.kind, reply.media_type, reply.body, reply.error))


@dataclass(eq=False)
class _Worker:
    process: Any
    sock: socket.socket

    def __post_init__(self) -> None:
        self.readable = select.poll()
        self.readable.register(self.sock, select.POLLIN)

    def wait(self, seconds: float) -> bool:
        """Whether the worker answered within ``seconds``."""
        return bool(self.readable.poll(max(0, int(seconds * 1000 + 1))))


class QueryPool:
    """``size`` worker processes over the on-disk store at ``path``."""

    NAME = Word("query worker")

    def __init__(self, path: str | Path, size: int, timeout: float,
                 prefixes: dict[str, str] | None = None) -> None:
        self.path, self.timeout, self.prefixes = str(path), timeout, prefixes or {}
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.generation = 0  # of the app's writes: see refresh
        started = [self._spawn() for _ in range(max(1, size))]
        for worker in started:
            self._ready(worker)

    def _target(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        """A worker's function and its arguments before its socket and the app's pid."""
        return _work, (self.path, self.prefixes, self.generation)

    def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        target, args = self._target()
        process = self._ctx.Process(target=target, args=(child, *args, os.getpid()),
                                    daemon=True, name="hvp-" + self.NAME.replace(" ", "-"))
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        return worker

    def _ready(self, worker: _Worker) -> None:
        if worker.wait(60) and receive(worker.sock) == ("ready",):
            self._idle.put(worker)
        else:
            self._end(worker)
            raise StoreError("a %(name)s could not open the store %(path)s",
                             name=self.NAME, path=self.path)

    def refresh(self) -> None:
        """Have every worker reopen its view before its next query: call after a write is
        complete and flushed. An idle worker lets go of its view now (:data:`LET_GO`), and
        a busy one once its query is answered (:meth:`call`): a view holds its generation,
        whose files are removed only when no reader holds it (:class:`kg.generations.Lease`),
        and a worker may wait hours for its next query."""
        self.generation += 1
        idle: list[_Worker] = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in idle:
            self._let_go(worker)

    def _let_go(self, worker: _Worker) -> None:
        """``worker`` lets go of its view, then waits idle (replaced if it does not answer)."""
        try:
            send(worker.sock, LET_GO)
            if worker.wait(LET_GO_SECONDS) and receive(worker.sock) == LET_GO:
                self._idle.put(worker)
                return
        except (EOFError, OSError):
            pass
        self._replace(worker)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all]

    def run(self, req: Request, timeout: float | None = None) -> Reply:
        """Run ``req`` in a worker; kill the worker at the deadline (QueryTimeout)."""
        return raise_for(Reply(*self.call(
            (req.query, req.results_type, req.graph_type, req.default_graph, req.named_graphs,
             req.base, req.substitutions, self.generation), Word("query"), timeout)))

    def call(self, message: tuple[Any, ...], what: str, timeout: float | None = None
             ) -> tuple[Any, ...]:
        """Send ``message`` to an idle worker and return its answer; kill the worker at the
        deadline (QueryTimeout: the ``what`` exceeded the time limit)."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        try:
            worker = self._idle.get(timeout=limit)
        except queue.Empty:
            raise Busy("all %(name)ss stayed busy for %(limit)s s",
                       name=self.NAME, limit=f"{limit:g}") from None
        try:
            send(worker.sock, message)
            if not worker.wait(deadline - time.monotonic()):
                self._replace(worker)
                raise QueryTimeout("%(what)s exceeded the %(limit)s s time limit",
                                   what=what, limit=f"{limit:g}")
            reply = receive(worker.sock)
        except (EOFError, OSError) as exc:
            self._replace(worker)
            raise StoreError("a %(name)s died: %(exc)s", name=self.NAME, exc=exc) from exc
        if message[-1] != self.generation:  # refreshed while it worked: it lets go now
            self._let_go(worker)
        else:
            self._idle.put(worker)
        return reply

    def _end(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.sock.close()
        with self._lock:
            self._all.discard(worker)

    def _replace(self, worker: _Worker) -> None:
        self._end(worker)
        if not self._closed:
            threading.Thread(target=self._respawn, daemon=True).start()

    def _respawn(self) -> None:
        try:
            worker = self._spawn()
            self._ready(worker)
            if self._closed:
                self._end(worker)
        except Exception:  # noqa: BLE001 - a background thread; queries report busy
            _log.exception("a query worker could not be replaced")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            self._end(worker)
