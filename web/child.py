"""One killable child process over a pipe, started when first needed and after each kill: what
the sandbox (:mod:`web.sandbox`, uploads on ``/shacl``) and the writer (:mod:`web.writer`, every
web write to an on-disk store) share.

The child is spawned (a fork of the app could inherit its store's locks and threads mid-way), runs
:func:`serve` (it says ``("ready", None)`` when its loop runs), and is killed, never asked to
stop: past a limit its work is abandoned whole. Callers hold :attr:`Child.lock` around a job (one
job at a time).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kg import KGError, StoreError

E = TypeVar("E", bound=BaseException)


def serve(conn: Any, handle: Callable[[Any], Any],
          failed: Callable[[Exception], KGError] | None = None,
          after: Callable[[], None] | None = None) -> None:
    """A child's loop: say ready, then answer each job received with ``("ok", handle(job))``,
    ``("error", exc)`` for a :class:`KGError` (or for what ``failed`` makes of any other
    exception; without it such an exception ends the child), ``("memory", None)`` for a
    :class:`MemoryError`; ``after()`` runs before each answer. Returns when the pipe closes."""
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", handle(job))
        except MemoryError:
            reply = ("memory", None)
        except KGError as exc:
            reply = ("error", bare(exc))
        except Exception as exc:
            if failed is None:
                raise
            reply = ("error", bare(failed(exc)))
        if after is not None:
            after()
        conn.send(reply)


def address_space() -> int:
    """This process's address space now, in bytes (``VmSize``): a child's memory limit is set
    beyond it."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def bare(exc: E) -> E:
    """The error without its traceback and context (pickled without them anyway), nor those of
    an error among its values (a parser's refusal that a rule's message holds): their frames
    would keep what the job used alive until the next job, a staging generation's engine (its
    RocksDB lock) among them, and the next write, staged in a generation of the same number,
    could not open it."""
    exc.__context__ = exc.__cause__ = None
    for value in getattr(exc, "params", {}).values():
        if isinstance(value, BaseException):
            bare(value)
    return exc.with_traceback(None)


class Child:
    """A child process running ``target(conn, *args)``, named ``name`` (``what`` in errors)."""

    def __init__(self, name: str, what: str, start_seconds: float) -> None:
        self.name, self.what, self.start_seconds = name, what, start_seconds
        self.lock = threading.Lock()
        self._ctx = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: Any = None

    def _target(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        """The child's loop and its arguments after the pipe's end (a subclass's)."""
        raise NotImplementedError

    def connection(self) -> Any:
        """The pipe to a running child, started first if none runs (hold :attr:`lock`)."""
        if self._process is None or not self._process.is_alive():
            self._start()
        return self._conn

    def pid(self) -> int | None:
        """The child's process id, or None when none runs."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        target, args = self._target()
        process = self._ctx.Process(target=target, args=(child, *args), daemon=True,
                                    name=self.name)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(self.start_seconds) or parent.recv() != ("ready", None):
            self.end()
            raise StoreError("the %(what)s did not start", what=self.what)

    def end(self) -> None:
        """Kill the child and forget it (hold :attr:`lock`); the next job starts another."""
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._conn.close()
        self._process = self._conn = None

    def end_quietly(self) -> None:
        """:meth:`end`, taking :attr:`lock`."""
        with self.lock:
            self.end()
