"""Admission control: expensive work is refused (503, ``Retry-After``) when as much of it runs as
the app allows, instead of queueing in request threads until cheap requests starve.

Two gates (:class:`Gate`), one per kind of expensive work:

- ``queries``: ``/sparql`` queries that are not lookups, one per query worker (``workers``);
  they wait for nothing but their own worker.
- ``computing``: work in the app's request threads or its SHACL worker, ``computing`` at once
  (default 1): ``/shacl``, a write (on disk it runs in the writer process, :mod:`web.writer`)
  and a list's whole download not kept yet (:mod:`web.listing`: its rows looked up as it
  streams, the slot held to its last byte).
  Pages that compute (canned queries, the dashboard, a patent page at a date not classified
  yet) queue their computation (:mod:`web.computations`) and answer at once; on an in-memory
  store ``computing`` requests may wait for it a moment (``compute_wait``, :meth:`Gate.held`).

Pages wait for a page worker (:mod:`web.renderer`) only while fewer than ``page_queue`` others
wait; one more is refused at once likewise.

A request refused at a gate holds its request thread only to answer, so with ``workers +
page_workers + computing`` (2 + 2 + 1) well below the server's request threads (``hvp serve
--threads``, 32) threads are always left for lookups, pages and ``/healthz``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kg import Busy


class Gate:
    """At most ``slots`` requests of one kind at once; one more is refused with :class:`Busy`."""

    def __init__(self, kind: str, slots: int, retry_after: int = 2) -> None:
        self.kind, self.slots, self.retry_after = kind, max(1, slots), retry_after
        self._free = threading.BoundedSemaphore(self.slots)

    @contextmanager
    def enter(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            raise Busy("busy: %(slots)s %(kind)s already running, the most this service runs "
                       "at once; ask again in %(retry_after_)s s",
                       self.retry_after,
                       slots=self.slots, kind=self.kind, retry_after_=self.retry_after)
        try:
            yield
        finally:
            self._free.release()

    @contextmanager
    def held(self) -> Iterator[bool]:
        """Whether a slot was free, held until the block ends; never refuses."""
        free = self._free.acquire(blocking=False)
        try:
            yield free
        finally:
            if free:
                self._free.release()
