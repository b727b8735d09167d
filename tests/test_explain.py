"""Explanations: evidence per criterion, reasons for invalidity, errors for unknown patents."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import reference
from kg.cli import cli
from kg.errors import InputError, NotFound
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
    assert by_key["sei"].reasons == [
        "IPC G06N3/063 matches G06N3/* (SEI 1.5 Artificial intelligence)"]
    assert by_key["overseas"].reasons == ["family member US10000001B2 at US granted 2020-03-03"]
    assert not by_key["maintained"].met
    assert "filed 2015-03-01: 9 full years at 2024-12-31 (more than 10 needed)" \
        in by_key["maintained"].reasons
    assert {f["office"] for f in by_key["overseas"].facts} == {"CN", "US", "WO"}


def test_pledge_and_award_evidence(small: LocalStore) -> None:
    assert checks(explain(small, "CN-T09", D))["pledge"].reasons == [
        "pledge PL1 of 10,000,000 CNY registered 2021-05-01 (threshold 10,000,000 CNY)"]
    assert checks(explain(small, "CN-T10", D))["award"].reasons == [
        "award China Patent Silver Award in 2021"]


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
    assert other_row.met and other_row.reasons == [
        "IPC A61K8/02 matches A61K8/* (SEI 4.2 Biomedical engineering industry)"]


def test_evidence_is_in_the_materialized_graph(small: LocalStore) -> None:
    e = explain(small, "CN-T03", D)
    rows = small.select(f"""PREFIX hvp: <https://w3id.org/hvp/def#>
        SELECT ?reason WHERE {{ GRAPH <{e.graph}> {{
          ?c hvp:patent <{e.patent}> ; hvp:validityEvidence/hvp:reason ?reason }} }}""")
    assert [r["reason"].value for r in rows] == ["lapsed on 2020-01-01"]


def test_stored_reasons_name_awards_and_industries_by_their_english_label(
        small: LocalStore) -> None:
    """The reason a classification stores (English) is the one the explanation says."""
    for patent_id, key, reason in [
            ("CN-T10", "award", "award China Patent Silver Award in 2021"),
            ("CN-T01", "sei", "IPC G06N3/063 matches G06N3/* (SEI 1.5 Artificial intelligence)")]:
        e = explain(small, patent_id, D)
        rows = small.select(f"""PREFIX hvp: <https://w3id.org/hvp/def#>
            SELECT ?reason WHERE {{ GRAPH <{e.graph}> {{
              ?c hvp:patent <{e.patent}> ; hvp:evidence ?e . ?e hvp:reason ?reason .
              FILTER(STRENDS(STR(?e), "/{key}")) }} }}""")
        assert [r["reason"].value for r in rows] == [reason] == checks(e)[key].reasons


def test_every_award_kind_has_a_label_in_both_languages(small: LocalStore) -> None:
    rows = small.select("""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?kind (GROUP_CONCAT(LANG(?label); separator=" ") AS ?langs) WHERE {
          ?kind skos:inScheme <https://w3id.org/hvp/award-kind/> ; skos:prefLabel ?label }
        GROUP BY ?kind""")
    assert len(rows) == 7
    assert all(set(r["langs"].value.split()) == {"en", "zh"} for r in rows), rows


def test_unknown_and_non_invention_patents(small: LocalStore) -> None:
    with pytest.raises(NotFound, match="no patent 'NOPE'"):
        explain(small, "NOPE", D)
    utility = explain(small, "CN-T05", D)
    assert (utility.valid, utility.high_value, utility.criteria) == (False, False, [])
    assert utility.validity == ["not an invention patent (utility model): never high-value, "
                                "not classified"]
    assert explain(small, "CN-T05", D, lang="zh").validity == [
        "不是发明专利（实用新型专利）：不属于高价值专利，不参与分类"]


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


#: What a reason says of the data: dates, numbers, amounts, codes, ids (runs of Latin letters,
#: digits and ``./*,-`` holding a digit), the same in every language.
FIGURES = re.compile(r"[A-Za-z0-9./*,-]*\d[A-Za-z0-9./*,-]*")
#: A word of English: three lower-case Latin letters (ids and codes are upper-case).
ENGLISH = re.compile(r"[a-z]{3,}")
EXPLAINED = ["CN-T01", "CN-T03", "CN-T05", "CN-T06", "CN-T07", "CN-T09", "CN-T10"]


def figures(text: str) -> set[str]:
    return {f.strip(".,") for f in FIGURES.findall(text)}


def texts(e) -> list[str]:
    return [*e.validity, *(t for c in e.criteria for t in (c.label, *c.reasons))]


@pytest.mark.parametrize("patent_id", EXPLAINED)
def test_chinese_and_english_explanations_carry_the_same_facts(small: LocalStore,
                                                                 patent_id: str) -> None:
    """Differential: the same verdicts, facts and number of reasons, each reason in Chinese
    quoting the figures of its English twin, and no English word in the Chinese one."""
    en, zh = explain(small, patent_id, D), explain(small, patent_id, D, lang="zh")
    assert (en.lang, zh.lang) == ("en", "zh")

    def shape(e) -> tuple:
        return (e.valid, e.domestic, e.region, e.high_value, len(e.validity),
                [(c.key, c.met, c.facts, len(c.reasons)) for c in e.criteria])

    assert shape(en) == shape(zh)
    for english, chinese in zip(texts(en), texts(zh), strict=True):
        assert english != chinese and figures(english) == figures(chinese), (english, chinese)
        assert not ENGLISH.search(chinese), chinese


def test_chinese_reasons_name_awards_and_amounts_in_chinese(small: LocalStore) -> None:
    assert checks(explain(small, "CN-T10", D, lang="zh"))["award"].reasons == [
        "2021 年获中国专利银奖"]
    assert checks(explain(small, "CN-T09", D, lang="zh"))["pledge"].reasons == [
        "质押 PL1 金额 10,000,000 元，2021-05-01 登记（阈值 10,000,000 元）"]
    assert "自申请日 2015-03-01 起至 2024-12-31 满 9 年（须超过 10 年）" in checks(
        explain(small, "CN-T01", D, lang="zh"))["maintained"].reasons


def test_an_unknown_language_is_an_input_error(small: LocalStore) -> None:
    with pytest.raises(InputError, match="no explanations in 'fr'"):
        explain(small, "CN-T01", D, lang="fr")


def test_cli_explains_in_chinese(tmp_path: Path) -> None:
    runner, store = CliRunner(), str(tmp_path / "s")
    runner.invoke(cli, ["--store", store, "ingest", "-q", str(ROOT / "data" / "small")])
    text = runner.invoke(cli, ["--store", store, "explain", "CN-T06", "--as-of", "2024-12-31",
                               "--lang", "zh"])
    assert text.exit_code == 0 and "国内: 否" in text.stdout and "[x] sei" in text.stdout
    words = re.sub(r"\[[ x]\] \w+:|cnipa", "", text.stdout)  # the keys and the profile: names
    assert not ENGLISH.search(words), text.stdout
    data = json.loads(runner.invoke(cli, ["--store", store, "explain", "CN-T06", "--as-of",
                                          "2024-12-31", "--format", "json", "--lang", "zh"]
                                    ).stdout)
    assert data["lang"] == "zh" and [c["key"] for c in data["criteria"] if c["met"]] == [
        "sei", "maintained"]
