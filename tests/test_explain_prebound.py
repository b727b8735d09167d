"""An explanation's unit queries run for one patent with ``$this`` pre-bound in every WHERE
clause, sub-SELECTs' included (kg.compile.sparql.prebind_this, decision 76): the same rows as
bound by the engine after the whole query, for every patent, unit and query of the profile."""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
import pytest

from kg.classify.result_sets import table
from kg.compile.sparql import prebind_this
from kg.profiles import load
from kg.vocab import HVP

QUERIES = (HVP.evidenceQuery, HVP.factsQuery, HVP.shortfallQuery)


def test_every_where_clause_gets_the_focus() -> None:
    query = ('SELECT $this ?x WHERE { { SELECT DISTINCT ?x WHERE { $this <p> ?x } } '
             '$this <q> "WHERE {" }')
    bound = prebind_this(query, "<https://w3id.org/hvp/patent/CN1>")
    assert bound.count("VALUES ?this { <https://w3id.org/hvp/patent/CN1> }") == 2
    assert '"WHERE {" }' in bound  # a string is not code


@pytest.mark.parametrize("focus", ["CN1", '<a> } ; DROP ALL ; <b>'])
def test_only_an_iri_is_bound(focus: str) -> None:
    with pytest.raises(ValueError):
        prebind_this("SELECT * WHERE { $this ?p ?o }", focus)


@pytest.mark.parametrize("day", [date(2024, 12, 31), date(2012, 6, 30)])
def test_the_same_rows_as_bound_after_the_query(small_store, day: date) -> None:
    profile = load("cnipa-2021")
    shapes = profile.instantiated(day)
    patents = [row["p"] for row in small_store.select(
        "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> }")]
    assert len(patents) > 3
    compared = 0
    for unit in [*profile.criteria]:
        for link in QUERIES:
            query = profile.query(shapes, unit.shape, link)
            if not query:
                continue
            for patent in patents:
                this = {"this": ox.NamedNode(patent.value)}
                before = table(small_store, query, this)
                now = table(small_store, prebind_this(query, str(this["this"])), this)
                assert sorted(map(sorted, map(dict.items, now))) == \
                    sorted(map(sorted, map(dict.items, before))), (unit.key, link, patent)
                compared += bool(now)
    assert compared > 5
