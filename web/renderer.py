"""Pages rendered in worker processes, so that the app's process stays free for lookups and
``/healthz``.

A page (a linked-data resource with a patent's explanation, the dashboard, a canned query's
table) costs 5-40 ms of Python; in the app's one process, under one GIL, every lookup waited for
the pages rendered meanwhile (``bench/load.py``: lookup p99 over a second, decision 42). So the
app hands a GET of a page to one of ``page_workers`` processes (spawned, at the app's priority:
:data:`PAGE_NICE`) that run this same app over a read-only view of the store and answer the
whole response: status, headers, body.

A worker's view is read-only and may be behind the data: it renders what is stored and kept
(a classification graph that is complete, a kept answer), and answers :data:`ELSEWHERE` for a
page whose work would write or keep anything (a classification at a new date, the indicator
cube, an answer not kept yet); the app then serves that page itself as before
(:mod:`web.admission`, :mod:`web.computations`). After each write the app publishes
(:meth:`web.service.Service.deriving`), it calls :meth:`Renderer.refresh` and every worker
reopens its view before its next page. A render past the time limit is killed and replaced,
as a query is (:class:`kg.errors.QueryTimeout`, 503); a page the worker fails to render (a 5xx:
its view could not be reopened, say) is rendered by the app, which reports its own errors.

Which requests are pages: :func:`is_page` (GET or HEAD of a linked-data resource,
``/indicators`` and its downloads, ``/queries/NAME``, ``/patents``, ``/dataset`` and
``/.well-known/void``, the home page ``/``). A list of ``/patents`` is found by a worker from
a stored classification and kept in its cache; its CSV and JSON downloads, streamed row by
row, are left to the app. Everything else runs in the app's process: lookups, ``/healthz``,
static files, the editor, the endpoint (its work is in the query workers), uploads and
writes.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from flask import Response, request

from kg import IRI_KINDS, Busy, KGError, Word
from web.namespaces import FIXED
from web.pool import QueryPool

#: How much lower than the app's the CPU priority of a page worker is (``nice``; query workers
#: run at :data:`web.pool.NICE`, 10, for runaway queries; a page is bounded work that a
#: visitor waits for).
PAGE_NICE = 0
#: Seconds a page refused because too many wait (``page_queue``) is told to wait.
RETRY_AFTER = 2
#: The loop a page worker runs (:mod:`web.page_worker`), named, imported in the worker.
WORKER = "web.page_worker:work"
#: A worker's answer for a page it may not render: the app renders it.
ELSEWHERE = "elsewhere"
#: The WSGI environ key of a render's error (busy, past the time limit), which the app raises
#: before its view (:func:`raise_render_error`), so that its error handlers render it.
ERROR = "hvp.render.error"
#: The header of a worker's response that leaves the page to the app (never sent to a client).
MARK = "X-Hvp-Elsewhere"
#: WSGI environ keys sent to a worker besides the headers (``HTTP_*``, ``CONTENT_*``).
ENVIRON = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME",
           "SERVER_PORT", "SERVER_PROTOCOL", "wsgi.url_scheme", "REMOTE_ADDR")


@cache
def _pages() -> re.Pattern[str]:
    """The paths of pages: the linked-data kinds' (:mod:`web.resources`), the dashboard's and
    its downloads', a canned query's, the lists of patents (:mod:`web.listing`), the dataset
    description's and the home page."""
    kinds = "|".join(re.escape(k) for k in sorted(set(IRI_KINDS) | set(FIXED), key=len,
                                                   reverse=True))
    return re.compile(rf"/(?:(?:{kinds})/.*|indicators(?:\.\w+)?|queries/[\w-]+|patents"
                      rf"|dataset(?:\.\w+)?|\.well-known/void|)")


def is_page(environ: dict[str, Any]) -> bool:
    """Whether a request is a page that a worker renders (see the module's docstring)."""
    return environ.get("REQUEST_METHOD") in ("GET", "HEAD") \
        and _pages().fullmatch(environ.get("PATH_INFO", "")) is not None


def raise_render_error() -> None:
    """Before a request's view: the error of its render, raised (see :class:`Forward`)."""
    error = request.environ.get(ERROR)
    if error is not None:
        raise error


class Elsewhere(Exception):  # noqa: N818 - a signal between a worker and the app, not an error
    """Raised in a worker for a page whose work would write or keep something: the app renders
    it. Never leaves :mod:`web`."""


def init_worker(app: Any) -> None:
    """A page worker's app answers :class:`Elsewhere` with an empty response marked
    :data:`MARK` (the app's handler of every other exception would make it a 500)."""
    app.register_error_handler(Elsewhere, lambda exc: Response(status=204, headers={MARK: "1"}))


def _by_name(sock: Any, name: str, *args: Any) -> None:
    """In a page worker's process: run its loop, ``module:function`` imported there by name
    (:data:`WORKER`; the loop builds the app, whose modules import this one)."""
    module, _, function = name.partition(":")
    getattr(importlib.import_module(module), function)(sock, *args)


class Renderer(QueryPool):
    """``size`` page workers running the app with ``settings`` over a read-only view."""

    NAME = Word("page worker")

    def __init__(self, settings: dict[str, Any], size: int, timeout: float) -> None:
        self.settings = settings
        self.answered = 0  # pages a worker answered (read by tests)
        #: Requests rendered or waiting for a worker: at most ``size`` + ``page_queue``.
        self.queue = int(settings.get("page_queue", 16))
        self._admitted = threading.BoundedSemaphore(max(1, size) + max(0, self.queue))
        super().__init__(str(settings["store"]), size, timeout)

    def _target(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return _by_name, (WORKER, self.settings, self.generation)

    def render(self, environ: dict[str, Any]) -> tuple[Any, ...]:
        """The response to a page request (see :func:`_render`); :class:`Busy` at once when
        ``page_queue`` requests already wait for a worker."""
        if not self._admitted.acquire(blocking=False):
            raise Busy("busy: %(queue)s pages already wait for a page worker, the most this "
                       "service lets wait (setting page_queue); ask again in %(retry_after_)s s",
                       RETRY_AFTER, queue=self.queue, retry_after_=RETRY_AFTER)
        try:
            fields = {k: environ[k] for k in ENVIRON if k in environ}
            headers = {k: v for k, v in environ.items()
                       if k.startswith("HTTP_") or k == "CONTENT_TYPE"}
            return self.call((fields, headers, self.generation), Word("page"))
        finally:
            self._admitted.release()


def request_fields(environ: dict[str, Any]) -> dict[str, Any]:
    """What another process needs of a GET request's WSGI environ to render it again (the
    fields of :data:`ENVIRON` and the headers)."""
    return {k: v for k, v in environ.items()
            if k in ENVIRON or k.startswith("HTTP_") or k == "CONTENT_TYPE"}


class Forward:
    """WSGI middleware of the app: a page goes to a worker (:class:`Renderer`); its answer,
    or the app's own for a page the worker leaves to it (:data:`ELSEWHERE`)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], renderer: Renderer) -> None:
        self.app, self.renderer = app, renderer

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if not is_page(environ):
            return self.app(environ, start_response)
        try:
            reply = self.renderer.render(environ)
        except KGError as exc:  # busy, past the time limit: the app's error page
            environ[ERROR] = exc
            return self.app(environ, start_response)
        if reply[0] == ELSEWHERE:
            return self.app(environ, start_response)
        status, headers, body = reply
        self.renderer.answered += 1
        start_response(status, headers)
        return [body]
