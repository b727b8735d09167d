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
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from kg import KGError, QueryError, QueryTimeout, TooLarge
from web.child import Child
from web.pool import NICE

#: Seconds a new worker may take to start (imports) before it counts as broken.
START = 60


def _serve(conn: Any, memory_mb: int, parent: int) -> None:
    """The loop of the worker: run each job sent, send back ("ok", value) or ("error", exc)."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    os.nice(NICE)  # below the app, as the query workers (web.pool)
    conn.send(("ready", None))
    while True:
        try:
            function, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", function(*args))
        except MemoryError:
            reply = ("memory", None)
        except KGError as exc:
            reply = ("error", exc)
        conn.send(reply)


def update_on_nothing(text: str) -> None:
    """Run a SPARQL update on an empty in-memory store (a job for the sandbox): QueryError if
    Oxigraph cannot parse it (:func:`web.writes._check_targets`). Here, not there: a job's
    module is imported by the worker, and this one is already."""

    try:
        ox.Store().update(text)
    except (SyntaxError, OSError, RuntimeError, ValueError) as exc:
        raise QueryError("invalid SPARQL update: %(engine)s", engine=exc) from None


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

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in the worker; its value, or its :class:`KGError` raised here."""
        with self.lock:
            conn = self.connection()
            try:
                conn.send((function, args))
                if not conn.poll(self.timeout):
                    self.end()
                    raise QueryTimeout("validation exceeded the %(timeout)s s time limit",
                                       timeout=f"{self.timeout:g}")
                kind, value = conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self.end()
                raise TooLarge(self._memory_message()) from None
        if kind == "memory":
            self.end_quietly()
            raise TooLarge(self._memory_message())
        if kind == "error":
            raise value
        return value

    def _memory_message(self) -> str:
        return (f"the validation worker ran out of its {self.memory_mb} MB of memory (setting "
                "worker_memory) or stopped: send less data")

    def close(self) -> None:
        self.end_quietly()
