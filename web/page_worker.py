"""A page worker's process (:mod:`web.renderer`): the app over a read-only view of the store,
answering one page request at a time. :class:`web.renderer.Renderer` starts it by name."""

from __future__ import annotations

import io
import os
import threading
from typing import Any

from werkzeug.test import run_wsgi_app

from web.app import create_app
from web.pool import LET_GO, _orphaned, receive, send
from web.renderer import ELSEWHERE, MARK, PAGE_NICE


def work(sock: Any, settings: dict[str, Any], generation: int, parent: int) -> None:
    """The loop of a page worker: the app over a read-only view, one request at a time."""
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    os.nice(PAGE_NICE)
    app = create_app({**settings, "workers": 0, "page_workers": 0, "rendering": True})
    send(sock, ("ready",))
    while True:
        try:
            message = receive(sock)
        except (EOFError, OSError):
            return
        if message == LET_GO:  # the app switched a generation in: the old one let go now
            app.extensions["hvp"].reopen()
            send(sock, LET_GO)
            continue
        environ, headers, generation_now = message
        if generation_now != generation:
            app.extensions["hvp"].reopen()
            generation = generation_now
        send(sock, _render(app, {**environ, **headers}))


def _render(app: Any, fields: dict[str, Any]) -> tuple[Any, ...]:
    """The app's answer to one request, as ``(status line, headers, body)``, or
    ``(ELSEWHERE,)``."""
    environ = {**fields, "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
               "wsgi.version": (1, 0), "wsgi.multithread": False,
               "wsgi.multiprocess": True, "wsgi.run_once": False, "CONTENT_LENGTH": "0"}
    try:
        iterable, status, headers = run_wsgi_app(app, environ, buffered=True)
        body = b"".join(iterable)
    except Exception:  # noqa: BLE001 - the app renders it and reports its error
        return (ELSEWHERE,)
    # a failure of the worker's view (e.g. reopened while the app compacts): the app's page
    if MARK in headers or status.startswith("5"):
        return (ELSEWHERE,)
    return (status, list(headers.to_wsgi_list()), body)
