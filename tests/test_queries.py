"""Canned queries: front matter, typed parameters bound by the engine, and every shipped query."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_indicators_data import EXPECTED_2024, load_fixture, write_fixture

from kg import canned, reference
from kg.cli import cli
from kg.errors import InputError, NotFound, QueryError
from kg.ingest import drop_derived, ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

SHIPPED = [q.name for q in canned.list_queries()]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    s = LocalStore()
    reference.ensure(s)
    load_fixture(s, tmp_path_factory.mktemp("queries"))
    return s


def _values(result: canned.Result, column: str) -> list[str | None]:
    return [None if r[column] is None else r[column].value for r in result.rows]


# --- front matter ----------------------------------------------------------------------------
def test_front_matter_is_parsed() -> None:
    q = canned.parse('#+ title: T\n#+ description: D\n#+ needs: classification\n'
                      '#+ param: date date "As-of date" default=2024-12-31\n'
                      '#+ param: text string "Some text" required\nSELECT * {}', "t")
    assert (q.title, q.description, q.needs) == ("T", "D", ("classification",))
    assert q.params[0] == canned.Param("date", "date", "As-of date", "2024-12-31", False)
    assert q.params[1].required and q.params[1].label == "Some text"


def test_a_drill_line_names_the_list_behind_a_count() -> None:
    q = canned.parse("#+ title: T\n#+ drill: n region=?code as_of=?date high_value=any\n"
                      "SELECT * {}", "t")
    row = {"n": ox.Literal(3), "code": ox.Literal("CN-SN"), "date": ox.Literal("2024-12-31")}
    assert q.drill("n", row) == {"region": "CN-SN", "as_of": "2024-12-31", "high_value": "any"}
    assert q.drill("code", row) is None and q.drill("n", {**row, "code": None}) is None
    region = {**row, "code": ox.NamedNode("https://w3id.org/hvp/region/CN-GD")}
    assert q.drill("n", region)["region"] == "CN-GD"  # type: ignore[index]


@pytest.mark.parametrize("text, message", [
    ("SELECT * {}", "title"),
    ("#+ title: T\n#+ drill: n colour=?x\n", "FILTER one of"),
    ("#+ title: T\n#+ colour: red\n", "unknown front-matter key"),
    ("#+ title: T\n#+ needs: magic\n", "unknown need"),
    ("#+ title: T\n#+ param: x float \"X\"\n", "TYPE one of"),
    ("#+ title: T\n#+ param: y year \"Y\" default=later\n", "parameter 'y'"),
    ("#+ title T\n", "expected '#\\+ key: value'"),
])
def test_bad_front_matter_names_the_problem(text: str, message: str) -> None:
    with pytest.raises((QueryError, InputError), match=message):
        canned.parse(text, "bad")


def test_every_shipped_query_is_documented() -> None:
    assert len(SHIPPED) >= 8
    for q in canned.list_queries():
        assert q.title and q.description, q.name
        assert q.needs, q.name  # every shipped query reads a derived graph


def test_unknown_query_lists_the_known_ones() -> None:
    with pytest.raises(NotFound, match="per10k-by-region"):
        canned.load("nope")
    with pytest.raises(NotFound):
        canned.load("../store")


# --- typed parameters ------------------------------------------------------------------------
@pytest.mark.parametrize("kind, raw, term", [
    ("year", "2024", ox.Literal(2024)),
    ("int", "-3", ox.Literal(-3)),
    ("date", "2024-12-31", ox.Literal("2024-12-31", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#date"))),
    ("iri", "https://w3id.org/hvp/patent/P1", ox.NamedNode("https://w3id.org/hvp/patent/P1")),
    ("region", "cn-gd", ox.NamedNode(f"{DEFAULT_BASE}region/CN-GD")),
    ("string", "a \"quoted\" } text", ox.Literal("a \"quoted\" } text")),
])
def test_parameters_become_terms(kind: str, raw: str, term: object) -> None:
    assert canned.Param("x", kind, "X").parse(raw) == term


@pytest.mark.parametrize("kind, raw", [
    ("year", "20x4"), ("year", "99999"), ("int", "1.5"), ("date", "2024-13-01"),
    ("iri", "not an iri"), ("iri", "http://a b"), ("region", "Guangdong"), ("region", "CN-GD>"),
])
def test_bad_parameter_names_the_parameter(kind: str, raw: str) -> None:
    with pytest.raises(InputError, match="parameter 'x'"):
        canned.Param("x", kind, "X").parse(raw)


@pytest.mark.parametrize(("params", "message"), [
    ({"region": "XX"}, "knows no region 'XX'"),
    ({"region": "CN-GD", "from": "2023", "to": "2021"}, "2023 is after 2021"),
])
def test_values_that_could_only_find_nothing_are_refused(store: LocalStore, params: dict,
                                                         message: str) -> None:
    with pytest.raises(InputError, match=message):
        canned.run(store, "region-series", params)


def test_unknown_and_missing_parameters() -> None:
    q = canned.load("owners-named")
    with pytest.raises(InputError, match="no parameter 'colour'"):
        q.bind({"text": "a", "colour": "red"})
    with pytest.raises(InputError, match="'text' is required"):
        q.bind({})


# --- running ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in SHIPPED if not n.startswith("wikidata-")])
def test_every_shipped_query_runs(store: LocalStore, name: str) -> None:
    """(The federated wikidata-* queries run against the fixture endpoint in
    tests/test_federation.py; here the default endpoint is not allowed.)"""
    params = {"text": "o"} if name == "owners-named" else {}
    result = canned.run(store, name, params)
    assert result.columns and result.rows, name
    assert result.to_csv().splitlines()[0] == ",".join(result.columns)
    assert json.loads(result.to_json())["columns"] == result.columns


def test_per10k_by_region_reads_the_cube(store: LocalStore) -> None:
    result = canned.run(store, "per10k-by-region", {"year": "2024"})
    counts = dict(zip(_values(result, "code"), _values(result, "high_value_count"),
                      strict=True))
    assert {k: int(v) for k, v in counts.items() if v != "0"} == EXPECTED_2024
    assert len(result.rows) == 32


def test_region_series(store: LocalStore) -> None:
    result = canned.run(store, "region-series", {"region": "CN-GD", "from": "2020",
                                                  "to": "2021"})
    assert _values(result, "year") == ["2020", "2021"]
    assert _values(result, "high_value_count") == ["1", "1"]


def test_criteria_queries(store: LocalStore) -> None:
    by = canned.run(store, "high-value-by-criterion", {"date": "2024-12-31"})
    counts = dict(zip(_values(by, "code"), _values(by, "patents"), strict=True))
    # every criterion of the profile, those no patent meets with 0
    assert counts == {"maintained": "3", "pledge": "1", "sei": "1", "overseas": "0", "award": "0"}
    four = canned.run(store, "high-value-by-criterion", {"date": "2024-12-31"},
                       profile="cnipa-2026-four")
    assert set(_values(four, "code")) == {"sei", "overseas", "maintained", "award"}
    n = canned.run(store, "criteria-count", {})
    assert dict(zip(_values(n, "criteria_met"), _values(n, "patents"), strict=True)) == \
        {"1": "5"}
    combos = canned.run(store, "criteria-combinations", {})
    assert sum(int(v) for v in _values(combos, "patents")) == 5


def test_sei_by_industry(store: LocalStore) -> None:
    result = canned.run(store, "sei-by-industry", {})
    assert _values(result, "code") == ["1"] and _values(result, "patents") == ["1"]


def test_sei_by_industry_counts_a_patent_in_each_of_its_industries() -> None:
    """CN-T01's codes match G06N3/* (1.5) and, once it also has H01M10/052, H01M* (5.2)."""
    s = LocalStore()
    reference.ensure(s)
    ingest(s, [Path(__file__).parent / "data" / "small"], base=DEFAULT_BASE)

    def by_industry() -> dict[str, int]:
        result = canned.run(s, "sei-by-industry", {})
        return {code: int(n) for code, n in zip(_values(result, "code"),
                                                _values(result, "patents"), strict=True)
                if code and n}

    before = by_industry()
    s.add([ox.Quad(ox.NamedNode(DEFAULT_BASE + "patent/CN-T01"),
                   ox.NamedNode("https://w3id.org/hvp/def#ipcCode"), ox.Literal("H01M10/052"))])
    drop_derived(s, DEFAULT_BASE)  # as an ingest does
    after = by_industry()
    assert after["1"] == before["1"]
    assert after["5"] == before.get("5", 0) + 1


