"""The WSGI entry point for servers that import the app by name (granian, gunicorn, ...).

``hvp serve`` resolves its settings (options, ``--config``, ``HVP_*`` variables) and hands
granian :func:`loader`'s callable, which builds the app from them in granian's worker process;
it writes no environment variable. Another server imports :func:`application`, which each server
process calls once: it reads settings as JSON from the ``HVP_SERVE_SETTINGS`` variable if set,
else from the usual places::

    granian --interface wsgi --factory web.wsgi:application

A served app writes an access log (:mod:`web.access_log`, the ``access_log`` setting); an app
built by ``create_app`` alone (tests, embedding) does not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask

from web import access_log
from web.app import create_app

SETTINGS_VARIABLE = "HVP_SERVE_SETTINGS"


def application() -> Flask:
    """A new app from the settings ``hvp serve`` resolved (or the environment's)."""
    raw = os.environ.get(SETTINGS_VARIABLE)
    return serving(json.loads(raw) if raw else None)


def serving(settings: dict[str, object] | None) -> Flask:
    """The app a server runs: :func:`create_app` with its access log."""
    app = create_app(settings)
    app.wsgi_app = access_log.wrap(  # type: ignore[method-assign,assignment]
        app.wsgi_app, str(app.extensions["hvp"].settings["access_log"]))
    return app


def loader(settings: dict[str, Any]) -> Callable[[], Flask]:
    """A callable that builds the served app from ``settings`` (picklable: a server may spawn
    the process that calls it)."""
    return partial(serving, settings)
