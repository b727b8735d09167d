"""The WSGI entry point for servers that import the app by name (granian, gunicorn, ...).

``hvp serve`` resolves its settings (options, ``--config``, ``HVP_*`` variables), puts them in
the ``HVP_SERVE_SETTINGS`` variable as JSON and points the server at :func:`application`, which
each server process calls once. Unset, the settings come from the usual places, so another
server can run the app too::

    granian --interface wsgi --factory web.wsgi:application
"""

from __future__ import annotations

import json
import os

from flask import Flask

from web.app import create_app

SETTINGS_VARIABLE = "HVP_SERVE_SETTINGS"


def application() -> Flask:
    """A new app from the settings ``hvp serve`` resolved (or the environment's)."""
    raw = os.environ.get(SETTINGS_VARIABLE)
    return create_app(json.loads(raw) if raw else None)
