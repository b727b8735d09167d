"""Hardening: security headers, no long reflection of client input, spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from web import spreadsheet

FORMULAS = ["=1+2", "+1", "-3", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"]


def test_html_answers_carry_security_headers(client):
    for path in ("/", "/editor", "/shacl", "/queries"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 200, path
        csp = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_data_and_errors_carry_nosniff(client):
    answer = client.get("/sparql", query_string={"query": "ASK {}"})
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    error = client.get("/sparql", query_string={"query": "SELEC"})
    assert error.status_code == 400
    assert error.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in answer.headers


@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%7D", "/queries/top-owners"])
def test_406_does_not_echo_a_long_accept(client, path):
    accept = "application/x-" + "a" * 5000
    answer = client.get(path, headers={"Accept": accept})
    assert answer.status_code == 406
    body = answer.get_data(as_text=True)
    assert "a" * 200 not in body and len(body) < 2000
    assert "(5014 characters)" in json.loads(body)["detail"]


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_long_path_is_not_repeated_by_the_problem_nor_the_language_links(client, accept):
    """Regression: a problem's ``instance`` and the error page's language-switch links
    repeated a request path of any length in full."""
    long = "/" + "p" * 5000
    answer = client.get(long, headers={"Accept": accept})
    assert answer.status_code == 404
    body = answer.get_data(as_text=True)
    assert "p" * 600 not in body and len(body) < 20_000
    if accept == "application/json":
        assert "instance" not in answer.get_json()
        assert client.get("/nothing-here").get_json()["instance"] == "/nothing-here"
    else:
        assert 'href="/?lang=zh"' in body


def test_language_links_keep_short_parameters_and_drop_long_ones(client):
    page = client.get("/", query_string={"x": "1"}, headers={"Accept": "text/html"})
    assert 'href="/?x=1&amp;lang=zh"' in page.get_data(as_text=True)
    long = client.get("/", query_string={"x": "q" * 5000}, headers={"Accept": "text/html"})
    body = long.get_data(as_text=True)
    assert "q" * 600 not in body and 'href="/?lang=zh"' in body


def test_a_long_detail_is_cut(client):
    answer = client.get("/sparql", query_string={"query": "ASK {}", "default-graph-uri":
                                                  "not an iri " * 1000})
    assert answer.status_code == 400
    assert len(answer.get_json()["detail"]) < 300


def test_cells_that_start_a_formula_are_quoted():
    assert [spreadsheet.cell(v) for v in FORMULAS] == [
        "'=1+2", "'+1", "'-3", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b"]


@pytest.fixture()
def formula_app(small_store, tmp_path):
    from tests.conftest import copy_of
    from web.app import create_app

    (tmp_path / "formulas.rq").write_text(
        "#+ title: Cells that look like formulas\n"
        "SELECT ?v WHERE { VALUES ?v { " + " ".join(json.dumps(v) for v in FORMULAS) + " } }\n",
        encoding="utf-8")
    app = create_app({"store": copy_of(small_store), "queries_dir": str(tmp_path)})
    yield app
    app.extensions["hvp"].close()


def test_query_downloads_are_spreadsheet_safe_and_json_exact(formula_app):
    client = formula_app.test_client()
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        body = client.get(f"/queries/formulas?format={fmt}").get_data(as_text=True)
        cells = [row[0] for row in csv.reader(io.StringIO(body, newline=""),
                                              delimiter=delimiter)][1:]
        assert sorted(cells) == sorted(spreadsheet.cell(v) for v in FORMULAS), fmt
    rows = client.get("/queries/formulas?format=json").get_json()["rows"]
    assert sorted(r["v"] for r in rows) == sorted(FORMULAS)


def test_sparql_csv_keeps_exact_values(client):
    """The W3C SPARQL CSV results are for programs: values exact (docs/decisions.md 35)."""
    query = 'SELECT ?v WHERE { VALUES ?v { "=1+2" } }'
    body = client.get("/sparql", query_string={"query": query, "format": "csv"})
    assert body.get_data(as_text=True).splitlines()[1] == "=1+2"


def test_indicator_csv_goes_through_the_rule(client):
    body = client.get("/indicators.csv?years=2020-2021").get_data(as_text=True)
    assert body.startswith("region,year,")
    assert body == spreadsheet.safe(body)  # no cell of the indicators starts a formula


@pytest.fixture()
def small_limits(small_store):
    from tests.conftest import copy_of
    from web.app import create_app

    app = create_app({"store": copy_of(small_store), "max_body": 2000, "max_query": 1000})
    yield app.test_client()
    app.extensions["hvp"].close()


def test_a_body_over_max_body_is_413(small_limits):
    big = "ASK {}" + " " * 3000
    for answer in (small_limits.post("/sparql", data=big,
                                     content_type="application/sparql-query"),
                   small_limits.post("/sparql", data={"query": big}),
                   small_limits.post("/shacl", data=big, content_type="text/turtle")):
        assert answer.status_code == 413, answer.get_data(as_text=True)
        assert answer.mimetype == "application/problem+json"


def test_a_query_over_max_query_is_413(small_limits):
    answer = small_limits.get("/sparql", query_string={"query": "ASK {}" + " " * 1000})
    assert answer.status_code == 413
    assert "max_query" in answer.get_json()["detail"]


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000,
    "ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "SELECT * WHERE { ?s ?p " + "[ ?p " * 200 + "1" + "]" * 200 + " }",
])
def test_deep_nesting_is_400_before_the_parser(disk_app, query):
    answer = disk_app.test_client().post("/sparql", data=query,
                                         content_type="application/sparql-query")
    assert answer.status_code == 400
    assert "nests brackets" in answer.get_json()["detail"]


@pytest.mark.parametrize("query", [
    "ASK { FILTER(" + "||".join(["1"] * 20000) + ") }",
    "SELECT * WHERE { " + "UNION".join(["{}"] * 10000) + " }",
    "SELECT * WHERE { ?s " + "/".join(["<a:p>"] * 10000) + " ?o }",
])
def test_long_operator_chains_are_400_before_the_parser(disk_app, query):
    """Flat chains the engine's parser overflows its stack on (SIGSEGV at 10,000)."""
    answer = disk_app.test_client().post("/sparql", data=query,
                                         content_type="application/sparql-query")
    assert answer.status_code == 400
    assert "operators" in answer.get_json()["detail"]


