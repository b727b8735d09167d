"""Python's cyclic garbage collector, paused around allocation-heavy work.

The collector is one per process, so a pause reaches every thread (a web app's request threads
included) for as long as it lasts. :func:`paused` is therefore kept to the part of a job that
builds millions of long-lived, acyclic objects (a classification's rows and evidence), and it
is counted: overlapping pauses from several threads leave the collector off until the last one
ends, then put it back as it was before the first (on every exit path, an exception included).
A collector that was already off (by the program's own choice) stays off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from kg import fork_safe

_lock = fork_safe.lock()  # free in a forked child
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the duration (reference counting still frees everything)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def depth() -> int:
    """How many pauses are in progress (0: the collector is as the program left it)."""
    return _depth