def test_share_by_region(store: LocalStore) -> None:
    result = canned.run(store, "high-value-share-by-region", {"date": "2024-12-31"})
    rows = {r["code"].value: r for r in result.rows}
    assert rows["CN-GD"]["valid"].value == "3"  # P1, P5, P8
    assert float(rows["CN-GD"]["share"].value) == pytest.approx(2 / 3)


def test_top_owners(store: LocalStore) -> None:
    result = canned.run(store, "top-owners", {})
    assert _values(result, "name")[:2] == ["Beijing Neural Ltd.", "Guangzhou Robotics Co."]
    assert _values(result, "high_value")[:2] == ["3", "2"]


@pytest.mark.parametrize("attack", [
    '") } DELETE WHERE { ?s ?p ?o } #',
    "x\" || true || \"",
    "'; DROP ALL; --",
    "} UNION { ?s ?p ?o }",
])
def test_injection_in_a_string_parameter_is_harmless(store: LocalStore, attack: str) -> None:
    size = len(store)
    result = canned.run(store, "owners-named", {"text": attack})
    assert result.rows == []  # matched as text, literally: no owner's name contains it
    assert len(store) == size
    assert canned.run(store, "owners-named", {"text": "neural"}).rows


# --- command line ----------------------------------------------------------------------------
def test_cli_query(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    runner = CliRunner()
    assert runner.invoke(cli, ["--store", store, "ingest", "-q",
                               str(write_fixture(tmp_path / "d"))]).exit_code == 0
    listing = runner.invoke(cli, ["--store", store, "query", "--list"])
    assert listing.exit_code == 0 and "per10k-by-region" in listing.stdout
    out = runner.invoke(cli, ["--store", store, "query", "per10k-by-region", "--param",
                              "year=2024", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.stdout)["rows"]) == 32
    bad = runner.invoke(cli, ["--store", store, "query", "per10k-by-region", "-p", "year=soon"])
    assert bad.exit_code == 2 and "parameter 'year'" in bad.stderr
    missing = runner.invoke(cli, ["--store", store, "query", "nope"])
    assert missing.exit_code == 2 and "no canned query" in missing.stderr


def test_criteria_of_a_graph_computed_before_they_were_listed(store: LocalStore) -> None:
    """A classification graph without hvp:evaluatesCriterion (computed by an earlier version)
    still gives the criteria some patent meets."""
    canned.run(store, "high-value-by-criterion", {"date": "2023-12-31"})  # computes the graph
    graph = f"<{DEFAULT_BASE}graph/classification/cnipa-2021/2023-12-31>"
    store.update(f"DELETE WHERE {{ GRAPH {graph} {{ {graph} "
                 "<https://w3id.org/hvp/def#evaluatesCriterion> ?c } }")
    by = canned.run(store, "high-value-by-criterion", {"date": "2023-12-31"})
    counts = dict(zip(_values(by, "code"), _values(by, "patents"), strict=True))
    assert counts and "0" not in counts.values()


def test_parameters_are_inlined_as_values_except_into_a_sub_select() -> None:
    """Bound parameters go into a VALUES block at the start of the WHERE clause (the engine's
    plan then starts from them), written from parsed terms; a query with a sub-SELECT keeps
    the engine's substitutions; the answers are the same."""
    import pyoxigraph as ox

    from kg.canned import inlined
    from kg.store import LocalStore

    store = LocalStore()
    store.oxigraph.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"),
                               ox.Literal('say "hi"', language="en")))
    bound = {"s": ox.NamedNode("http://x/a"), "o": ox.Literal('say "hi"', language="en")}
    text = "SELECT ?s ?o WHERE { ?s <http://x/p> ?o }"
    written, left = inlined(text, bound)
    assert not left and written.index("VALUES") < written.index("?s <http://x/p>")
    assert [r["s"] for r in store.select(written)] == [r["s"] for r in store.select(text, bound)]
    nested = "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }"
    assert inlined(nested, bound) == (nested, bound)
