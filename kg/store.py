"""The store: a thin interface over a SPARQL engine.

:class:`LocalStore` wraps an embedded pyoxigraph store, in memory or on disk. A remote engine
(:class:`kg.endpoint.EndpointStore`) implements the same small interface
(:class:`kg.protocol.Store`: ``select``, ``ask``, ``construct``, ``update``, ``load``, ``dump``),
so ingest, classification and indicators run on either; :func:`open_store` picks the one the
settings name.
Terms are pyoxigraph terms (``NamedNode``, ``Literal``, ``BlankNode``) everywhere.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pyoxigraph as ox

from kg import fork_safe, generations
from kg.endpoint import EndpointStore
from kg.errors import InputError, QueryError, StoreError, StoreInUse
from kg.evaluation import failure
from kg.protocol import Row, Store, Term, boolean_of, rows_of
from kg.vocab import PREFIXES

Subject = ox.NamedNode | ox.BlankNode | ox.Triple
Graph = ox.NamedNode | ox.BlankNode | ox.DefaultGraph

MEMORY = ":memory:"


#: Quads removed per batch when a graph of an on-disk store is cleared (LocalStore.clear_graph).
REMOVED_AT_ONCE = 20_000


class LocalStore:
    """An embedded Oxigraph store: ``LocalStore()`` in memory, ``LocalStore(path)`` on disk.

    Opening an on-disk store read-write first recovers it from a write that was killed
    (:func:`kg.generations.recover`): it opens in its state before or after that write.
    ``read_only``: a view of the store as it is when opened, beside the process that holds it
    (a running ``hvp serve``); every write is refused, naming ``held_by``."""

    read_only = False
    #: Who holds a store opened read only beside it (``hvp serve (pid 123)``).
    held_by = ""
    #: The generation this store reads, held while it is open (:class:`kg.generations.Lease`).
    lease: generations.Lease | None = None

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        if path is not None and str(path) in ("", "."):  # Path("") is "."
            raise InputError("the store path %(path)r names no store: name a store directory, "
                             "or %(memory)s for an in-memory store",
                             path=str(path), memory=MEMORY)
        self.path = None if path in (None, MEMORY) else generations.resolve(
            Path(path))  # type: ignore[arg-type]
        #: Writes made through this object (the web app tells its query workers when one
        #: of its pages wrote derived graphs).
        self.writes = 0
        #: Writes of data made through this object (anything but the derived graphs of
        #: :func:`derived_writes`; a staged write counts as one): what is built from the data
        #: in a process (the reconciliation's owner index) is built again when it moves.
        self.data_writes = 0
        #: A staging generation (:func:`staged`), whose writes are the staged write's own.
        self.staging = False
        #: A staging generation that started from the store's base (its data as the last
        #: ingest left it: :func:`staged` with ``data=True``).
        self.from_base = False
        #: Opened read-only (a view that may be behind the data: it keeps no answer).
        self.read_only = read_only and self.path is not None
        #: A read-only view whose caller would rather hand an answer not kept yet to the
        #: store's holder than compute it here (a page worker, :mod:`web.renderer`): kept
        #: answers raise :class:`StoreError` for it instead of computing them.
        self.defers_unkept = False
        self.lease = None
        if self.path is not None:
            if not read_only:
                recover_store(self.path)
            check_store_dir(self.path)
            self.lease = generations.Lease(self.path)
        #: The pyoxigraph ``Store`` this store wraps (in memory, on disk, or read only).
        self.oxigraph = _open_oxigraph(self.path, read_only, self.lease)

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
            return self.oxigraph.query(query, substitutions=subs or None,
                                       use_default_graph_as_union=union_default_graph,
                                       default_graph=default_graph, named_graphs=named_graphs)
        except (SyntaxError, RuntimeError, OSError) as exc:  # kg.evaluation says which
            raise failure(exc, query) from exc

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
            try:
                yield
            finally:
                self.data_writes += not _derived.active
            return
        self.refuse_writes()
        if _derived.active:
            yield
            return
        _data_changed(self.path)
        try:
            yield
        finally:
            _data_changed(self.path)
            self.data_writes += 1

    def refuse_writes(self) -> None:
        """Raise :class:`StoreInUse` if the store is open read only beside its holder."""
        if self.read_only:
            holder = self.held_by or "another process"
            raise StoreInUse(
                "the store %(path)s is held by %(holder_)s and is open read only here: this "
                "command writes to it. Stop %(holder_)s first, then run the command again (a "
                "running server answers queries at its /sparql meanwhile)", self.held_by,
                path=self.path, holder_=holder)

    def update(self, update: str) -> None:
        self.writes += 1
        try:
            with self._writing():
                self.oxigraph.update(update)
        except SyntaxError as exc:
            raise QueryError("invalid SPARQL update: %(engine)s", engine=exc) from exc
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
                    self.oxigraph.bulk_load(path=str(source), format=fmt, to_graph=graph,
                                            base_iri=base_iri)
                elif self.path is None and isinstance(source, bytes):
                    self.oxigraph.load(source, format=fmt, to_graph=graph, base_iri=base_iri)
                else:
                    self.oxigraph.bulk_load(source, format=fmt, to_graph=graph,
                                            base_iri=base_iri)
        except OSError as exc:
            raise StoreError("cannot load into %(store)r: %(exc)s", store=self,
                             exc=exc) from exc

    def dump(self, out: IO[bytes], fmt: ox.RdfFormat,
             graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
        if graph is None and not fmt.supports_datasets:
            graph = ox.DefaultGraph()
        self.oxigraph.dump(out, format=fmt, from_graph=graph,
                           prefixes=_prefixes() if fmt in _PREFIXED else None)

    def add(self, quads: Iterable[ox.Quad]) -> None:
        self.writes += 1
        with self._writing():
            self.oxigraph.extend(quads)

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        self.writes += 1
        quads = list(quads)
        with self._writing():
            for quad in quads:
                self.oxigraph.remove(quad)

    def quads(self, subject: Subject | None = None, predicate: ox.NamedNode | None = None,
              obj: Term | ox.Triple | None = None, graph: Graph | None = None
              ) -> Iterator[ox.Quad]:
        return self.oxigraph.quads_for_pattern(subject, predicate, obj, graph)

    def named_graphs(self) -> list[ox.NamedNode]:
        """The store's named graphs (as :meth:`kg.endpoint.EndpointStore.named_graphs`)."""
        return [g for g in self.oxigraph.named_graphs() if isinstance(g, ox.NamedNode)]

    def clear_graph(self, graph: ox.NamedNode, done: Callable[[int], None] | None = None
                    ) -> None:
        """Remove a named graph. On disk its quads go in batches of :data:`REMOVED_AT_ONCE`,
        each told to ``done`` (the number removed): memory stays bounded and a bar can move
        (``remove_graph``'s one transaction held a whole graph's deletions, and was slower:
        521,731 quads of a classification, 21.1 s of CPU against 13.9 s in batches)."""
        if graph not in self.oxigraph.named_graphs():
            return
        self.writes += 1
        with self._writing():
            if self.path is not None:
                quads = self.oxigraph.quads_for_pattern(None, None, None, graph)
                while batch := list(islice(quads, REMOVED_AT_ONCE)):
                    for quad in batch:
                        self.oxigraph.remove(quad)
                    if done is not None:
                        done(len(batch))
            self.oxigraph.remove_graph(graph)  # in memory all of it; on disk its name

    def graph_size(self, graph: ox.NamedNode) -> int:
        """The number of quads in a named graph."""
        rows = rows_of(self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                  default_graph=[graph]))
        return int(rows[0]["n"].value) if rows else 0

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self.oxigraph.flush()

    def optimize(self) -> None:
        if self.path is not None:
            self.refuse_writes()
            self.oxigraph.optimize()

    def __len__(self) -> int:
        return len(self.oxigraph)

    def close(self) -> None:
        """Release the store (and its directory lock) now rather than at garbage collection;
        its generation once no copy of this object reads it any more."""
        self.oxigraph = None  # type: ignore[assignment]
        self.lease = None


