"""Answers of canned queries kept beside an on-disk store, for the data they were computed from.

A canned query's answer depends on the store's data, its parameters, the criteria profile and
the base IRI only: the derived graphs it reads (a classification at a date, the indicator cube)
are computed from those. Aggregates over every patent take seconds at a million patents
(docs/performance.md), so the answer is kept, as SPARQL JSON results, in a folder of the store's
current generation (:func:`kg.generations.answers`) and read back the next time. A new
generation (an ingest) starts with none; a write of data outside an ingest removes them with the
store's base (:meth:`kg.store.LocalStore._data_written`). An in-memory store keeps none.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path

import pyoxigraph as ox

from kg import generations
from kg.store import LocalStore, Term

FORMAT = ox.QueryResultsFormat.JSON
#: The most answers kept per generation (the oldest go first): a visitor asking for ever new
#: parameter values (a text to look for) must not fill the disk.
MOST = 1000


def key(text: str, bound: Mapping[str, Term], profile: str, base: str) -> str:
    """What identifies an answer: the query's text, its bound parameters, profile and base."""
    parts = [text, profile, base, *(f"{k}={v}" for k, v in sorted(bound.items()))]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def kept(store: LocalStore, name: str, run: Callable[[], ox.QuerySolutions]
         ) -> ox.QuerySolutions:
    """The answer kept under ``name`` for the store's current data, else ``run()``'s, kept."""
    folder = generations.answers(store.path) if store.path is not None else None
    if folder is None:
        return run()
    path = folder / f"{name}.srj"
    with suppress(FileNotFoundError):
        return ox.parse_query_results(path.read_bytes(), FORMAT)  # type: ignore[return-value]
    data = run().serialize(format=FORMAT) or b""
    _write(path, data)
    _prune(folder)
    return ox.parse_query_results(data, FORMAT)  # type: ignore[return-value]


def _prune(folder: Path, most: int = MOST) -> None:
    """Remove the oldest answers beyond ``most``."""
    files = list(folder.glob("*.srj"))
    if len(files) > most:
        for old in sorted(files, key=_age)[: len(files) - most]:
            with suppress(FileNotFoundError):
                old.unlink()


def _age(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all (a reader never sees half an answer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:
        with suppress(FileNotFoundError):
            os.unlink(tmp)  # a full disk: the answer is simply not kept
