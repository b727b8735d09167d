"""Differential tests: the compiled SPARQL engine, pySHACL and the oracle give the same rows.

Random data sets (hypothesis) aim at the rules' edges: 10- and 20-year boundaries, 29 February,
grant/lapse on the as-of date, pledges at the threshold and below-threshold pledges that would
sum over it, several owners, utility models and designs, WO and pending family members,
concordance exclusions and ``*`` boundaries. Also the API, the materialized graph and errors.
"""

from __future__ import annotations

import csv
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import reference
from kg.classify import classify, engines, ensure
from kg.compile import compile_shape
from kg.errors import InputError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.profiles import load
from kg.store import LocalStore

sys.path.insert(0, str(Path(__file__).parent))
import oracle  # noqa: E402

CONCORDANCE = [("G06N3/*", "1.5", ("G06N3/12",)), ("G06F9/44", "1.4", ()),
               ("A61K*", "4.1", ("A61K8/*",)), ("A61K8/*", "4.2", ("A61K8/99",))]
CODES = ["G06N3/04", "G06N30/00", "G06F9/44", "G06F9/445", "G06N3/12", "A61K8/02", "A61K8/99",
         "A61K31/00", "F16H1/00"]
OWNERS = [("OCN", "CN", "CN-GD"), ("OBJ", "CN", "CN-BJ"), ("OUS", "US", "US-CA"),
          ("OHK", "CN", "CN-HK"), ("OTW", "TW", ""), ("OX", "CN", "")]
AWARDS = ["china-patent-gold", "china-design-gold", "state-science-technology"]
AS_OF = [date(2024, 12, 31), date(2024, 2, 29), date(2018, 2, 28), date(2018, 3, 1)]


def years_before(d: date, n: int, days: int = 0) -> date:
    """d minus n years (29 Feb -> 28 Feb), plus ``days``."""
    try:
        base = d.replace(year=d.year - n)
    except ValueError:
        base = d.replace(year=d.year - n, day=28)
    return base + timedelta(days=days)


@st.composite
def patent(draw: st.DrawFn, i: int, d: date) -> dict:
    filing = draw(st.sampled_from([years_before(d, 10, k) for k in (-1, 0, 1)]
                                  + [years_before(d, 20, k) for k in (-1, 0, 1)]
                                  + [date(2008, 2, 29), date(2004, 2, 29), years_before(d, 3)]))
    grant = draw(st.sampled_from([None, d, d + timedelta(days=1), filing + timedelta(days=400)]))
    lapse = draw(st.sampled_from([None, None, d, d + timedelta(days=1),
                                  max(filing, d - timedelta(days=30))]))
    return {
        "patent_id": f"P{i:02d}", "kind": draw(st.sampled_from(
            ["invention", "invention", "invention", "utility_model", "design"])),
        "filing": filing, "grant": grant if grant is None or grant >= filing else None,
        "lapse": lapse,
        "ipc": draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True)),
        "owners": draw(st.lists(st.sampled_from([o[0] for o in OWNERS]), min_size=1,
                                max_size=2, unique=True)),
        "members": draw(st.lists(st.tuples(st.sampled_from(["CN", "US", "WO", "EP"]),
                                           st.sampled_from([None, d, d + timedelta(days=1),
                                                            date(2015, 1, 1)])), max_size=2)),
        "pledges": draw(st.lists(st.tuples(
            st.sampled_from(["10000000", "9999999.99", "6000000", "5000000"]),
            st.sampled_from([d, d + timedelta(days=1), date(2015, 6, 1)])), max_size=2)),
        "awards": draw(st.lists(st.tuples(st.sampled_from(AWARDS),
                                          st.sampled_from([d.year, d.year + 1, 2010])),
                                max_size=1)),
    }


@st.composite
def dataset(draw: st.DrawFn) -> tuple[date, list[dict]]:
    d = draw(st.sampled_from(AS_OF))
    n = draw(st.integers(min_value=1, max_value=6))
    return d, [draw(patent(i, d)) for i in range(n)]