class _Derived(threading.local):
    active = False


_derived = _Derived()
_epoch_lock = fork_safe.lock()  # free in a forked child
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
    if isinstance(path, Path) and not getattr(store, "staging", False) \
            and not getattr(store, "read_only", False):  # a view's write is refused after
        generations.forget_answers(path)


def _open_oxigraph(path: Path | None, read_only: bool = False,
                   lease: generations.Lease | None = None) -> ox.Store:
    """The engine of the store at ``path``: the generation ``lease`` holds when given, else
    the one the path links to now."""
    try:
        if path is None:
            return ox.Store()
        target = lease.generation if lease is not None else Path(os.path.realpath(path))
        if read_only:
            return _read_only(target)
        if not path.parent.is_dir():  # RocksDB would say "While mkdir if missing: ..."
            raise StoreError("cannot create store %(path)s: the folder %(path_parent)s does "
                             "not exist (create it first, or choose another --store)",
                             path=path, path_parent=path.parent)
        # the generation the path links to, by its own name: RocksDB's lock is held per name
        # in a process, so a process may open a new generation while it still reads the last
        # (the web app, after its writer process switched one in)
        return ox.Store(str(target))
    except OSError as exc:
        if path is not None and "lock file" in str(exc).lower():  # RocksDB: "lock file: ..."
            holder = holder_of(path)
            who = holder or "another process (a running `hvp serve`?)"
            raise StoreInUse("the store %(path)s is in use by %(who)s: stop it first; one "
                             "process at a time can write a store", holder,
                             path=path, who=who) from exc
        raise StoreError("cannot open store %(path)s: %(exc)s", path=path, exc=exc) from exc


