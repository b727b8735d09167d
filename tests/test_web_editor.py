"""The editor page through Flask's test client: what it lists beside the editor, the data its
script reads (this server's paths for minted IRIs), in both languages."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from tests.conftest import copy_of


def _data(html: str, name: str):
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found, name
    return json.loads(found.group(1))


def _page(app, lang: str = "en") -> str:
    r = app.test_client().get(f"/editor?lang={lang}", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    return r.get_data(as_text=True)


@pytest.fixture()
def graph_app(small_store):
    from web.app import create_app

    store = copy_of(small_store)
    store.oxigraph.add(ox.Quad(ox.NamedNode("https://w3id.org/hvp/patent/CN-T01"),
                               ox.NamedNode("urn:x:p"), ox.Literal("o"),
                               ox.NamedNode("https://w3id.org/hvp/graph/test/one")))
    application = create_app({"store": store})
    yield application
    application.extensions["hvp"].close()


def test_the_model_beside_the_editor(graph_app):
    html = _page(graph_app)
    assert 'data-prefix="hvp" data-iri="https://w3id.org/hvp/def#"' in html
    assert 'data-text="&lt;https://w3id.org/hvp/graph/test/one&gt;"' in html
    assert "graph/<wbr>test/<wbr>one" in html  # breaks only after a slash
    found = re.search(r'data-text="hvp:InventionPatent" title="([^"]+)"', html)
    assert found and found.group(1).lower() == "invention patent"  # its rdfs:label @en
    assert 'data-text="hvp:firstOwner"' in html
    assert _data(html, "permalink-query") is None


def test_labels_of_the_model_in_chinese(graph_app):
    html = _page(graph_app, "zh")
    found = re.search(r'data-text="hvp:InventionPatent" title="([^"]+)"', html)
    assert found and re.search(r"[\u4e00-\u9fff]", found.group(1)), found
    texts = _data(html, "editor-texts")
    assert texts["chart"] == "图表" and "{n}" in texts["firstRows"]
    assert "<h1>SPARQL 编辑器</h1>" in html


def test_minted_iris_map_to_this_servers_paths_for_any_base(small_store):
    from web.app import create_app

    app = create_app({"store": copy_of(small_store), "base": "http://example.org/kg/"})
    try:
        local = _data(_page(app), "local-links")
    finally:
        app.extensions["hvp"].close()
    under = dict(local["under"])
    assert under["http://example.org/kg/patent/"] == "/patent/"
    assert under["https://w3id.org/hvp/def#"] == "/def#"
    assert local["exact"]["https://w3id.org/hvp/def"] == "/def"
    assert [len(ns) for ns, _ in local["under"]] == sorted(
        (len(ns) for ns, _ in local["under"]), reverse=True)  # the longest namespace wins
