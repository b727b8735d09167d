"""A computation of an in-memory store in a forked child, under the write limits (decision 89).

Only the app's process holds an in-memory store, so a page's computation over one (a
classification at a new date, the indicators, a canned query's answer) cannot be handed to
another program as an on-disk store's is (:mod:`web.writer`). :func:`run` forks the app's
process instead: the child has the app, the request's closures and the store's data as the app
had them (copy-on-write), computes, and sends back its value and what it changed in the store
(:class:`web.sandbox.Change`), which the app applies; the app waits at most ``write_timeout``
seconds and kills it then, and the child's address space may grow by ``write_memory`` MB beyond
its size at the fork (``setrlimit(RLIMIT_AS)``). Killed at a limit, the child wrote nothing the
app sees: :class:`kg.LimitExceeded` (503 naming the setting), and the next computation runs.

The child never touches the Oxigraph store it inherits: a thread of the app that was inside the
engine at the fork (a query of a request thread) may have held one of the engine's locks, which
stay held for ever in the child. So ``payload()``, run in the app before the fork, takes what the
child needs (the store's quads as N-Quads), and the child builds its own store from it. The
Python locks the child's work takes (``held``, and the modules' own: :mod:`kg.fork_safe`) are
held by the forking thread across the fork, so that no other thread of the app holds them at
that moment. The child ends with ``os._exit``
(no exit hooks of the app's, no buffers flushed twice) and by itself when the app is gone.
"""

from __future__ import annotations

import math
import os
import pickle
import resource
import select
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import ExitStack, suppress
from typing import Any, TypeVar

from kg import Busy, KGError, StoreError
from web.child import address_space, bare
from web.pool import _orphaned
from web.writer import out_of_memory, over_time

T = TypeVar("T")
P = TypeVar("P")
#: Bytes read from the child at a time.
CHUNK = 1 << 16
#: Seconds to ask again in when the system refuses a child (out of memory or processes).
RETRY_AFTER = 10


def run(payload: Callable[[], P], work: Callable[[P], T], what: str, timeout: float,
        memory_mb: int, held: Iterable[Any] = ()) -> T:
    """``work(payload())``'s value: ``payload()`` here, ``work`` in a forked child under
    ``timeout`` seconds and ``memory_mb`` MB of address space more than at the fork. Its
    :class:`kg.KGError` is raised here; any other exception becomes a :class:`StoreError`;
    :class:`kg.LimitExceeded` when the child was killed at a limit (or died)."""
    given = payload()
    began = time.monotonic()
    reading, writing = os.pipe()
    with ExitStack() as locks:
        for lock in held:
            locks.enter_context(lock)
        try:
            pid = os.fork()
        except OSError as exc:  # ENOMEM/EAGAIN: the system is short of memory or processes
            os.close(reading)
            os.close(writing)
            raise Busy("busy: the system refused a process for %(what)s (%(exc)s); ask again "
                       "in %(retry_after_)s s", RETRY_AFTER, what=what,
                       exc=exc.strerror or str(exc), retry_after_=RETRY_AFTER) from exc
        if pid == 0:  # the child: the locks are released by its copy of the stack
            locks.close()
            os.close(reading)
            _child(writing, work, given, memory_mb, what)
    os.close(writing)
    del given
    try:
        data = _read(reading, began + timeout)
    finally:
        os.close(reading)
    if data is None:
        _kill(pid)
        raise over_time(what, timeout)
    os.waitpid(pid, 0)
    if not data:
        raise out_of_memory(what, memory_mb)
    kind, value = pickle.loads(data)
    if kind == "memory":
        raise out_of_memory(what, memory_mb)
    if kind == "error":
        raise value
    if kind == "failed":
        raise ChildFailed("the forked computation of %(what)s failed: %(exc)s", what=what,
                          exc=value)
    return value  # type: ignore[no-any-return]


class ChildFailed(StoreError):
    """The forked child failed with an error that is not the work's (:class:`kg.KGError`): a
    fault of this program, its trace on standard error (a 500)."""


def _child(writing: int, work: Callable[[Any], Any], given: Any, memory_mb: int,
           what: str) -> None:
    """Run ``work(given)`` and write its pickled reply; never returns."""
    code = 0
    try:
        # the server's sockets (its listening one, clients' connections) are the app's: a
        # child holding copies would keep a connection the app closed open until it ends
        os.closerange(3, writing)
        os.closerange(writing + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        threading.Thread(target=_orphaned, args=(os.getppid(),), daemon=True).start()
        if memory_mb > 0:
            limit = address_space() + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            reply: tuple[str, Any] = ("ok", work(given))
            data = pickle.dumps(reply)
        except MemoryError:
            data = pickle.dumps(("memory", None))
        except KGError as exc:
            data = pickle.dumps(("error", bare(exc)))
        except Exception:  # noqa: BLE001 - the child's own failure: a 500, its trace logged
            trace = traceback.format_exc()
            os.write(2, f"{what}: the forked computation failed\n{trace}".encode(errors="replace"))
            data = pickle.dumps(("failed", trace.rstrip().rpartition("\n")[2]))
        view = memoryview(data)
        while view:
            view = view[os.write(writing, view):]
    except BaseException:  # noqa: BLE001 - nothing written: the app reports the child stopped
        code = 1
    finally:
        os._exit(code)


def _read(reading: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe, or None at the deadline."""
    chunks: list[bytes] = []
    ready = select.poll()  # not select.select: a busy process's descriptors pass FD_SETSIZE
    ready.register(reading, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not ready.poll(math.ceil(left * 1000)):
            return None
        chunk = os.read(reading, CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)

