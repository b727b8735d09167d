"""Criterion and condition IRIs dereference on the served app (granian, real HTTP): a page for
browsers (label, definition, parameters with each profile's values, SPARQL, reasons in en and
zh, the profiles that use it) and the unit's own triples by content negotiation."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from html import unescape
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from kg.folders import SHAPES
from kg.vocab import HVP, SH

CRITERION = "https://w3id.org/hvp/criterion/"


def get(url: str, accept: str = "text/html") -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers["Content-Type"], exc.read().decode()


def text(page: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def row(page: str, name: str) -> str:
    """The text of the parameter table's row for ``name``."""
    found = re.search(rf"<tr><td><a [^>]*><code>{name}</code>.*?</tr>", page, re.S)
    assert found, name
    return text(found.group(0))


def test_a_criterion_page(live_server) -> None:
    status, kind, page = get(f"{live_server.url}/criterion/maintained")
    assert status == 200 and kind.startswith("text/html")
    words = text(page)
    assert "maintained for more than the maintenance years" in words  # label
    assert "维持年限超过规定年数" in words  # label in Chinese
    assert "maintained for more than the profile's number of years" in words  # definition (en)
    assert "专利维持年限超过方案规定的年数" in words  # definition (zh)
    # parameters, each profile's value; the served profile first
    assert "cnipa-2021 (served)" in words
    assert row(page, "maintenanceYears").split()[-2:] == ["10", "10"]
    assert row(page, "maintenanceFrom").split()[-2:] == ["patent:filingDate"] * 2
    # the shape's SPARQL as written, its evidence query, reasons in both languages
    assert "hvpfn:heldMoreThan(?start, $maintenanceYears, $asOf, $leapDayAnniversary)" in words
    assert "Evidence query" in words
    assert "{filed:if}filed {start}: more than {maintenanceYears} years before {asOf}" in words
    assert "{filed:if}自申请日 {start} 起至 {asOf} 已超过 {maintenanceYears} 年" in words
    # the profiles that use it, linked on this app
    assert 'href="/profile/cnipa-2021"' in page and 'href="/profile/cnipa-2026-four"' in page


def test_a_deactivated_criterion_says_so(live_server) -> None:
    _, _, page = get(f"{live_server.url}/criterion/pledge")
    words = text(page)
    assert re.search(r"cnipa-2021 — [^:]*: active", words)
    assert re.search(r"cnipa-2026-four — [^:]*: deactivated", words)
    assert row(page, "sumPledges").split()[-2:] == ["false", "false"]


@pytest.mark.parametrize(("suffix", "accept", "fmt"), [
    ("", "text/turtle", "turtle"), (".ttl", "text/html", "turtle"),
    ("", "application/n-triples", "nt"), (".jsonld", "*/*", "json-ld"),
    ("", "application/rdf+xml", "xml")])
def test_the_unit_as_rdf(live_server, suffix: str, accept: str, fmt: str) -> None:
    status, kind, body = get(f"{live_server.url}/criterion/sei{suffix}", accept)
    assert status == 200 and not kind.startswith("text/html")
    served = Graph().parse(data=body, format=fmt)
    assert isomorphic(served, Graph().parse(SHAPES / "criteria" / "sei.ttl"))
    assert (URIRef(CRITERION + "sei#SEIShape"), HVP.checks, HVP.SEICriterion) in served


def test_a_condition_page_shows_each_of_its_shapes(live_server) -> None:
    status, _, page = get(f"{live_server.url}/condition/valid")
    assert status == 200
    for shape in ("ValidShape", "GrantedShape", "NotLapsedShape", "InTermShape"):
        assert f'id="{shape}"' in page
    assert "统计日或之前已失效" in text(page)  # a message in Chinese
    assert row(page, "termYears").split()[-2:] == ["20", "20"]


def test_every_unit_a_profile_imports_dereferences(live_server) -> None:
    profile = Graph().parse(SHAPES / "profiles" / "cnipa-2021.ttl")
    units = {str(o) for o in profile.objects(None, URIRef("http://www.w3.org/2002/07/owl#imports"))}
    assert len(units) == 7
    for iri in units:
        path = iri.removeprefix("https://w3id.org/hvp")
        status, _, body = get(live_server.url + path, "text/turtle")
        assert status == 200, iri
        graph = Graph().parse(data=body, format="turtle")
        assert any(str(s).startswith(iri + "#") for s in graph.subjects(None, SH.NodeShape))
    _, _, page = get(f"{live_server.url}/profile/cnipa-2021")
    assert 'href="/criterion/sei"' in page  # the profile page links its units on this app


@pytest.mark.parametrize("path", ["/criterion/nope", "/condition/sei", "/criterion/sei/x",
                                  "/criterion/..ttl"])
def test_an_unknown_unit_is_404(live_server, path: str) -> None:
    status, kind, body = get(live_server.url + path, "application/json")
    assert status == 404 and kind == "application/problem+json"
    assert json.loads(body)["status"] == 404


def test_a_user_profile_served_shows_its_values(tmp_path: Path, small_store) -> None:
    from tests.conftest import copy_of
    from web.app import create_app

    mine = tmp_path / "mine.ttl"
    mine.write_text("""@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://example.org/mine> a hvp:Profile , owl:Ontology ;
    owl:imports <https://w3id.org/hvp/profile/cnipa-2021> ;
    hvp:maintenanceYears 12 .
""")
    app = create_app({"store": copy_of(small_store), "profile": str(mine)})
    try:
        page = app.test_client().get("/criterion/maintained").get_data(as_text=True)
    finally:
        app.extensions["hvp"].close()
    assert "mine (served)" in text(page)
    assert row(page, "maintenanceYears").split()[-3:] == ["12", "10", "10"]
