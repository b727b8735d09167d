"""Per-engine query forms (kg.engines.dialect): the Virtuoso dialect writes date constants in
expressions as ``xsd:date()`` casts and binds date parameters by a BIND of the cast; the text
means the same (pyoxigraph answers it alike), and nothing outside expressions is touched."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.engines.dialect import STANDARD, VIRTUOSO, cast_dates, for_engine

XSD = "http://www.w3.org/2001/XMLSchema#"
CAST = f"<{XSD}date>"
E = "http://e/"
DATA = "".join(f'<{E}{n}> <{E}d> "{d}"^^<{XSD}date> .\n' for n, d in
               (("a", "2019-08-01"), ("b", "2019-12-31"), ("c", "2020-01-01")))


def test_date_literals_in_expressions_become_casts() -> None:
    query = (f'PREFIX xsd: <{XSD}>\nSELECT ?s WHERE {{ ?s <{E}d> ?d '
             f'FILTER(?d <= "2019-12-31"^^xsd:date && ?d > "2019-01-01"^^<{XSD}date>) }}')
    got = cast_dates(query)
    assert f'{CAST}("2019-12-31")' in got and f'{CAST}("2019-01-01")' in got
    assert "^^" not in got


@pytest.mark.parametrize("query", [
    # a triple pattern's object, a VALUES row, a string holding a date literal's text, a comment
    f'SELECT ?s WHERE {{ ?s <{E}d> "2019-12-31"^^<{XSD}date> }}',
    f'SELECT ?s WHERE {{ VALUES (?d) {{ ("2019-12-31"^^<{XSD}date>) }} ?s <{E}d> ?d }}',
    f'SELECT ?s WHERE {{ ?s <{E}d> ?d FILTER(STR(?d) != "\\"2019\\"^^<{XSD}date>") }}',
    f'SELECT ?s WHERE {{ ?s <{E}d> ?d # FILTER(?d <= "2019-12-31"^^<{XSD}date>)\n}}',
])
def test_terms_outside_expressions_are_left_alone(query: str) -> None:
    assert cast_dates(query) == query


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.load(DATA.encode(), ox.RdfFormat.N_TRIPLES)
    return store


def _answers(store: ox.Store, query: str) -> list[str]:
    return sorted(str(row["s"]) for row in store.query(query))  # type: ignore[union-attr]


@pytest.mark.parametrize("where", [
    f'?s <{E}d> ?d FILTER(?d <= "2019-12-31"^^<{XSD}date>)',
    f'?s <{E}d> ?d FILTER(COALESCE(BOUND(?d) && ?d < "2020-01-01"^^<{XSD}date>, false))',
    f'?s <{E}d> ?d BIND(YEAR("2019-12-31"^^<{XSD}date>) AS ?y) FILTER(YEAR(?d) = ?y)',
])
def test_casts_answer_as_literals_do(store: ox.Store, where: str) -> None:
    query = f"SELECT ?s WHERE {{ {where} }}"
    assert _answers(store, VIRTUOSO.text(query)) == _answers(store, query) != []


def test_a_date_parameter_is_bound_by_a_cast(store: ox.Store) -> None:
    query = f"SELECT ?s WHERE {{ ?s <{E}d> ?d FILTER(?d <= ?asOf && ?s != ?not) }}"
    bindings = {"asOf": ox.Literal("2019-12-31", datatype=ox.NamedNode(XSD + "date")),
                "not": ox.NamedNode(E + "a")}
    text = VIRTUOSO.bind(query, bindings)
    assert f'BIND({CAST}("2019-12-31") AS ?asOf)' in text
    assert f"VALUES (?not) {{ (<{E}a>) }}" in text
    assert _answers(store, text) == _answers(store, STANDARD.bind(query, bindings)) == \
        [f"<{E}b>"]


def test_dialect_per_engine() -> None:
    assert for_engine("virtuoso") is VIRTUOSO
    assert for_engine("oxigraph") is for_engine("") is STANDARD
    query = f'SELECT * WHERE {{ FILTER(?d <= "2019-12-31"^^<{XSD}date>) }}'
    assert STANDARD.text(query) == query
