"""Shared fixtures: stores with the small test data, web apps over them, a live server."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from kg import reference
from kg.demo import generate
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

# A page of an in-memory app waits this long for its computation (web.service: compute_wait),
# so that tests of what pages say read the answer at once on a loaded machine; tests of the
# queue itself set compute_wait explicitly (an explicit setting wins over HVP_*).
os.environ.setdefault("HVP_COMPUTE_WAIT", "600")

DATA = Path(__file__).resolve().parent / "data"
SMALL = DATA / "small"


class WaitingClient(FlaskClient):
    """Flask's test client that asks again while a page answers 503 ``Being computed`` (its
    computation queued, ``web.computations``), as a browser does on the page's ``Refresh``;
    for tests of what an on-disk app answers, not of the queue (tests/test_web_computations)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        import time

        deadline = time.monotonic() + 120
        while True:
            response = super().open(*args, **kwargs)
            if response.status_code != 503 or "Refresh" not in response.headers \
                    or time.monotonic() > deadline:
                return response
            time.sleep(0.1)


def open_ready(request: Any, timeout: float = 300) -> Any:
    """``urllib.request.urlopen(request)`` asked again while the served app answers 503
    ``Being computed`` (a ``Refresh`` header: its computation queued, ``web.computations``),
    as a browser does; for tests of what a served app answers, not of the queue."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or "Refresh" not in exc.headers or time.monotonic() > deadline:
                raise
            exc.close()
            time.sleep(0.2)


def settled(app: Any, timeout: float = 30) -> None:
    """Wait until the app's queued computations have ended: a page may read what a job kept in
    the generation its writer switched in a moment before the app has opened that generation
    (web.writer), and a test reading the app's store must wait for it."""
    import time

    deadline = time.monotonic() + timeout
    while app.extensions["hvp"].computations.waiting() and time.monotonic() < deadline:
        time.sleep(0.05)


def waiting(app: Any) -> Any:
    """``app``, whose test clients wait for queued computations (:class:`WaitingClient`)."""
    app.test_client_class = WaitingClient
    return app


def demo_in_memory(folder: Path, patents: int, seed: int) -> LocalStore:
    """An in-memory store of ``patents`` demo patents (generated into ``folder``), with the
    reference data."""
    generate(folder, patents=patents, seed=seed)
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    return store


def _load(store: LocalStore) -> LocalStore:
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    return store


@pytest.fixture(scope="session")
def small_store() -> LocalStore:
    """An in-memory store with the reference data and tests/data/small (do not write to it)."""
    return _load(LocalStore())


@pytest.fixture(scope="session")
def small_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store directory with tests/data/small (copy it before writing)."""
    path = tmp_path_factory.mktemp("stores") / "small"
    store = _load(LocalStore(path))
    store.flush()
    store.close()  # released now, not when a reference cycle is collected
    return path


@pytest.fixture()
def disk_store_dir(small_store_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the on-disk small store."""
    target = tmp_path / "store"
    shutil.copytree(small_store_dir, target)
    return target


@contextmanager
def handler_served(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A loopback SPARQL endpoint answered by ``handler`` (a failing or slow one): its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()  # its listening socket (else a ResourceWarning in a later test)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServedApp:
    """The app as ``hvp serve`` runs it: granian in its own process, the app built in granian's
    worker by ``web.wsgi.application`` from settings (and app config) given as JSON."""

    def __init__(self, settings: dict[str, object]) -> None:
        import json
        import os
        import subprocess
        import sys
        import tempfile
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "HVP_SERVE_SETTINGS": json.dumps(settings, default=str)}
        # A file, not a pipe (a full pipe would block the server); closed by close().
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--host",
             "127.0.0.1", "--port", str(self.port), "--blocking-threads", "4",
             "--workers-kill-timeout", "3", "--log-level", "error", "web.wsgi:application"],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.terminate()
                    self.process.wait(20)
                    errors = self.errors
                    self.log.close()
                    raise RuntimeError(f"granian did not start: {errors}") from None
                time.sleep(0.2)

    @property
    def errors(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(20)
        self.log.close()


def copy_of(store: LocalStore) -> LocalStore:
    """An in-memory copy (pages may materialize derived graphs into their store)."""
    copy = LocalStore()
    copy.oxigraph.extend(store.oxigraph.quads_for_pattern(None, None, None, None))
    return copy


@pytest.fixture()
def app(small_store: LocalStore):
    """A fresh app over a copy of the in-memory small store (queries run in-process)."""
    from web.app import create_app

    application = create_app({"store": copy_of(small_store)})
    yield application
    application.extensions["hvp"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def disk_app(disk_store_dir: Path):
    """An app over an on-disk copy of the small store: queries run in worker processes."""
    from web.app import create_app

    application = waiting(create_app({"store": str(disk_store_dir), "workers": 2,
                                      "timeout": 5.0}))
    yield application
    application.extensions["hvp"].close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, small_store_dir: Path
                ) -> Iterator[ServedApp]:
    """The on-disk app (worker processes) served by granian on 127.0.0.1, as `hvp serve` does."""
    target = tmp_path_factory.mktemp("live") / "store"
    shutil.copytree(small_store_dir, target)
    server = ServedApp({"store": str(target), "workers": 2, "timeout": 10.0})
    yield server
    server.close()
