"""Criteria as units: a sixth criterion in one file reaches classify, explain, the patent page
and the canned queries; profiles derive (import, override, deactivate); shared SPARQL functions
are inlined; ``hvp profiles`` lists them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from kg import canned, reference
from kg.classify import classify
from kg.cli import cli
from kg.errors import InputError
from kg.explain import explain
from kg.folders import SHAPES
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.profiles import load
from kg.sparql_functions import functions, inline
from kg.store import LocalStore
from kg.vocab import HVP
from tests.conftest import DATA, copy_of
from web.app import create_app

KEYWORD = DATA / "profiles" / "keyword.ttl"
D = date(2024, 12, 31)
HTML = {"Accept": "text/html"}


def _column(result, name: str) -> list[str]:
    return [row[name].value for row in result.rows]


def test_a_sixth_criterion_in_one_file_reaches_every_reader(small_store: LocalStore) -> None:
    store = copy_of(small_store)
    profile = load(KEYWORD)
    assert [c.key for c in profile.criteria][-2:] == ["award", "keyword"]
    result = classify(store, D, profile=profile)
    assert classify(store, D, profile=profile, engine="pyshacl").rows == result.rows
    rows = {r.patent_id: r for r in result.rows}
    assert rows["CN-T09"].criteria == ("pledge", "keyword")  # "Pledged gearbox"
    assert all("keyword" not in r.criteria for pid, r in rows.items() if pid != "CN-T09")

    checks = {c.key: c for c in explain(store, "CN-T09", D, profile).criteria}
    assert checks["keyword"].met and checks["keyword"].label == "a keyword in the title"
    assert checks["keyword"].reasons == ["title Pledged gearbox contains gearbox"]
    assert checks["keyword"].facts == [{"title": "Pledged gearbox"}]
    other = {c.key: c for c in explain(store, "CN-T01", D, profile).criteria}["keyword"]
    assert not other.met and other.reasons == [
        "the title does not contain the keyword",
        "title Neural network accelerator lacks gearbox"]

    by = canned.run(store, "high-value-by-criterion", {"date": "2024-12-31"},
                     profile=str(KEYWORD))
    counts = dict(zip(_column(by, "code"), _column(by, "patents"), strict=True))
    assert counts["keyword"] == "1" and counts["pledge"] == "1"
    labels = dict(zip(_column(by, "code"), _column(by, "label"), strict=True))
    assert labels["keyword"] == "a keyword in the title"
    def met(profile: str) -> dict[str, str]:
        result = canned.run(store, "criteria-count", {}, profile=profile)
        return dict(zip(_column(result, "criteria_met"), _column(result, "patents"),
                        strict=True))

    # CN-T09 (pledge) now meets two criteria, as the two patents that met two already
    assert met("cnipa-2021") == {"1": "1", "2": "2"} and met(str(KEYWORD)) == {"2": "3"}
    combos = canned.run(store, "criteria-combinations", {}, profile=str(KEYWORD))
    assert "keyword;pledge" in _column(combos, "criteria")

    app = create_app({"store": store, "profile": str(KEYWORD)})
    try:
        page = app.test_client().get("/patent/CN-T09?as_of=2024-12-31", headers=HTML)
        assert page.status_code == 200
        assert "a keyword in the title" in page.text
        assert "title Pledged gearbox contains gearbox" in page.text
    finally:
        app.extensions["hvp"].close()


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_a_profile_derives_overrides_and_deactivates(tmp_path: Path, engine: str,
                                                      small_store: LocalStore) -> None:
    """A user's profile imports a shipped one by IRI, changes a parameter, drops a criterion."""
    mine = tmp_path / "mine.ttl"
    mine.write_text("""@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://example.org/mine> a hvp:Profile ;
    owl:imports <https://w3id.org/hvp/profile/cnipa-2026-four> ;
    hvp:maintenanceYears 6 .
<https://w3id.org/hvp/criterion/sei#SEIShape> sh:deactivated true .
""", encoding="utf-8")
    profile = load(mine)
    assert [c.key for c in profile.criteria] == ["overseas", "maintained", "award"]
    assert int(profile.parameters["maintenanceYears"]) == 6
    assert len(profile.chain) == 3
    rows = {r.patent_id: r.criteria for r in
            classify(copy_of(small_store), D, profile=profile, engine=engine).rows}
    assert rows["CN-T01"] == ("overseas", "maintained")  # filed 2015-03-01: > 6 years
    assert rows["CN-T09"] == ("maintained",)  # filed 2018-01-01; pledge dropped by the import


