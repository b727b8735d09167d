"""A query that fails while the embedded engine runs it is told in a sentence of ours, in
English and Chinese, with the engine's words quoted (one line, cut at ``ENGINE_WORDS``): on
``/sparql``, ``hvp sparql`` (in a worker process and in memory), ``hvp query`` and a canned query
on the web. One of each kind found by trying queries (``kg/evaluation.py``): a function the
engine does not have, a ``SERVICE`` call refused at the socket or answered with an error page,
an answer the chosen format cannot hold, a parameter bound to a variable not selected."""

from __future__ import annotations

import http.server
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest

from kg import LocalStore, QueryError, ServiceFailed, evaluation_error
from kg.evaluation import ENGINE_WORDS
from tests.conftest import ServedApp, free_port, handler_served, open_ready
from tests.test_federation import LINKED, hvp, linked_dir  # noqa: F401 - a fixture
from tests.test_link_owners import wikidata  # noqa: F401 - a fixture

XSD_INT = "SELECT ?x WHERE { BIND(<http://www.w3.org/2001/XMLSchema#int>(\"7\") AS ?x) }"
TRIPLE_TERM = ("CONSTRUCT { <http://a.test/s> <http://a.test/p> ?t } WHERE { "
               "BIND(<<( <http://a.test/s> <http://a.test/p> <http://a.test/o> )>> AS ?t) }")
#: The words of our sentence for each kind, in English and in Chinese.
FUNCTION = ("a function the engine does not have", "引擎没有这个函数")
SERVICE = ("failed while the query ran", "SERVICE 调用失败")
WRITING = ("the answer cannot be written as JSON-LD", "回答无法写成 JSON-LD")


class _Failing(http.server.BaseHTTPRequestHandler):
    """An endpoint that answers every query with a long error page."""

    def do_POST(self) -> None:
        page = ("<html><body><h1>Internal error</h1><p>" + "stack frame " * 800
                + "</p></body></html>").encode()
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def failing() -> Iterator[str]:
    with handler_served(_Failing) as url:
        yield url


@pytest.fixture(scope="module")
def closed() -> str:
    """An endpoint on a loopback port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}/sparql"


def _said_once(text: str, words: str) -> None:
    """Our sentence, the engine's words quoted after it, and no traceback."""
    assert words in text and "(the engine said: " in text, text
    assert "Traceback" not in text


# --- the web --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, linked_dir: Path,  # noqa: F811
           failing: str, closed: str) -> Iterator[ServedApp]:
    # copied before the commands below write into the linked store (a canned query classifies)
    copy = tmp_path_factory.mktemp("failures") / "store"
    shutil.copytree(linked_dir, copy, symlinks=True)
    live = ServedApp({"store": str(copy), "workers": 1, "timeout": 20.0,
                      "federation_allow": f"{failing} {closed}"})
    yield live
    live.close()