def _read_only(path: Path) -> ox.Store:
    """A read-only view; retried a moment while the store's writer compacts (files come and go)."""
    for attempt in range(20):
        try:
            return ox.Store.read_only(str(path))
        except (OSError, RuntimeError):
            if attempt == 19:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


#: Linux ``struct flock``: l_type, l_whence, l_start, l_len, l_pid (and padding).
_FLOCK = struct.Struct("hhqqi4x")


def holder_of(path: Path, lock: Path | None = None) -> str:
    """Who holds the lock of the RocksDB store at ``path`` (or the file ``lock``): ``hvp serve
    (pid N)``, ``process N (its command)``, or ``""`` when none does or that cannot be told
    (RocksDB locks its ``LOCK`` file with ``fcntl``, whose ``F_GETLK`` names the holding
    process; a process's own locks are not seen)."""
    try:
        fd = os.open(lock or path / "LOCK", os.O_RDONLY)
    except OSError:
        return ""
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, _FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
        kind, _, _, _, pid = _FLOCK.unpack(answer)
    except OSError:
        return ""
    finally:
        os.close(fd)
    if kind == fcntl.F_UNLCK or pid <= 0:
        return ""
    ancestor = pid
    for _ in range(4):  # the server's own worker (granian's) holds it, or the server itself
        words = _command(ancestor)
        if "serve" in words and any(n in w for w in words
                                    for n in ("hvp", "kg.cli", "granian")):
            return f"hvp serve (pid {ancestor})"
        ancestor = _parent(ancestor)
        if ancestor <= 1:
            break
    command = " ".join(_command(pid))
    return f"process {pid} ({command[:80]})" if command else f"process {pid}"


def _command(pid: int) -> list[str]:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    return [w.decode(errors="replace") for w in words if w]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _not_served(path: Path) -> None:
    """:class:`StoreInUse` when a running ``hvp serve`` holds the store (its serving lock,
    :func:`kg.generations.serve_lock`), even while its RocksDB lock is between generations."""
    holder = holder_of(path, generations.home(path) / generations.SERVING)
    if holder:
        raise StoreInUse("the store %(path)s is in use by %(holder_)s: stop it first; one "
                         "process at a time can write a store", holder, path=path, holder_=holder)


def resolve_store(path: Path) -> Path:
    """The store directory a path names (:func:`kg.generations.resolve`)."""
    return generations.resolve(path)


def recover_store(path: Path) -> None:
    """Bring an on-disk store back from a killed write (:func:`kg.generations.recover`)."""
    try:
        generations.recover(path)
    except OSError as exc:
        raise StoreError("cannot recover the store %(path)s from an interrupted write: %(exc)s",
                         path=path, exc=exc) from exc


