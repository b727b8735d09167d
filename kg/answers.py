"""Answers kept beside an on-disk store, for the data they were computed from: canned queries'
results and the indicators (:func:`kg.indicators.compute`).

An answer depends on the store's data, the query and its parameters, the criteria profile, the
base IRI and this program's own code only: the derived graphs it reads (a classification at a
date, the indicator cube) are computed from those. Aggregates over every patent take seconds at
a million patents (docs/performance.md), so the answer is kept in a folder of the store's current
generation (:func:`kg.generations.answers`) and read back the next time. A new generation (an
ingest) starts with none; a write of data outside an ingest removes them and keeps none
computed across it (:meth:`kg.store.LocalStore._writing`); a derived graph rewritten (`hvp
classify` again, under an edited profile) removes them too. An in-memory store keeps none.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from kg import generations
from kg.errors import StoreError
from kg.folders import ONTOLOGY, SHAPES
from kg.profiles import resolve
from kg.store import DATA_EPOCH, LocalStore, Term, data_epoch_held

FORMAT = ox.QueryResultsFormat.JSON
#: The most answers kept per generation (the oldest go first): a visitor asking for ever new
#: parameter values (a text to look for) must not fill the disk.
MOST = 1000


def key(text: str, bound: Mapping[str, Term], profile: str, base: str) -> str:
    """What identifies an answer: the query's text, its bound parameters, the profile (its
    name and the text of the shapes it can read, so that an edited profile is not answered
    from before) and the base."""
    parts = [text, profile_key(profile), base, *(f"{k}={v}" for k, v in sorted(bound.items()))]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def profile_key(profile: str) -> str:
    """A profile's name and a digest of what an answer under it may read besides the data: the
    Turtle beside the profile's own file, and this program (:func:`_code`)."""
    path = resolve(profile)
    digest = hashlib.sha256(f"{profile}\x00{_code()}".encode())
    for file in sorted(path.parent.glob("*.ttl")):
        digest.update(file.read_bytes())
    return digest.hexdigest()


@cache
def _code() -> str:
    """A digest of this program: its Python and SPARQL files, the shipped shapes and ontology
    (an upgrade answers nothing from before it)."""
    digest = hashlib.sha256()
    for folder, patterns in ((Path(__file__).parent, ("*.py", "*.rq")), (SHAPES, ("*.ttl",)),
                             (ONTOLOGY, ("*.ttl",))):
        for file in sorted(f for pattern in patterns for f in folder.rglob(pattern)):
            digest.update(file.read_bytes())
    return digest.hexdigest()


def kept(store: LocalStore, name: str, run: Callable[[], ox.QuerySolutions]
         ) -> ox.QuerySolutions:
    """The answer kept under ``name`` for the store's current data, else ``run()``'s, kept."""
    data = kept_bytes(store, f"{name}.srj", lambda: run().serialize(format=FORMAT) or b"")
    return ox.parse_query_results(data, FORMAT)  # type: ignore[return-value]


def kept_bytes(store: LocalStore | object, name: str, make: Callable[[], bytes]) -> bytes:
    """The bytes kept under the file name ``name`` for the store's current data, else
    ``make()``'s, kept (an in-memory or remote store keeps nothing). A read-only view (a
    store's ``read_only``) reads what is kept and keeps nothing; one whose ``defers_unkept``
    is set (the web app's views: :mod:`web.renderer`, :meth:`web.service.Service.computed`)
    computes nothing either (:class:`StoreError`), leaving the work to the store's holder."""
    found = read(store, name)
    if found is not None:
        return found
    if getattr(store, "read_only", False) and getattr(store, "defers_unkept", False):
        # a page's view: its holder computes it
        raise StoreError("answer %(name)s not kept: a read-only view of the store computes "
                         "none", name=name)
    before = DATA_EPOCH[0]
    data = make()
    keep(store, name, data, before)
    return data


#: Characters of a piece of kept text read back (:func:`kept_text`), to the next line's end.
PIECE = 1 << 16


def kept_text(store: LocalStore | object, name: str, make: Callable[[], Iterable[str]],
              keepable: Callable[[str], bool] = lambda text: True) -> Iterator[str]:
    """A long text (a download) kept under ``name`` for the store's current data, in pieces:
    read back in pieces of about :data:`PIECE` characters that end at a line's end; else
    ``make()``'s pieces as they come (the first at once), the whole kept when it was read to
    its end and ``keepable`` says so. What keeps an answer keeps it (:func:`keep`)."""
    found = read(store, name)
    if found is not None:
        text = found.decode("utf-8")
        start = 0
        while start < len(text):
            end = text.find("\n", start + PIECE)
            end = len(text) if end < 0 else end + 1
            yield text[start:end]
            start = end
        return
    epoch = DATA_EPOCH[0]
    pieces = []
    for piece in make():
        pieces.append(piece)
        yield piece
    whole = "".join(pieces)
    if keepable(whole):
        keep(store, name, whole.encode("utf-8"), epoch)


def _folder(store: LocalStore | object) -> Path | None:
    """Where the answers of the store's current data are kept (None in memory or remote)."""
    path = getattr(store, "path", None)
    return generations.answers(path) if isinstance(path, Path) else None


def is_kept(store: LocalStore | object, name: str) -> bool:
    """Whether something is kept under ``name`` for the store's current data."""
    folder = _folder(store)
    return folder is not None and (folder / name).is_file()


def read(store: LocalStore | object, name: str) -> bytes | None:
    """The bytes kept under ``name`` for the store's current data, or None."""
    folder = _folder(store)
    if folder is not None:
        with suppress(FileNotFoundError):
            return (folder / name).read_bytes()
    return None


def keep(store: LocalStore | object, name: str, data: bytes, epoch: int) -> None:
    """Keep ``data`` under ``name``, computed from the data as it was at the data epoch
    ``epoch`` (``DATA_EPOCH[0]`` read before computing): only if no data was written since, and
    only by the store's holder (a read-only view, a command beside the holder, an in-memory or
    remote store keep nothing)."""
    folder = _folder(store)
    if folder is None or getattr(store, "read_only", False):
        return
    with data_epoch_held() as now:
        if now == epoch:  # no data was written meanwhile: the answer is the data's
            _write(folder / name, data)
            _prune(folder)


def _prune(folder: Path, most: int = MOST) -> None:
    """Remove the oldest answers beyond ``most``."""
    files = [f for f in folder.iterdir() if not f.name.startswith(".part-")]
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
