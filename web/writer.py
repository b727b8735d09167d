"""The writer process: every write of the web app to an on-disk store, under a hard time limit
and a memory limit (decision 43).

What writes the store from the web (a queued computation: a classification at a new date, the
indicator cube, a canned query's answer, a drill-down list; a token holder's ``/update`` or
Graph Store write) runs in one process beside the app, one write at a time, never in the app's
process. Each write is staged (:func:`kg.staged_beside`): a hard-link checkpoint of the store as
the app last flushed it, written there, switched in by one atomic rename. The app waits for it at
most ``write_timeout`` seconds; past them the process is killed (:class:`kg.LimitExceeded`, 503
naming the limit), the staging generation is removed (:func:`kg.recover_store`) and the store is
exactly as before. Its address space may grow by ``write_memory`` MB beyond its size at rest
(``setrlimit(RLIMIT_AS)``); past it the write ends the same way. The next write starts a new
process (its imports and app, a second or two, are not counted in the limit).

A computation is the page request that asked for it, rendered again by the same app in the
writer process (:mod:`web.writer_process`) over the staging generation, where it computes at
once; the page the app serves afterwards reads what was stored or kept. So any page's work can
move here without being taught to travel between processes.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Any

from kg import LimitExceeded, StoreError
from web.renderer import _by_name

#: Seconds a new writer process may take to start (imports, the app) before it counts as broken.
START = 120
#: The writer process's loop, imported there by name (it builds the app, which imports this).
WORKER = "web.writer_process:work"


class Writer:
    """One writer process, started when first needed and after each kill."""

    def __init__(self, settings: dict[str, Any], timeout: float, memory_mb: int) -> None:
        self.settings, self.timeout, self.memory_mb = settings, timeout, memory_mb
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Any = None

    def run(self, message: tuple[Any, ...], what: str) -> Any:
        """Send one job (``("page", fields)`` or ``("update", text)``); its value, or its error
        raised here; :class:`LimitExceeded` when the process was stopped at a limit."""
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self._start()
            try:
                self._conn.send(message)
                if not self._conn.poll(self.timeout):
                    self._end()
                    raise LimitExceeded(
                        f"{what} exceeded the {self.timeout:g} s time limit of a write (setting "
                        "write_timeout): it was stopped and nothing was written")
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                self._end()
                raise LimitExceeded(self._memory_message(what)) from None
            if kind == "memory":
                self._end()
                raise LimitExceeded(self._memory_message(what))
        if kind == "error":
            raise value
        return value

    def _memory_message(self, what: str) -> str:
        return (f"{what} ran out of the writer's {self.memory_mb} MB of memory (setting "
                "write_memory) or its process stopped: nothing was written")

    def pid(self) -> int | None:
        """The writer process's id, or None when none runs."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_by_name, args=(child, WORKER, self.settings, self.memory_mb, os.getpid()),
            daemon=True, name="hvp-writer")
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(START) or parent.recv() != ("ready", None):
            self._end()
            raise StoreError("the writer process did not start")

    def _end(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._conn.close()
        self._process = self._conn = None

    def stop(self) -> None:
        """End the process between two writes (its handle on the generation it wrote is then
        surely closed: a page's work may keep copies of its store in caches)."""
        with self._lock:
            self._end()

    def close(self) -> None:
        """Kill the process now, even in the middle of a write (what waits for it gets
        :class:`LimitExceeded`; the staging generation is removed by the next recovery)."""
        process = self._process
        if process is not None:
            process.kill()