def test_measuring_a_pathological_text_stays_linear():
    import time

    from web.limits import measure

    for text in ("a-" * 50_000, "-" * 100_000, '"' + "a" * 100_000, "<a" * 50_000):
        started = time.perf_counter()
        measure(text)
        assert time.perf_counter() - started < 1.0


def test_brackets_in_strings_iris_and_comments_do_not_count():
    from web.limits import depth

    assert depth('SELECT * { ?s ?p "{{{{" . ?s ?p <x:(((> # [[[[\n }') == 1
    assert depth("SELECT * WHERE { { ?s ?p ?o } UNION { ?s ?p (1 2) } }") == 3
    from web.limits import measure

    text = 'SELECT * { ?s hvp:high-value "a || b" # x || y\n FILTER(?x || 1) }'
    assert measure(text) == (2, 2)  # `*` and `||`


def test_the_apps_cache_is_bounded(app):
    """Regression: the app's cache (patent lists by filter, labels, indicators) grew by an
    entry per new parameter until the store's next write."""
    from web.service import CACHED

    cache = app.extensions["hvp"].cache
    for i in range(CACHED + 50):
        cache[("list", i)] = [i]
    assert len(cache) == CACHED
    assert ("list", 0) not in cache and cache.get(("list", CACHED + 49)) == [CACHED + 49]
    client = app.test_client()
    for _ in range(3):  # pages still fill it and read it back
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
