"""What every command shares: the settings and the store (:class:`App`), messages on standard
error, progress bars, exit codes, option checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from kg import (
    EndpointStore,
    InputError,
    LocalStore,
    Store,
    ensure_reference,
    open_store,
    progress_reporter,
    progress_step,
    reference_loaded,
    require_probes,
)

EXIT_FINDINGS = 1
EXIT_INPUT = 2
# No markup by default: messages hold user text (paths, cells, arguments) to print as it is.
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)


def say(label: str, style: str, message: str) -> None:
    """``label: message`` on standard error, the label styled and the message literal."""
    err.print(Text.assemble((f"{label}:", style), " ", message))


class App:
    """What every command gets: resolved settings and the store, opened on first use."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.settings = values
        self._store: Store | None = None

    @property
    def base(self) -> str:
        return str(self.settings["base"])

    def close(self) -> None:
        if isinstance(self._store, LocalStore):
            self._store.close()
        self._store = None

    def store(self, *, create: bool = False) -> Store:
        """The remote endpoint (``endpoint`` setting) or the embedded store, opened once; an
        embedded store gets the reference data on first use, an endpoint must already hold it.
        A missing on-disk store is an input error unless ``create`` (``hvp ingest``)."""
        if self._store is None:
            store = open_store(self.settings, create=create, beside=not create)
            if isinstance(store, LocalStore) and store.read_only:
                say("note", "yellow", f"store held by {store.held_by or 'another process'}: "
                    "read only")
            elif isinstance(store, LocalStore):
                ensure_reference(store, self.base)
            elif not _probed(store) or not reference_loaded(store):
                raise InputError(
                    "%(store)r has no hvp-kg reference data: `hvp --endpoint URL ingest "
                    "FOLDER` loads it with the data", store=store)
            self._store = store
        return self._store

    def local_store(self, command: str, *, create: bool = False) -> LocalStore:
        """The embedded store, for a command that only works on it."""
        if self.settings.get("endpoint"):
            raise InputError(
                "hvp %(command)s works on the embedded store only; unset --endpoint / "
                "HVP_ENDPOINT", command=command)
        store = self.store(create=create)
        assert isinstance(store, LocalStore)
        return store


def _probed(store: Store) -> bool:
    """Run the `hvp doctor` probes that the current command depends on (raises if one fails)."""
    if isinstance(store, EndpointStore):
        require_probes(store, click.get_current_context().info_name or "")
    return True


pass_app = click.make_pass_decorator(App)


@contextmanager
def progress_bar(enabled: bool = True
                 ) -> Iterator[Callable[[str, int, int | None, int | None], None]]:
    """A progress callback ``(label, done, total, rows)`` (:data:`kg.progress.Progress`): bars
    on a terminal, log lines on standard error otherwise, nothing when not ``enabled``
    (:func:`kg.progress.reporter`)."""
    with progress_reporter(err, enabled) as update:
        yield update


@contextmanager
def working(label: str) -> Iterator[Callable[[int, int], None]]:
    """One bar for a long step of a command (a log line at its start and end when standard
    error is not a terminal): moving until the step reports ``(done, total)`` through the
    callback yielded (if it can), always with the time taken."""
    with progress_bar() as update, progress_step(update, label):
        yield lambda done, total: update(label, done, total, None)


def finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Refuse ``nan`` and ``inf`` (FloatRange lets them through)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number")
    return value
