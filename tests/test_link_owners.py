"""`hvp link owners` against a real `oxigraph serve` holding the Wikidata-shaped fixture."""

from __future__ import annotations

import csv
import http.server
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import reference
from kg.cli import cli
from kg.errors import StoreError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.link import graph as lg
from kg.link.candidates import WD
from kg.link.client import Endpoint
from kg.link.owners import link
from kg.link.score import METHOD
from kg.store import LocalStore
from tests.conftest import free_port


def same_as(store: LocalStore, base: str) -> dict[str, str]:
    """owner IRI -> Wikidata QID of the ``owl:sameAs`` links in the links graph."""
    return {q.subject.value: q.object.value[len(WD):]  # type: ignore[union-attr]
            for q in store.quads(None, lg.SAME, None, lg.links_graph(base))
            if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(WD)}

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "wikidata"
OXIGRAPH = shutil.which("oxigraph", path=str(Path(__file__).resolve().parents[1] / ".venv" / "bin"))
PROV = "http://www.w3.org/ns/prov#"


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture loaded with `oxigraph load` and served by `oxigraph serve` on loopback."""
    assert OXIGRAPH, "the oxigraph command (PyPI package oxigraph, test extra) is needed"
    location = tmp_path_factory.mktemp("wikidata") / "store"
    subprocess.run([OXIGRAPH, "load", "--location", str(location), "--file",
                    str(FIXTURE / "wikidata.ttl")], check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), "--bind",
                                f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("oxigraph serve did not start") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(20)


def owner_store(path: Path | None = None) -> LocalStore:
    store = LocalStore(path)
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [FIXTURE / "owners"], base=DEFAULT_BASE)
    return store


def expected() -> dict[str, tuple[str, str]]:
    with (FIXTURE / "expected.csv").open(encoding="utf-8") as f:
        return {DEFAULT_BASE + "owner/" + r["owner_id"]: (r["qid"], r["case"])
                for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def linked(wikidata: str) -> tuple[LocalStore, object, Endpoint]:
    store = owner_store()
    endpoint = Endpoint(wikidata, rate=0)
    report = link(store, DEFAULT_BASE, endpoint, threshold=0.75, batch=50)
    return store, report, endpoint


def test_precision_and_recall_against_the_expected_links(linked) -> None:
    store, report, endpoint = linked
    links = same_as(store, DEFAULT_BASE)
    want = {o: q for o, (q, _) in expected().items() if q}
    right = sum(1 for o, q in links.items() if want.get(o) == q)
    precision, recall = right / len(links), right / len(want)
    # the fixture's figures: 235 of 235 links right, 235 of 235 expected found
    assert precision == 1.0, {o: q for o, q in links.items() if want.get(o) != q}
    assert recall >= 0.95, sorted(set(want) - set(links))
    assert recall == 1.0
    # 295 owners in 6 batches: one label query per batch, one facts query per 50 items found
    assert 12 <= endpoint.requests <= 14


def test_homonyms_are_resolved_by_province_or_left_ambiguous(linked) -> None:
    store, report, _ = linked
    status = {d.owner.iri: d for d in report.decisions}
    links = same_as(store, DEFAULT_BASE)
    for owner, (qid, case) in expected().items():
        if case == "homonym":
            assert links[owner] == qid and len(status[owner].scored) == 2
        elif case == "homonym-unplaced":
            assert status[owner].status == "ambiguous" and owner not in links
            assert len(close_matches(store, owner)) == 2
        elif case == "decoy":  # same name, another province: a candidate, never a link
            assert status[owner].status == "unmatched" and owner not in links
            assert len(close_matches(store, owner)) == 1
        elif case == "absent":
            assert not status[owner].scored
    assert str(report).startswith("295 owners: 235 matched (owl:sameAs), 5 ambiguous, "
                                  "55 unmatched (15 of them")


def close_matches(store: LocalStore, owner: str) -> list[str]:
    return [q.object.value for q in store.quads(ox.NamedNode(owner), lg.CLOSE, None,
                                                lg.links_graph(DEFAULT_BASE))]


def test_every_link_has_score_and_provenance(linked, wikidata: str) -> None:
    store, _, _ = linked
    rows = store.select("""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX sssom: <https://w3id.org/sssom/>
        SELECT ?used ?start ?end ?method (COUNT(?ax) AS ?n) (MIN(?c) AS ?low) WHERE {{
          GRAPH {g} {{ {g} prov:wasGeneratedBy ?run . ?run a prov:Activity ; prov:used ?used ;
              prov:startedAtTime ?start ; prov:endedAtTime ?end ;
              prov:wasAssociatedWith [ owl:versionInfo ?method ] .
            ?ax owl:annotatedSource ?o ; owl:annotatedTarget ?t ; sssom:confidence ?c ;
              prov:wasGeneratedBy ?run . }} }}
        GROUP BY ?used ?start ?end ?method""".format(g=lg.links_graph(DEFAULT_BASE)))
    assert len(rows) == 1
    row = rows[0]
    assert row["used"].value == wikidata and row["method"].value == METHOD
    assert row["start"].value <= row["end"].value
    links = len(list(store.quads(None, lg.SAME, None, lg.links_graph(DEFAULT_BASE))))
    links += len(list(store.quads(None, lg.CLOSE, None, lg.links_graph(DEFAULT_BASE))))
    assert int(row["n"].value) == links == 235 + 10 + 15 + 15  # matched, ambiguous, below
    assert float(row["low"].value) > 0


def test_a_rerun_replaces_the_graph_and_links_survive_a_reingest(wikidata: str) -> None:
    store = owner_store()
    endpoint = Endpoint(wikidata, rate=0)
    link(store, DEFAULT_BASE, endpoint, threshold=0.75, batch=100)
    graph = lg.links_graph(DEFAULT_BASE)
    first = len(list(store.quads(None, None, None, graph)))
    stale = ox.Quad(ox.NamedNode(DEFAULT_BASE + "owner/W0001"), lg.SAME,
                    ox.NamedNode("http://www.wikidata.org/entity/Q1"), graph)
    store.add([stale])
    link(store, DEFAULT_BASE, endpoint, threshold=0.75, batch=100)
    assert stale not in set(store.quads(None, None, None, graph))
    assert len(list(store.quads(None, None, None, graph))) == first
    assert len(list(store.quads(graph, ox.NamedNode(PROV + "wasGeneratedBy"), None, graph))) == 1
    ingest(store, [FIXTURE / "owners"], base=DEFAULT_BASE)  # the same owners again
    assert len(same_as(store, DEFAULT_BASE)) == 235


def test_a_higher_threshold_keeps_only_candidates(wikidata: str) -> None:
    store = owner_store()
    report = link(store, DEFAULT_BASE, Endpoint(wikidata, rate=0), threshold=0.95, batch=100)
    # exact names in the right province score 1.0; other legal forms and English names 0.8-0.9
    assert 0 < report.counts["matched"] < 235
    assert all(d.scored[0].score >= 0.95 for d in report.decisions if d.status == "matched")


# --- the command, review and --accept -------------------------------------------------------
def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_review_then_accept(wikidata: str, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    owner_store(store_dir).close()
    review = tmp_path / "review.csv"
    result = run("--store", str(store_dir), "link", "owners", "--endpoint", wikidata, "--rate",
                 "0", "--review", str(review))
    assert result.exit_code == 0, result.output
    assert "235 matched (owl:sameAs), 5 ambiguous" in result.output
    with review.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len({r["owner_id"] for r in rows}) == 295
    want = {o.rsplit("/", 1)[1]: q for o, (q, _) in expected().items()}
    matched = next(r for r in rows if r["status"] == "matched")
    ambiguous = next(r for r in rows if r["status"] == "ambiguous")
    absent = next(r for r in rows if r["owner_id"] in want and not r["qid"])
    matched["decision"] = "reject"
    ambiguous["decision"] = "accept"
    absent.update(qid="Q9000001", decision="accept")  # a reviewer's own find
    with review.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = run("--store", str(store_dir), "link", "owners", "--accept", str(review))
    assert result.exit_code == 0, result.output
    assert "2 accepted (owl:sameAs), 1 rejected (removed)" in result.output

    def links() -> dict[str, str]:
        store = LocalStore(store_dir)
        try:
            return {o.rsplit("/", 1)[1]: q for o, q in same_as(store, DEFAULT_BASE).items()}
        finally:
            store.close()

    after = links()
    assert matched["owner_id"] not in after
    assert after[ambiguous["owner_id"]] == ambiguous["qid"]
    assert after[absent["owner_id"]] == "Q9000001"
    # a new run follows the review: the rejected pair stays out, the accepted ones stay in
    result = run("--store", str(store_dir), "link", "owners", "--endpoint", wikidata,
                 "--rate", "0")
    assert result.exit_code == 0, result.output
    assert links() == after
    # its report counts what was written: the review's decisions, not the machine's
    assert "236 matched (owl:sameAs), 4 ambiguous" in result.output
    assert "review followed: 2 pairs accepted (owl:sameAs), 1 rejected (left out)" in \
        result.output
    # and so does the run's provenance
    store = LocalStore(store_dir)
    try:
        graph = lg.links_graph(DEFAULT_BASE)
        comments = [q.object.value for q in store.quads(
            None, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), None, graph)
            if isinstance(q.subject, ox.BlankNode) and any(store.quads(
                q.subject, ox.NamedNode(PROV + "startedAtTime"), None, graph))]
    finally:
        store.close()
    assert len(comments) == 1
    assert comments[0].startswith("threshold 0.75; 295 owners: 236 matched (owl:sameAs), "
                                  "4 ambiguous")
    assert comments[0].endswith("review followed: 2 pairs accepted (owl:sameAs), 1 rejected "
                                "(left out)")


def test_a_bad_review_row_is_an_input_error_and_changes_nothing(wikidata: str,
                                                                tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    owner_store(store_dir).close()
    review = tmp_path / "review.csv"
    review.write_text("owner_id,qid,decision\nW0001,Q9000001,accept\nW0002,Q9000002,maybe\n",
                      encoding="utf-8")
    result = run("--store", str(store_dir), "link", "owners", "--accept", str(review))
    assert result.exit_code == 2
    assert "review.csv:3: column 'decision': 'maybe' is not accept, reject or empty" in \
        result.output
    review.write_text("owner_id,qid,decision\nW0001,Q9000001,accept\nNOPE,Q9000002,accept\n",
                      encoding="utf-8")
    result = run("--store", str(store_dir), "link", "owners", "--accept", str(review))
    assert result.exit_code == 2
    assert "review.csv:3: column 'owner_id': no owner" in result.output
    store = LocalStore(store_dir)
    assert not same_as(store, DEFAULT_BASE)


def test_usage_errors_come_before_any_request(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    owner_store(store_dir).close()
    url = f"http://127.0.0.1:{free_port()}/query"  # nothing listens: never asked
    review = tmp_path / "review.csv"
    review.write_text("owner_id,qid,decision\n", encoding="utf-8")
    result = run("--store", str(store_dir), "link", "owners", "--accept", str(review),
                 "--endpoint", url)
    assert result.exit_code == 2 and "give it alone" in result.output
    result = run("--store", str(store_dir), "link", "owners", "--endpoint", url,
                 "--review", str(tmp_path / "no" / "such" / "review.csv"))
    assert result.exit_code == 2 and "does not exist" in result.output
    result = run("--store", str(tmp_path / "nothing"), "link", "owners", "--endpoint", url)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_an_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    owner_store(store_dir).close()
    url = f"http://127.0.0.1:{free_port()}/query"
    result = run("--store", str(store_dir), "link", "owners", "--endpoint", url, "--rate", "0")
    assert result.exit_code == 2
    assert f"cannot reach the SPARQL endpoint {url}" in result.output
    assert "Traceback" not in result.output


# --- politeness: retry on 429/503 through a tiny server in front ------------------------------
class Front(http.server.ThreadingHTTPServer):
    """Answers the first ``refuse`` POSTs with ``status`` (and ``retry_after``), then passes
    requests on to the endpoint; records each request's User-Agent."""

    def __init__(self, target: str, refuse: int, status: int = 429,
                 retry_after: str | None = "0") -> None:
        self.target, self.refuse, self.status, self.retry_after = target, refuse, status, \
            retry_after
        self.agents: list[str] = []
        super().__init__(("127.0.0.1", 0), FrontHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/query"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class FrontHandler(http.server.BaseHTTPRequestHandler):
    server: Front

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.agents.append(self.headers.get("User-Agent", ""))
        if self.server.refuse > 0:
            self.server.refuse -= 1
            self.send_response(self.server.status)
            if self.server.retry_after is not None:
                self.send_header("Retry-After", self.server.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = urllib.request.Request(self.server.target, data=body, headers={
            "Content-Type": self.headers["Content-Type"], "Accept": self.headers["Accept"]})
        with urllib.request.urlopen(req, timeout=30) as answer:
            data = answer.read()
            self.send_response(200)
            self.send_header("Content-Type", answer.headers["Content-Type"])
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)


def test_429_is_retried_after_retry_after(wikidata: str) -> None:
    front = Front(wikidata, refuse=2, status=429, retry_after="1")
    waits: list[float] = []
    try:
        endpoint = Endpoint(front.url, rate=0, sleep=waits.append)
        rows = endpoint.select("SELECT ?x WHERE { VALUES ?x { 1 2 } }")
    finally:
        front.close()
    assert len(rows) == 2
    assert waits == [1.0, 1.0] and endpoint.retried == 2 and endpoint.requests == 3
    assert all(a.startswith("hvp-kg/") for a in front.agents) and len(front.agents) == 3


def test_503_without_retry_after_backs_off_then_gives_up(wikidata: str) -> None:
    front = Front(wikidata, refuse=10, status=503, retry_after=None)
    waits: list[float] = []
    try:
        endpoint = Endpoint(front.url, rate=0, retries=3, sleep=waits.append)
        with pytest.raises(StoreError, match="answered HTTP 503 .* after 3 retries"):
            endpoint.select("SELECT ?x WHERE { VALUES ?x { 1 } }")
    finally:
        front.close()
    assert waits == [1.0, 2.0, 4.0]


def test_a_whole_run_through_a_refusing_front_links_the_same(wikidata: str) -> None:
    front = Front(wikidata, refuse=3, status=429, retry_after="0")
    try:
        store = owner_store()
        endpoint = Endpoint(front.url, rate=0, sleep=lambda s: None)
        report = link(store, DEFAULT_BASE, endpoint, threshold=0.75, batch=100)
    finally:
        front.close()
    assert endpoint.retried == 3 and report.counts["matched"] == 235


def test_a_query_the_endpoint_refuses_is_a_short_clear_error(wikidata: str) -> None:
    with pytest.raises(StoreError, match="refused a query: QueryBadFormed") as info:
        Endpoint(wikidata, rate=0).select("SELECT ?x WHERE { ?x " + "?y " * 1000)
    assert len(str(info.value)) < 400


def test_requests_are_spaced_by_the_rate() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    endpoint = Endpoint("http://127.0.0.1:9/", rate=2.0, sleep=sleep, clock=lambda: now[0])
    for _ in range(3):
        endpoint._space()
        now[0] += 0.1  # the request itself
    assert waits == pytest.approx([0.4, 0.4])


def test_the_queries_of_docs_linking_run(linked) -> None:
    import re

    store, _, _ = linked
    text = (Path(__file__).resolve().parents[1] / "docs" / "linking.md").read_text("utf-8")
    queries = re.findall(r"```sparql\n(.*?)```", text, re.DOTALL)
    assert len(queries) == 4
    counts = [len(store.select(q)) for q in queries]
    # linked owners; high-value counts (no patents in this store); candidates; provenance
    assert counts == [235, 0, 10 + 15 + 15, 1]


def test_the_links_graph_iri_dereferences_and_owner_pages_show_links(linked) -> None:
    from tests.conftest import copy_of
    from web.app import create_app

    store, _, _ = linked
    app = create_app({"store": copy_of(store)})
    try:
        page = app.test_client().get("/links/wikidata", headers={"Accept": "text/turtle"})
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        assert "wasGeneratedBy" in page.get_data(as_text=True)
        owner = app.test_client().get("/owner/W0001", headers={"Accept": "text/html"})
        assert owner.status_code == 200
        assert "http://www.wikidata.org/entity/Q9000001" in owner.get_data(as_text=True)
    finally:
        app.extensions["hvp"].close()


def test_replacing_the_links_graph_is_all_or_nothing(wikidata: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: the graph was cleared, then written; a failure between lost every link."""
    store = owner_store(tmp_path / "store")
    endpoint = Endpoint(wikidata, rate=0)
    link(store, DEFAULT_BASE, endpoint, threshold=0.75, batch=100)
    before = same_as(store, DEFAULT_BASE)
    assert len(before) == 235

    def full(self: LocalStore, quads: object) -> None:
        raise StoreError("No space left on device")

    monkeypatch.setattr(LocalStore, "add", full)
    with pytest.raises(StoreError, match="No space left"):
        link(store, DEFAULT_BASE, endpoint, threshold=0.95, batch=100)
    monkeypatch.undo()
    assert same_as(store, DEFAULT_BASE) == before
    store.close()
    reopened = LocalStore(tmp_path / "store")
    assert same_as(reopened, DEFAULT_BASE) == before


def test_owners_named_in_capitals_are_found(wikidata: str, tmp_path: Path) -> None:
    """Names as patent offices write them (capitals, no punctuation) find the items that
    Wikidata labels in title case."""
    from kg.ingest import ingest as run_ingest

    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    folder = Path(__file__).resolve().parent / "fixtures" / "wikidata" / "owners"
    rows = (folder / "owners.csv").read_text(encoding="utf-8").splitlines()
    upper = [rows[0]] + [r.upper() if r.startswith(("W0176,", "W0177,")) else r
                         for r in rows[1:]]
    assert "W0176,VEKTOR ORIONTECH INC.,US," in upper
    (tmp_path / "owners.csv").write_text("\n".join(upper) + "\n", encoding="utf-8")
    run_ingest(store, [tmp_path], base=DEFAULT_BASE)
    link(store, DEFAULT_BASE, Endpoint(wikidata, rate=0), threshold=0.75, batch=100)
    found = same_as(store, DEFAULT_BASE)
    assert found[DEFAULT_BASE + "owner/W0176"] == "Q9000176"
    assert found[DEFAULT_BASE + "owner/W0177"] == "Q9000177"
