"""What the web app holds for its life: settings, the store, the query workers.

One :class:`Service` per app, kept in ``app.extensions["hvp"]`` and reached through
:func:`service` (no module globals).
"""

from __future__ import annotations

import copy
import io
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import current_app, request

from kg import (
    MEMORY,
    PREFIXES,
    SPARQL_PARSER,
    Busy,
    EndpointStore,
    InputError,
    LocalStore,
    Profile,
    StoreError,
    Word,
    derived_writes,
    ensure_reference,
    load_profile,
    profile_name,
    prune_classifications,
    recover_store,
    reference_loaded,
    require_probes,
    serve_lock,
    staged,
    store_setting,
)
from web import forked
from web.admission import Gate
from web.computations import LONGEST_WAIT, Computations
from web.lookup import is_lookup
from web.pool import QueryPool, Reply, Request, execute, raise_for
from web.renderer import Elsewhere, Renderer, request_fields
from web.sandbox import Change, Sandbox
from web.writer import Writer

T = TypeVar("T")
#: The key of a computation's fields that holds the form body its request is rendered with
#: again in the writer process (:func:`web.writer_process.work`).
FORM_BODY = "hvp.form_body"


#: The most entries the app's cache holds (labels, patent lists, indicators, units...).
CACHED = 128


class Cache(OrderedDict[Any, Any]):
    """The app's cache of what pages computed from the store: cleared when the store's writes
    are published, and holding at most ``most`` entries (the oldest go first), so that a run
    of pages with ever new parameters (patent lists by filter) does not grow it without
    bound. Read an entry once (``get``): it may go at any time."""

    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most
        #: Held by a writer of the cache (and across a fork, :mod:`web.forked`).
        self.lock = threading.Lock()

    def __setitem__(self, key: Any, value: Any) -> None:
        with self.lock:
            super().__setitem__(key, value)
            while len(self) > self.most:
                self.popitem(last=False)


