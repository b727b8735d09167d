"""The dataset description (kg.dataset): written by ingest from what it loaded, marked synthetic
by `hvp demo`, shown by `hvp stats`, served at /dataset and /.well-known/void, the demo banner,
and the cube's link to it."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from kg import dataset, reference
from kg.cli import cli
from kg.demo import generate
from kg.errors import InputError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.stats import NAMES, counts
from kg.store import LocalStore
from tests.conftest import SMALL

VOID = rdflib.Namespace(dataset.VOID)
DESCRIBED = rdflib.URIRef(DEFAULT_BASE + "dataset")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    generate(out, patents=1500)
    return out


@pytest.fixture(scope="module")
def demo_store(demo_dir: Path) -> LocalStore:
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [demo_dir], base=DEFAULT_BASE)
    return store


def test_demo_marks_its_output_synthetic(demo_dir: Path) -> None:
    meta = json.loads((demo_dir / dataset.FILE).read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["source"].startswith("synthetic")
    assert meta["scale"] > 1 and meta["seed"] == 0


def test_ingest_describes_what_it_loaded(demo_store: LocalStore) -> None:
    described = dataset.read(demo_store, DEFAULT_BASE)
    assert described is not None and described.synthetic
    found = counts(demo_store)
    invention = str(rdflib.URIRef("https://w3id.org/hvp/def#InventionPatent"))
    assert described.classes[invention] == found["invention patents"] > 0
    assert described.triples == len(demo_store) - len(dataset.quads(demo_store, DEFAULT_BASE))
    assert "demo" in described.sources and "1/" in described.title("en")
    assert described.title("zh").startswith("高价值发明专利合成演示数据")


def test_the_description_is_void_and_dcat(demo_store: LocalStore) -> None:
    graph = rdflib.Graph().parse(data=ox.serialize(dataset.quads(demo_store, DEFAULT_BASE),
                                                   format=ox.RdfFormat.N_TRIPLES), format="nt")
    types = set(graph.objects(DESCRIBED, rdflib.RDF.type))
    assert {VOID.Dataset, rdflib.URIRef(dataset.DCAT + "Dataset")} <= types
    for p in (rdflib.DCTERMS.created, rdflib.DCTERMS.modified, rdflib.DCTERMS.license,
              rdflib.DCTERMS.source, VOID.triples):
        assert graph.value(DESCRIBED, p) is not None, p
    population = rdflib.URIRef(DEFAULT_BASE + "dataset#population")
    assert population in set(graph.objects(DESCRIBED, VOID.subset))
    assert "divided by" in str(graph.value(population, rdflib.DCTERMS.source))


def test_real_data_is_not_synthetic_until_synthetic_data_joins(demo_dir: Path) -> None:
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    first = dataset.read(store, DEFAULT_BASE)
    assert first is not None and not first.synthetic and first.scale is None
    ingest(store, [demo_dir], base=DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)  # real data again: the store stays synthetic
    last = dataset.read(store, DEFAULT_BASE)
    assert last is not None and last.synthetic and last.scale is not None
    assert last.created == first.created


@pytest.mark.parametrize(("text", "expected"), [
    ('{"synthetic": true,\n "scale": }', "dataset.json:2:11: not JSON"),
    ('["a"]', "one JSON object"),
    ('{"scale": "big"}', "'scale' must be a int"),
    ('{"synthetic": "yes"}', "'synthetic' must be a bool"),
    ('{"scale": 0}', "'scale' must be above 0"),
    ('{"colour": "red"}', "unknown key 'colour'"),
])
def test_a_bad_dataset_json_is_refused_and_nothing_written(tmp_path: Path, text: str,
                                                           expected: str) -> None:
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    (folder / dataset.FILE).write_text(text, encoding="utf-8")
    store = LocalStore()
    before = len(store)
    with pytest.raises(InputError, match="dataset.json") as caught:
        ingest(store, [folder], base=DEFAULT_BASE)
    assert expected in str(caught.value)
    assert len(store) == before


def test_stats_shows_the_description(tmp_path: Path, demo_dir: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "store")
    assert runner.invoke(cli, ["--store", store, "ingest", "-q", str(demo_dir)]).exit_code == 0
    result = runner.invoke(cli, ["--store", store, "stats"])
    assert result.exit_code == 0, result.output
    assert "synthetic demo at 1/" in result.output and "not official figures" in result.output
    assert "source" in result.output and "invention patents" in result.output


def test_the_cube_names_the_dataset_it_comes_from() -> None:
    from kg.indicators.cube import PROV_DERIVED, structure

    triples = list(structure("cnipa-2021", DEFAULT_BASE))
    sources = {(t.predicate.value, t.object.value) for t in triples
               if t.predicate.value in (str(rdflib.DCTERMS.source), PROV_DERIVED)}
    assert sources == {(str(rdflib.DCTERMS.source), str(DESCRIBED)),
                       (PROV_DERIVED, str(DESCRIBED))}


# --- web ------------------------------------------------------------------------------------

@pytest.fixture()
def demo_client(demo_store: LocalStore):
    from tests.conftest import copy_of
    from web.app import create_app

    application = create_app({"store": copy_of(demo_store)})
    yield application.test_client()
    application.extensions["hvp"].close()


def test_dataset_page_and_data(demo_client) -> None:
    page = demo_client.get("/dataset", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="classes"' in html and "invention patent" in html and "not official" in html
    for url, accept in (("/dataset", "text/turtle"), ("/.well-known/void", "text/turtle"),
                        ("/dataset.ttl", "*/*")):
        answer = demo_client.get(url, headers={"Accept": accept})
        assert answer.status_code == 200 and answer.mimetype == "text/turtle", url
        graph = rdflib.Graph().parse(data=answer.get_data(as_text=True), format="turtle")
        assert (DESCRIBED, rdflib.RDF.type, VOID.Dataset) in graph
    ld = demo_client.get("/dataset", headers={"Accept": "application/ld+json"})
    assert ld.mimetype == "application/ld+json" and DEFAULT_BASE + "dataset" in ld.get_data(
        as_text=True)


def test_the_banner_is_on_every_page_of_synthetic_data(demo_client, client) -> None:
    for url in ("/", "/indicators", "/queries", "/dataset"):
        html = demo_client.get(url, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert 'id="demo-banner"' in html and "not official figures" in html, url
    zh = demo_client.get("/?lang=zh").get_data(as_text=True)
    assert 'id="demo-banner"' in zh and "不是官方数据" in zh
    real = client.get("/").get_data(as_text=True)  # the small test data: real
    assert 'id="demo-banner"' not in real
    assert "Real data" in client.get("/dataset").get_data(as_text=True)


def test_a_store_without_a_description_answers_404(app) -> None:
    from kg.dataset import graph_iri

    store = app.extensions["hvp"].store()
    store.clear_graph(ox.NamedNode(graph_iri(DEFAULT_BASE)))
    app.extensions["hvp"].cache.clear()
    answer = app.test_client().get("/dataset", headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert app.test_client().get("/").status_code == 200


def _delta(demo: Path, out: Path) -> Path:
    """A delta of the demo: ten invention patents lapsed, ten copied under new ids (each with
    a pledge and an award), one row repeated as it is, and one pledge restated."""
    with (demo / "patents.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    inventions = [r for r in rows if r["kind"] == "invention" and r["grant_date"]
                  and not r["lapse_date"]]
    header = list(rows[0])
    out.mkdir(parents=True)
    with (out / "patents.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        for row in inventions[:10]:
            writer.writerow(dict(row, lapse_date="2023-06-30"))
        writer.writerow(inventions[10])
        for i, row in enumerate(inventions[11:21]):
            writer.writerow(dict(row, patent_id=f"CNDELTA{i:03d}", family_id=""))
    with (demo / "pledges.csv").open(newline="", encoding="utf-8") as f:
        pledge = next(csv.DictReader(f))
    (out / "pledges.csv").write_text(
        "pledge_id,patent_id,registration_date,amount_cny\n"
        + "".join(f"DPL{i},CNDELTA{i:03d},2024-01-02,20000000\n" for i in range(10))
        + f"{pledge['pledge_id']},{pledge['patent_id']},{pledge['registration_date']},"
          f"{pledge['amount_cny']}\n", encoding="utf-8")
    (out / "awards.csv").write_text(
        "award_id,patent_id,award,year\n"
        + "".join(f"DAW{i},CNDELTA{i:03d},china-patent-gold,2023\n" for i in range(10)),
        encoding="utf-8")
    return out


def _stated(store: LocalStore) -> tuple[int, dict[str, int]]:
    described = dataset.read(store, DEFAULT_BASE)
    assert described is not None
    labels = {f"{dataset.HVP}{cls}": label for cls, label in NAMES.items()}
    return described.triples, {labels[iri]: n for iri, n in described.classes.items()}


def _counted(store: LocalStore) -> tuple[int, dict[str, int]]:
    found = counts(store)
    return (found["quads"] - len(dataset.quads(store, DEFAULT_BASE)),
            {label: found[label] for label in NAMES.values()})


def test_the_counts_are_carried_through_ingests_exactly(demo_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An ingest from the store's base counts what it adds and removes instead of counting the
    store (kg.ingest.tally): after a first ingest, a delta (changed, new, repeated rows) and the
    whole demo again, the description's counts equal a full count."""
    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [demo_dir], base=DEFAULT_BASE)  # no base yet: counted in the store
    assert _stated(store) == _counted(store)
    before = _stated(store)

    def counted_in_the_store(*args: object) -> None:
        raise AssertionError("the store was counted")

    with monkeypatch.context() as patched:
        patched.setattr(dataset, "measure", counted_in_the_store)
        ingest(store, [_delta(demo_dir, tmp_path / "delta")], base=DEFAULT_BASE)
        after = _stated(store)
        assert after == _counted(store)
        assert after[1]["invention patents"] == before[1]["invention patents"] + 10
        assert after[1]["pledges"] == before[1]["pledges"] + 10
        ingest(store, [demo_dir], base=DEFAULT_BASE)  # every row restated: only the lapses go
        again = _stated(store)
    assert again == _counted(store)
    assert again == (after[0] - 10, after[1])  # the ten lapse dates