def test_the_four_criteria_profile_is_a_few_lines() -> None:
    text = (load("cnipa-2026-four").path).read_text(encoding="utf-8")
    statements = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(statements) < 20 and "sh:deactivated true" in text


def test_shared_functions_are_inlined_once_everywhere() -> None:
    profile = load()
    selects = [str(o) for o in profile.graph.objects(None, None) if "SELECT" in str(o)]
    assert selects and not any("hvpfn:" in s for s in selects)
    defined = functions(Graph().parse(SHAPES / "components" / "sparql.ttl"))
    assert inline('FILTER(hvpfn:listed($list, CONCAT("a,(", ?x)))', defined) == \
        'FILTER((CONTAINS($list, CONCAT("|", (CONCAT("a,(", ?x)), "|"))))'
    # a lone variable goes in bare: BOUND() takes nothing else (hvpfn:onOrBefore)
    assert inline("hvpfn:onOrBefore(?g, $asOf)", defined) == \
        "(COALESCE(BOUND(?g) && ?g <= $asOf, false))"
    nested = inline("hvpfn:dayIn(?d, YEAR(?d) + 1, $rule)", defined)
    assert "hvpfn" not in nested and "FLOOR((((YEAR(?d) + 1))) / 4)" in nested
    with pytest.raises(InputError, match="unknown SPARQL function hvpfn:nope"):
        inline("hvpfn:nope(1)", defined)
    with pytest.raises(InputError, match="takes 2 arguments, not 1"):
        inline("hvpfn:listed(?x)", defined)


def test_bad_imports_and_missing_parameters_name_what_to_fix(tmp_path: Path) -> None:
    head = ("@prefix hvp: <https://w3id.org/hvp/def#> .\n"
            "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n")
    missing = tmp_path / "missing.ttl"
    missing.write_text(head + "<https://example.org/p> a hvp:Profile ; owl:imports "
                       "<https://w3id.org/hvp/criterion/nope> .\n", encoding="utf-8")
    with pytest.raises(InputError, match="criterion/nope> is neither"):
        load(missing)
    bare = tmp_path / "bare.ttl"  # the criteria without the values of their parameters
    bare.write_text(head + """<https://example.org/p> a hvp:Profile ;
    owl:imports <https://w3id.org/hvp/condition/valid> , <https://w3id.org/hvp/condition/domestic> ,
        <https://w3id.org/hvp/criterion/pledge> ;
    hvp:validShape <https://w3id.org/hvp/condition/valid#ValidShape> ;
    hvp:domesticShape <https://w3id.org/hvp/condition/domestic#DomesticShape> ;
    hvp:criterionShape <https://w3id.org/hvp/criterion/pledge#PledgeShape> .
""", encoding="utf-8")
    with pytest.raises(InputError, match="no value for the parameter.*pledgeThreshold"):
        load(bare)