def _problem(url: str, language: str, accept: str) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Accept": accept,
                                                   "Accept-Language": language})
    try:
        with open_ready(request, timeout=120) as response:  # a classification computed first
            raise AssertionError(f"answered {response.status}: {response.read()[:300]!r}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers["Content-Language"]


@pytest.mark.parametrize(("name", "query", "accept", "status", "words"), [
    ("function", XSD_INT, "application/sparql-results+json", 400, FUNCTION),
    ("service refused", "CLOSED", "application/sparql-results+json", 502, SERVICE),
    ("service error page", "FAILING", "application/sparql-results+json", 502, SERVICE),
    ("json-ld", TRIPLE_TERM, "application/ld+json", 400, WRITING),
])
def test_sparql_says_each_failure_in_both_languages(served: ServedApp, failing: str,
                                                     closed: str, name: str, query: str,
                                                     accept: str, status: int,
                                                     words: tuple[str, str]) -> None:
    query = {"CLOSED": LINKED.replace("ENDPOINT", closed),
             "FAILING": LINKED.replace("ENDPOINT", failing)}.get(query, query)
    url = f"{served.url}/sparql?query={quote(query)}"
    en_status, en, en_tag = _problem(url, "en", accept + ", application/problem+json;q=0.5")
    zh_status, zh, zh_tag = _problem(url, "zh-CN", accept + ", application/problem+json;q=0.5")
    assert en_status == zh_status == status, (en, zh)
    assert (en_tag, zh_tag) == ("en", "zh-Hans")
    assert words[0] in en["detail"] and words[1] in zh["detail"], (en, zh)
    # the engine's words: quoted after our English sentence, beside the Chinese one
    assert en["engine"] == zh["engine"] and en["engine"] in en["detail"]
    assert len(en["engine"]) <= ENGINE_WORDS and "\n" not in en["engine"]
    assert "引擎的原话见 engine 一项" in zh["detail"]


def test_a_canned_query_on_the_web_says_a_failed_service_call(served: ServedApp,
                                                               failing: str) -> None:
    url = f"{served.url}/queries/wikidata-listed-companies?" + urlencode(
        {"endpoint": failing, "format": "json"})
    for language, words in (("en", SERVICE[0]), ("zh", SERVICE[1])):
        status, problem, _tag = _problem(url, language, "application/json")
        assert status == 502 and words in problem["detail"], problem
        assert problem["engine"].startswith("Error 500")


# --- hvp sparql, hvp query ------------------------------------------------------------------
def test_hvp_sparql_says_a_function_the_engine_lacks(linked_dir: Path) -> None:  # noqa: F811
    for store in (str(linked_dir), ":memory:"):  # a worker process, and this one
        out = hvp(Path(store), "sparql", "-", stdin=XSD_INT)
        assert out.exit_code == 2, out.output
        _said_once(out.stderr, FUNCTION[0])
        assert "<http://www.w3.org/2001/XMLSchema#int>" in out.stderr
        assert "cast to a type it knows (xsd:integer" in out.stderr


def test_hvp_sparql_says_a_failed_service_call(linked_dir: Path, failing: str,  # noqa: F811
                                                closed: str) -> None:
    for endpoint, engine in ((closed, "Connection refused"), (failing, "Error 500")):
        out = hvp(linked_dir, "sparql", "-", stdin=LINKED.replace("ENDPOINT", endpoint),
                  allow=endpoint)
        assert out.exit_code == 2, out.output
        _said_once(out.stderr, f"a SERVICE call to {endpoint} {SERVICE[0]}")
        assert engine in out.stderr and "SERVICE SILENT" in out.stderr
        # the error page is quoted on one line, cut
        quoted = out.stderr.split("(the engine said: ", 1)[1]
        assert len(quoted) <= ENGINE_WORDS + 2 and "\n" not in quoted.strip()


def test_hvp_sparql_says_an_answer_the_format_cannot_hold(linked_dir: Path) -> None:  # noqa: F811
    for store in (str(linked_dir), ":memory:"):
        out = hvp(Path(store), "sparql", "--format", "jsonld", "-", stdin=TRIPLE_TERM)
        assert out.exit_code == 2, out.output
        _said_once(out.stderr, WRITING[0])
        assert "Turtle or N-Triples" in out.stderr
        ok = hvp(Path(store), "sparql", "--format", "ntriples", "-", stdin=TRIPLE_TERM)
        assert ok.exit_code == 0 and "<<(" in ok.stdout


def test_hvp_query_says_a_failed_service_call(linked_dir: Path, closed: str) -> None:  # noqa: F811
    out = hvp(linked_dir, "query", "wikidata-listed-companies", "-p", f"endpoint={closed}",
              allow=closed)
    assert out.exit_code == 2, out.output
    _said_once(out.stderr, f"a SERVICE call to {closed} {SERVICE[0]}")


def test_a_parameter_bound_to_a_variable_not_selected() -> None:
    with pytest.raises(QueryError) as caught:
        LocalStore().select("SELECT ?y WHERE { BIND(1 AS ?y) }", {"x": ox.Literal(1)})
    _said_once(str(caught.value), "a parameter binds ?x, which the query does not select")


@pytest.mark.parametrize(("raised", "query", "kind", "words"), [
    (RuntimeError("The variable encoding the service name is unbound"),
     "SELECT * { SERVICE ?e { ?s ?p ?o } }", QueryError, "has no value when the call is made"),
    (RuntimeError("something new " * 100), "ASK {}", QueryError,
     "the engine stopped the query while it ran"),
    (OSError("Connection refused"), "ASK { SERVICE <http://a.test/q> {} }", ServiceFailed,
     "a SERVICE call to http://a.test/q failed"),
])
def test_the_other_kinds_are_said(raised: Exception, query: str, kind: type, words: str) -> None:
    error = evaluation_error(raised, query)
    assert type(error) is kind
    _said_once(str(error), words)
    assert len(str(error.params["engine"])) <= ENGINE_WORDS


def test_the_systems_own_errors_stay_store_errors() -> None:
    """A broken pipe or a full disk while an answer is written is not the engine's failure."""
    from kg import StoreError

    error = evaluation_error(BrokenPipeError(32, "Broken pipe"),
                             "ASK { SERVICE <http://a.test/q> {} }", "Turtle")
    assert type(error) is StoreError and "Broken pipe" in str(error)
