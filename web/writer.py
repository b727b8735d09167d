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

import os
from collections.abc import Callable
from typing import Any

from kg import LimitExceeded
from web.child import Child
from web.renderer import _by_name

#: Seconds a new writer process may take to start (imports, the app) before it counts as broken.
START = 120
#: The writer process's loop, imported there by name (it builds the app, which imports this).
WORKER = "web.writer_process:work"


def over_time(what: str, timeout: float) -> LimitExceeded:
    """A write (or an in-memory store's computation, :mod:`web.forked`) stopped at
    ``write_timeout``."""
    return LimitExceeded("%(what)s exceeded the %(timeout)s s time limit of a write (setting "
                         "write_timeout): it was stopped and nothing was written",
                         what=what, timeout=f"{timeout:g}")


def out_of_memory(what: str, memory_mb: int) -> LimitExceeded:
    """A write (or an in-memory store's computation) stopped at ``write_memory``, or whose
    process died."""
    return LimitExceeded("%(what)s ran out of the writer's %(memory)s MB of memory (setting "
                         "write_memory) or its process stopped: nothing was written",
                         what=what, memory=memory_mb)


class Writer(Child):
    """One writer process, started when first needed and after each kill."""

    def __init__(self, settings: dict[str, Any], timeout: float, memory_mb: int) -> None:
        super().__init__("hvp-writer", "writer process", START)
        self.settings, self.timeout, self.memory_mb = settings, timeout, memory_mb

    def _target(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return _by_name, (WORKER, self.settings, self.memory_mb, os.getpid())

    def run(self, message: tuple[Any, ...], what: str) -> Any:
        """Send one job (``("page", fields)`` or ``("update", (text, source))``); its value,
        or its error raised here; :class:`LimitExceeded` when the process was stopped at a
        limit."""
        with self.lock:
            conn = self.connection()
            try:
                conn.send(message)
                if not conn.poll(self.timeout):
                    self.end()
                    raise over_time(what, self.timeout)
                kind, value = conn.recv()
            except (EOFError, OSError):
                self.end()
                raise out_of_memory(what, self.memory_mb) from None
            if kind == "memory":
                self.end()
                raise out_of_memory(what, self.memory_mb)
        if kind == "error":
            raise value
        return value

    def stop(self) -> None:
        """End the process between two writes (its handle on the generation it wrote is then
        surely closed: a page's work may keep copies of its store in caches)."""
        self.end_quietly()

    def close(self) -> None:
        """Kill the process now, even in the middle of a write (what waits for it gets
        :class:`LimitExceeded`; the staging generation is removed by the next recovery)."""
        process = self._process
        if process is not None:
            process.kill()
