"""Search (kg.search, web.search, hvp search): what is found, in which order, where the index
lives beside the store's generation, and the /search page and JSON API."""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import generations, reference, search
from kg.cli import cli
from kg.demo import generate
from kg.errors import InputError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.conftest import SMALL


@pytest.fixture(scope="module")
def index(small_store: LocalStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "search"
    search.build_for(small_store, path)
    return path


def keys(hits: list[search.Hit]) -> list[tuple[str, str]]:
    return [(h.kind, h.key) for h in hits]


def test_a_patent_is_found_by_its_number_first(index: Path) -> None:
    hits = search.search(index, "CN-T01")
    assert keys(hits)[0] == ("patent", "CN-T01")
    assert hits[0].label() == "Neural network accelerator"


def test_words_of_a_title_find_the_patent(index: Path) -> None:
    assert ("patent", "CN-T01") in keys(search.search(index, "network accel"))
    assert ("patent", "CN-T02") in keys(search.search(index, "ELECTRODE"))  # any case


def test_an_owner_is_found_by_its_name_normalized(index: Path) -> None:
    assert keys(search.search(index, "Shenzhen Example", ["owner"])) == [("owner", "O1")]
    # "University of X" reads "X University" once normalized (kg.link.names.key)
    assert ("owner", "O2") in keys(search.search(index, "University of Beijing Example"))


def test_regions_and_industries_by_name_in_either_language_or_code(index: Path) -> None:
    assert keys(search.search(index, "Guangdong"))[0] == ("region", "CN-GD")
    assert keys(search.search(index, "广东"))[0] == ("region", "CN-GD")  # two characters
    assert keys(search.search(index, "人工智能"))[0] == ("industry", "1.5")
    hit = search.search(index, "1.5", ["industry"])[0]
    assert hit.key == "1.5" and hit.label("zh") == "人工智能"


def test_one_character_and_limits(index: Path) -> None:
    hits = search.search(index, "省", ["region"], limit=3)
    assert len(hits) == 3 and all(h.kind == "region" for h in hits)
    assert search.search(index, "zzzzqqq") == []
    assert search.search(index, "100%_") == []  # LIKE's wildcards are text


def test_two_characters_scan_patent_titles_only_when_patents_alone_are_asked(index: Path
                                                                            ) -> None:
    assert ("patent", "CN-T03") in keys(search.search(index, "mp", ["patent"]))  # "Lapsed pump"
    assert all(kind != "patent" for kind, _ in keys(search.search(index, "mp")))


def test_a_key_is_found_by_its_start(index: Path) -> None:
    found = keys(search.search(index, "cn-t0", ["patent"], limit=100))
    assert {("patent", "CN-T01"), ("patent", "CN-T03")} <= set(found)
    assert keys(search.search(index, "CN-T03"))[0] == ("patent", "CN-T03")


@pytest.mark.parametrize(("query", "kinds", "limit", "expected"), [
    ("", None, 20, "type something"),
    ("x" * 201, None, 20, "at most 200"),
    ("pump", ["thing"], 20, "'thing' is not one of"),
    ("pump", None, 0, "from 1 to 100"),
    ("pump", None, 101, "from 1 to 100"),
])
def test_bad_queries_are_input_errors(index: Path, query: str, kinds: list[str] | None,
                                      limit: int, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        search.search(index, query, kinds, limit)


def test_fts_syntax_in_a_query_is_text(index: Path) -> None:
    for query in ('"pump', "pump OR NOT", "NEAR(a b)", "col:umn*"):
        search.search(index, query)  # no error from FTS5's query language


def test_ingest_writes_the_index_beside_its_generation(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LocalStore(path)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    first = generations.search(path)
    assert first is not None and first.is_file()
    assert ("patent", "CN-T03") in keys(search.search(first, "Lapsed pump"))
    ingest(store, [SMALL], base=DEFAULT_BASE)
    second = generations.search(path)
    assert second is not None and second.is_file() and second != first
    assert not first.exists()  # went with its generation
    store.update("INSERT DATA { <https://w3id.org/hvp/patent/X> "
                 "<http://purl.org/dc/terms/title> \"new\" }")
    assert not second.exists()  # a data write outside an ingest: the index no longer holds
    assert search.ensure(store, second) and second.is_file()  # built again
    assert not search.ensure(store, second)


def test_cli_search_and_rebuild(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "store")
    assert runner.invoke(cli, ["--store", store, "ingest", "-q", str(SMALL)]).exit_code == 0
    index = generations.search(Path(store))
    assert index is not None
    index.unlink()
    result = runner.invoke(cli, ["--store", store, "search", "--rebuild", "-q"])
    assert result.exit_code == 0 and index.is_file(), result.output
    result = runner.invoke(cli, ["--store", store, "search", "--format", "json", "accelerator"])
    assert result.exit_code == 0
    assert json.loads(result.output)[0]["id"] == "CN-T01"
    result = runner.invoke(cli, ["--store", store, "search", "--type", "region", "Beijing"])
    assert result.output.split()[:2] == ["region", "CN-BJ"]
    assert runner.invoke(cli, ["--store", store, "search"]).exit_code == 2
    memory = runner.invoke(cli, ["--store", ":memory:", "search", "Guangdong"])
    assert memory.exit_code == 0 and "CN-GD" in memory.output


# --- web ------------------------------------------------------------------------------------

def test_search_api(client) -> None:
    answer = client.get("/search?q=accelerator", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["results"][0]["id"] == "CN-T01"
    assert body["results"][0]["url"] == "/patent/CN-T01"  # this server's page
    assert client.get(body["results"][0]["url"]).status_code == 200
    regions = client.get("/search?q=Bei&type=region,owner&limit=5&format=json").get_json()
    assert {r["type"] for r in regions["results"]} <= {"region", "owner"}
    assert regions["type"] == ["region", "owner"] and regions["limit"] == 5
    zh = client.get("/search?q=CN-GD&format=json&lang=zh").get_json()
    assert zh["results"][0]["label"] == "广东省"


@pytest.mark.parametrize("query", ["q=", "q=x&type=thing", "q=x&limit=none", "q=x&limit=500",
                                   "q=" + "x" * 300, "q=x&format=xml"])
def test_search_api_errors_are_problems(client, query: str) -> None:
    answer = client.get(f"/search?{query}", headers={"Accept": "application/json"})
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["detail"]


def test_search_page(client) -> None:
    empty = client.get("/search", headers={"Accept": "text/html"})
    assert empty.status_code == 200 and 'id="hits"' not in empty.get_data(as_text=True)
    html = client.get("/search?q=pump", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/patent/CN-T03"' in html and "Lapsed pump" in html
    assert 'role="search"' in html  # the box in the header
    zh = client.get("/search?q=pump&lang=zh").get_data(as_text=True)
    assert "专利" in zh and 'href="/patent/CN-T03"' in zh
    nothing = client.get("/search?q=qqqzzz&lang=en").get_data(as_text=True)
    assert "Nothing matches" in nothing


def test_the_box_is_on_every_page(client) -> None:
    for url in ("/", "/indicators", "/queries", "/dataset", "/patent/CN-T01"):
        html = client.get(url, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert 'action="/search"' in html, url


def test_an_on_disk_store_without_its_index_gets_it_built_as_a_queued_computation(
        tmp_path: Path) -> None:
    """Building the index reads every thing of the store (minutes at a million patents): the
    first search answers at once that it is being built, as other computations do, and the
    index is built in the writer process beside the generation it switches in."""
    from web.app import create_app

    path = tmp_path / "store"
    store = LocalStore(path)
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    index = generations.search(path)
    assert index is not None and index.is_file()
    store.close()
    index.unlink()
    app = create_app({"store": str(path), "workers": 0, "page_workers": 0})
    client = app.test_client()
    try:
        first = client.get("/search?q=pump&format=json")
        assert first.status_code == 503 and first.mimetype == "application/problem+json"
        assert "search index" in first.get_json()["detail"]
        assert 1 <= int(first.headers["Retry-After"]) <= 30
        page = client.get("/search?q=pump", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "Refresh" in page.headers  # the page reloads itself
        assert "being computed" in page.get_data(as_text=True)
        deadline = time.monotonic() + 120
        answer = first
        while answer.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            answer = client.get("/search?q=pump&format=json")
        assert answer.status_code == 200 and answer.get_json()["results"][0]["id"] == "CN-T03"
        built = generations.search(path)  # the generation the writer switched in
        assert built is not None and built.is_file() and built != index
        assert client.get("/search?q=pump&format=json").status_code == 200  # read, not queued
    finally:
        app.extensions["hvp"].close()


def test_a_first_layout_store_served_moves_into_generations_and_searches(disk_app) -> None:
    """The app moves a store of the first layout into the generations layout when it opens it
    (its writer process switches generations: decision 65); the index is its generation's."""
    path = disk_app.extensions["hvp"].path
    assert path.is_symlink() and generations.search(path) is not None
    answer = disk_app.test_client().get("/search?q=pump&format=json")
    assert answer.status_code == 200 and answer.get_json()["results"][0]["id"] == "CN-T03"


def test_two_chinese_characters_are_found_in_names(tmp_path: Path) -> None:
    """FTS5's trigram LIKE of two Chinese characters on one column (six bytes, no trigram)
    finds nothing (SQLite 3.40): the scan reads the names themselves."""
    path = tmp_path / "search"
    patent = search.entry("patent", DEFAULT_BASE + "patent/P1", "P1", "", "一种洗衣机排水装置")
    owner = search.entry("owner", DEFAULT_BASE + "owner/O9", "O9", "", "广东信源科技有限公司")
    search.build([patent, owner], path)
    assert keys(search.search(path, "洗衣", ["patent"])) == [("patent", "P1")]
    assert keys(search.search(path, "科技")) == [("owner", "O9")]
    assert keys(search.search(path, "排水装置")) == [("patent", "P1")]  # trigrams


def _index_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table of an index as its rows sorted (the index's order left out)."""
    with closing(sqlite3.connect(path)) as db:
        tables = ["keys", *(f"things_{kind}" for kind in search.KINDS)]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}


def test_a_delta_rewrites_only_its_things_rows_and_equals_a_rebuild(tmp_path: Path) -> None:
    demo, delta = tmp_path / "demo", tmp_path / "delta"
    generate(demo, patents=200)
    store = LocalStore(tmp_path / "store")
    ingest(store, [demo], base=DEFAULT_BASE)
    with (demo / "patents.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (demo / "owners.csv").open(newline="", encoding="utf-8") as f:
        owners = list(csv.DictReader(f))
    retitled = dict(rows[0], title="Quantum widget retitled")
    new = dict(rows[1], patent_id="CNNEW0000001", title="一种全新的搜索装置", family_id="")
    renamed = dict(owners[0], name="Zyxwv Renamed Holdings Ltd")
    delta.mkdir()
    for name, table in (("patents.csv", [retitled, new]), ("owners.csv", [renamed])):
        with (delta / name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, list(table[0]))
            writer.writeheader()
            writer.writerows(table)
    labels: set[str] = set()
    ingest(store, [delta], base=DEFAULT_BASE,
           progress=lambda label, *_: labels.add(label))
    assert any("changed things" in label for label in labels), labels  # not built whole
    index = generations.search(tmp_path / "store")
    assert index is not None
    assert ("patent", retitled["patent_id"]) in keys(search.search(index, "widget retitled"))
    assert not any(h.key == retitled["patent_id"]
                   for h in search.search(index, rows[0]["title"][:40], ["patent"]))
    assert ("patent", "CNNEW0000001") in keys(search.search(index, "搜索装置"))
    assert ("owner", renamed["owner_id"]) in keys(search.search(index, "Zyxwv"))
    rebuilt = tmp_path / "rebuilt"
    search.build_for(store, rebuilt)
    assert _index_rows(index) == _index_rows(rebuilt)
