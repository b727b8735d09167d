"""compile_conformers and compile_plain_violators: the two idioms, recognized on the algebra,
give the same sets as the general violations query — and anything else is left to that query."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.sparql import prepareQuery

from kg.classify import engines
from kg.classify.result_sets import focus_set
from kg.compile import compile_conformers, compile_plain_violators, compile_violations
from kg.profiles import load, shipped
from kg.store import LocalStore
from tests.conftest import demo_in_memory

EX = "http://example.org/"
HEAD = f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <{EX}> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
"""
IDIOM = """SELECT $this WHERE {
  OPTIONAL { SELECT $this (true AS ?met) WHERE { $this ex:p ?v . FILTER(?v > 1) } }
  FILTER(!BOUND(?met))
}"""


def shape(select: str, extra: str = "") -> Graph:
    text = (HEAD + extra + ' sh:sparql [ sh:prefixes ex:decl ; sh:select """'
            + select
            + '""" ] .\nex:decl sh:declare [ sh:prefix "ex" ; '
            f'sh:namespace "{EX}"^^<http://www.w3.org/2001/XMLSchema#anyURI> ] .\n')
    return Graph().parse(data=text, format="turtle")


def conformers(select: str, extra: str = "") -> str | None:
    compiled = compile_conformers(shape(select, extra), URIRef(EX + "S"))
    return compiled.query if compiled else None


def violators(select: str, extra: str = "") -> str | None:
    compiled = compile_plain_violators(shape(select, extra), URIRef(EX + "S"))
    return compiled.query if compiled else None


PLAIN = "SELECT $this WHERE { $this ex:p ?v . ?v ex:q ?w . FILTER(?w > 1) FILTER(?w < 9) }"


def test_plain_violators_are_recognized() -> None:
    assert violators(PLAIN) is not None and conformers(PLAIN) is None
    assert violators(IDIOM) is None


@pytest.mark.parametrize("select", [
    "SELECT $this WHERE { ?x ex:p ?v . FILTER(?v > 1) }",                 # $this not bound
    "SELECT $this WHERE { $this ex:p ?v . OPTIONAL { ?v ex:q ?w } FILTER(!BOUND(?w)) }",
    "SELECT $this WHERE { $this ex:p ?v . MINUS { ?v ex:q ?w } }",
    "SELECT $this WHERE { $this ex:p ?v } GROUP BY $this HAVING (COUNT(?v) > 1)",
    "SELECT $this ?v WHERE { $this ex:p ?v }",                            # projects more
    "SELECT $this WHERE { { SELECT $this WHERE { $this ex:p ?v } } }",
])
def test_other_forms_are_not_plain(select: str) -> None:
    prepareQuery(f"PREFIX ex: <{EX}>\n{select}")
    assert violators(select) is None


def test_the_idiom_is_recognized() -> None:
    query = conformers(IDIOM)
    assert query is not None and "OPTIONAL" not in query and "BOUND" not in query


@pytest.mark.parametrize("select", [
    IDIOM.replace("!BOUND", "BOUND"),                                   # not negated
    IDIOM.replace("(true AS ?met)", "?met").replace("?v .", "?met ."),  # ?met not a constant
    IDIOM.replace("SELECT $this WHERE", "SELECT $this ?met WHERE"),     # projects more
    IDIOM.replace("  FILTER(!BOUND", "  $this ex:q ?w .\n  FILTER(!BOUND"),  # more outside
    IDIOM.replace("FILTER(!BOUND(?met))", "FILTER(!BOUND(?met))\n  OPTIONAL { $this ex:r ?r }"),
    """SELECT $this WHERE {
         OPTIONAL { { SELECT $this (true AS ?met) WHERE { $this ex:p ?v } } FILTER(isIRI($this)) }
         FILTER(!BOUND(?met))
       }""",                                                            # filter on the join
    "SELECT $this WHERE { $this ex:p ?v . FILTER(?v > 1) }",           # direct violators
])
def test_anything_else_is_left_to_the_violations_query(select: str) -> None:
    prepareQuery(f"PREFIX ex: <{EX}>\n{select}")  # valid SPARQL: refused for its form
    assert conformers(select) is None


def test_a_shape_with_more_than_the_one_constraint_is_left_alone() -> None:
    assert conformers(IDIOM, "sh:property [ sh:path ex:p ; sh:minCount 1 ] ;") is None
    assert conformers(IDIOM, "sh:deactivated true ;") is None


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    return demo_in_memory(tmp_path_factory.mktemp("demo"), 4_000, seed=3)


@pytest.mark.parametrize("name", shipped())
@pytest.mark.parametrize("as_of", [date(2016, 2, 29), date(2024, 12, 31)])
def test_same_sets_as_the_violations_query(demo_store: LocalStore, name: str,
                                           as_of: date) -> None:
    prof = load(name)
    shapes = prof.instantiate(as_of)
    targets = {row["p"].value for row in demo_store.select(
        "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> }")}
    leaves = {leaf for s in (prof.valid, prof.domestic, prof.high_value)
              for leaf in engines._leaves(shapes, s)}
    recognized = 0
    for leaf in leaves:
        general = targets - focus_set(demo_store, compile_violations(shapes, leaf).query)
        conforming = compile_conformers(shapes, leaf)
        plain = compile_plain_violators(shapes, leaf)
        if conforming is not None:
            assert targets & focus_set(demo_store, conforming.query) == general, leaf
        if plain is not None:
            assert targets - focus_set(demo_store, plain.query) == general, leaf
        recognized += (conforming is not None) + (plain is not None)
    assert recognized == len(leaves)  # every leaf of the shipped profiles has a short form


def test_compiled_text_is_stable(tmp_path: Path) -> None:
    shapes = load().instantiate(date(2024, 12, 31))
    award = next(c.shape for c in load().criteria if c.key == "award")
    first, second = compile_conformers(shapes, award), compile_conformers(shapes, award)
    assert first is not None and second is not None and first.query == second.query
