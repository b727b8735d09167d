"""`hvp link population` against `oxigraph serve` holding the Wikidata-shaped fixture."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from click.testing import CliRunner

from kg import official, reference
from kg.cli import cli
from kg.iri import DEFAULT_BASE
from kg.link import population
from kg.link.client import Endpoint
from kg.store import LocalStore
from tests.test_link_owners import wikidata  # noqa: F401 - the fixture server

HVP = "https://w3id.org/hvp/def#"


def test_population_statements_become_observations_beside_the_official_table(
        wikidata: str) -> None:  # noqa: F811
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    default = set(store.quads(None, None, None, ox.DefaultGraph()))
    figures = population.link(store, DEFAULT_BASE, Endpoint(wikidata, rate=0))
    assert len(figures) == 31 * 5  # the provinces, 2020-2024 (the nation has none there)
    by = {(f.region, f.year): f for f in figures}
    # the deprecated statement (1 person in 2023) is ignored
    assert by[("CN-GD", 2023)].population == 127_060_000
    statement = by[("CN-GD", 2024)].statement
    assert statement.startswith("http://www.wikidata.org/entity/statement/Q15175-")
    rows = population.compare(figures)
    assert all(known == official.population()[(r, y)] and diff == 0
               for r, y, _, known, diff in rows)
    graph = population.population_graph(DEFAULT_BASE)
    observations = list(store.quads(None, ox.NamedNode(HVP + "population"), None, graph))
    assert len(observations) == 155
    # the default graph, which the indicators read, is untouched
    assert set(store.quads(None, None, None, ox.DefaultGraph())) == default
    first = len(list(store.quads(None, None, None, graph)))
    again = population.link(store, DEFAULT_BASE, Endpoint(wikidata, rate=0))
    assert len(again) == 155
    assert len(list(store.quads(None, None, None, graph))) == first  # replaced, not added
    runs = list(store.quads(graph, ox.NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy"),
                            None, graph))
    assert len(runs) == 1


def test_the_command_prints_both_sources(wikidata: str, tmp_path: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), "link", "population",
                                      "--endpoint", wikidata, "--rate", "0"])
    assert result.exit_code == 2  # no store yet: `link` does not create one
    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    store.close()
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), "link", "population",
                                      "--endpoint", wikidata, "--rate", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "region,year,wikidata,official,difference"
    assert "CN-GD,2024,127800000,127800000,0.000000" in lines
    assert "155 region-years" in result.output
