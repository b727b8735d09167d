"""Computations queued: a page's first computation runs in the background, and the page says
so instead of holding a request thread (issue 14, item 4).

A page whose answer is neither stored nor kept yet (a patent page at a date not classified, the
dashboard before its indicators, a canned query before its answer, on an on-disk store) submits
its computation here, keyed by what it computes, and answers at once with
:class:`kg.errors.Queued`: 503 with ``Retry-After`` and, for a browser, a page that says "being
computed, ready in about N s" and reloads itself then (``Refresh``). Asked again meanwhile, the
same key joins the same job. One thread of the app runs the jobs in order; on an on-disk store
each job is the page request rendered again in the writer process (:mod:`web.writer`, under
``write_timeout`` and ``write_memory``; cut at a limit, it is a failed job and the store is as
before), and when it is done the next request of its key reads what it stored or kept. On an
in-memory store each job runs in a child the app forks, under the same limits (:mod:`web.forked`;
decisions 82 and 89), and the request may wait a moment for it (``wait``). A job
that failed gives its error to the next request of its key, once: a later visit tries again.

"About N s" is what the last job of the same kind took (:data:`FIRST_GUESS` before any), less
what the running one has spent, plus the jobs queued before it. At most :data:`MOST` jobs wait;
one more is refused (:class:`kg.errors.Busy`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from kg import Busy, KGError, Queued, StoreError

LOG = logging.getLogger(__name__)
#: Seconds a computation of a kind never run before is guessed to take.
FIRST_GUESS = 3.0
#: The most jobs queued or running at once.
MOST = 32
#: The most finished jobs whose value waits for its next request (the oldest go first).
DONE = 64
#: The longest ``Retry-After``: a page reloads at least this often while it waits.
LONGEST_WAIT = 30


@dataclass(eq=False)
class Job:
    key: Hashable
    kind: str
    work: Callable[[], Any]
    started: float = 0.0
    value: Any = None
    error: KGError | None = None
    finished: threading.Event = field(default_factory=threading.Event)


class Computations:
    """The queue and its thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Job] = deque()
        self._pending: dict[Hashable, Job] = {}  # queued or running
        self._done: OrderedDict[Hashable, Job] = OrderedDict()
        self._took: dict[str, float] = {}
        self._running: Job | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def result(self, key: Hashable, kind: str, work: Callable[[], Any], keep: bool = False,
               wait: float = 0.0) -> Any:
        """``work()``'s value if its job is done; else the job queued (if it is not yet) and
        :class:`Queued` raised with the time it should take, after waiting at most ``wait``
        seconds for it to end (its value then given at once). A value is given once, or, with
        ``keep``, to every request until :meth:`forget` (an answer of a store that keeps no
        answers on disk)."""
        with self._lock:
            job = self._queued(key, kind, work)
            if job is None:
                return self._take(key, keep)
            seconds = self._eta(job)
        if wait > 0 and job.finished.wait(wait):
            with self._lock:
                if key in self._done:
                    return self._take(key, keep)
        wait_s = min(LONGEST_WAIT, max(1, math.ceil(seconds)))
        raise Queued("being computed (%(kind)s): ready in about %(ceil)s s; ask again then (a "
                     "browser reloads this page by itself in %(wait)s s)", wait_s,
                     kind=kind, ceil=math.ceil(seconds), wait=wait_s)

    def _take(self, key: Hashable, keep: bool) -> Any:
        """The value (or error) of the finished job of ``key`` (called with the lock held)."""
        done = self._done[key]
        if done.error is not None or not keep:
            del self._done[key]
        else:
            self._done.move_to_end(key)
        if done.error is not None:
            raise done.error
        return done.value

    def _queued(self, key: Hashable, kind: str, work: Callable[[], Any]) -> Job | None:
        """The job of ``key`` queued or running (queued now if it is neither), or None when it
        is done (called with the lock held)."""
        if key in self._done:
            return None
        job = self._pending.get(key)
        if job is None:
            if len(self._pending) >= MOST:
                raise Busy("busy: %(most)s computations already queued, the most this "
                           "service queues; ask again in %(longest_wait)s s", LONGEST_WAIT,
                           most=MOST, longest_wait=LONGEST_WAIT)
            job = self._pending[key] = Job(key, kind, work)
            self._queue.append(job)
            self._start()
        return job

    def _eta(self, job: Job) -> float:
        """Seconds until ``job`` should be done (called with the lock held)."""
        seconds = 0.0
        running = self._running
        if running is not None:
            guess = self._took.get(running.kind, FIRST_GUESS)
            seconds += max(1.0, guess - (time.monotonic() - running.started))
        for queued in self._queue:
            seconds += self._took.get(queued.kind, FIRST_GUESS)
            if queued is job:
                break
        return seconds

    def _start(self) -> None:
        self._wake.set()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name="hvp-computations")
            self._thread.start()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                if not self._queue:
                    self._wake.clear()
                    continue
                job = self._running = self._queue.popleft()
                job.started = time.monotonic()
            try:
                job.value = job.work()
            except KGError as exc:
                job.error = exc
                if isinstance(exc, StoreError):  # a 500: the page says nothing of it
                    LOG.exception("the computation of %s failed", job.kind)
            except Exception as exc:  # noqa: BLE001 - reported to the page that asked
                LOG.exception("the computation of %s failed", job.kind)
                job.error = StoreError("the computation failed: %(exc)s", exc=exc)
            with self._lock:
                self._took[job.kind] = time.monotonic() - job.started
                self._running = None
                del self._pending[job.key]
                self._done[job.key] = job
                while len(self._done) > DONE:
                    self._done.popitem(last=False)
            job.finished.set()

    def pending(self, key: Hashable) -> bool:
        """Whether a job of ``key`` is queued or running (what it writes is not published)."""
        with self._lock:
            return key in self._pending

    def forget(self) -> None:
        """Drop the values of finished jobs (the data changed)."""
        with self._lock:
            self._done.clear()

    def waiting(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return len(self._pending)
