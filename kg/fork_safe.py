"""Locks that are free in a forked child.

A child forked by one thread (an in-memory store's computation, :mod:`web.forked`) has that
thread alone; a lock another thread held at that moment stays held in the child for ever, and
the child's work waits on it until it is killed at its time limit. A module-level lock that such
work may take is made here: the forking thread takes it before the fork (waiting for its holder,
a moment) and lets it go after, in the parent and in the child.
"""

from __future__ import annotations

import os
import threading


def lock() -> threading.Lock:
    """A new lock, held by the forking thread across every ``os.fork()`` of this process."""
    made = threading.Lock()
    os.register_at_fork(before=made.acquire, after_in_parent=made.release,
                        after_in_child=made.release)
    return made