@contextmanager
def base_beside(store: LocalStore) -> Iterator[LocalStore | None]:
    """The base of an on-disk store's current generation (:func:`kg.generations.base`), open
    for writing the derived graphs that are kept there too (the timelines: their invalidation
    is exact, :mod:`kg.classify.timeline`), with the store's write lock held; None for a store
    without a base, a staging or read-only one, or while another process writes the store
    (the base's graphs then stay behind, and say so: their stale marks stay)."""
    if store.path is None or store.staging or store.read_only \
            or generations.base(store.path) is None:
        yield None
        return
    with generations.locked(store.path) as mine:
        found = generations.base(store.path) if mine else None
        if found is None:
            yield None
            return
        base = LocalStore.__new__(LocalStore)
        base.path, base.writes, base.data_writes, base.staging = found, 0, 0, True
        base.oxigraph = _open_oxigraph(found)
        try:
            yield base
            base.flush()
        finally:
            base.close()


@contextmanager
def staged_beside(path: Path, *, data: bool = False) -> Iterator[LocalStore]:
    """:func:`staged` in a process that does not hold the store (the web app's writer process,
    ``web.writer``): the checkpoint is taken from a read-only view, so the store's holder must
    flush before and open the path again after. A write of derived graphs only (``data``
    false) keeps the current generation's base, answers and text index
    (:func:`kg.generations.carry`). The old generation is left to the holder's next
    :func:`recover_store` (it still reads it until it opens the new one)."""
    view = LocalStore(path, read_only=True)
    view.read_only = False  # its oxigraph Store is only checkpointed: the writes go to the stage
    try:
        with staged(view, data=data, _beside=True) as stage:
            yield stage
    finally:
        view.close()


@contextmanager
def staged(store: LocalStore, *, data: bool = False,
           kept: Callable[[LocalStore, LocalStore], None] | None = None,
           _beside: bool = False) -> Iterator[LocalStore]:
    """All or nothing: the writes made to the store yielded reach ``store`` only if the block
    ends without an exception; otherwise ``store`` is left exactly as it was.

    On disk, the block writes to a hard-link checkpoint of the store, switched in atomically
    when it ends (:mod:`kg.generations`); whatever kills the process, the store opens next in
    its state before or after the block. In memory, the block writes to a copy, swapped in.

    ``data=True``: a write of data after which nothing derived from the data holds (an
    ingest). The checkpoint is then taken from the store's base when it has one (its data
    without the derived graphs: they need no dropping), and the result is kept as the new
    generation's base (:func:`kg.generations.base`). ``kept(store, stage)`` is called before
    the base is taken: derived data whose invalidation is exact brought up to the new data
    (:func:`kg.classify.timeline.carry_over`), kept in the new base too, so that the next
    ingest starts from it without copying it."""
    if store.path is None:
        copy = LocalStore()
        copy.oxigraph.bulk_extend(store.oxigraph)
        yield copy
        store.oxigraph, store.writes = copy.oxigraph, store.writes + copy.writes
        store.data_writes += 1
        return
    path = store.path
    store.refuse_writes()
    try:
        with generations.writing(path) as target:
            stage = LocalStore.__new__(LocalStore)
            stage.path, stage.writes, stage.staging = target, 0, True
            stage.data_writes = 0
            base = generations.base_for(target)
            try:
                source = generations.base(path) if data else None
                stage.from_base = source is not None
                if source is not None:
                    ox.Store.read_only(str(source)).backup(str(target))
                elif _beside:
                    _checkpoint_beside(store, target)
                else:
                    store.oxigraph.backup(str(target))
                if _beside and not data:  # the same data: what is computed there says so
                    generations.carry_ident(path, target)
                stage.oxigraph = _open_oxigraph(target)
                yield stage
                stage.flush()
                if data:
                    if kept is not None:  # before the base is taken: the base keeps them too
                        kept(store, stage)
                        stage.flush()
                    stage.oxigraph.backup(str(base))
                elif _beside:
                    generations.carry(path, target)
            except BaseException:
                stage.close()  # before its files go
                shutil.rmtree(target, ignore_errors=True)
                for kept_for_target in generations.derived_of(target):  # base, carried
                    generations.discard(kept_for_target)
                raise
            store.close()
            try:
                old = generations.switch(path, target)
            except BaseException:
                if generations.current(path) != target:  # not switched: the old store stays
                    stage.close()
                    shutil.rmtree(target, ignore_errors=True)
                    generations.discard(base)
                    store.lease = generations.Lease(path)
                    store.oxigraph = _open_oxigraph(path, lease=store.lease)
                    raise
                old = None  # switched; what it replaced is left to the next recover()
            store.lease = generations.Lease(path)  # the generation just switched in
            store.oxigraph, store.writes = stage.oxigraph, store.writes + stage.writes
            store.data_writes += 1
            if _beside:
                stage.close()
                store.close()
                return
    except (OSError, StoreError) as exc:  # a full disk, most likely
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        reason = f"{cause.strerror} ({cause.filename})" if isinstance(cause, OSError) \
            and cause.strerror and cause.filename else str(cause)
        raise StoreError("cannot write the store %(path)s: %(reason)s; it is left as it was",
                         path=path, reason=reason) from exc
    if old is not None:  # removed with what the home keeps for it, unless a reader holds it
        recover_store(path)