class Service:
    """Settings, the store, and the pool of workers that runs users' queries."""

    def __init__(self, settings: dict[str, Any], rendering: bool = False,
                 extra: dict[str, Any] | None = None) -> None:
        """``extra``: the app's configuration besides the settings (``queries_dir``...),
        handed to the page workers' apps with the settings."""
        self.settings = settings
        #: A page worker's service (web.renderer): a read-only view, no workers of its own.
        self.rendering = rendering
        #: The writer process's service (web.writer): its writes go to the staging generation
        #: it is handed (:meth:`use`), where computations run at once.
        self.writing = bool((extra or {}).get("writing"))
        self.base: str = str(settings["base"])
        self.timeout = float(settings["timeout"])
        self.row_cap = int(settings["row_cap"])
        self.max_body = int(settings["max_body"])
        self.max_query = int(settings["max_query"])
        self.prefixes = dict(PREFIXES)
        self.pool: QueryPool | None = None
        self.cache = Cache(CACHED)
        self._deriving = threading.Lock()  # guards the two below (see deriving)
        self._pages, self._unpublished = 0, False
        self._profile: Profile | None = None
        _check(settings)
        given = settings["store"]
        self._given: LocalStore | None = None
        #: The remote engine the app serves (``endpoint`` setting), or None
        self.remote: EndpointStore | None = None
        if settings.get("endpoint"):
            self.remote = remote(settings)
            self.path, self._given = None, self.remote  # type: ignore[assignment]
        elif isinstance(given, LocalStore):  # tests may hand over a store they built
            self.path, self._given = given.path, given
        elif str(given) == MEMORY:
            self.path, self._given = None, LocalStore()
            ensure_reference(self._given, self.base)
        else:
            self.path = Path(given)
            self.store()  # created (with the reference data) if missing, before the workers
        # derived graphs the store held before (an operator's `hvp classify`): never pruned
        self._spared = frozenset((extra or {})["spared"]) if self.writing else \
            frozenset(g.value for g in self.store().named_graphs())
        self._opened = os.path.realpath(self.path) if self.path is not None else ""
        if self.writing:
            self._given = None  # until a write hands it its staging generation (use)
        if self.path is not None and int(settings.get("workers", 2)) > 0:
            self.pool = QueryPool(self.path, int(settings["workers"]), self.timeout,
                                  self.prefixes)
        self.renderer: Renderer | None = None
        if self.path is not None and int(settings.get("page_workers", 2)) > 0:
            self.renderer = Renderer({**settings, **(extra or {}), "store": str(self.path)},
                                     int(settings["page_workers"]), self.timeout)
        # admission control (web.admission): one query per worker, `computing` pages at once
        self.queries = Gate(Word("queries"), int(settings.get("workers", 2)))
        self.computing = Gate(Word("computations"), int(settings.get("computing", 1)))
        self.sandbox = Sandbox(int(settings.get("worker_memory", 2048)), self.timeout)
        self.computations = Computations()
        #: The process that makes every write to an on-disk store (web.writer).
        self.writer: Writer | None = None
        self._writer_lock = threading.Lock()
        #: The serving lock (kg.serve_lock): commands beside the app see it while the store's
        #: own lock moves between generations.
        self._serving: int | None = None
        if self.path is not None and not (rendering or self.writing):
            self.writer = Writer({**settings, **(extra or {}), "store": str(self.path),
                                  "spared": sorted(self._spared)},
                                 float(settings.get("write_timeout", 300.0)),
                                 int(settings.get("write_memory", 4096)))
            self._serving = serve_lock(self.path)
        # The workers end with the service: at close(), when the app is collected, or at exit
        # (weakref.finalize registers one exit hook for every finalizer, not one per app).
        self._release = weakref.finalize(self, _release, self.pool, self.renderer, self.sandbox,
                                         self.writer, self._serving)

    def store(self) -> LocalStore:
        """The store for the app's own bounded queries and derived graphs (classification,
        indicators), which it materializes on demand. On disk it is opened read-write once:
        stop ``hvp serve`` before ``hvp ingest`` (one writer at a time)."""
        if self._given is None:
            assert self.path is not None
            if self.rendering or self.writing:
                self._given = LocalStore(self.path, read_only=True)
                self._given.defers_unkept = True
            else:
                self._given = _open(self.path, self.base)
        return self._given

    def reopen(self) -> None:
        """A page worker's view of the store let go (its files and lease, at once), taken
        again when next needed (the app published writes)."""
        if self._given is not None and self.path is not None:
            self._given.close()
        self._given = None
        self.cache.clear()

    def use(self, store: LocalStore | None) -> None:
        """The writer process's store for one write: a staging generation, or None after."""
        self._given = store
        self.cache.clear()

    def write(self, message: tuple[Any, ...], what: str, wait: float | None = None) -> Any:
        """A job run by the writer process (:mod:`web.writer`), one at a time: the app's
        writes flushed first (the writer checkpoints the store as flushed), what it switched in
        opened after, and the workers told. ``wait``: the most seconds to wait for a write
        already running (:class:`Busy` after them); None waits."""
        assert self.writer is not None and self.path is not None
        with self.exclusive(wait):
            self.store().flush()
            try:
                return self.writer.run(message, what)
            finally:
                if message[0] == "page":  # what a page computed may hold the generation open
                    self.writer.stop()
                self._published()

    @contextmanager
    def exclusive(self, wait: float | None) -> Iterator[None]:
        """One writer of the store at a time: a job of the writer process on disk; in memory a
        computation or a token holder's write (a write swaps the store's engine, and what a
        computation wrote meanwhile into the old one would be lost). ``wait``: the most
        seconds to wait for the one running (:class:`Busy` after them); None waits."""
        if not self._writer_lock.acquire(timeout=-1 if wait is None else wait):
            raise Busy("busy: a write is running; ask again in %(longest_wait)s s",
                       LONGEST_WAIT, longest_wait=LONGEST_WAIT)
        try:
            yield
        finally:
            self._writer_lock.release()

    def _published(self) -> None:
        """After a write in the writer process: the new generation opened if it switched one
        in (the old one removed once no request reads it: a reader's lease,
        :class:`kg.generations.Lease`), else what a killed write left removed; caches dropped and
        the workers told to reopen their views."""
        assert self.path is not None
        if os.path.realpath(self.path) != self._opened:
            for attempt in range(50):  # the writer may still be closing its handle
                try:
                    self._given = _open(self.path, self.base)  # the old one goes when let go
                    break
                except StoreError:
                    if attempt == 49:
                        raise
                    time.sleep(0.1)
            self._opened = os.path.realpath(self.path)
        else:
            recover_store(self.path)
        self.cache.clear()
        for workers in (self.pool, self.renderer):
            if workers is not None:
                workers.refresh()

    def computed(self, key: Hashable, kind: str, work: Callable[[LocalStore], T],
                 computes: bool = False) -> T:
        """``work(store)``'s value, for a page: a classification, the indicators, a canned
        query's answer. What only reads what is stored or kept runs at once: in a page worker
        (:mod:`web.renderer`) on its read-only view, in the app on a view of its store marked
        read-only (:func:`kg.answers.kept_bytes` computes nothing there). What must compute
        (``computes``, or an answer not kept) is left to the app by a page worker
        (:class:`Elsewhere`); it is queued (:mod:`web.computations`: the page answers "being
        computed", ``kg.errors.Queued``), on disk for the writer process, in memory for the
        computations' thread (:meth:`_in_memory`). Writes are published as :meth:`deriving`
        says."""
        if self.rendering:
            if computes:
                raise Elsewhere(f"{kind}: a computation, the app's")
            try:
                return work(self.store())
            except (StoreError, OSError, RuntimeError) as exc:  # the engine: "read-write only"
                raise Elsewhere(str(exc)) from exc
        if self.writing:  # the writer process: over its staging generation, at once
            with self.deriving() as store:
                return work(store)
        if self.path is None and self.remote is None:
            return self._in_memory(key, kind, work, computes)
        if self.path is None:  # a remote engine computes; the app waits for it
            with self.computing.enter(), self.deriving() as store:
                return work(store)
        if not computes:
            try:
                return work(self._view())
            except StoreError:  # not kept: computed below
                pass
        if self.writer is None:  # a page worker's view never queues (it raised Elsewhere)
            raise StoreError("%(kind)s: no writer to compute it", kind=kind)
        fields = request_fields(request.environ)
        if request.form:  # a form POST (a reconciliation extension): its fields, sent again
            fields[FORM_BODY] = urlencode(list(request.form.items(multi=True))).encode()
            fields["CONTENT_TYPE"] = "application/x-www-form-urlencoded"

        def job() -> Any:
            return self.write(("page", fields), kind)

        self.computations.result(key, kind, job)
        # its job is done: the page reads what it stored or kept
        try:
            return work(self._view())
        except StoreError:  # a job done long ago, what it wrote dropped since (a prune)
            return self.computations.result(key, kind, job)  # queued again: Queued

    def _in_memory(self, key: Hashable, kind: str, work: Callable[[LocalStore], T],
                   computes: bool) -> T:
        """An in-memory store's computation: queued for the computations' thread
        (:mod:`web.computations`), one at a time, never in a request thread, which runs it in a
        child it forks under ``write_timeout`` and ``write_memory`` (:mod:`web.forked`: the
        child works on a copy of the store; what it changed is applied here and published as
        :meth:`deriving` says). The request waits for it at most ``compute_wait`` seconds while
        fewer than ``computing`` others wait (else at once): then its value, or 503 ``Being
        computed`` with ``Retry-After``. An answer is given to every request until the data
        changes (an in-memory store keeps no answers on disk); a classification's once (what
        it wrote may be pruned: the page asks again)."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def job() -> T:
            with self.exclusive(None), app.app_context():
                value, change = forked.run(
                    self._quads, lambda quads: self._on_copy(quads, work), kind,
                    float(self.settings.get("write_timeout", 300.0)),
                    int(self.settings.get("write_memory", 4096)),
                    held=(self._deriving, self.cache.lock, SPARQL_PARSER))
                if change:  # what it wrote (derived graphs), applied and published here
                    with derived_writes(), self.deriving() as store:
                        change.apply(store)
                return value

        with self.computing.held() as free:
            wait = float(self.settings.get("compute_wait", 0.0)) if free else 0.0
            return self.computations.result(key, kind, job, keep=not computes,  # type: ignore[no-any-return]
                                            wait=wait)

    def _quads(self) -> bytes:
        """The in-memory store's quads, as N-Quads (what a forked computation starts from)."""
        out = io.BytesIO()
        self.store().dump(out, ox.RdfFormat.N_QUADS)
        return out.getvalue()

    def _on_copy(self, quads: bytes, work: Callable[[LocalStore], T]) -> tuple[T, Change]:
        """In a forked child (:mod:`web.forked`): ``work`` over a store made of ``quads``,
        which this process's :meth:`store` is for the rest of its short life; its value and
        what it changed."""
        before = ox.Store()
        before.load(quads, format=ox.RdfFormat.N_QUADS)
        copy = LocalStore()
        copy.oxigraph.bulk_extend(before)
        self._given = copy
        self.cache.clear()
        value = work(copy)
        return value, Change.between(before, copy.oxigraph)

    def _view(self) -> LocalStore:
        """The app's store marked read-only: what is stored or kept is read, nothing computed
        (:func:`kg.answers.kept_bytes` raises instead)."""
        view = copy.copy(self.store())
        view.read_only = view.defers_unkept = True
        return view

    @contextmanager
    def deriving(self) -> Iterator[LocalStore]:
        """The store, for a page's work that may write derived graphs (a classification, the
        indicator cube). Writes are published when no page is in such work any more: the
        classifications it computed at dates other than 31 December beyond ``kept_dates``
        dropped (:func:`kg.classify.materialize.prune`), flushed,
        the cached statistics dropped, and the query workers told to reopen their view, so that
        they never see a graph half-written by a page still at work. (A worker that replaces
        one killed at the time limit opens the store when it starts.)"""
        store = self.store()
        with self._deriving:
            self._pages += 1
            before = store.writes
        try:
            yield store
        finally:
            with self._deriving:
                self._pages -= 1
                self._unpublished |= store.writes != before
                if self._pages == 0 and self._unpublished:
                    self._unpublished = False
                    prune_classifications(store, self.base,
                                          profile_name(str(self.settings["profile"])),
                                          int(self.settings["kept_dates"]), self._spared)
                    store.flush()
                    self.cache.clear()
                    for workers in (self.pool, self.renderer):
                        if workers is not None:
                            workers.refresh()

    def profile(self) -> Profile:
        """The served criteria profile, loaded once (parsing its Turtle took 50 ms, two thirds
        of a patent page's explanation)."""
        with self._deriving:
            if self._profile is None:
                self._profile = load_profile(str(self.settings["profile"]))
            return self._profile

    def run(self, req: Request, timeout: float | None = None) -> Reply:
        """Run a user's query: in a worker with a hard time limit; in-process in memory, with
        no workers, or for a lookup (:mod:`web.lookup`: its work is bounded by the data)."""
        if self.remote is not None:  # the engine's own work, under the client's time limit
            with self.queries.enter():
                kind, media, body = self.remote.forward(
                    req.query, {"results": req.results_type, "boolean": req.results_type,
                                "graph": req.graph_type},
                    default_graphs=req.default_graph, named_graphs=req.named_graphs,
                    base=req.base, timeout=timeout or self.timeout)
            return Reply(kind, media, body)
        if self.pool is not None and not is_lookup(req):
            with self.queries.enter():
                return self.pool.run(req, timeout)
        return raise_for(execute(self.store().oxigraph, req, self.prefixes))

    def close(self) -> None:
        """End the query workers and the sandbox (once; later calls do nothing), and let go of
        the on-disk store the service opened itself (its files and its generation's lease, not
        left to the garbage collector: an app made and closed again and again in one process
        would hold every store's files open). Opened again if asked for after."""
        self._release()
        if self.path is not None and not self.writing and self._given is not None \
                and not isinstance(self.settings["store"], LocalStore):
            self._given.close()
            self._given = None


