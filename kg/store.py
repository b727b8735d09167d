"""The store: a thin interface over a SPARQL engine.

:class:`LocalStore` wraps an embedded pyoxigraph store, in memory or on disk. A remote engine
implements the same small interface (``select``, ``ask``, ``construct``, ``update``, ``load``,
``dump``), so ingest, classification and indicators run on either.
Terms are pyoxigraph terms (``NamedNode``, ``Literal``, ``BlankNode``) everywhere.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox

from kg import generations
from kg.errors import InputError, QueryError, StoreError

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term]
Subject = ox.NamedNode | ox.BlankNode | ox.Triple
Graph = ox.NamedNode | ox.BlankNode | ox.DefaultGraph

MEMORY = ":memory:"


class Store(Protocol):
    """What ingest, classification and indicators need from an engine."""

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]: ...
    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool: ...
    def construct(self, query: str,
                  bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]: ...
    def update(self, update: str) -> None: ...
    def load(self, source: IO[bytes] | bytes | Path, fmt: ox.RdfFormat,
             graph: ox.NamedNode | None = None) -> None: ...
    def dump(self, out: IO[bytes], fmt: ox.RdfFormat,
             graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None: ...
    def add(self, quads: Iterable[ox.Quad]) -> None: ...
    def remove(self, quads: Iterable[ox.Quad]) -> None: ...
    def flush(self) -> None: ...
    def __len__(self) -> int: ...


class LocalStore:
    """An embedded Oxigraph store: ``LocalStore()`` in memory, ``LocalStore(path)`` on disk.

    Opening an on-disk store read-write first recovers it from a write that was killed
    (:func:`kg.generations.recover`): it opens in its state before or after that write."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        if path is not None and str(path) in ("", "."):  # Path("") is "."
            raise InputError(f"the store path {str(path)!r} names no store: name a store "
                             f"directory, or {MEMORY} for an in-memory store")
        self.path = None if path in (None, MEMORY) else generations.resolve(
            Path(path))  # type: ignore[arg-type]
        #: Writes made through this object (the web app tells its query workers when one
        #: of its pages wrote derived graphs).
        self.writes = 0
        #: A staging generation (:func:`staged`), whose writes are the staged write's own.
        self.staging = False
        if self.path is not None:
            if not read_only:
                recover_store(self.path)
            check_store_dir(self.path)
        self.engine = _engine(self.path, read_only)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.path) if self.path else MEMORY!r})"

    # --- queries -------------------------------------------------------------------------
    def query(self, query: str, bindings: Mapping[str, Term] | None = None, *,
              union_default_graph: bool = False,
              default_graph: list[Graph] | None = None,
              named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None
              ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a SPARQL query; ``bindings`` are bound by the engine, never formatted in."""
        subs: dict[ox.Variable, Term | ox.Triple] = {
            ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            return self.engine.query(query, substitutions=subs or None,
                                     use_default_graph_as_union=union_default_graph,
                                     default_graph=default_graph, named_graphs=named_graphs)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {exc}") from exc
        except RuntimeError as exc:  # e.g. a bound variable missing from the projection
            raise QueryError(str(exc)) from exc
        except OSError as exc:
            raise StoreError(str(exc)) from exc

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
        return rows_of(self.query(query, bindings))

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        return boolean_of(self.query(query, bindings))

    def construct(self, query: str,
                  bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
        result = self.query(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        return list(result)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Frame every write outside a staged write. Data written (anything but the derived
        graphs of :func:`derived_writes`: a user's own named graph, links, the default graph)
        means the store's base and kept answers no longer hold its data: both are removed
        before the write (a crash between costs speed only) and again after it, and the data
        epoch moves (:data:`DATA_EPOCH`: an answer computed across the write is not kept). A
        derived graph replaced removes the kept answers (:func:`derived_replaced`)."""
        if self.path is None or self.staging:
            yield
            return
        if _derived.active:
            yield
            return
        _data_changed(self.path)
        try:
            yield
        finally:
            _data_changed(self.path)

    def update(self, update: str) -> None:
        self.writes += 1
        try:
            with self._writing():
                self.engine.update(update)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL update: {exc}") from exc
        except OSError as exc:
            raise StoreError(str(exc)) from exc

    # --- bulk data -----------------------------------------------------------------------
    def load(self, source: IO[bytes] | bytes | Path, fmt: ox.RdfFormat,
             graph: ox.NamedNode | None = None, *, base_iri: str | None = None) -> None:
        """Bulk-load RDF (streamed, not transactional: validate before calling, and write
        inside :func:`staged`). ``base_iri`` resolves relative IRIs.

        An in-memory store takes bytes through its transactional loader, which is faster there
        (measured ~1.7x on 1.7M triples); files and on-disk stores use the bulk loader.
        """
        self.writes += 1
        try:
            with self._writing():
                if isinstance(source, Path):
                    self.engine.bulk_load(path=str(source), format=fmt, to_graph=graph,
                                          base_iri=base_iri)
                elif self.path is None and isinstance(source, bytes):
                    self.engine.load(source, format=fmt, to_graph=graph, base_iri=base_iri)
                else:
                    self.engine.bulk_load(source, format=fmt, to_graph=graph,
                                          base_iri=base_iri)
        except OSError as exc:
            raise StoreError(f"cannot load into {self!r}: {exc}") from exc

    def dump(self, out: IO[bytes], fmt: ox.RdfFormat,
             graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
        if graph is None and not fmt.supports_datasets:
            graph = ox.DefaultGraph()
        self.engine.dump(out, format=fmt, from_graph=graph,
                         prefixes=_prefixes() if fmt in _PREFIXED else None)

    def add(self, quads: Iterable[ox.Quad]) -> None:
        self.writes += 1
        with self._writing():
            self.engine.extend(quads)

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        self.writes += 1
        quads = list(quads)
        with self._writing():
            for quad in quads:
                self.engine.remove(quad)

    def quads(self, subject: Subject | None = None, predicate: ox.NamedNode | None = None,
              obj: Term | ox.Triple | None = None, graph: Graph | None = None
              ) -> Iterator[ox.Quad]:
        return self.engine.quads_for_pattern(subject, predicate, obj, graph)

    def named_graphs(self) -> list[ox.NamedNode]:
        """The store's named graphs (as :meth:`kg.endpoint.EndpointStore.named_graphs`)."""
        return [g for g in self.engine.named_graphs() if isinstance(g, ox.NamedNode)]

    def clear_graph(self, graph: ox.NamedNode) -> None:
        if graph in self.engine.named_graphs():
            self.writes += 1
            with self._writing():
                self.engine.remove_graph(graph)

    def flush(self) -> None:
        if self.path is not None:
            self.engine.flush()

    def optimize(self) -> None:
        if self.path is not None:
            self.engine.optimize()

    def __len__(self) -> int:
        return len(self.engine)

    def close(self) -> None:
        """Release the store (and its directory lock) now rather than at garbage collection."""
        self.engine = None  # type: ignore[assignment]


class _Derived(threading.local):
    active = False


_derived = _Derived()
_epoch_lock = threading.Lock()
#: Moves whenever this process writes data to an on-disk store outside a staged write
#: (:meth:`LocalStore._writing`); :func:`kg.answers.kept_bytes` keeps an answer only if it did
#: not move while the answer was computed.
DATA_EPOCH = [0]


def _data_changed(path: Path) -> None:
    with _epoch_lock:
        DATA_EPOCH[0] += 1
        generations.forget_base(path)


@contextmanager
def data_epoch_held() -> Iterator[int]:
    """The data epoch, held (no data write starts or ends) for the block: to keep an answer
    only if the epoch is still the one read before computing it."""
    with _epoch_lock:
        yield DATA_EPOCH[0]


@contextmanager
def derived_writes() -> Iterator[None]:
    """Writes of this thread in the block write derived graphs only (classifications, cubes):
    the store's base stays (:func:`staged`). Writes of data outside a staged write remove it."""
    before, _derived.active = _derived.active, True
    try:
        yield
    finally:
        _derived.active = before


def derived_replaced(store: Store) -> None:
    """A derived graph that answers may have read is being replaced (a classification computed
    again, say under an edited profile): the answers kept for an on-disk store go."""
    path = getattr(store, "path", None)
    if isinstance(path, Path) and not getattr(store, "staging", False):
        generations.forget_answers(path)


def _engine(path: Path | None, read_only: bool = False) -> ox.Store:
    try:
        if path is None:
            return ox.Store()
        if read_only:
            return ox.Store.read_only(str(path))
        return ox.Store(str(path))
    except OSError as exc:
        if "lock file" in str(exc).lower():  # RocksDB: "While lock file: DIR/LOCK: ..."
            raise StoreError(
                f"the store {path} is in use by another process (a running `hvp "
                "serve`?): stop it first; one process at a time can open a store") from exc
        raise StoreError(f"cannot open store {path}: {exc}") from exc


def resolve_store(path: Path) -> Path:
    """The store directory a path names (:func:`kg.generations.resolve`)."""
    return generations.resolve(path)


def recover_store(path: Path) -> None:
    """Bring an on-disk store back from a killed write (:func:`kg.generations.recover`)."""
    try:
        generations.recover(path)
    except OSError as exc:
        raise StoreError(f"cannot recover the store {path} from an interrupted write: "
                         f"{exc}") from exc


@contextmanager
def staged(store: LocalStore, *, data: bool = False) -> Iterator[LocalStore]:
    """All or nothing: the writes made to the store yielded reach ``store`` only if the block
    ends without an exception; otherwise ``store`` is left exactly as it was.

    On disk, the block writes to a hard-link checkpoint of the store, switched in atomically
    when it ends (:mod:`kg.generations`); whatever kills the process, the store opens next in
    its state before or after the block. In memory, the block writes to a copy, swapped in.

    ``data=True``: a write of data after which nothing derived from the data holds (an
    ingest). The checkpoint is then taken from the store's base when it has one (its data
    without the derived graphs: they need no dropping), and the result is kept as the new
    generation's base (:func:`kg.generations.base`)."""
    if store.path is None:
        copy = LocalStore()
        copy.engine.bulk_extend(store.engine)
        yield copy
        store.engine, store.writes = copy.engine, store.writes + copy.writes
        return
    path = store.path
    try:
        with generations.writing(path) as target:
            stage = LocalStore.__new__(LocalStore)
            stage.path, stage.writes, stage.staging = target, 0, True
            kept = generations.base_for(target)
            try:
                source = generations.base(path) if data else None
                if source is not None:
                    ox.Store.read_only(str(source)).backup(str(target))
                else:
                    store.engine.backup(str(target))
                stage.engine = _engine(target)
                yield stage
                stage.flush()
                if data:
                    stage.engine.backup(str(kept))
            except BaseException:
                stage.close()  # before its files go
                shutil.rmtree(target, ignore_errors=True)
                generations.discard(kept)
                raise
            store.close()
            try:
                old = generations.switch(path, target)
            except BaseException:
                if generations.current(path) != target:  # not switched: the old store stays
                    stage.close()
                    shutil.rmtree(target, ignore_errors=True)
                    generations.discard(kept)
                    store.engine = _engine(path)
                    raise
                old = None  # switched; what it replaced is left to the next recover()
            store.engine, store.writes = stage.engine, store.writes + stage.writes
    except (OSError, StoreError) as exc:  # a full disk, most likely
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        reason = f"{cause.strerror} ({cause.filename})" if isinstance(cause, OSError) \
            and cause.strerror and cause.filename else str(cause)
        raise StoreError(f"cannot write the store {path}: {reason}; it is left as it "
                         "was") from exc
    if old is not None:
        generations.discard(old)
        if generations.GENERATION.fullmatch(old.name):
            for kept_for_old in generations.derived_of(old):
                generations.discard(kept_for_old)


def remove_store(path: Path) -> None:
    """Remove an on-disk store, whatever its layout (see :mod:`kg.generations`)."""
    generations.remove(path)


def rows_of(result: object) -> list[Row]:
    """The solutions of a SELECT result as dicts of bound variables."""
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("expected a SELECT query")
    names = [v.value for v in result.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in result]


def boolean_of(result: object) -> bool:
    """The answer of an ASK result."""
    if not isinstance(result, ox.QueryBoolean):
        raise QueryError("expected an ASK query")
    return bool(result)


_PREFIXED = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG)


def _prefixes() -> dict[str, str]:
    from kg.vocab import PREFIXES

    return dict(PREFIXES)


def is_store_dir(path: Path) -> bool:
    """Whether ``path`` holds an on-disk Oxigraph store: RocksDB keeps a ``CURRENT`` file
    (naming its current manifest) in every database directory, from its creation on."""
    return (path / "CURRENT").is_file()


def check_store_dir(path: Path) -> None:
    """Refuse a path that an on-disk store cannot be opened or created in without harm: a file,
    or a directory that holds other things (RocksDB would write its files among them)."""
    if not path.exists():
        return
    if not path.is_dir():
        raise InputError(f"cannot open store {path}: it is not a directory; name a store "
                         "directory (or a new one to create)")
    if not is_store_dir(path) and any(path.iterdir()):
        raise InputError(
            f"{path} is not a store: the directory is not empty and holds no Oxigraph store "
            "(a store directory, written by RocksDB, has a CURRENT file); name the store "
            "directory, or a new or empty one to create a store")


def store_setting(settings: Mapping[str, object]) -> str:
    """The ``store`` setting: a directory or ``:memory:``; an empty value is refused."""
    value = settings.get("store")
    if value is None:
        return MEMORY
    if not str(value).strip():
        raise InputError("the store setting (--store / HVP_STORE) is empty: name a store "
                         f"directory, or {MEMORY} for an in-memory store")
    return str(value)


def check_endpoint(url: str) -> None:
    """Refuse an ``endpoint`` setting that is not an http(s) URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"the endpoint setting (--endpoint / HVP_ENDPOINT) {url!r} is not an "
                         "http(s) URL: give the query URL of a SPARQL endpoint, e.g. "
                         "http://localhost:7878/query")


def open_store(settings: Mapping[str, object], *, create: bool = False) -> Store:
    """The store that the settings name: a remote endpoint, or the embedded one.

    An on-disk store that does not exist yet (a missing or empty directory) is created only
    with ``create=True`` (``hvp ingest``); otherwise it is an :class:`InputError`, so that a
    mistyped ``--store`` is not taken for a new, empty store."""
    endpoint = settings.get("endpoint")
    if endpoint:
        from kg.endpoint import EndpointStore

        check_endpoint(str(endpoint))
        return EndpointStore.from_settings(settings)  # type: ignore[return-value]
    target = store_setting(settings)
    if target != MEMORY:
        path = generations.resolve(Path(target))
        recover_store(path)  # a store left by a killed write: linked back before it is looked for
        if not create and not is_store_dir(path):
            check_store_dir(path)  # a file or a folder of other things, said as such
            raise InputError(f"no store at {target}: run `hvp ingest` first (or check --store "
                             "/ HVP_STORE)")
    return LocalStore(target)
