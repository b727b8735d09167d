"""/reconcile: Reconciliation Service API 0.2, every answer validated against the spec's schemas
(tests/fixtures/reconciliation-0.2)."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from kg import reference
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.conftest import SMALL, ServedApp, open_ready

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCHEMAS = FIXTURES / "reconciliation-0.2"
OWNERS = FIXTURES / "wikidata" / "owners"
OWNER = "https://w3id.org/hvp/def#Owner"
PATENT = "https://w3id.org/hvp/def#Patent"


def schema(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8")))


MANIFEST, QUERIES, RESULTS, SUGGEST, EXTEND, EXTENDED = (schema(n) for n in (
    "manifest", "reconciliation-query-batch", "reconciliation-result-batch",
    "suggest-entities-response", "data-extension-query", "data-extension-response"))


def fill(store: LocalStore, extra: Path) -> LocalStore:
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL, OWNERS, extra], base=DEFAULT_BASE)
    return store


@pytest.fixture(scope="module")
def homonyms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two owners of one name in two provinces."""
    folder = tmp_path_factory.mktemp("homonyms")
    (folder / "owners.csv").write_text(
        "owner_id,name,country,region\nH1,江苏同名科技有限公司,CN,CN-JS\n"
        "H2,江苏同名科技股份有限公司,CN,CN-ZJ\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def client(homonyms: Path) -> Iterator[object]:
    from web.app import create_app

    app = create_app({"store": fill(LocalStore(), homonyms)})
    yield app.test_client()
    app.extensions["hvp"].close()


def reconcile(client, batch: dict, method: str = "POST") -> dict:
    QUERIES.validate(batch)
    data = {"queries": json.dumps(batch, ensure_ascii=False)}
    answer = (client.post("/reconcile", data=data) if method == "POST"
              else client.get("/reconcile", query_string=data))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    body = answer.get_json()
    RESULTS.validate(body)
    assert set(body) == set(batch)
    return body


def test_manifest(client) -> None:
    answer = client.get("/reconcile")
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == "*"
    body = answer.get_json()
    MANIFEST.validate(body)
    assert body["versions"] == ["0.2"] and body["identifierSpace"] == DEFAULT_BASE
    assert [t["id"] for t in body["defaultTypes"]] == [OWNER, PATENT]
    assert body["view"]["url"] == "http://localhost/reconcile/view/{{id}}"
    assert body["preview"]["url"] == "http://localhost/reconcile/preview?id={{id}}"
    assert body["suggest"]["entity"]["service_path"] == "/reconcile/suggest/entity"
    assert body["extend"]["propose_properties"]["service_path"] == "/reconcile/properties"
    preflight = client.options("/reconcile", headers={"Origin": "http://example.org",
                                                      "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert client.get("/reconcile/").get_json() == body  # with or without the slash


def test_owners_by_name_as_linking_normalizes_them(client) -> None:
    batch = {
        "q0": {"query": "福建天天智能装备有限公司", "type": OWNER},
        "q1": {"query": "福建天天智能裝備有限公司", "type": OWNER},  # traditional characters
        "q2": {"query": "福建天天智能装备股份有限公司"},  # another legal form, any type
        "q3": {"query": "Example Corp", "type": [OWNER], "limit": 3},
        "q4": {"query": "No such owner whatsoever", "type": "owner"},
        "q5": {"query": "O1"},  # an owner's id
    }
    for method in ("POST", "GET"):
        body = reconcile(client, batch, method)
        q0 = body["q0"]["result"]
        assert [(c["id"], c["name"], c["score"], c["match"]) for c in q0] == [
            ("owner/W0001", "福建天天智能装备有限公司", 100.0, True)]
        assert q0[0]["type"] == [{"id": OWNER, "name": "Owner (patent holder)"}]
        assert q0[0]["description"] == "CN-FJ · CN"
        assert [(c["id"], c["score"], c["match"]) for c in body["q1"]["result"]] == [
            ("owner/W0001", 100.0, True)]
        assert [(c["id"], c["score"], c["match"]) for c in body["q2"]["result"]] == [
            ("owner/W0001", 90.0, True)]
        assert [c["id"] for c in body["q3"]["result"]] == ["owner/O3"]
        assert body["q4"]["result"] == []
        assert body["q5"]["result"][0]["id"] == "owner/O1"


def test_homonyms_need_a_region_to_match(client) -> None:
    body = reconcile(client, {
        "plain": {"query": "江苏同名科技有限公司", "type": OWNER},
        "js": {"query": "江苏同名科技有限公司", "type": OWNER,
               "properties": [{"pid": "region", "v": "CN-JS"}]},
        "zj": {"query": "江苏同名科技有限公司", "type": OWNER,
               "properties": [{"pid": "region", "v": [{"id": "region/CN-ZJ", "name": "浙江"}]}]},
        "one": {"query": "江苏同名科技有限公司", "limit": 1},
    })
    plain = body["plain"]["result"]
    assert {c["id"] for c in plain} == {"owner/H1", "owner/H2"}
    assert not any(c["match"] for c in plain)
    js = body["js"]["result"]
    assert (js[0]["id"], js[0]["match"]) == ("owner/H1", True) and not js[1]["match"]
    assert {"id": "region", "value": True} in js[0]["features"]
    zj = body["zj"]["result"]
    assert (zj[0]["id"], zj[0]["match"]) == ("owner/H2", True)
    assert len(body["one"]["result"]) == 1


def test_patents_by_number_or_title(client) -> None:
    body = reconcile(client, {
        "number": {"query": "CN-T01", "type": PATENT},
        "title": {"query": "Neural network accelerator", "type": "patent"},
        "prefixed": {"query": "patent/CN-T02"},
        "none": {"query": "CN-NOPE", "type": PATENT},
    })
    number = body["number"]["result"]
    assert [(c["id"], c["name"], c["match"]) for c in number] == [
        ("patent/CN-T01", "Neural network accelerator", True)]
    assert [c["id"] for c in body["title"]["result"]] == ["patent/CN-T01"]
    assert body["prefixed"]["result"][0]["id"] == "patent/CN-T02"
    assert body["none"]["result"] == []


def test_jsonp(client) -> None:
    answer = client.get("/reconcile", query_string={"callback": "jQuery12_3"})
    assert answer.mimetype == "application/javascript"
    text = answer.get_data(as_text=True)
    assert text.startswith("/**/jQuery12_3(") and text.endswith(");")
    MANIFEST.validate(json.loads(text[len("/**/jQuery12_3("):-2]))
    answer = client.get("/reconcile/suggest/entity",
                        query_string={"prefix": "福建", "callback": "cb"})
    assert answer.get_data(as_text=True).startswith("/**/cb(")
    bad = client.get("/reconcile", query_string={"callback": "alert(1)//"},
                     headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


@pytest.mark.parametrize(("queries", "status", "detail"), [
    ("{not json", 400, "queries is not JSON"),
    ("[1, 2]", 400, "must be a JSON object"),
    ('{"q0": {"type": "owner"}}', 400, "give a non-empty query or properties"),
    ('{"q0": {"query": "x", "colour": 1}}', 400, "unknown fields ['colour']"),
    ('{"q0": {"query": "x", "limit": 0}}', 400, "limit must be a positive integer"),
    ('{"q0": {"query": "x", "properties": [{"pid": "size", "v": 1}]}}', 400,
     "unknown property 'size'"),
    (json.dumps({f"q{i}": {"query": "x"} for i in range(101)}), 413, "batchSize is 100"),
])
def test_bad_queries_are_problems(client, queries: str, status: int, detail: str) -> None:
    answer = client.post("/reconcile", data={"queries": queries},
                         headers={"Accept": "application/json"})
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    assert detail in answer.get_json()["detail"]


def test_suggest_entities(client) -> None:
    first = client.get("/reconcile/suggest/entity", query_string={"prefix": "广"}).get_json()
    SUGGEST.validate(first)
    assert len(first["result"]) == 10
    assert all(r["name"].startswith("广") for r in first["result"])
    assert first["result"][0]["notable"] == [{"id": OWNER, "name": "Owner (patent holder)"}]
    more = client.get("/reconcile/suggest/entity",
                      query_string={"prefix": "廣", "cursor": 10}).get_json()
    SUGGEST.validate(more)
    assert more["result"] and not {r["id"] for r in more["result"]} & {
        r["id"] for r in first["result"]}
    by_id = client.get("/reconcile/suggest/entity", query_string={"prefix": "O2"}).get_json()
    assert by_id["result"][0] == {"id": "owner/O2", "name": "Beijing Example University",
                                  "description": "CN-BJ · CN",
                                  "notable": [{"id": OWNER, "name": "Owner (patent holder)"}]}
    empty = client.get("/reconcile/suggest/entity", query_string={"prefix": ""}).get_json()
    assert empty == {"result": []}
    bad = client.get("/reconcile/suggest/entity", query_string={"prefix": "a", "cursor": "x"},
                     headers={"Accept": "application/json"})
    assert bad.status_code == 400


def test_preview_and_view(client) -> None:
    page = client.get("/reconcile/preview", query_string={"id": "owner/O1"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Shenzhen Example Tech Co." in html and "<dt>patents</dt><dd>5</dd>" in html
    patent = client.get("/reconcile/preview", query_string={"id": "patent/CN-T01"})
    assert "Neural network accelerator" in patent.get_data(as_text=True)
    for entity in ("owner/NOPE", "region/CN-GD", "nonsense"):
        missing = client.get("/reconcile/preview", query_string={"id": entity},
                             headers={"Accept": "application/json"})
        assert missing.status_code == 404, entity
    view = client.get("/reconcile/view/owner/W0001")
    assert view.status_code == 303 and view.headers["Location"].endswith("/owner/W0001")
    assert client.get("/reconcile/view/owner%2FW0001").status_code == 303


def test_property_proposals(client) -> None:
    body = client.get("/reconcile/properties", query_string={"type": OWNER}).get_json()
    assert body["type"] == OWNER
    assert [p["id"] for p in body["properties"]] == [
        "high_value_patents", "patents", "country", "region", "wikidata"]
    assert all(set(p) == {"id", "name"} for p in body["properties"])
    two = client.get("/reconcile/properties", query_string={"type": "patent", "limit": 2})
    assert two.get_json() == {"type": "patent", "limit": 2, "properties": [
        {"id": "title", "name": "Title"}, {"id": "filing_date", "name": "Filing date"}]}
    bad = client.get("/reconcile/properties", query_string={"type": "region"},
                     headers={"Accept": "application/json"})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


def test_data_extension_pulls_back_counts_and_links(client) -> None:
    import pyoxigraph as ox

    from kg.link.graph import SAME, links_graph

    store = client.application.extensions["hvp"].store()
    link = ox.Quad(ox.NamedNode(DEFAULT_BASE + "owner/O1"), SAME,
                   ox.NamedNode("http://www.wikidata.org/entity/Q9000001"),
                   links_graph(DEFAULT_BASE))
    store.add([link])
    query = {"ids": ["owner/O1", "owner/O2", "owner/W0001", "owner/NOPE", "nonsense"],
             "properties": [{"id": "high_value_patents", "settings": {"as_of": "2024-12-31"}},
                            {"id": "patents"}, {"id": "region"}, {"id": "wikidata"}]}
    EXTEND.validate(query)
    try:
        answer = client.post("/reconcile", data={"extend": json.dumps(query)})
    finally:
        store.remove([link])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    EXTENDED.validate(body)
    assert [m["id"] for m in body["meta"]] == ["high_value_patents", "patents", "region",
                                               "wikidata"]
    rows = body["rows"]
    # small data: O1 owns CN-T01/03/04/05/08, of which CN-T01 is high-value at 2024-12-31;
    # O2 owns CN-T01, CN-T02 (both high-value) and CN-T07
    assert rows["owner/O1"] == {"high_value_patents": [{"int": 1}], "patents": [{"int": 5}],
                                "region": [{"str": "CN-GD"}], "wikidata": [{"str": "Q9000001"}]}
    assert rows["owner/O2"]["high_value_patents"] == [{"int": 2}]
    assert rows["owner/O2"]["patents"] == [{"int": 3}] and rows["owner/O2"]["wikidata"] == []
    assert rows["owner/W0001"]["patents"] == [{"int": 0}]
    assert rows["owner/NOPE"]["patents"] == [{"int": 0}]  # an owner id no owner has
    assert rows["nonsense"] == {"high_value_patents": [], "patents": [], "region": [],
                                "wikidata": []}
    patent = client.get("/reconcile", query_string={"extend": json.dumps(
        {"ids": ["patent/CN-T01"], "properties": [{"id": "filing_date"}, {"id": "title"}]})})
    EXTENDED.validate(patent.get_json())
    assert patent.get_json()["rows"]["patent/CN-T01"] == {
        "filing_date": [{"date": "2015-03-01T00:00:00Z"}],
        "title": [{"str": "Neural network accelerator"}]}


@pytest.mark.parametrize(("extend", "status", "detail"), [
    ("{oops", 400, "extend is not JSON"),
    ('{"ids": ["owner/O1"]}', 400, "the lists ids and properties"),
    ('{"ids": ["owner/O1"], "properties": [{"id": "colour"}]}', 400, "unknown property"),
    ('{"ids": ["owner/O1"], "properties": [{"id": "high_value_patents", '
     '"settings": {"as_of": "2024-02-30"}}]}', 400, "setting as_of"),
    (json.dumps({"ids": [f"owner/O{i}" for i in range(201)], "properties": []}), 413,
     "at most 200"),
])
def test_bad_extend_queries_are_problems(client, extend: str, status: int, detail: str) -> None:
    answer = client.post("/reconcile", data={"extend": extend},
                         headers={"Accept": "application/json"})
    assert answer.status_code == status
    assert detail in answer.get_json()["detail"]


@pytest.mark.slow
def test_over_http_on_the_served_app(tmp_path: Path, homonyms: Path) -> None:
    store_dir = tmp_path / "store"
    store = fill(LocalStore(store_dir), homonyms)
    store.flush()
    store.close()
    served = ServedApp({"store": str(store_dir), "workers": 1})
    try:
        with urllib.request.urlopen(served.url + "/reconcile", timeout=30) as answer:
            assert answer.headers["Access-Control-Allow-Origin"] == "*"
            manifest = json.load(answer)
        MANIFEST.validate(manifest)
        assert manifest["view"]["url"] == served.url + "/reconcile/view/{{id}}"
        batch = {"q0": {"query": "广东达通智能装备有限公司", "type": OWNER}}
        data = urllib.parse.urlencode({"queries": json.dumps(batch)}).encode()
        with urllib.request.urlopen(served.url + "/reconcile", data=data, timeout=30) as answer:
            body = json.load(answer)
        RESULTS.validate(body)
        assert body["q0"]["result"][0]["id"] == "owner/W0004"
        assert body["q0"]["result"][0]["match"] is True
        view = manifest["view"]["url"].replace("{{id}}", "owner/W0004")
        with open_ready(view) as page:  # follows the 303 (the owner page may be queued first)
            assert page.url == served.url + "/owner/W0004"
    finally:
        served.close()


@pytest.mark.slow
def test_the_index_follows_a_write_while_the_server_runs(tmp_path: Path, homonyms: Path) -> None:
    """An owner written through /update (the server holds the store: `hvp ingest` beside it is
    refused) is found by the next /reconcile, without a restart; one removed is gone."""
    store_dir = tmp_path / "store"
    store = fill(LocalStore(store_dir), homonyms)
    store.flush()
    store.close()
    token = "t0ken-for-the-test"
    served = ServedApp({"store": str(store_dir), "workers": 1, "write_token": token,
                        "read_only": False})
    name = "深圳新写入科技有限公司"

    def ask() -> list[dict]:
        batch = {"q0": {"query": name, "type": OWNER}}
        data = urllib.parse.urlencode({"queries": json.dumps(batch)}).encode()
        with urllib.request.urlopen(served.url + "/reconcile", data=data, timeout=60) as answer:
            body = json.load(answer)
        RESULTS.validate(body)
        return list(body["q0"]["result"])

    def update(text: str) -> None:
        request = urllib.request.Request(
            served.url + "/update", data=text.encode(), method="POST",
            headers={"Content-Type": "application/sparql-update",
                     "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 204

    owner = f"<{DEFAULT_BASE}owner/NEW1>"
    triples = (f"{owner} a <{OWNER}> ; <http://purl.org/dc/terms/identifier> \"NEW1\" ; "
               f"<http://xmlns.com/foaf/0.1/name> \"{name}\" ; "
               "<https://w3id.org/hvp/def#country> \"CN\" .")
    try:
        assert ask() == []  # the index is built now, without the new owner
        update(f"INSERT DATA {{ {triples} }}")
        found = ask()
        assert [(r["id"], r["match"]) for r in found] == [("owner/NEW1", True)]
        update(f"DELETE DATA {{ {triples} }}")
        assert ask() == []
    finally:
        served.close()


def test_the_index_is_not_built_again_after_a_computation(tmp_path: Path, homonyms: Path
                                                          ) -> None:
    """A queued computation switches in a generation of the same data with its derived graphs
    (web.writer): the owner index (every owner read: seconds at a million patents) stays."""
    import time

    from web.app import create_app

    store_dir = tmp_path / "store"
    store = fill(LocalStore(store_dir), homonyms)
    store.flush()
    store.close()
    app = create_app({"store": str(store_dir), "workers": 0, "page_workers": 0})
    client = app.test_client()
    try:
        def suggest() -> list[str]:
            answer = client.get("/reconcile/suggest/entity?prefix=广东达通")
            assert answer.status_code == 200
            return [r["id"] for r in answer.get_json()["result"]]

        found = suggest()
        built = app.extensions["hvp-reconcile"][1]
        before = os.path.realpath(store_dir)
        deadline = time.monotonic() + 120
        while client.get("/queries/criteria-count").status_code == 503:  # a computation
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert os.path.realpath(store_dir) != before  # another generation switched in
        assert suggest() == found and app.extensions["hvp-reconcile"][1] is built
    finally:
        app.extensions["hvp"].close()


def test_the_first_index_is_a_queued_computation(tmp_path: Path, homonyms: Path) -> None:
    """Building the owner index reads every owner (seconds at a million patents): past
    ``compute_wait`` the request answers at once that it is being computed, then the index
    answers."""
    import time

    from web.app import create_app

    store_dir = tmp_path / "store"
    store = fill(LocalStore(store_dir), homonyms)
    store.flush()
    store.close()
    app = create_app({"store": str(store_dir), "workers": 0, "page_workers": 0,
                      "compute_wait": 0})
    client = app.test_client()
    try:
        path = "/reconcile/suggest/entity?prefix=广东达通"
        first = client.get(path)
        assert first.status_code == 503 and 1 <= int(first.headers["Retry-After"]) <= 30
        assert "owner index" in first.get_json()["detail"]
        deadline = time.monotonic() + 60
        answer = first
        while answer.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.1)
            answer = client.get(path)
        assert answer.status_code == 200 and answer.get_json()["result"][0]["id"] == "owner/W0004"
    finally:
        app.extensions["hvp"].close()
