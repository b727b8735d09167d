"""The WSGI entry point for servers that import the app by name (granian, gunicorn, ...).

``hvp serve`` resolves its settings (options, ``--config``, ``HVP_*`` variables), puts them in
the ``HVP_SERVE_SETTINGS`` variable as JSON and points the server at :func:`application`, which
each server process calls once. Unset, the settings come from the usual places, so another
server can run the app too::

    granian --interface wsgi --factory web.wsgi:application

A served app writes an access log (:mod:`web.access_log`, the ``access_log`` setting); an app
built by ``create_app`` alone (tests, embedding) does not.
"""

from __future__ import annotations

import json
import os

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
    app.wsgi_app = access_log.wrap(  # type: ignore[method-assign]
        app.wsgi_app, str(app.extensions["hvp"].settings["access_log"]))
    return app
