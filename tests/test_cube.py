"""The indicator Data Cube and the W3C integrity-constraint shapes (shapes/cube/) in pySHACL."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, RDFS, Literal, URIRef
from test_indicators_data import load_fixture

from kg import indicators, reference
from kg.indicators import cube
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

QB = rdflib.Namespace("http://purl.org/linked-data/cube#")
SDMX = rdflib.Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
HVP = rdflib.Namespace("https://w3id.org/hvp/def#")
DS = URIRef(f"{DEFAULT_BASE}indicators/cnipa-2021")
DSD = URIRef(f"{DEFAULT_BASE}indicators/cnipa-2021/structure")
GD = URIRef(f"{DEFAULT_BASE}observation/cnipa-2021/CN-GD/2024")
BJ = URIRef(f"{DEFAULT_BASE}observation/cnipa-2021/CN-BJ/2024")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    s = LocalStore()
    reference.ensure(s)
    load_fixture(s, tmp_path_factory.mktemp("cube"))
    cube.ensure(s, [2023, 2024])
    return s


@pytest.fixture
def graph(store: LocalStore) -> rdflib.Graph:
    """A fresh rdflib copy of the materialized cube, for each test to break."""
    return cube.cube_graph(store, "cnipa-2021")


def _failures(graph: rdflib.Graph) -> str:
    report = cube.check(graph)
    assert not report.conforms
    return report.text


def test_real_cube_conforms(graph: rdflib.Graph) -> None:
    report = cube.check(graph)
    assert report.conforms, report.text
    assert len(set(graph.subjects(RDF.type, QB.Observation))) == 64  # 32 regions x 2 years


def test_cube_structure(graph: rdflib.Graph) -> None:
    assert (DS, QB.structure, DSD) in graph
    assert (GD, SDMX.refArea, URIRef(f"{DEFAULT_BASE}region/CN-GD")) in graph
    assert (GD, SDMX.refPeriod, URIRef("http://reference.data.gov.uk/id/year/2024")) in graph
    assert graph.value(GD, HVP.highValueCount).toPython() == 2
    source = graph.value(GD, HVP.populationSource)
    assert source == URIRef(f"{DEFAULT_BASE}population/CN-GD/2024")
    assert graph.value(source, URIRef("http://purl.org/dc/terms/source"))
    measures = set(graph.objects(None, QB.measure))
    assert measures == {HVP.highValueCount, HVP.population, HVP.per10k}


def test_ensure_is_incremental_and_replaces_years(store: LocalStore) -> None:
    assert cube.present_years(store, "cnipa-2021") >= {2023, 2024}
    before = len(store)
    cube.ensure(store, [2024])
    assert len(store) == before  # nothing recomputed
    again = indicators.compute(store, [2024])
    cube.materialize(store, again)
    assert len(store) == before  # replaced, not duplicated


def test_missing_dimension_is_caught(graph: rdflib.Graph) -> None:
    graph.remove((GD, SDMX.refPeriod, None))
    assert "IC-11" in _failures(graph)


def test_duplicate_observation_is_caught(graph: rdflib.Graph) -> None:
    copy = URIRef(str(GD) + "-copy")
    for p, o in list(graph.predicate_objects(GD)):
        graph.add((copy, p, o))
    text = _failures(graph)
    assert "IC-12" in text and str(copy) in text


def test_dsd_without_measure_is_caught(graph: rdflib.Graph) -> None:
    for spec in list(graph.objects(DSD, QB.component)):
        if (spec, QB.measure, None) in graph:
            graph.remove((DSD, QB.component, spec))
    text = _failures(graph)
    assert "IC-3" in text


def test_dimension_without_range_is_caught(graph: rdflib.Graph) -> None:
    graph.remove((SDMX.refArea, RDFS.range, None))
    assert "IC-4" in _failures(graph)


def test_observation_in_two_data_sets_is_caught(graph: rdflib.Graph) -> None:
    graph.add((BJ, QB.dataSet, URIRef(str(DS) + "-other")))
    assert "IC-1" in _failures(graph)


def test_data_set_without_structure_is_caught(graph: rdflib.Graph) -> None:
    graph.remove((DS, QB.structure, DSD))
    assert "IC-2" in _failures(graph)


def test_missing_measure_and_optional_dimension_are_caught(graph: rdflib.Graph) -> None:
    graph.remove((GD, HVP.per10k, None))
    spec = URIRef(str(DSD) + "/refArea")
    graph.add((spec, QB.componentRequired, Literal(False)))
    text = _failures(graph)
    assert "IC-14" in text and "IC-6" in text


def test_shapes_are_valid_turtle() -> None:
    for path in Path(cube.CUBE_SHAPES).glob("*.ttl"):
        assert len(rdflib.Graph().parse(path)) > 0
