"""The WSGI entry point for servers that import the app by name (granian, gunicorn, ...).

``hvp serve`` resolves its settings (options, ``--config``, ``HVP_*`` variables) and hands
granian :func:`loader`'s callable, which builds the app from them in granian's worker process;
it writes no environment variable. Another server imports :func:`application`, which each server
process calls once: it reads settings as JSON from the ``HVP_SERVE_SETTINGS`` variable if set,
else from the usual places::

    granian --interface wsgi --factory web.wsgi:application
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask

from web.app import create_app

SETTINGS_VARIABLE = "HVP_SERVE_SETTINGS"


def application() -> Flask:
    """A new app from the settings ``hvp serve`` resolved (or the environment's)."""
    raw = os.environ.get(SETTINGS_VARIABLE)
    return create_app(json.loads(raw) if raw else None)


def loader(settings: dict[str, Any]) -> Callable[[], Flask]:
    """A callable that builds the app from ``settings`` (picklable: a server may spawn the
    process that calls it)."""
    return partial(create_app, settings)
