"""The indicator Data Cube against the W3C integrity constraints IC-1 to IC-21 and the
normalization algorithm, as the Recommendation writes them (shapes/cube/integrity.ttl).

Every cube the project writes is checked: the file of ``hvp indicators --format ttl``, the stored
graph ``{base}graph/indicators/{profile}`` (in memory and on disk) and the web download over HTTP.
Each constraint is also shown to fail on a cube broken for it, so none of them can pass vacuously.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from rdflib import RDF, URIRef
from test_indicators_data import load_fixture

from kg import indicators, reference
from kg.cli import cli
from kg.indicators import cube, integrity
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.conftest import open_ready

QB = "http://purl.org/linked-data/cube#"
SDMX = rdflib.Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
HVP = rdflib.Namespace("https://w3id.org/hvp/def#")
DS = f"{DEFAULT_BASE}indicators/cnipa-2021"
DSD = f"{DS}/structure"
GD = f"{DEFAULT_BASE}observation/cnipa-2021/CN-GD/2024"
UNIT = "http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure"
PREFIXES = f"""
@prefix qb: <{QB}> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sdmx-dimension: <{SDMX}> .
@prefix hvp: <{HVP}> .
@prefix ex: <http://example.org/> .
"""
ALL = [f"IC-{n}" for n in range(1, 22)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    s = LocalStore()
    reference.ensure(s)
    load_fixture(s, tmp_path_factory.mktemp("cube"))
    cube.ensure(s, [2023, 2024])
    return s


@pytest.fixture
def triples(store: LocalStore) -> list[ox.Triple]:
    """The materialized cube (in memory), for each test to break."""
    return cube.stored(store, "cnipa-2021")


def _graph(triples: list[ox.Triple]) -> rdflib.Graph:
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=text.decode(), format="nt")


def _with(triples: list[ox.Triple], turtle: str) -> list[ox.Triple]:
    added = ox.parse((PREFIXES + turtle).encode(), format=ox.RdfFormat.TURTLE)
    return [*triples, *(q.triple for q in added)]


def _without(triples: list[ox.Triple], subject: str, predicate: str) -> list[ox.Triple]:
    return [t for t in triples
            if not (t.subject.value == subject and t.predicate.value == predicate)]


def _failed(triples: list[ox.Triple]) -> set[str]:
    report = integrity.check(triples)
    assert report.conforms == (not report.violations)
    return {v.constraint.name for v in report.violations}


# --- the constraints are the Recommendation's -------------------------------------------------


def test_twenty_one_constraints_with_their_queries() -> None:
    found = integrity.constraints()
    assert [c.name for c in found] == ALL
    assert all(c.label.startswith(c.name + ". ") and c.asks for c in found)
    assert [len(c.asks) for c in found if len(c.asks) != 1] == [2]  # IC-19: scheme, collection
    assert [c.name for c in found if c.instances] == ["IC-20", "IC-21"]  # templates
    assert all("ASK {" in ask and "PREFIX qb:" in ask for c in found for ask in c.asks)


def test_shapes_file_is_valid_turtle() -> None:
    assert len(rdflib.Graph().parse(integrity.INTEGRITY)) > 0


# --- every cube written conforms and is normalized ---------------------------------------------


def _assert_good(triples: list[ox.Triple], observations: int) -> None:
    report = integrity.check(triples)
    assert report.conforms, report.text
    assert [c.name for c in report.checked] == ALL
    assert integrity.normalized(triples)
    obs = {t.subject for t in triples
           if t.predicate.value == str(RDF.type) and t.object.value == QB + "Observation"}
    assert len(obs) == observations


def test_stored_graph_conforms(triples: list[ox.Triple]) -> None:
    _assert_good(triples, 64)  # 32 regions x 2 years


def test_file_and_on_disk_graph_of_the_cli_conform(disk_store_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "cube.ttl"
    out = CliRunner().invoke(cli, ["--store", str(disk_store_dir), "indicators", "--years",
                                   "2023-2024", "--format", "ttl", "--output", str(target)],
                             catch_exceptions=False)
    assert out.exit_code == 0, out.output
    written = [q.triple for q in ox.parse(target.read_bytes(), format=ox.RdfFormat.TURTLE)]
    _assert_good(written, 64)
    stored = cube.stored(LocalStore(disk_store_dir, read_only=True), "cnipa-2021")
    _assert_good(stored, 64)


@pytest.mark.slow
def test_web_download_conforms(live_server) -> None:
    url = f"{live_server.url}/indicators.ttl?years=2023-2024"
    with open_ready(url) as response:
        assert response.headers.get_content_type() == "text/turtle"
        body = response.read()
    _assert_good([q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)], 64)


def test_data_set_attributes_are_on_every_observation(triples: list[ox.Triple]) -> None:
    """IC-13 (regression): the attributes attached to the data set are repeated on each
    observation; without them the cube fails IC-13 only, and normalizing it mends it."""
    g = _graph(triples)
    for obs in g.subjects(RDF.type, URIRef(QB + "Observation")):
        assert g.value(obs, URIRef(UNIT)) == HVP.PatentsPer10000People
        assert g.value(obs, HVP.profile) == g.value(URIRef(DS), HVP.profile)
    observations = {t.subject.value for t in triples if t.predicate.value == QB + "dataSet"}
    as_before = [t for t in triples if not (t.subject.value in observations
                                            and t.predicate.value in (UNIT, str(HVP.profile)))]
    assert _failed(as_before) == {"IC-13"}
    assert not integrity.normalized(as_before)
    assert integrity.check(integrity.normalize(as_before)).conforms


def test_cube_structure(triples: list[ox.Triple]) -> None:
    g, gd = _graph(triples), URIRef(GD)
    assert (URIRef(DS), URIRef(QB + "structure"), URIRef(DSD)) in g
    assert (gd, SDMX.refArea, URIRef(f"{DEFAULT_BASE}region/CN-GD")) in g
    assert (gd, SDMX.refPeriod, URIRef("http://reference.data.gov.uk/id/year/2024")) in g
    assert g.value(gd, HVP.highValueCount).toPython() == 2
    source = g.value(gd, HVP.populationSource)
    assert source == URIRef(f"{DEFAULT_BASE}population/CN-GD/2024")
    assert g.value(source, URIRef("http://purl.org/dc/terms/source"))
    measures = set(g.objects(None, URIRef(QB + "measure")))
    assert measures == {HVP.highValueCount, HVP.population, HVP.per10k}


def test_ensure_is_incremental_and_replaces_years(store: LocalStore) -> None:
    assert cube.present_years(store, "cnipa-2021") >= {2023, 2024}
    before = len(store)
    cube.ensure(store, [2024])
    assert len(store) == before  # nothing recomputed
    again = indicators.compute(store, [2024])
    cube.materialize(store, again)
    assert len(store) == before  # replaced, not duplicated


# --- each constraint fails on a cube broken for it ---------------------------------------------

SLICE_KEY = f"ex:key a qb:SliceKey ; qb:componentProperty sdmx-dimension:refPeriod . <{DSD}> " \
            "qb:sliceKey ex:key ."
MEASURE_TYPE = f"<{DSD}> qb:component ex:mt . ex:mt qb:componentProperty qb:measureType ."
BREAKS = {
    "IC-1": f"<{GD}> qb:dataSet ex:other .",
    "IC-2": f"<{DS}> qb:structure ex:other .",
    "IC-3": "ex:dsd a qb:DataStructureDefinition .",
    "IC-4": "ex:dim a qb:DimensionProperty .",
    "IC-5": "ex:dim a qb:DimensionProperty ; rdfs:range skos:Concept .",
    "IC-6": f"<{DSD}/refArea> qb:componentRequired false .",
    "IC-7": "ex:key a qb:SliceKey .",
    "IC-8": f"ex:key a qb:SliceKey ; qb:componentProperty ex:p . <{DSD}> qb:sliceKey ex:key .",
    "IC-9": "ex:slice a qb:Slice .",
    "IC-10": SLICE_KEY + " ex:slice a qb:Slice ; qb:sliceStructure ex:key .",
    "IC-15": MEASURE_TYPE + f" <{GD}> qb:measureType ex:absent .",
    "IC-16": MEASURE_TYPE + f" <{GD}> qb:measureType hvp:per10k .",
    "IC-17": MEASURE_TYPE + f" <{GD}> qb:measureType hvp:per10k .",
    "IC-18": f"<{DS}> qb:slice ex:slice . ex:slice qb:observation ex:elsewhere .",
    "IC-19": "sdmx-dimension:refArea qb:codeList ex:list . ex:list a skos:ConceptScheme .",
    "IC-19 collection": "sdmx-dimension:refArea qb:codeList ex:list . "
                        "ex:list a skos:Collection .",
    "IC-20": "sdmx-dimension:refArea qb:codeList ex:h . ex:h a qb:HierarchicalCodeList ; "
             "qb:hierarchyRoot ex:root ; qb:parentChildProperty ex:narrower .",
    "IC-21": "sdmx-dimension:refArea qb:codeList ex:h . ex:h a qb:HierarchicalCodeList ; "
             "qb:hierarchyRoot ex:root ; qb:parentChildProperty [ owl:inverseOf ex:broader ] .",
}
REMOVALS = {
    "IC-11": (GD, str(SDMX.refPeriod)),
    "IC-13": (GD, UNIT),
    "IC-14": (GD, str(HVP.per10k)),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_added_triples_break_their_constraint(triples: list[ox.Triple], case: str) -> None:
    assert case.split()[0] in _failed(_with(triples, BREAKS[case]))


@pytest.mark.parametrize("case", sorted(REMOVALS))
def test_removed_triples_break_their_constraint(triples: list[ox.Triple], case: str) -> None:
    assert case in _failed(_without(triples, *REMOVALS[case]))


def test_duplicate_observation_breaks_ic12(triples: list[ox.Triple]) -> None:
    copy = ox.NamedNode(GD + "-copy")
    duplicate = [ox.Triple(copy, t.predicate, t.object) for t in triples if t.subject.value == GD]
    assert _failed([*triples, *duplicate]) == {"IC-12"}
    report = integrity.check([*triples, *duplicate])
    assert "IC-12. No duplicate observations" in report.text


def test_every_constraint_is_broken_by_some_case() -> None:
    broken = {case.split()[0] for case in BREAKS} | set(REMOVALS) | {"IC-12"}
    assert broken == set(ALL)


def test_codes_reachable_in_zero_hops_satisfy_the_hierarchy(triples: list[ox.Triple]) -> None:
    """IC-20 with every region a root of the hierarchy (zero hops along the property)."""
    regions = {t.object.value for t in triples if t.predicate.value == str(SDMX.refArea)}
    roots = " ".join(f"ex:h qb:hierarchyRoot <{r}> ." for r in sorted(regions))
    hierarchy = ("sdmx-dimension:refArea qb:codeList ex:h . ex:h a qb:HierarchicalCodeList ; "
                 "qb:parentChildProperty ex:narrower . " + roots)
    assert _failed(_with(triples, hierarchy)) == set()
    assert "IC-20" in _failed(_with(triples, hierarchy.replace(roots, "")))


def test_violation_names_the_constraint_and_a_witness(triples: list[ox.Triple]) -> None:
    report = integrity.check(_without(triples, GD, str(SDMX.refPeriod)))
    assert not report.conforms
    assert "IC-11. All dimensions required" in report.text
    assert GD in report.text and str(SDMX.refPeriod) in report.text