def write_folder(folder: Path, patents: list[dict]) -> None:
    """The data set in the exchange format (docs/rules.md §3)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {"owners": [("owner_id", "name", "country", "region")]
            + [(o, f"Owner {o}", c, r) for o, c, r in OWNERS],
            "sei_concordance": [("ipc", "sei_code", "exclude")]
            + [(p, s, ";".join(x)) for p, s, x in CONCORDANCE],
            "patents": [("patent_id", "kind", "title", "filing_date", "grant_date",
                         "lapse_date", "ipc", "owners", "family_id")],
            "family_members": [("family_id", "publication_number", "office", "granted_date")],
            "pledges": [("pledge_id", "patent_id", "registration_date", "amount_cny")],
            "awards": [("award_id", "patent_id", "award", "year")]}
    for p in patents:
        pid, fam = p["patent_id"], f"F{p['patent_id']}" if p["members"] else ""
        ipc = "" if p["kind"] == "design" else ";".join(p["ipc"])
        rows["patents"].append((pid, p["kind"], "t", p["filing"], p["grant"] or "",
                                p["lapse"] or "", ipc, ";".join(p["owners"]), fam))
        for j, (office, granted) in enumerate(p["members"]):
            rows["family_members"].append((fam, f"{office}{pid}{j}", office, granted or ""))
        for j, (amount, registered) in enumerate(p["pledges"]):
            rows["pledges"].append((f"PL{pid}{j}", pid, registered, amount))
        for j, (kind, year) in enumerate(p["awards"]):
            rows["awards"].append((f"AW{pid}{j}", pid, kind, year))
    for name, table in rows.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
            csv.writer(out, lineterminator="\n").writerows(table)


def store_for(folder: Path) -> LocalStore:
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    return store


def as_oracle(rows) -> dict[str, oracle.Result]:
    return {r.patent_id: oracle.Result(r.valid, r.domestic, r.region, r.high_value, r.criteria)
            for r in rows}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=dataset())
def test_engines_and_oracle_agree_on_random_edges(tmp_path_factory, data) -> None:
    d, patents = data
    folder = tmp_path_factory.mktemp("random") / "input"
    write_folder(folder, patents)
    store = store_for(folder)
    sparql = classify(store, d, engine="sparql").rows
    shacl = classify(store, d, engine="pyshacl").rows
    assert sparql == shacl
    assert as_oracle(sparql) == oracle.classify_folder(folder, d, CONCORDANCE)


def test_engines_and_oracle_agree_on_demo_data(tmp_path: Path) -> None:
    from kg import demo

    demo.generate(tmp_path / "demo", patents=100, seed=3)
    store = store_for(tmp_path / "demo")
    sparql = classify(store, date(2024, 12, 31)).rows
    assert sparql == classify(store, date(2024, 12, 31), engine="pyshacl").rows
    for d in (date(2020, 12, 31), date(2024, 12, 31)):
        assert as_oracle(classify(store, d).rows) == oracle.classify_folder(tmp_path / "demo", d)


def test_high_value_shape_compiled_whole_equals_set_algebra(small_store: LocalStore) -> None:
    """The HighValueShape compiled as one query gives the set the engine composes."""
    prof = load()
    shapes = prof.instantiate(date(2024, 12, 31))
    targets = {r["p"].value for r in small_store.select(
        "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> }")}
    composed = engines.sparql_sets(small_store, shapes, [prof.high_value], targets)
    whole = {r["focus"].value for r in small_store.select(
        compile_shape(shapes, prof.high_value).query)}
    assert composed[prof.high_value] == whole == {
        f"{DEFAULT_BASE}patent/{p}" for p in ("CN-T01", "CN-T02", "CN-T06", "CN-T09", "CN-T10")}


def test_materialized_graph_is_replaced_and_queryable(tmp_path: Path) -> None:
    store = store_for(Path(__file__).parent / "data" / "small")
    first = classify(store, date(2024, 12, 31))
    size = len(list(store.quads(graph=__import__("pyoxigraph").NamedNode(first.graph))))
    again = classify(store, date(2024, 12, 31))
    assert len(list(store.quads(graph=__import__("pyoxigraph").NamedNode(again.graph)))) == size
    count = store.select(f"""PREFIX hvp: <https://w3id.org/hvp/def#>
        SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <{first.graph}> {{
          ?c hvp:highValue true ; hvp:domestic true }} }}""")
    assert int(count[0]["n"].value) == 3
    evidence = store.select(f"""PREFIX hvp: <https://w3id.org/hvp/def#>
        SELECT ?code ?reason WHERE {{ GRAPH <{first.graph}> {{
          ?c hvp:patent <{DEFAULT_BASE}patent/CN-T01> ; hvp:evidence ?e .
          ?e hvp:criterion hvp:SEICriterion ; hvp:ipcCode ?code ; hvp:reason ?reason }} }}""")
    assert [r["code"].value for r in evidence] == ["G06N3/063"]
    assert "G06N3/*" in evidence[0]["reason"].value
    assert first.graph == f"{DEFAULT_BASE}graph/classification/cnipa-2021/2024-12-31"


def test_ensure_reuses_then_ingest_drops(tmp_path: Path) -> None:
    store = store_for(Path(__file__).parent / "data" / "small")
    graph = ensure(store, date(2024, 12, 31))
    query = (f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ <{graph}> "
             "<http://purl.org/dc/terms/created> ?t } }")
    created = store.select(query)
    assert ensure(store, date(2024, 12, 31)) == graph
    assert created == store.select(query)
    ingest(store, [Path(__file__).parent / "data" / "small"], base=DEFAULT_BASE)
    assert not store.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_grants_in_hong_kong_macao_taiwan_are_overseas(tmp_path: Path, engine: str) -> None:
    """docs/rules.md §2: a member at an office other than CN; HK, MO and TW are other offices."""
    folder = tmp_path / "case"
    shutil.copytree(Path(__file__).parent / "cases" / "classify" / "overseas-members" / "input",
                    folder)
    with (folder / "family_members.csv").open("a", encoding="utf-8") as f:
        f.write("F2,HK1000002B,HK,2021-01-01\nF5,TW100000005B,TW,2021-01-01\n"
                "F1,MO100000001B,MO,2025-01-01\n")
    rows = {r.patent_id: r.criteria for r in classify(store_for(folder), date(2024, 6, 30),
                                                      engine=engine).rows}
    assert rows["O2"] == ("overseas",) and rows["O5"] == ("overseas",)
    assert rows["O1"] == ()  # granted at MO only after the as-of date


def test_ipc_codes_from_rdf_are_compared_normalized(tmp_path: Path) -> None:
    """docs/rules.md §2: codes are compared after removing all white space and upper-casing, also
    codes that did not come through the CSV reader (an RDF file, another tool's data)."""
    store = LocalStore()
    reference.ensure(store)
    ingest(store, [Path(__file__).parent / "data" / "small"], base=DEFAULT_BASE)
    turtle = tmp_path / "codes.ttl"
    turtle.write_text("""@prefix hvp: <https://w3id.org/hvp/def#> .
        <https://w3id.org/hvp/patent/CN-T03> hvp:ipcCode " g06n 3/04 " .
        <https://w3id.org/hvp/patent/CN-T04> hvp:ipcCode "h01m\u300010/052" .
        <https://w3id.org/hvp/patent/CN-T02> hvp:ipcCode "g06n 3/12" .""", encoding="utf-8")
    before = {r.patent_id: r.criteria for r in classify(store, date(2019, 12, 31)).rows}
    ingest(store, [turtle], base=DEFAULT_BASE)
    for engine in ("sparql", "pyshacl"):
        rows = {r.patent_id: r for r in classify(store, date(2019, 12, 31), engine=engine).rows}
        assert "sei" not in before["CN-T03"] and "sei" in rows["CN-T03"].criteria, engine
        assert "sei" not in before["CN-T04"] and "sei" in rows["CN-T04"].criteria, engine
        # the file replaces CN-T02's codes (H01M10/052) with one that G06N3/* excludes
        assert "sei" in before["CN-T02"] and "sei" not in rows["CN-T02"].criteria, engine


def test_unknown_engine_and_profile_name_what_to_fix(small_store: LocalStore) -> None:
    with pytest.raises(InputError, match="sparql, pyshacl"):
        classify(small_store, date(2024, 12, 31), engine="jena")
    with pytest.raises(InputError, match="cnipa-2021, cnipa-2026-four"):
        classify(small_store, date(2024, 12, 31), profile="cnipa-1999")


def test_cli_errors_exit_2(small_store_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad_date = runner.invoke(cli_(), ["--store", str(tmp_path / "s"), "classify",
                                      "--as-of", "31/12/2024"])
    assert bad_date.exit_code == 2 and "not a date as YYYY-MM-DD" in bad_date.output
    for other_iso_form in ("20241231", "2024-W52-2", "２０２４-12-31"):  # fromisoformat takes some
        rejected = runner.invoke(cli_(), ["--store", str(tmp_path / "s"), "classify",
                                          "--as-of", other_iso_form])
        assert rejected.exit_code == 2 and "YYYY-MM-DD" in rejected.output, other_iso_form
    unknown = runner.invoke(cli_(), ["--store", str(tmp_path / "s"), "classify", "--as-of",
                                     "2024-12-31", "--profile", "nope"])
    assert unknown.exit_code == 2 and "cnipa-2026-four" in unknown.output


def test_cli_json_and_ttl(tmp_path: Path) -> None:
    import json

    runner, store = CliRunner(), str(tmp_path / "s")
    runner.invoke(cli_(), ["--store", store, "ingest", "-q",
                           str(Path(__file__).parent / "data" / "small")])
    out = runner.invoke(cli_(), ["--store", store, "classify", "--as-of", "2024-12-31",
                                 "--format", "json"])
    data = json.loads(out.stdout)
    assert data["patents"][0] == {"patent_id": "CN-T01", "valid": True, "domestic": True,
                                  "region": "CN-GD", "high_value": True,
                                  "criteria": ["sei", "overseas"]}
    ttl = runner.invoke(cli_(), ["--store", store, "classify", "--as-of", "2024-12-31",
                                 "--format", "ttl", "--output", str(tmp_path / "c.ttl")])
    assert ttl.exit_code == 0 and "hvp:highValue" in (tmp_path / "c.ttl").read_text()
    # what was done, on standard error (the data on standard output stays clean)
    high = sum(p["valid"] and p["domestic"] and p["high_value"] for p in data["patents"])
    assert (f"classified: {len(data['patents'])} invention patents at 2024-12-31: {high} valid, "
            "domestic and high-value") in " ".join(ttl.stderr.split())
    assert "<https://w3id.org/hvp/graph/classification/cnipa-2021/2024-12-31>" in ttl.stderr


def cli_():
    from kg.cli import cli

    return cli


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=dataset())
def test_evidence_queries_agree_with_the_shapes(tmp_path_factory, data) -> None:
    """Every met criterion and every broken validity condition has real evidence, and
    only those: the evidence queries restate the shapes' patterns, so they must agree."""
    d, patents = data
    folder = tmp_path_factory.mktemp("evidence") / "input"
    write_folder(folder, patents)
    store = store_for(folder)
    result = classify(store, d)
    rows = store.select(f"""PREFIX hvp: <https://w3id.org/hvp/def#>
        SELECT ?patent ?e ?reason WHERE {{ GRAPH <{result.graph}> {{
          ?c hvp:patent ?patent ; hvp:evidence|hvp:validityEvidence ?e . ?e hvp:reason ?reason
        }} }}""")
    found = {(r["patent"].value.rsplit("/", 1)[-1], r["e"].value.rsplit("/", 1)[-1]):
             r["reason"].value for r in rows}
    expected = set()
    for row in result.rows:
        expected |= {(row.patent_id, key) for key in row.criteria}
        if not row.valid:
            assert any(pid == row.patent_id for pid, _ in found), row
    criteria_found = {k for k in found if k[1] in ("sei", "overseas", "maintained", "pledge",
                                                   "award")}
    assert criteria_found == expected
    assert all(reason != key for (_, key), reason in found.items())
