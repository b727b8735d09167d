"""The writer process's loop (:mod:`web.writer`): the app in writing mode, one write at a time,
each staged in a new generation of the store. :class:`web.writer.Writer` starts it by name."""

from __future__ import annotations

import gc
import io
import resource
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import run_wsgi_app

from kg import LocalStore, ServiceFailed, StoreError, drop_derived, staged_beside, update_checked
from web.app import create_app
from web.child import address_space, serve
from web.errors import STATUS
from web.pool import _orphaned
from web.service import FORM_BODY, Service


def work(conn: Any, settings: dict[str, Any], memory_mb: int, parent: int) -> None:
    """Build the app over the store (a read-only view until a write hands it a staging
    generation), limit the address space, then run each job sent: ``("ok", value)``,
    ``("error", exc)`` or ``("memory", None)``."""
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    app = create_app({**settings, "workers": 0, "page_workers": 0, "writing": True})
    app.register_error_handler(MemoryError, _propagate)
    svc: Service = app.extensions["hvp"]
    path = Path(settings["store"])
    if memory_mb > 0:
        limit = address_space() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def handle(job: tuple[str, Any]) -> Any:
        kind, payload = job
        if kind == "page":
            return _page(app, svc, path, payload)
        _update(svc, path, *payload)
        return None

    # gc: the staging generation's engine closed (copies of its store held it)
    serve(conn, handle, lambda exc: StoreError("the write failed: %(exc)s", exc=exc), gc.collect)


def _propagate(exc: Exception) -> Any:
    raise exc


def _page(app: Flask, svc: Service, path: Path, fields: dict[str, Any]) -> str:
    """Render the page request that queued a computation over a staging generation (its
    computations run at once there), and switch it in; a page that fails writes nothing,
    unless its failure is not its computation's: bad input (4xx), or a federated query's
    ``SERVICE`` call that failed after what it needed was computed (502: the app, running
    the page again, says so)."""
    with staged_beside(path) as stage:
        svc.use(stage)
        try:
            body = fields.get(FORM_BODY, b"")
            environ = {**fields, "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
                       "wsgi.version": (1, 0), "wsgi.multithread": False,
                       "wsgi.multiprocess": True, "wsgi.run_once": False,
                       "CONTENT_LENGTH": str(len(body))}
            iterable, status, _ = run_wsgi_app(app, environ, buffered=True)
            body = b"".join(iterable)
        finally:
            svc.use(None)
        if status.startswith("5") and int(status.split()[0]) != STATUS[ServiceFailed][0]:
            raise StoreError("the computation failed: %(status)s: %(decode)s",
                             status=status, decode=body[:500].decode('utf-8', 'replace'))
    return str(status)


def _update(svc: Service, path: Path, text: str, source: str | None) -> None:
    """A token holder's write, staged as an ingest is: from the store's base when it has one
    (no derived graph to drop), else with the derived graphs dropped; what it added checked
    against the store as it was (:func:`kg.update_checked`: a problem writes nothing); kept
    as the new base."""
    before = LocalStore(path, read_only=True)
    try:
        with staged_beside(path, data=True) as stage:
            drop_derived(stage, svc.base)
            update_checked(before.oxigraph, stage, text, svc.base, source)
    finally:
        before.close()
