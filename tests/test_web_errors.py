"""Every error path answers application/problem+json (RFC 9457), or an HTML page to browsers."""

from __future__ import annotations

from urllib.parse import quote

import pytest

PROBLEM = "application/problem+json"

#: (method, url, kwargs, status)
ERROR_PATHS = [
    ("get", "/sparql?query=" + quote("SELECT * WHERE {"), {}, 400),
    ("get", "/sparql?query=" + quote("SELECT * {?s ?p ?o}") + "&format=pdf", {}, 406),
    ("get", "/sparql?query=" + quote("SELECT * {?s ?p ?o}"), {"headers": {"Accept": "image/png"}},
     406),
    ("get", "/sparql?query=" + quote("CONSTRUCT WHERE {?s ?p ?o}") + "&format=csv", {}, 406),
    ("get", "/sparql?query=" + quote("SELECT * {?s ?p ?o}") + "&default-graph-uri=not%20an%20iri",
     {}, 400),
    ("post", "/sparql", {"data": "INSERT DATA { <a:b> <a:c> <a:d> }",
                         "content_type": "application/sparql-update"}, 403),
    ("post", "/sparql", {"data": {"update": "CLEAR ALL"}}, 403),
    ("post", "/sparql", {"data": "x", "content_type": "image/png"}, 415),
    ("get", "/sparql?query=" + quote("INSERT DATA { <a:b> <a:c> <a:d> }"), {}, 400),
    ("delete", "/sparql", {}, 405),
    ("get", "/no/such/page", {}, 404),
    ("get", "/vendor/yasgui/package.json", {}, 404),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "status"), ERROR_PATHS)
def test_error_shape(client, method, url, kwargs, status):
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == status, r.data
    assert r.mimetype == PROBLEM
    body = r.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and isinstance(body["detail"], str)
    assert body["type"] == "about:blank"
    assert "Traceback" not in r.text


def test_browsers_get_an_html_error_page(client):
    r = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert b"404" in r.data


def test_not_acceptable_names_what_is_available(client):
    r = client.get("/sparql?query=" + quote("SELECT * {?s ?p ?o}"),
                   headers={"Accept": "image/png"})
    body = r.get_json(force=True)
    assert "text/csv" in body["available"] and "application/sparql-results+json" in body["detail"]


def test_internal_errors_hide_details(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    r = app.test_client().get("/boom")
    assert r.status_code == 500 and r.mimetype == PROBLEM
    assert b"secret" not in r.data


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json()["status"] == "ok"
