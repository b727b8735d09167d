"""Progress of long work, shown to people: bars on a terminal, plain log lines elsewhere.

Work reports through a callback ``progress(label, done, total, rows)`` (:data:`Progress`): one
label per file or step; ``total`` None while the size is unknown; the last call of a label has
``done == total``; :func:`step` frames a step that cannot be measured. :func:`reporter` turns
such calls into what a person reads:

- on a terminal, one rich bar per label: percentage, rows and rows/s, time taken, time left;
- elsewhere (a log file, CI, a pipe), plain lines: every ``every`` seconds for each label still
  running (percentage, rate, time left, or the time it has run) and one when a label ends (time
  taken), so that a run of many minutes says how far it is in its log too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bars

Progress = Callable[[str, int, int | None, int | None], None]
"""``progress(label, done, total, rows)``, called now and then. ``label`` names a file being
read (``done`` of its ``total`` bytes, ``rows`` rows or triples read so far) or a step of
writing the store (``rows`` None; ``total`` None while its size is unknown). The first call for
a label is made when its work starts (``done`` 0); ``done`` reaches ``total`` on its last call
only, when the work is finished."""

#: Seconds between two log lines of the same label when the output is not a terminal.
LOG_EVERY = 10.0


def clock(seconds: float) -> str:
    """``0:01:10``: a duration to the second."""
    return str(timedelta(seconds=round(max(seconds, 0.0))))


@dataclass
class _Label:
    start: float
    done: int = 0
    total: int | None = None
    rows: int | None = None


class _Lines:
    """Plain progress lines for a log: a line per label when it ends, and, every ``every``
    seconds, one for each label still running (also for a step that reports nothing between
    its start and its end, such as a bulk load), from a ticker thread."""

    def __init__(self, console: Console, every: float) -> None:
        self.console, self.every = console, every
        self.running: dict[str, _Label] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="hvp-progress", daemon=True)
        self.ticker.start()

    def __call__(self, label: str, done: int, total: int | None, rows: int | None) -> None:
        with self.lock:
            state = self.running.setdefault(label, _Label(time.monotonic()))
            state.done, state.total, state.rows = done, total, rows
            if total is None or done < total:
                return
            del self.running[label]
        counted = f", {rows:,} rows" if rows is not None else ""
        self.console.print(f"{label}: done in {clock(time.monotonic() - state.start)}{counted}")

    def _tick(self) -> None:
        while not self.stopped.wait(self.every):
            now = time.monotonic()
            with self.lock:
                lines = [f"{label}: {_where(s.done, s.total, s.rows, now - s.start)}"
                         for label, s in self.running.items()]
            for line in lines:
                self.console.print(line)

    def close(self) -> None:
        self.stopped.set()
        self.ticker.join()


def _where(done: int, total: int | None, rows: int | None, elapsed: float) -> str:
    """``45% (12,000 rows, 3,400 rows/s), 0:01:10 left`` or ``running for 0:00:30``."""
    parts = []
    if total:
        parts.append(f"{done / total:.0%}")
    if rows is not None:
        rate = f", {rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        parts.append(f"({rows:,} rows{rate})")
    if total and done > 0:
        parts[-1] += ","
        parts.append(f"{clock(elapsed * (total - done) / done)} left")
    return " ".join(parts) or f"running for {clock(elapsed)}"


@contextmanager
def reporter(console: Console, enabled: bool = True, every: float = LOG_EVERY
             ) -> Iterator[Progress]:
    """A progress callback drawing bars on a terminal, writing log lines elsewhere, or doing
    nothing (``enabled`` False: ``--quiet``)."""
    if not enabled:
        yield lambda label, done, total, rows: None
    elif not console.is_terminal:
        lines = _Lines(console, every)
        try:
            yield lines
        finally:
            lines.close()
    else:
        with _bars(console) as update:
            yield update


@contextmanager
def _bars(console: Console) -> Iterator[Progress]:
    columns = (TextColumn("{task.description}", markup=False), BarColumn(bar_width=24),
               TaskProgressColumn(), TextColumn("{task.fields[rows]}", justify="right"),
               TextColumn("{task.fields[rate]}", justify="right"), TimeElapsedColumn(),
               TimeRemainingColumn(compact=True, elapsed_when_finished=False))
    with Bars(*columns, console=console, transient=False) as bar:
        tasks: dict[str, tuple[TaskID, float]] = {}

        def update(label: str, done: int, total: int | None, rows: int | None) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total, rows="", rate=""), time.monotonic()
            task, start = tasks[label]
            fields: dict[str, Any] = {}
            if rows is not None:
                elapsed = time.monotonic() - start
                fields = {"rows": f"{rows:,} rows",
                          "rate": f"{rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""}
            bar.update(task, total=total, completed=done, **fields)
            if total is not None and done >= total:
                bar.stop_task(task)

        yield update


@contextmanager
def step(progress: Progress | None, label: str) -> Iterator[None]:
    """A step whose progress cannot be measured, told to ``progress``: started (no total),
    then ended (1 of 1). Also the frame of a command's bar (``kg.cli.app.working``)."""
    if progress:
        progress(label, 0, None, None)
    yield
    if progress:
        progress(label, 1, 1, None)


#: Seconds between two looks at how far a file being read has been read (:func:`reading`).
READ_EVERY = 1.0


@contextmanager
def reading(progress: Progress | None, label: str, path: Path,
            every: float = READ_EVERY) -> Iterator[None]:
    """A step that reads the file at ``path`` in this process without telling how far it is
    (the engine's bulk load), measured by where this process's descriptors on that file are
    (``/proc/self/fdinfo``): done as bytes read of the file's size, hence a percentage and
    time left. The reading ends a little before the step (the loader's last files are
    written after), so the bar stays just under its end until then. Where the descriptors
    cannot be read, it is a :func:`step` (its time run only)."""
    if not progress:
        yield
        return
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    target = os.path.realpath(path)
    progress(label, 0, size or None, None)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(every):
            at = _read_so_far(target)
            if at and size:
                progress(label, min(at, size - 1), size, None)

    watcher = threading.Thread(target=watch, name="hvp-reading", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
    progress(label, size or 1, size or 1, None)


def _read_so_far(target: str) -> int:
    """The furthest offset of this process's open descriptors on the file ``target`` (0 if
    none, or where ``/proc`` cannot say)."""
    furthest = 0
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return 0
    for fd in descriptors:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != target:
                continue
            with open(f"/proc/self/fdinfo/{fd}") as info:
                for line in info:
                    if line.startswith("pos:"):
                        furthest = max(furthest, int(line.split()[1]))
                        break
        except (OSError, ValueError):  # closed meanwhile
            continue
    return furthest
