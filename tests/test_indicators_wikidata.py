"""`hvp indicators --population wikidata` and the dashboard's choice of population, against the
Wikidata-shaped fixture on a real `oxigraph serve` (`hvp link population` reads it first)."""

from __future__ import annotations

import csv
import gc
import io
import json
import urllib.error
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_indicators_data import write_fixture

from kg import generations, indicators
from kg.classify import timeline
from kg.cli import cli
from kg.indicators import integrity
from kg.iri import DEFAULT_BASE
from kg.link.graph import writing
from kg.profiles import load
from kg.store import LocalStore
from tests.conftest import ServedApp, open_ready
from tests.test_link_owners import wikidata  # noqa: F401 - the fixture server

HVP = "https://w3id.org/hvp/def#"
FIGURES = f"{DEFAULT_BASE}links/wikidata-population"


def _run(store: Path, *args: str) -> object:
    result = CliRunner().invoke(cli, ["--store", str(store), *args])
    gc.collect()  # the command's engine, if a reference cycle holds it: one open at a time
    return result


@pytest.fixture(scope="module")
def linked(wikidata: str, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """An on-disk store with the small indicator fixture and Wikidata's populations, less
    Guangdong's 2024 figure (its 2023 one stays)."""
    tmp = tmp_path_factory.mktemp("wdpop")
    path = tmp / "store"
    done = _run(path, "ingest", "-q", str(write_fixture(tmp / "data")))
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    done = _run(path, "link", "population", "--endpoint", wikidata, "--rate", "0")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    store = LocalStore(path)
    gd = ox.NamedNode(f"{FIGURES}/CN-GD/2024")
    quads = list(store.quads(gd, None, None, ox.NamedNode(FIGURES)))
    assert quads
    with writing(store, DEFAULT_BASE) as target:  # as `hvp link population` writes
        target.remove(quads)
    store.close()
    target.close()
    return path


def _csv(text: str) -> dict[str, dict[str, str]]:
    return {row["region"]: row for row in csv.DictReader(io.StringIO(text))}


def test_the_command_divides_by_each_years_wikidata_figure(linked: Path) -> None:
    out = _run(linked, "indicators", "--year", "2024", "--population", "wikidata")
    assert out.exit_code == 0, out.output  # type: ignore[attr-defined]
    lines = out.stdout.splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "region,year,high_value_count,population,per_10k,population_source"
    rows = _csv(out.stdout)  # type: ignore[attr-defined]
    assert {r["population_source"] for r in rows.values()} == {"wikidata"}
    # the fixture's figures are NBS's: Beijing's 2024 population, as the official table has it
    nbs = _run(linked, "indicators", "--year", "2024")
    assert nbs.exit_code == 0, (nbs.output, nbs.exc_info)  # type: ignore[attr-defined]
    official = _csv(nbs.stdout)  # type: ignore[attr-defined]
    assert rows["CN-BJ"]["population"] == official["CN-BJ"]["population"]
    assert rows["CN-BJ"]["high_value_count"] == "2"
    assert float(rows["CN-BJ"]["per_10k"]) == 2 / int(rows["CN-BJ"]["population"]) * 10000
    # no figure for 2024: no row, never the 2023 one; the nation has none at all in the fixture
    assert "CN-GD" not in rows and "CN" not in rows
    assert len(rows) == 30
    errors = out.stderr  # type: ignore[attr-defined]
    assert ("CN-GD 2024: 2 high-value patents but no Wikidata population for 2024" in errors)
    assert "CN 2024: 5 high-value patents but no Wikidata population for 2024" in errors
    # 2023 has Guangdong's figure
    older = _csv(_run(linked, "indicators", "--year", "2023", "--population",
                      "wikidata").stdout)  # type: ignore[attr-defined]
    assert older["CN-GD"]["population"] == "127060000"


def test_json_names_the_source_and_the_statement(linked: Path) -> None:
    doc = json.loads(_run(linked, "indicators", "--year", "2024", "--population", "wikidata",
                          "--format", "json").stdout)  # type: ignore[attr-defined]
    assert doc["population_source"] == "wikidata"
    bj = next(r for r in doc["rows"] if r["region"] == "CN-BJ")
    assert bj["population_source"] == "wikidata"
    assert bj["population_observation"] == f"{FIGURES}/CN-BJ/2024"
    assert bj["population_reference"].startswith("http://www.wikidata.org/entity/statement/Q956-")
    assert any(w.startswith("CN 2024:") for w in doc["warnings"])
    default = json.loads(_run(linked, "indicators", "--year", "2024", "--format",
                              "json").stdout)  # type: ignore[attr-defined]
    assert default["population_source"] == "official"
    assert {r["population_source"] for r in default["rows"]} == {"official"}


def test_the_cube_says_which_source_and_passes_the_integrity_constraints(linked: Path) -> None:
    text = _run(linked, "indicators", "--years", "2023-2024", "--population", "wikidata",
                "--format", "ttl").stdout_bytes  # type: ignore[attr-defined]
    triples = [q.triple for q in ox.parse(text, format=ox.RdfFormat.TURTLE)]
    report = integrity.check(triples)
    assert report.conforms, report.text
    assert integrity.normalized(triples)
    series = ox.NamedNode(HVP + "populationSeries")
    dataset = ox.NamedNode(f"{DEFAULT_BASE}indicators/cnipa-2021/wikidata")
    wikidata_series = ox.NamedNode(HVP + "WikidataPopulation")
    assert ox.Triple(dataset, series, wikidata_series) in triples
    observations = {t.subject for t in triples if t.object == ox.NamedNode(
        "http://purl.org/linked-data/cube#Observation")}
    assert len(observations) == 31 + 30
    assert all(ox.Triple(o, series, wikidata_series) in triples for o in observations)
    # both cubes kept side by side in the store, each whole and conforming
    _run(linked, "indicators", "--year", "2024")
    store = LocalStore(linked)
    try:
        for population, count, value in (("wikidata", 61, "WikidataPopulation"),
                                         ("official", 32, "OfficialPopulation")):
            stored = indicators.cube.stored(store, "cnipa-2021", DEFAULT_BASE, population)
            assert integrity.check(stored).conforms
            obs = [t for t in stored if t.predicate == series
                   and "/observation/" in str(t.subject)]
            assert len(obs) >= count and {t.object.value for t in obs} == {HVP + value}
    finally:
        store.close()


def test_answers_are_kept_per_source(linked: Path) -> None:
    store = LocalStore(linked)
    try:
        indicators.compute(store, [2022])  # brings the timeline up to date (answers go)
        wd = indicators.compute(store, [2022], population="wikidata")
        nbs = indicators.compute(store, [2022])
        assert "CN" in {r.region for r in nbs.rows} and "CN" not in {r.region for r in wd.rows}
        folder = generations.answers(store.path)  # type: ignore[arg-type]
        assert folder is not None
        kept = {json.loads(f.read_bytes())["population_source"]: f
                for f in folder.glob("indicators-*.json")}
        assert set(kept) == {"official", "wikidata"}
        kept["wikidata"].write_bytes(kept["wikidata"].read_bytes().replace(
            b'"CN-BJ", 2022, 2,', b'"CN-BJ", 2022, 7,'))
        again = indicators.compute(store, [2022], population="wikidata")  # read back
        assert again.population_source == "wikidata"
        assert {r.region: r.high_value_count for r in again.rows}["CN-BJ"] == 7
        assert indicators.compute(store, [2022]).rows == nbs.rows
    finally:
        store.close()


def test_without_the_graph_the_choice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "store"
    assert _run(path, "ingest", "-q", str(write_fixture(tmp_path / "data"))).exit_code == 0  # type: ignore[attr-defined]
    out = _run(path, "indicators", "--year", "2024", "--population", "wikidata")
    assert out.exit_code == 2  # type: ignore[attr-defined]
    assert "hvp link population" in out.output  # type: ignore[attr-defined]


def _get(url: str, lang: str = "en") -> str:
    request = urllib.request.Request(url, headers={"Accept-Language": lang})
    try:
        with open_ready(request) as answer:
            return str(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        exc.add_note(exc.read().decode("utf-8", "replace")[:2000])
        raise


def test_the_dashboard_offers_and_names_the_source(linked: Path) -> None:
    done = _run(linked, "indicators", "--year", "2024", "--population", "wikidata")  # its cube
    assert done.exit_code == 0  # type: ignore[attr-defined]
    server = ServedApp({"store": str(linked), "workers": 1, "timeout": 90.0})  # a loaded CI
    try:
        # the Wikidata cube's IRIs dereference like every other
        for path in ("/observation/cnipa-2021/wikidata/CN-BJ/2024",
                     "/indicators/cnipa-2021/wikidata"):
            turtle = urllib.request.Request(server.url + path, headers={"Accept": "text/turtle"})
            with open_ready(turtle) as answer:
                assert "WikidataPopulation" in answer.read().decode("utf-8"), path
        page = _get(f"{server.url}/indicators?year=2024")
        assert 'data-source="official"' in page and '<select name="population">' in page
        assert "official year-end resident population" in page
        page = _get(f"{server.url}/indicators?year=2024&population=wikidata")
        assert 'data-source="wikidata"' in page
        assert "Population figures: Wikidata" in page
        assert "but no Wikidata population for that year" in page and "(CN-GD)" in page
        assert "population=wikidata" in page  # the downloads keep the choice
        zh = _get(f"{server.url}/indicators?year=2024&population=wikidata", "zh")
        assert "人口数据：维基数据" in zh and "维基数据没有该年的人口数据" in zh
        rows = _csv(_get(f"{server.url}/indicators.csv?years=2024&population=wikidata"))
        assert "CN-GD" not in rows and rows["CN-BJ"]["population_source"] == "wikidata"
        with pytest.raises(urllib.error.HTTPError) as bad:
            _get(f"{server.url}/indicators?population=census")
        assert bad.value.code == 400
        bad.value.close()
    finally:
        server.close()


def test_the_dashboard_without_wikidata_figures(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/indicators?year=2024")
    assert page.status_code == 200
    assert '<select name="population">' not in page.text  # nothing to choose
    assert 'data-source="official"' in page.text
    refused = client.get("/indicators?population=wikidata")
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert "hvp link population" in refused.get_json()["detail"]


def test_a_link_run_keeps_the_timeline_and_the_data_generation(linked: Path,
                                                                 wikidata: str) -> None:  # noqa: F811
    """Links are written as data with a base: a timeline that held is carried over (no patent
    to compute again), and the next indicators keep their answer."""
    store = LocalStore(linked)
    prof = load("cnipa-2021")
    try:
        indicators.compute(store, [2021], population="wikidata")
        assert timeline.current(store, prof, "cnipa-2021", DEFAULT_BASE)
    finally:
        store.close()
    done = _run(linked, "link", "population", "--endpoint", wikidata, "--rate", "0")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    store = LocalStore(linked)
    try:
        assert timeline.current(store, prof, "cnipa-2021", DEFAULT_BASE)
        assert generations.base(store.path) is not None  # type: ignore[arg-type]
        first = indicators.compute(store, [2021], population="wikidata")
        folder = generations.answers(store.path)  # type: ignore[arg-type]
        assert folder is not None and list(folder.glob("indicators-*.json"))
        assert indicators.compute(store, [2021], population="wikidata").rows == first.rows
    finally:
        store.close()
