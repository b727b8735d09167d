"""``hvp serve``: the web app on a production WSGI server."""

from __future__ import annotations

import errno
import multiprocessing
import os
import socket
from typing import Any

import click

from kg import InputError, KGError
from kg.cli.app import App, err, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port.")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1, 1024),
              help="Python threads that run requests (queries wait for a query worker and "
              "pages for a page worker there; keep it well above workers + page_workers + "
              "computing).")
@click.option("--server", type=click.Choice(["granian", "waitress"]), default="granian",
              show_default=True, help="WSGI server: granian (HTTP in Rust, the faster) or "
              "waitress (pure Python).")
@pass_app
def serve(app: App, host: str, port: int, threads: int, server: str) -> None:
    """Serve the web app (SPARQL endpoint, editor, pages) on a production WSGI server;
    read-only."""
    from web.access_log import check as check_access_log  # (tests/test_imports.py lists it)

    _check_port(host, port)
    check_access_log(str(app.settings["access_log"]))
    _preflight_elsewhere(dict(app.settings))
    served = app.settings.get("endpoint") or app.settings["store"]
    err.print(f"serving {served} on http://{host}:{port}/ ({server})")
    # Local imports (tests/test_imports.py lists them): the web app and the servers are loaded
    # only to serve; kg never imports Flask for its other commands (Flask and granian: about
    # 0.3 s of CPU at every start).
    if server == "waitress":
        from waitress import serve as waitress_serve

        from web.wsgi import serving

        waitress_serve(serving(dict(app.settings)), host=host, port=port, threads=threads,
                       ident="hvp-kg")
        return
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    from web.wsgi import loader

    # The app is built in granian's worker process, from the settings resolved here (handed
    # to the worker, never through this process's environment). On SIGTERM granian lets
    # requests finish for STOP_SECONDS, then kills its worker (and the query workers go with
    # it: web.pool), so a runaway query cannot hold a stop for minutes.
    Granian("web.wsgi:application", interface=Interfaces.WSGI, address=host,
            port=port, workers=1, blocking_threads=threads, websockets=False,
            workers_kill_timeout=STOP_SECONDS, log_level=LogLevels.error).serve(
        target_loader=loader(dict(app.settings)), wrap_loader=False)


#: Seconds `hvp serve` lets in-flight requests finish after SIGTERM before it cuts them.
STOP_SECONDS = 3


def _preflight_elsewhere(settings: dict[str, Any]) -> None:
    """The server's start-up checks (:func:`web.service.preflight`), in a spawned process.

    Opening the store here would start RocksDB's background threads in this process, and
    granian forks its worker from it: the worker inherits a thread pool without threads, and
    its first flush of written data (the dashboard computing a new year) waits forever."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        message = pool.apply(_preflight, (settings,))
    if message:
        raise InputError(message)


def _preflight(settings: dict[str, Any]) -> str:
    """:func:`web.service.preflight`'s error message, or ``""``."""
    from web.service import preflight  # local: see serve

    try:
        preflight(settings)
    except KGError as exc:
        return str(exc)
    return ""


def _check_port(host: str, port: int) -> None:
    """Refuse a port another process listens on (granian would share it silently), and a host
    that is not a name or address of this machine."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError("cannot listen on %(host)s:%(port)s: the host %(host)r cannot be "
                         "resolved (%(strerror)s); choose another --host, e.g. 127.0.0.1 (this "
                         "machine only) or 0.0.0.0 (every interface)",
                         host=host, port=port, strerror=exc.strerror) from None
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InputError("cannot listen on %(host)s:%(port)s: %(reason)s (%(host)s is not "
                             "an address of this machine); choose another --host, e.g. "
                             "127.0.0.1 or 0.0.0.0", host=host, port=port, reason=reason) from None
        raise InputError("cannot listen on %(host)s:%(port)s: %(reason)s; choose another "
                         "--port or stop what uses it",
                         host=host, port=port, reason=reason) from None
