"""A killable worker process with a memory limit, for work on what a user uploads (``/shacl``).

Parsing RDF and running pySHACL take time and memory that grow with the upload (and with the
shapes, which a user may send: SHACL-SPARQL constraints are queries). So the app does neither
in its own process: :meth:`Sandbox.run` hands a module-level function and its arguments to one
worker process (``multiprocessing``, spawn), whose address space is limited with
``setrlimit(RLIMIT_AS)`` to ``worker_memory`` MB, and waits at most the time limit. A worker
past the deadline is killed (:class:`kg.errors.QueryTimeout`, 503); one that runs out of memory
(a ``MemoryError``, or an abort in native code) ends its job with :class:`TooLarge` (413). The
next job starts a new worker; so does the first one (the import of pySHACL takes a second or
two and is not counted in the time limit). One job at a time: the ``computing`` gate
(:mod:`web.admission`) admits one.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pyoxigraph as ox

from kg import (
    LocalStore,
    QueryError,
    QueryTimeout,
    TooLarge,
    drop_derived,
    update_checked,
)
from web.child import Child, serve
from web.i18n import N_
from web.pool import NICE

#: Seconds a new worker may take to start (imports) before it counts as broken.
START = 60


def _serve(conn: Any, memory_mb: int, parent: int) -> None:
    """The worker: its limits, then :func:`web.child.serve` running each ``(function, args)``."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    os.nice(NICE)  # below the app, as the query workers (web.pool)
    serve(conn, _call)


def _call(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    function, args = job
    return function(*args)


def update_on_nothing(text: str) -> None:
    """Run a SPARQL update on an empty in-memory store (a job for the sandbox): QueryError if
    Oxigraph cannot parse it (:func:`web.writes._check_targets`). Here, not there: a job's
    module is imported by the worker, and this one is already."""

    try:
        ox.Store().update(text)
    except (SyntaxError, OSError, RuntimeError, ValueError) as exc:
        raise QueryError("invalid SPARQL update: %(engine)s", engine=exc) from None


def update_copy(nquads: bytes, text: str, base: str, source: str | None) -> Change:
    """Run a write on a copy of an in-memory store (its quads as N-Quads), its derived graphs
    dropped, and check what it added (:func:`kg.update_checked`): what it changed (a job for
    the sandbox: the app applies it in one swap, :meth:`Change.apply`)."""
    before = ox.Store()
    before.bulk_extend(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    stage = LocalStore()
    stage.oxigraph.bulk_extend(before)
    drop_derived(stage, base)
    update_checked(before, stage, text, base, source)
    return Change.between(before, stage.oxigraph)


def _nquads(quads: Iterable[ox.Quad]) -> bytes:
    return ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) or b""


@dataclass(frozen=True)
class Change:
    """What a write changed in a copy of a store: quads removed and added (N-Quads), named
    graphs dropped and created (IRIs)."""

    removed: bytes
    added: bytes
    dropped: list[str]
    created: list[str]

    @classmethod
    def between(cls, before: ox.Store, after: ox.Store) -> Change:
        """What makes ``before`` into ``after``."""
        return cls(
            _nquads(q for q in before if q not in after),
            _nquads(q for q in after if q not in before),
            [g.value for g in before.named_graphs()
             if isinstance(g, ox.NamedNode) and not after.contains_named_graph(g)],
            [g.value for g in after.named_graphs()
             if isinstance(g, ox.NamedNode) and not before.contains_named_graph(g)])

    def __bool__(self) -> bool:
        return bool(self.removed or self.added or self.dropped or self.created)

    def apply(self, store: LocalStore) -> None:
        """Make the same change to ``store`` (a staged copy: all or nothing)."""
        for graph in self.dropped:
            store.clear_graph(ox.NamedNode(graph))
        store.remove(ox.parse(self.removed, format=ox.RdfFormat.N_QUADS))
        store.add(ox.parse(self.added, format=ox.RdfFormat.N_QUADS))
        for graph in self.created:
            store.oxigraph.add_graph(ox.NamedNode(graph))


#: The time limit's message by the job that exceeded it (each a message of the catalogue).
_TIMED_OUT = {"validation": N_("validation exceeded the %(timeout)s s time limit"),
              "write": N_("the write exceeded the %(timeout)s s time limit")}


def _orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


class Sandbox(Child):
    """One worker process, started when first needed and after each kill."""

    def __init__(self, memory_mb: int, timeout: float) -> None:
        super().__init__("hvp-sandbox", "validation worker", START)
        self.memory_mb, self.timeout = memory_mb, timeout

    def _target(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return _serve, (self.memory_mb, os.getpid())

    def run(self, function: Callable[..., Any], *args: Any,
            what: Literal["validation", "write"] = "validation") -> Any:
        """``function(*args)`` in the worker; its value, or its :class:`KGError` raised here
        (``what`` names the job in the time limit's message)."""
        with self.lock:
            conn = self.connection()
            try:
                conn.send((function, args))
                if not conn.poll(self.timeout):
                    self.end()
                    raise QueryTimeout(_TIMED_OUT[what], timeout=f"{self.timeout:g}")
                kind, value = conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self.end()
                raise self._out_of_memory() from None
        if kind == "memory":
            self.end_quietly()
            raise self._out_of_memory()
        if kind == "error":
            raise value
        return value

    def _out_of_memory(self) -> TooLarge:
        return TooLarge("the validation worker ran out of its %(memory)s MB of memory (setting "
                        "worker_memory) or stopped: send less data", memory=self.memory_mb)

    def close(self) -> None:
        self.end_quietly()