def test_profiles_command_lists_criteria_and_parameters() -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["profiles"])
    assert text.exit_code == 0, text.output
    assert "cnipa-2026-four: CNIPA 2026" in text.stdout
    assert "maintenanceYears = 10" in text.stdout
    data = json.loads(runner.invoke(cli, ["profiles", "cnipa-2026-four", str(KEYWORD),
                                          "--format", "json"]).stdout)
    four, keyword = data
    assert [c["key"] for c in four["criteria"]] == ["sei", "overseas", "maintained", "award"]
    assert four["imports"] == ["https://w3id.org/hvp/profile/cnipa-2021"]
    assert "pledgeThreshold" not in four["parameters"]  # no active criterion reads it
    assert four["parameters"]["countedAwards"][0].endswith("china-patent-gold")
    assert keyword["criteria"][-1] == {
        "key": "keyword", "criterion": "https://example.org/hvp#KeywordCriterion",
        "shape": "https://example.org/hvp#KeywordShape", "label": "a keyword in the title",
        "label_zh": "标题含关键词", "parameters": ["keyword"]}
    assert keyword["parameters"]["keyword"] == "gearbox"
    bad = runner.invoke(cli, ["profiles", "cnipa-1999"])
    assert bad.exit_code == 2 and "shipped profiles" in bad.output


def test_every_shipped_unit_has_reasons_in_english_and_chinese() -> None:
    profile = load()
    units = [c.shape for c in profile.criteria] + [s for _, s in profile.conditions]
    for shape in units:
        for lang in ("en", "zh"):
            assert profile.text(shape, HVP.reasonTemplate, lang), (shape, lang)
            assert profile.label(shape, lang) and profile.message(shape, lang), (shape, lang)


def test_a_profile_imports_a_file_by_relative_iri(tmp_path: Path,
                                                  small_store: LocalStore) -> None:
    """A user's profile next to another one imports it by a relative IRI and changes its new
    criterion's parameter."""
    (tmp_path / "keyword.ttl").write_text(KEYWORD.read_text(encoding="utf-8"),
                                          encoding="utf-8")
    mine = tmp_path / "mine.ttl"
    mine.write_text("""@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://example.org/mine> a hvp:Profile ; owl:imports <keyword.ttl> ;
    <https://example.org/hvp#keyword> "accelerator" .
""", encoding="utf-8")
    profile = load(mine)
    assert str(profile.parameters["keyword"]) == "accelerator"
    rows = {r.patent_id: r.criteria for r in classify(copy_of(small_store), D,
                                                      profile=profile).rows}
    assert rows["CN-T01"] == ("sei", "overseas", "keyword")
    assert rows["CN-T09"] == ("pledge",)


def _derived(tmp_path: Path, statements: str) -> Path:
    path = tmp_path / "derived.ttl"
    path.write_text("""@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://example.org/derived> a hvp:Profile ;
    owl:imports <https://w3id.org/hvp/profile/cnipa-2021> ;
""" + statements + " .\n", encoding="utf-8")
    return path


def test_regression_explain_counts_years_from_the_grant_date(tmp_path: Path,
                                                             small_store: LocalStore) -> None:
    """Issue 18: with hvp:maintenanceFrom hvp:grantDate, explain counted years from filing."""
    profile = _derived(tmp_path, "hvp:maintenanceFrom hvp:grantDate")
    store = copy_of(small_store)
    unmet = {c.key: c for c in explain(store, "CN-T01", D, profile).criteria}["maintained"]
    assert "granted 2018-06-01: 6 full years at 2024-12-31 (more than 10 needed)" \
        in unmet.reasons
    met = {c.key: c for c in explain(store, "CN-T02", D, profile).criteria}["maintained"]
    assert met.reasons == ["granted 2013-01-01: more than 10 years before 2024-12-31"]


def test_regression_a_member_granted_later_was_pending(tmp_path: Path) -> None:
    """Found by tests/test_explain_parameters.py: under hvp:pendingOverseasCounts, a member
    granted after the as-of date was quoted as "granted"."""
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [DATA.parent / "cases" / "classify" / "overseas-members" / "input"],
           base=DEFAULT_BASE)
    profile = _derived(tmp_path, "hvp:pendingOverseasCounts true")
    overseas = {c.key: c for c in explain(store, "O3", date(2024, 6, 30), profile).criteria}
    assert overseas["overseas"].reasons == [
        "family member US11000003B2 at US, pending (pending members count)"]
