"""Parameters bound inside the outermost WHERE group (kg.engines.binding): the text an engine
gets answers as pyoxigraph's own ``substitutions`` do, on queries whose braces hide in strings,
IRIs, comments, sub-queries and projections."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.engines.binding import first_in_where, query_form, values_block, where_group
from kg.errors import QueryError


def with_values(query: str,
                bindings: dict[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None) -> str:
    """``query`` with ``bindings`` as a ``VALUES`` block first in its outermost WHERE group,
    as the engine's dialect binds them (kg.engines.dialect)."""
    if not bindings:
        return query
    return first_in_where(query, values_block(bindings))


E = "http://e/"
DATA = f"""
<{E}a> <{E}p> "x}}{{" ; <{E}q> 1 ; <{E}n> "alpha" .
<{E}b> <{E}p> "y" ; <{E}q> 2 ; <{E}n> "beta" .
<{E}c> <{E}p> "z" ; <{E}q> 3 .
GRAPH <{E}g> {{ <{E}a> <{E}r> <{E}b> }}
"""

TRICKY = [
    # braces and keywords in a prefix IRI, a comment, strings of each quoting
    """PREFIX w: <http://e/where#select> # a comment with { and WHERE {
        SELECT ?s ?v WHERE { ?s <http://e/p> ?v FILTER(?v != "}" && ?v != '{') } ORDER BY ?s""",
    """SELECT ?s WHERE { ?s <http://e/p> ?v .
        FILTER(?v != \"\"\"a "}" {\"\"\" && ?v != '''}''') }""",
    # a sub-query and a projected EXISTS with braces before the WHERE group
    """SELECT ?s (EXISTS { ?s <http://e/n> ?n } AS ?named) WHERE {
        { SELECT ?s (SUM(?q) AS ?t) WHERE { ?s <http://e/q> ?q } GROUP BY ?s }
        FILTER(?t < 3 && ?t > 0) } ORDER BY ?s""",
    # no WHERE keyword, a BIND (Virtuoso ignores a trailing VALUES then), a FROM-less GRAPH
    """select ?s ?d { ?s <http://e/q> ?q BIND(?q * 2 AS ?d)
        OPTIONAL { GRAPH ?g { ?s <http://e/r> ?o } } }""",
    # aggregates: the parameter restricts the rows grouped, as substitutions do
    """SELECT ?s (COUNT(*) AS ?n) WHERE { ?s <http://e/q> ?q } GROUP BY ?s""",
    """ASK { ?s <http://e/n> "alpha" }""",
]


@pytest.fixture(scope="module")
def engine() -> ox.Store:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TRIG)
    return store


def rows(result: ox.QuerySolutions | ox.QueryBoolean) -> object:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [{n: str(s[n]) for n in names if s[n] is not None} for s in result]


@pytest.mark.parametrize("query", TRICKY)
@pytest.mark.parametrize("subject", ["a", "c"])
def test_bound_text_answers_as_substitutions(engine: ox.Store, query: str, subject: str) -> None:
    bindings = {"s": ox.NamedNode(E + subject)}
    text = with_values(query, bindings)
    assert "VALUES (?s)" in text
    expected = rows(engine.query(query, substitutions={ox.Variable("s"): bindings["s"]}))
    assert rows(engine.query(text)) == expected


def test_values_go_first_in_the_where_group() -> None:
    text = with_values("SELECT ?s WHERE { ?s ?p ?o BIND(1 AS ?one) } LIMIT 1",
                       {"s": ox.NamedNode(E + "a")})
    assert text == (f"SELECT ?s WHERE {{ VALUES (?s) {{ (<{E}a>) }}\n"
                    " ?s ?p ?o BIND(1 AS ?one) } LIMIT 1")


def test_construct_forms(engine: ox.Store) -> None:
    bindings = {"s": ox.NamedNode(E + "b")}
    for query in (f"CONSTRUCT {{ ?s <{E}p> ?v }} WHERE {{ ?s <{E}p> ?v }}",
                  f"CONSTRUCT {{ ?s <{E}p> ?v }} {{ ?s <{E}p> ?v }}",
                  f"CONSTRUCT WHERE {{ ?s <{E}p> ?v }}"):
        got = list(engine.query(with_values(query, bindings)))  # type: ignore[arg-type]
        assert [str(t) for t in got] == [f'<{E}b> <{E}p> "y"']


def test_literal_values_cannot_escape() -> None:
    evil = ox.Literal('x" } . ?a ?b ?c . FILTER("1')
    text = with_values("SELECT ?t WHERE { ?s ?p ?t }", {"t": evil})
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TRIG)
    assert list(store.query(text)) == []  # type: ignore[arg-type]


def test_refusals() -> None:
    with pytest.raises(QueryError, match="blank node"):
        with_values("SELECT * { ?s ?p ?o }", {"s": ox.BlankNode()})
    with pytest.raises(QueryError, match="variable name"):
        with_values("SELECT * { ?s ?p ?o }", {"s) {} #": ox.Literal("a")})
    with pytest.raises(QueryError, match="no WHERE group"):
        with_values(f"DESCRIBE <{E}a>", {"s": ox.Literal("a")})
    with pytest.raises(QueryError, match="unbalanced"):
        where_group("SELECT * { ?s ?p ?o ")
    assert with_values("SELECT * {}", None) == "SELECT * {}"


def test_query_form() -> None:
    assert query_form("PREFIX s: <http://x/SELECT> CONSTRUCT {} WHERE {}") == "CONSTRUCT"
    assert query_form("# SELECT\nask {}") == "ASK"
    assert query_form('PREFIX : <http://x/> describe :select') == "DESCRIBE"
    with pytest.raises(QueryError):
        query_form("INSERT DATA { <a:b> <a:c> 'SELECT' }")
