"""The app factory: ``create_app(config)`` -> a Flask app over the store named by the settings."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template

from kg import SETTINGS, load_settings
from web import (
    dataset,
    errors,
    headers,
    i18n,
    indicators,
    links,
    listing,
    numbers,
    ontology,
    permalinks,
    queries,
    reconcile,
    renderer,
    resources,
    search,
    shacl,
    sparql,
    static,
    units,
    urls,
    writes,
)
from web.service import Service, service


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """A new app. ``config`` holds explicit settings (see ``kg.settings.SETTINGS``); a
    ``LocalStore`` object may be given as ``store``. Its query workers end with it (see
    :meth:`web.service.Service.close`)."""
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    names = {s.name for s in SETTINGS}
    values = load_settings({k: v for k, v in (config or {}).items() if k in names})
    app.config.update({k.upper(): v for k, v in (config or {}).items() if k not in names})
    extra = {k: v for k, v in (config or {}).items() if k not in names}
    svc = Service(values, rendering=bool(extra.get("rendering")), extra=extra)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_FORM_MEMORY_SIZE"] = svc.max_body
    app.extensions["hvp"] = svc
    errors.init_app(app)
    app.before_request(urls.check)  # first: nothing reads a URL that is not UTF-8
    headers.init_app(app, str(values["cors"]))
    i18n.init_app(app)
    static.init_app(app)
    links.init_app(app)
    permalinks.init_app(app, svc)
    numbers.init_app(app)
    dataset.init_app(app)
    search.init_app(app)
    _blueprints(app)
    app.wsgi_app = sparql.Endpoint(app.wsgi_app, svc)  # type: ignore[method-assign]
    if svc.rendering:
        renderer.init_worker(app)
    if svc.renderer is not None:  # pages rendered in worker processes (web.renderer)
        app.wsgi_app = renderer.Forward(app.wsgi_app, svc.renderer)  # type: ignore[method-assign]
        app.before_request(renderer.raise_render_error)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/", "home", home)
    return app


def _blueprints(app: Flask) -> None:
    for module in (sparql, queries, shacl, indicators, listing, ontology, resources, units, writes,
                   reconcile):
        app.register_blueprint(module.bp)


def healthz() -> Response:
    svc = service()
    served = svc.remote.query_url if svc.remote else str(svc.path or ":memory:")
    return jsonify(status="ok", store=served,
                   workers=len(svc.pool.pids()) if svc.pool else 0)


def home() -> str:
    return render_template("home.html")
