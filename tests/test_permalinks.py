"""Query permalinks: kept by id in the store's home (kg.permalinks), served at /q/ID
(web.permalinks); they survive a restart and the file stays bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import InputError
from kg.permalinks import LENGTH, Permalinks, file_for, permalink_id

QUERY = "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> } LIMIT 3"


def test_a_query_gets_one_short_id_and_is_read_back(tmp_path: Path) -> None:
    kept = Permalinks(tmp_path / "p.sqlite")
    key = kept.save(QUERY)
    assert len(key) == LENGTH and key == permalink_id(QUERY)
    assert kept.save(QUERY) == key and len(kept) == 1  # saved again: the same one
    assert kept.load(key) == QUERY
    assert kept.load("AAAAAAAAAAA") is None
    assert kept.save("中文 " + QUERY) != key


def test_permalinks_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "home" / "permalinks.sqlite"
    first = Permalinks(path)
    key = first.save(QUERY)
    first.close()
    assert Permalinks(path).load(key) == QUERY


def test_the_file_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    kept = Permalinks(tmp_path / "p.sqlite", most=3)
    keys = [kept.save(f"ASK {{ }} # {i}") for i in range(3)]
    assert kept.load(keys[0])  # used: the oldest unused is now keys[1]
    extra = kept.save("ASK { } # 3")
    assert len(kept) == 3
    assert kept.load(keys[1]) is None
    assert kept.load(keys[0]) and kept.load(keys[2]) and kept.load(extra)


@pytest.mark.parametrize("query", ["", "   \n", "x" * 101])
def test_empty_or_too_long_queries_are_refused(tmp_path: Path, query: str) -> None:
    kept = Permalinks(None, longest=100)
    with pytest.raises(InputError):
        kept.save(query)
    assert len(kept) == 0


def test_new_generations_and_recovery_keep_the_permalinks(disk_store_dir: Path) -> None:
    """The file is in the store's home, where kg.generations removes what is not its own."""
    import pyoxigraph as ox

    from kg.generations import recover
    from kg.store import LocalStore, staged

    triple = ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"))
    store = LocalStore(disk_store_dir)
    with staged(store) as stage:  # the store moves into its home
        stage.oxigraph.add(triple)
    path = file_for(disk_store_dir)
    assert path.parent.is_dir()
    kept = Permalinks(path)
    key = kept.save(QUERY)
    with staged(store) as stage:  # a new generation; the old one is removed
        stage.oxigraph.remove(triple)
    store.close()
    recover(disk_store_dir)
    assert kept.load(key) == QUERY
    kept.close()
    assert Permalinks(path).load(key) == QUERY


# ---- on the web ---------------------------------------------------------------------------

def _make(client, **kwargs):
    r = client.post("/permalinks", **kwargs)
    assert r.status_code == 201, r.data
    body = r.get_json()
    assert r.headers["Location"] == body["url"] and body["url"].endswith(f"/q/{body['id']}")
    return body


@pytest.mark.parametrize("how", ["form", "json", "direct"])
def test_post_permalinks_keeps_a_query(client, how):
    kwargs = {"form": {"data": {"query": QUERY}}, "json": {"json": {"query": QUERY}},
              "direct": {"data": QUERY, "content_type": "application/sparql-query"}}[how]
    body = _make(client, **kwargs)
    assert body["id"] == permalink_id(QUERY)
    r = client.get(f"/q/{body['id']}")
    assert r.status_code == 200 and r.mimetype == "application/sparql-query"
    assert r.get_data(as_text=True) == QUERY


def test_a_permalink_opens_the_editor_with_its_query(client):
    import json
    import re

    key = _make(client, json={"query": QUERY})["id"]
    r = client.get(f"/q/{key}", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    found = re.search(r'<script id="permalink-query" type="application/json">(.*?)</script>',
                      r.get_data(as_text=True), re.S)
    assert found and json.loads(found.group(1)) == QUERY


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"data": {"query": " "}}, 400),
    ({"json": {"query": 3}}, 400),
    ({"json": ["ASK {}"]}, 400),
    ({"data": {}}, 400),
])
def test_bad_permalink_requests_are_problems(client, kwargs, status):
    r = client.post("/permalinks", **kwargs)
    assert r.status_code == status and r.mimetype == "application/problem+json"
    assert r.get_json()["detail"]


@pytest.mark.parametrize("key", ["AAAAAAAAAAA", "short", "../../etc", "a" * 300])
def test_an_unknown_permalink_is_404(client, key):
    r = client.get(f"/q/{key}")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert len(r.get_json()["detail"]) < 200


def test_a_query_longer_than_max_query_is_refused(small_store):
    from tests.conftest import copy_of
    from web.app import create_app

    app = create_app({"store": copy_of(small_store), "max_query": 50})
    try:
        r = app.test_client().post("/permalinks", data={"query": "ASK {} #" + "x" * 60})
        assert r.status_code == 400 and "at most 50" in r.get_json()["detail"]
    finally:
        app.extensions["hvp"].close()


def test_permalinks_survive_a_restart_of_the_server(disk_store_dir):
    """Made on one `hvp serve`-like server (granian), read on the next over the same store."""
    import json
    import urllib.request

    from tests.conftest import ServedApp

    settings = {"store": str(disk_store_dir), "workers": 1, "access_log": ""}
    first = ServedApp(settings)
    try:
        request = urllib.request.Request(
            first.url + "/permalinks", data=json.dumps({"query": QUERY}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 201
            key = json.load(answer)["id"]
    finally:
        first.close()
    again = ServedApp(settings)
    try:
        with urllib.request.urlopen(f"{again.url}/q/{key}", timeout=30) as answer:
            assert answer.read().decode() == QUERY
    finally:
        again.close()
    assert file_for(disk_store_dir).is_file()
