"""Explanations: evidence per criterion, reasons for invalidity, errors for unknown patents."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import reference
from kg.cli import cli
from kg.errors import NotFound
from kg.explain import explain
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

ROOT = Path(__file__).parent
CASES = ROOT / "cases" / "classify"
D = date(2024, 12, 31)


def store_for(*folders: Path) -> LocalStore:
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, list(folders), base=DEFAULT_BASE)
    return store


@pytest.fixture(scope="module")
def small() -> LocalStore:
    return store_for(ROOT / "data" / "small")


def checks(explanation) -> dict:
    return {c.key: c for c in explanation.criteria}


def test_met_criteria_carry_their_evidence(small: LocalStore) -> None:
    e = explain(small, "CN-T01", D)
    assert (e.valid, e.domestic, e.region, e.high_value) == (True, True, "CN-GD", True)
    by_key = checks(e)
    assert by_key["sei"].met
    assert by_key["sei"].reasons == ["IPC G06N3/063 matches G06N3/* (SEI 1.5)"]
    assert by_key["overseas"].reasons == ["family member US10000001B2 at US granted 2020-03-03"]
    assert not by_key["maintained"].met
    assert "filed 2015-03-01: 9 full years at 2024-12-31 (more than 10 needed)" \
        in by_key["maintained"].reasons
    assert {f["office"] for f in by_key["overseas"].facts} == {"CN", "US", "WO"}


def test_pledge_and_award_evidence(small: LocalStore) -> None:
    assert checks(explain(small, "CN-T09", D))["pledge"].reasons == [
        "pledge PL1 of 10,000,000 CNY registered 2021-05-01 (threshold 10,000,000 CNY)"]
    assert checks(explain(small, "CN-T10", D))["award"].reasons == [
        "award china-patent-silver in 2021"]


def test_reasons_for_not_valid(small: LocalStore) -> None:
    assert explain(small, "CN-T03", D).validity == ["lapsed on 2020-01-01"]
    assert explain(small, "CN-T07", D).validity == ["not granted"]
    edges = store_for(CASES / "validity-edges" / "input")
    when = date(2024, 6, 15)
    assert explain(edges, "V2", when).validity == [
        "not granted on or before 2024-06-15 (granted 2024-06-16)"]
    assert explain(edges, "V5", when).validity == ["term ended on 2024-06-15"]
    assert not any(c.met for c in explain(edges, "V7", when).criteria)


def test_exclusion_that_stopped_a_match() -> None:
    store = store_for(CASES / "sei-patterns-and-exclusions" / "input")
    sei = checks(explain(store, "S05", D))["sei"]
    assert not sei.met
    assert "IPC G06N3/12 matches G06N3/* but is excluded by G06N3/12" in sei.reasons
    other_row = checks(explain(store, "S06", D))["sei"]
    assert other_row.met and other_row.reasons == ["IPC A61K8/02 matches A61K8/* (SEI 4.2)"]


def test_evidence_is_in_the_materialized_graph(small: LocalStore) -> None:
    e = explain(small, "CN-T03", D)
    rows = small.select(f"""PREFIX hvp: <https://w3id.org/hvp/def#>
        SELECT ?reason WHERE {{ GRAPH <{e.graph}> {{
          ?c hvp:patent <{e.patent}> ; hvp:validityEvidence/hvp:reason ?reason }} }}""")
    assert [r["reason"].value for r in rows] == ["lapsed on 2020-01-01"]


def test_unknown_and_non_invention_patents(small: LocalStore) -> None:
    with pytest.raises(NotFound, match="no patent 'NOPE'"):
        explain(small, "NOPE", D)
    utility = explain(small, "CN-T05", D)
    assert (utility.valid, utility.high_value, utility.criteria) == (False, False, [])
    assert utility.validity == ["not an invention patent (UtilityModel): never high-value, "
                                "not classified"]


def test_cli_text_json_and_exit_codes(tmp_path: Path) -> None:
    runner, store = CliRunner(), str(tmp_path / "s")
    runner.invoke(cli, ["--store", store, "ingest", "-q", str(ROOT / "data" / "small")])
    text = runner.invoke(cli, ["--store", store, "explain", "CN-T06", "--as-of", "2024-12-31"])
    assert text.exit_code == 0 and "[x] sei" in text.stdout and "domestic: no" in text.stdout
    data = json.loads(runner.invoke(cli, ["--store", store, "explain", "CN-T06", "--as-of",
                                          "2024-12-31", "--format", "json"]).stdout)
    assert data["patent_id"] == "CN-T06" and data["high_value"] is True
    assert [c["key"] for c in data["criteria"] if c["met"]] == ["sei", "maintained"]
    missing = runner.invoke(cli, ["--store", store, "explain", "NOPE", "--as-of", "2024-12-31"])
    assert missing.exit_code == 2 and "no patent 'NOPE'" in missing.output