def _release(pool: QueryPool | None, renderer: Renderer | None, sandbox: Sandbox,
             writer: Writer | None, serving: int | None) -> None:
    if serving is not None:
        os.close(serving)  # the serving lock goes with it
    sandbox.close()
    if writer is not None:
        writer.close()
    for workers in (pool, renderer):
        if workers is not None:
            workers.close()


def _check(settings: dict[str, Any]) -> None:
    """Settings the web app cannot honour."""
    if not settings.get("endpoint"):
        store_setting(settings)  # an empty one is refused, not taken for the current folder
    if not settings.get("read_only", True) and not settings.get("write_token"):
        raise InputError("read_only = false needs a write_token (HVP_WRITE_TOKEN): writes are "
                         "accepted only from clients that send it")


def remote(settings: dict[str, Any]) -> EndpointStore:
    """The remote engine to serve, refused if it fails a probe the app's queries depend on
    (`hvp doctor`) or holds no reference data. A user's query is stopped at the app's
    ``timeout`` (:meth:`Service.run`), the app's own work at ``endpoint_timeout``."""
    store = EndpointStore.from_settings(settings)
    require_probes(store, "serve")
    if not reference_loaded(store):
        raise InputError("%(store)r has no hvp-kg reference data: `hvp --endpoint URL ingest` "
                         "loads it with the data", store=store)
    return store


def preflight(settings: dict[str, Any]) -> None:
    """The checks a :class:`Service` makes when it starts, made here and released again.

    For a server that builds the app in a child process (granian): a wrong setting or a store
    that cannot be opened reaches the user as a message from ``hvp serve``, not as a
    traceback of the server's worker. A missing store is created with the reference data.
    """
    _check(settings)
    if settings.get("endpoint"):
        remote(settings)
    elif str(settings["store"]) != MEMORY:
        store = _open(Path(settings["store"]), str(settings["base"]))
        store.flush()
        del store  # closes it: the server's process opens it next


def _open(path: Path, base: str) -> LocalStore:
    """The on-disk store, created with the reference data if missing, and of the generations
    layout (:mod:`kg.generations`; a store of the first layout is moved into it by an empty
    staged write, 0.1 s): the app's handle is then a generation's own, which the writer
    process's switches leave alone (RocksDB names its files by path: a handle opened at the
    store's path would write into the generation that a switch links there)."""
    store = LocalStore(path)
    ensure_reference(store, base)
    if store.path is not None and not store.path.is_symlink():
        with staged(store):
            pass
    return store


def service() -> Service:
    """The running app's :class:`Service`."""
    return current_app.extensions["hvp"]  # type: ignore[no-any-return]