def _checkpoint_beside(view: LocalStore, target: Path) -> None:
    """A hard-link checkpoint of a read-only view beside the store's holder, whose compactions
    may remove files the view's manifest still names while they are linked ("No such file or
    directory ... 000093.sst"): taken again from a view opened anew."""
    for attempt in range(20):
        try:
            view.oxigraph.backup(str(target))
            return
        except OSError:
            if attempt == 19:
                raise
            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(f"{target}.tmp", ignore_errors=True)
            time.sleep(0.05)
            assert view.path is not None
            fresh = LocalStore(view.path, read_only=True)  # its own lease and retries
            view.lease, view.oxigraph = fresh.lease, fresh.oxigraph


def remove_store(path: Path) -> None:
    """Remove an on-disk store, whatever its layout (see :mod:`kg.generations`)."""
    generations.remove(path)


_PREFIXED = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG)


def _prefixes() -> dict[str, str]:
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
        raise InputError("cannot open store %(path)s: it is not a directory; name a store "
                         "directory (or a new one to create)", path=path)
    if not is_store_dir(path) and any(path.iterdir()):
        raise InputError(
            "%(path)s is not a store: the directory is not empty and holds no Oxigraph store "
            "(a store directory, written by RocksDB, has a CURRENT file); name the store "
            "directory, or a new or empty one to create a store", path=path)


def store_setting(settings: Mapping[str, object]) -> str:
    """The ``store`` setting: a directory or ``:memory:``; an empty value is refused."""
    value = settings.get("store")
    if value is None:
        return MEMORY
    if not str(value).strip():
        raise InputError("the store setting (--store / HVP_STORE) is empty: name a store "
                         "directory, or %(memory)s for an in-memory store", memory=MEMORY)
    return str(value)


def check_endpoint(url: str) -> None:
    """Refuse an ``endpoint`` setting that is not an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError("the endpoint setting (--endpoint / HVP_ENDPOINT) %(url)r is not an "
                         "http(s) URL: give the query URL of a SPARQL endpoint, e.g. "
                         "http://localhost:7878/query", url=url)


def open_store(settings: Mapping[str, object], *, create: bool = False,
               beside: bool = False) -> Store:
    """The store that the settings name: a remote endpoint, or the embedded one.

    An on-disk store that does not exist yet (a missing or empty directory) is created only
    with ``create=True`` (``hvp ingest``); otherwise it is an :class:`InputError`, so that a
    mistyped ``--store`` is not taken for a new, empty store. ``beside``: a store that another
    process holds (a running ``hvp serve``) is opened read only beside it (its ``read_only`` and
    ``held_by`` say so) instead of refused."""
    endpoint = settings.get("endpoint")
    if endpoint:
        check_endpoint(str(endpoint))
        return EndpointStore.from_settings(settings)
    target = store_setting(settings)
    if target != MEMORY:
        path = generations.resolve(Path(target))
        recover_store(path)  # a store left by a killed write: linked back before it is looked for
        if not create and not is_store_dir(path):
            check_store_dir(path)  # a file or a folder of other things, said as such
            raise InputError("no store at %(target)s: run `hvp ingest` first (or check --store "
                             "/ HVP_STORE)", target=target)
    try:
        if target != MEMORY:
            _not_served(path)
        return LocalStore(target)
    except StoreInUse as exc:
        if not beside or create:
            raise
        store = LocalStore(target, read_only=True)
        store.held_by = exc.holder
        return store
