"""Differential tests of the onset queries and the timeline (kg.classify.timeline).

Reference: the compiled per-date classification (kg.classify.engines.sparql_sets), itself
tested against pySHACL and the oracle. On seeded random data aimed at the rules' edges (29
February and leap years, exactly 10 and 20 years, a lapse on D, pledges that reach the threshold
only summed, WO and pending members, awards in D's year, Hong Kong owners), at many dates -
each unit's own onsets and ends, the day before them, and random dates - for the two shipped
profiles and a user profile with other parameter values: a unit holds at D exactly when its
onset is on or before D (or, for an end query, D is before its end), and a patent is valid,
domestic and high-value at D exactly when the timeline says so.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from kg import reference
from kg.classify import classify, engines, intervals, year_tally
from kg.classify import timeline as tl
from kg.errors import InputError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.profiles import Profile, load
from kg.store import LocalStore
from kg.vocab import HVP

OWNERS = [("OCN", "CN", "CN-GD"), ("OBJ", "CN", "CN-BJ"), ("OUS", "US", "US-CA"),
          ("OHK", "CN", "CN-HK"), ("OTW", "TW", ""), ("OX", "CN", "")]
AWARDS = ["china-patent-gold", "china-design-gold", "state-science-technology"]
CONCORDANCE = [("G06N3/*", "1.5", "G06N3/12"), ("A61K*", "4.1", "A61K8/*")]
CODES = ["G06N3/04", "G06N3/12", "A61K8/02", "A61K31/00", "F16H1/00"]
USER_PROFILE = """@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://example.org/hvp/changed> a hvp:Profile , owl:Imports ;
    owl:imports <https://w3id.org/hvp/profile/cnipa-2021> ;
    hvp:maintenanceYears 7 ; hvp:termYears 15 ; hvp:leapDayAnniversary "february-28" ;
    hvp:sumPledges true ; hvp:pledgeThreshold 12000000.0 ; hvp:pendingOverseasCounts true ;
    hvp:applicationOffices ( "WO" "EP" ) ;
    hvp:countedAwards ( <https://w3id.org/hvp/award-kind/china-design-gold> ) .
"""
ANCHORS = [date(2008, 2, 29), date(2012, 2, 29), date(2004, 2, 29), date(2014, 2, 28),
           date(2009, 2, 28), date(2015, 3, 1), date(2010, 12, 31), date(2013, 6, 15)]


def _day(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randrange(max((hi - lo).days, 1)))


def write_data(folder: Path, seed: int, n: int = 70) -> None:
    """A seeded random data set in the exchange format, aimed at the rules' edges."""
    rng = random.Random(seed)
    rows: dict[str, list[tuple]] = {
        "owners": [("owner_id", "name", "country", "region")]
        + [(o, f"Owner {o}", c, r) for o, c, r in OWNERS],
        "sei_concordance": [("ipc", "sei_code", "exclude")] + CONCORDANCE,
        "patents": [("patent_id", "kind", "title", "filing_date", "grant_date", "lapse_date",
                     "ipc", "owners", "family_id")],
        "family_members": [("family_id", "publication_number", "office", "granted_date")],
        "pledges": [("pledge_id", "patent_id", "registration_date", "amount_cny")],
        "awards": [("award_id", "patent_id", "award", "year")]}
    for i in range(n):
        pid = f"P{i:03d}"
        filing = rng.choice(ANCHORS) if rng.random() < 0.4 else _day(
            rng, date(2000, 1, 1), date(2022, 1, 1))
        grant = None if rng.random() < 0.1 else filing + timedelta(days=rng.randrange(200, 1500))
        lapse = None if rng.random() < 0.6 or grant is None else _day(
            rng, grant, grant + timedelta(days=4000))
        fam = f"F{i}" if rng.random() < 0.5 else ""
        rows["patents"].append((pid, rng.choice(["invention"] * 5 + ["utility_model"]), "t",
                                filing, grant or "", lapse or "",
                                ";".join(rng.sample(CODES, rng.randint(1, 2))),
                                ";".join(rng.sample([o[0] for o in OWNERS], rng.randint(1, 2))),
                                fam))
        for j in range(rng.randint(0, 3) if fam else 0):
            granted = rng.choice([None, _day(rng, filing, date(2026, 1, 1))])
            rows["family_members"].append((fam, f"X{pid}{j}", rng.choice(["US", "WO", "EP", "CN"]),
                                           granted or ""))
        for j in range(rng.choice([0, 0, 1, 2, 3])):
            rows["pledges"].append((f"PL{pid}{j}", pid, _day(rng, filing, date(2026, 1, 1)),
                                    rng.choice(["10000000", "6000000", "5000000", "4000000"])))
        for j in range(rng.choice([0, 0, 0, 1])):
            rows["awards"].append((f"AW{pid}{j}", pid, rng.choice(AWARDS),
                                   rng.randint(2012, 2025)))
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in rows.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
            csv.writer(out, lineterminator="\n").writerows(table)


@pytest.fixture(scope="module")
def edge_store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    folder = tmp_path_factory.mktemp("timeline") / "data"
    write_data(folder, seed=14)
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    return store


@pytest.fixture(scope="module")
def user_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("profile") / "changed.ttl"
    path.write_text(USER_PROFILE.replace("owl:Imports", "owl:Ontology"), encoding="utf-8")
    return path


def _onsets(store: LocalStore, prof: Profile, shape, link) -> dict[str, str]:
    shapes = prof.instantiate(date(2024, 12, 31))
    text = prof.query(shapes, shape, link)
    assert text is not None, f"{shape} has no {link}"
    return {row["this"].value: row["from" if link == HVP.onsetQuery else "until"].value
            for row in store.select(text)}


def _dates(rng: random.Random, found: list[str]) -> list[date]:
    """Edge dates (each date a unit's onset or end, and the day before) and random ones."""
    days = {date.fromisoformat(text) for text in found if text > "1990"}
    edges = sorted(days | {d - timedelta(days=1) for d in days})
    leap = [d for d in edges if (d.month, d.day) in ((2, 28), (2, 29), (3, 1))]
    return sorted(set(rng.sample(edges, min(10, len(edges))) + leap
                      + [_day(rng, date(2005, 1, 1), date(2040, 1, 1)) for _ in range(5)]
                      + [date(2024, 2, 29), date(2024, 12, 31)]))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cnipa-2021", "cnipa-2026-four", "user"])
def test_each_units_onset_equals_its_shape_at_many_dates(edge_store: LocalStore,
                                                         user_profile: Path, name: str) -> None:
    prof = load(user_profile if name == "user" else name)
    patents = {row["p"].value for row in edge_store.select(
        "SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> }")}
    units = [(c.shape, HVP.onsetQuery) for c in prof.criteria] + [(prof.domestic, HVP.onsetQuery)]
    units += [(shape, HVP.endQuery if key in ("lapsed", "term") else HVP.onsetQuery)
              for key, shape in prof.conditions]
    found = {shape: _onsets(edge_store, prof, shape, link) for shape, link in units}
    rng = random.Random(name)
    checked = 0
    for as_of in _dates(rng, [d for f in found.values() for d in f.values()]):
        sets = engines.sparql_sets(edge_store, prof.instantiate(as_of),
                                   [shape for shape, _ in units], patents)
        for shape, link in units:
            dates = found[shape]
            if link == HVP.onsetQuery:
                expected = {p for p, d in dates.items() if d <= as_of.isoformat()}
            else:
                expected = {p for p in patents if p not in dates or as_of.isoformat() < dates[p]}
            assert expected & patents == sets[shape], (shape, as_of)
            checked += 1
    assert checked >= 100


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cnipa-2021", "cnipa-2026-four", "user"])
def test_timeline_equals_the_classification_at_many_dates(edge_store: LocalStore,
                                                          user_profile: Path, name: str) -> None:
    prof = load(user_profile if name == "user" else name)
    rows = edge_store.select(tl.select_text(prof, prof.instantiate(date(2024, 12, 31))))
    assert rows, "the data has high-value patents"
    rng = random.Random(name)
    found = [r["from"].value for r in rows] + [r["until"].value for r in rows if "until" in r]
    for as_of in _dates(rng, found):
        day = as_of.isoformat()
        high = {r["this"].value.rsplit("/", 1)[1]: "domestic" in r for r in rows
                if r["from"].value <= day and ("until" not in r or day < r["until"].value)}
        result = classify(edge_store, as_of, profile=prof, store_graph=False)
        assert high == {r.patent_id: r.domestic for r in result.rows if r.high_value}, as_of


@pytest.mark.parametrize("name", ["cnipa-2021", "cnipa-2026-four", "user"])
def test_the_timeline_in_parts_equals_the_composed_query(edge_store: LocalStore,
                                                         user_profile: Path, name: str) -> None:
    """The entries joined in Python from one query per unit (what an embedded store computes)
    are the rows of the one composed query (what a remote engine and a delta's update run)."""
    prof = load(user_profile if name == "user" else name)
    shapes = prof.instantiate(date(2024, 12, 31))
    composed = {(r["this"].value, r["from"].value, r["until"].value if "until" in r else None,
                 "domestic" in r) for r in edge_store.select(tl.select_text(prof, shapes))}
    seen: list[tuple[int, int | None]] = []
    parts = list(intervals.entries(edge_store, prof, shapes,
                                   lambda label, done, total, rows: seen.append((done, total))))
    assert len(parts) == len(set(parts))
    assert set(parts) == composed
    assert all(e[2] for e in parts)  # every patent's term ends
    assert any(e[3] for e in parts) and not all(e[3] for e in parts)
    count = len(intervals.parts(prof, shapes))
    assert seen == [(done, count) for done in range(count + 1)]  # a bar by queries joined


def test_the_tally_counted_in_passing_equals_the_engines_count(edge_store: LocalStore) -> None:
    prof = load("cnipa-2021")
    store = LocalStore()
    for quad in edge_store.quads(None, None, None, None):
        store.add([quad])
    graph = tl.ensure(store, prof, "cnipa-2021", DEFAULT_BASE)
    kept = year_tally.read(store, graph)
    assert kept and kept == year_tally.full(store, graph)
    assert len(kept) > 2  # the nation and regions


def test_restricted_puts_values_in_every_group_naming_the_patent() -> None:
    text = ('SELECT ?this WHERE { { SELECT DISTINCT ?raw WHERE { $this <p> ?raw } } '
            '{ SELECT ?r WHERE { ?r <q> "}" } } ?this <p> ?raw }')
    out = tl.restricted(text, ["https://w3id.org/hvp/patent/A"])
    assert out.count("VALUES ?this") == 2
    assert '{ SELECT ?r WHERE { ?r <q> "}" } }' in out  # the group without the patent
    # a group whose sub-SELECT alone names the patent gets none (it would multiply its rows)
    nested = ("SELECT ?raw WHERE { { SELECT DISTINCT ?raw WHERE { "
              "{ SELECT DISTINCT ?raw WHERE { $this <p> ?raw } } ?row <q> ?raw } } }")
    assert tl.restricted(nested, ["https://w3id.org/hvp/patent/A"]).count("VALUES") == 1


def test_restricted_query_gives_the_full_querys_rows_for_those_patents(
        edge_store: LocalStore) -> None:
    prof = load("cnipa-2021")
    text = tl.select_text(prof, prof.instantiate(date(2024, 12, 31)))
    full = {r["this"].value: (r["from"].value, r["until"].value if "until" in r else None)
            for r in edge_store.select(text)}
    some = sorted(full)[::3] + ["https://w3id.org/hvp/patent/P999"]
    part = {r["this"].value: (r["from"].value, r["until"].value if "until" in r else None)
            for r in edge_store.select(tl.restricted(text, some))}
    assert part == {p: full[p] for p in some if p in full}


def test_a_criterion_without_onset_query_is_named(tmp_path: Path) -> None:
    keyword = Path(__file__).parent / "data" / "profiles" / "keyword.ttl"
    prof = load(keyword)
    with pytest.raises(InputError, match="keyword.*onsetQuery"):
        tl.select_text(prof, prof.instantiate(date(2024, 12, 31)))


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["cnipa-2021", "cnipa-2026-four"])
def test_indicators_equal_the_per_date_classification_counts(tmp_path: Path,
                                                             profile: str) -> None:
    from kg.demo import generate
    from kg.indicators import compute, core

    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    generate(tmp_path / "demo", patents=3_000, seed=7)
    ingest(store, [tmp_path / "demo"], base=DEFAULT_BASE)
    years = [2020, 2022, 2024]
    result = compute(store, years, profile=profile)
    for year in years:
        counted = core._row_counts(store, date(year, 12, 31), profile, DEFAULT_BASE)
        rows = {r.region: r.high_value_count for r in result.rows if r.year == year}
        assert rows["CN"] == counted["CN"] > 0
        assert {k: v for k, v in rows.items() if v} == {k: v for k, v in counted.items()
                                                        if k in rows and v}
    assert not store.ask(f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "
                         f'"{DEFAULT_BASE}graph/classification/")) }}')


def test_a_profile_without_onset_queries_is_counted_per_date(small_store: LocalStore) -> None:
    from kg.indicators import compute

    keyword = Path(__file__).parent / "data" / "profiles" / "keyword.ttl"
    lines: list[str] = []
    rows = compute(small_store, [2024], profile=str(keyword), keep_classifications=False,
                   steps=lambda label, *_: lines.append(label)).rows
    assert {r.region: r.high_value_count for r in rows}["CN"] >= 3
    assert any("keyword" in line and "each year's end" in line for line in lines)


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_delta(base_folder: Path, out: Path, seed: int) -> None:
    """A random delta of the data of :func:`write_data`: patents lapsed, granted, given other
    owners or another family, new patents, pledges, awards and family members, owners moved
    to another region or country, population changed."""
    rng = random.Random(seed)
    patents = _rows(base_folder, "patents")
    out.mkdir(parents=True)
    changed = []
    for row in rng.sample(patents, 12):
        row = dict(row)
        what = rng.randrange(4)
        if what == 0 and row["grant_date"]:
            row["lapse_date"] = str(_day(rng, date.fromisoformat(row["grant_date"]),
                                         date(2026, 1, 1)))
        elif what == 1:
            row["owners"] = rng.choice([o[0] for o in OWNERS])
        elif what == 2:
            row["family_id"] = f"F{rng.randrange(70)}"
        elif not row["grant_date"]:
            row["grant_date"] = str(date.fromisoformat(row["filing_date"]) + timedelta(days=900))
        changed.append(row)
    for i in range(5):
        row = dict(rng.choice(patents), patent_id=f"N{seed}-{i}")
        changed.append(row)
    with (out / "patents.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(patents[0]))
        writer.writeheader()
        writer.writerows(changed)
    ids = [r["patent_id"] for r in patents]
    tables = {
        "pledges": [("pledge_id", "patent_id", "registration_date", "amount_cny")] + [
            (f"D{seed}PL{j}", rng.choice(ids), _day(rng, date(2015, 1, 1), date(2025, 1, 1)),
             rng.choice(["10000000", "7000000"])) for j in range(4)],
        "awards": [("award_id", "patent_id", "award", "year")] + [
            (f"D{seed}AW{j}", rng.choice(ids), rng.choice(AWARDS), rng.randint(2015, 2025))
            for j in range(3)],
        "family_members": [("family_id", "publication_number", "office", "granted_date")] + [
            (f"F{rng.randrange(70)}", f"D{seed}M{j}", rng.choice(["US", "WO", "JP"]),
             rng.choice(["", str(_day(rng, date(2012, 1, 1), date(2025, 1, 1)))]))
            for j in range(4)] + [
            (f"F{rng.randrange(70)}", m["publication_number"], m["office"],
             rng.choice(["", str(_day(rng, date(2012, 1, 1), date(2025, 1, 1)))]))
            for m in rng.sample(_rows(base_folder, "family_members"), 3)],
        "owners": [("owner_id", "name", "country", "region")] + [
            (o, f"Owner {o}", *rng.choice([("CN", "CN-SH"), ("CN", "CN-HK"), ("US", "US-NY"),
                                            ("CN", "")]))
            for o in rng.sample([o[0] for o in OWNERS], 2)],
        "population": [("region", "year", "population")] + [
            ("CN", 2024, rng.randint(1_400_000_000, 1_410_000_000))]}
    for name, table in tables.items():
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(table)


def _graph_rows(store: LocalStore, graph: str) -> set[tuple]:
    return {(r["p"].value, r["f"].value, r["u"].value if "u" in r else None, r["d"].value)
            for r in store.select(
                f"SELECT ?p ?f ?u ?d WHERE {{ GRAPH <{graph}> {{ ?p <{HVP.highValueFrom}> ?f ; "
                f"<{HVP.domesticFirstOwner}> ?d OPTIONAL {{ ?p <{HVP.highValueUntil}> ?u }} }} }}")}


def _full_rows(store: LocalStore, prof: Profile) -> set[tuple]:
    text = tl.select_text(prof, prof.instantiate(date(2024, 12, 31)))
    return {(r["this"].value, r["from"].value, r["until"].value if "until" in r else None,
             "true" if "domestic" in r else "false") for r in store.select(text)}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_update_equals_a_full_recompute_on_random_deltas(tmp_path: Path,
                                                                     seed: int) -> None:
    from kg.indicators import compute, core

    folder = tmp_path / "data"
    write_data(folder, seed=seed, n=90)
    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    years = [2020, 2022, 2024]
    for profile in ("cnipa-2021", "cnipa-2026-four"):
        compute(store, years, profile=profile)
    for round_ in range(3):
        delta = tmp_path / f"delta{round_}"
        write_delta(folder, delta, seed * 10 + round_)
        ingest(store, [delta], base=DEFAULT_BASE)
        for profile in ("cnipa-2021", "cnipa-2026-four"):
            prof = load(profile)
            graph = tl.graph_iri(DEFAULT_BASE, prof.name)
            assert tl.stale(store, graph), "the ingest marked the patents it changed"
            lines: list[str] = []
            kept = compute(store, years, profile=profile, steps=lambda label, *_, to=lines:
                           to.append(label))
            assert any("patents the data changed" in line for line in lines)
            assert not any("every patent" in line for line in lines), lines
            assert not tl.stale(store, graph)
            assert _graph_rows(store, graph) == _full_rows(store, prof)
            # computed, not read back from the answers kept for the data (kg.answers)
            full = core._compute(store, years, profile=profile, keep_classifications=False)
            assert kept.rows == full.rows and kept.warnings == full.warnings


def test_a_delta_that_cannot_be_traced_leaves_the_timeline_stale(tmp_path: Path) -> None:
    from kg.indicators import compute

    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [Path(__file__).parent / "data" / "small"], base=DEFAULT_BASE)
    compute(store, [2024])
    graph = tl.graph_iri(DEFAULT_BASE, "cnipa-2021")
    rdf = tmp_path / "extra.nt"
    rdf.write_text(f"<{DEFAULT_BASE}patent/CN-T04> <{HVP.lapseDate}> "
                   '"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n')
    labels: list[str] = []
    ingest(store, [rdf], base=DEFAULT_BASE, progress=lambda label, *_: labels.append(label))
    assert any("timelines not brought up to date (RDF files" in label for label in labels)
    assert store.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")  # kept, not deleted
    lines: list[str] = []
    compute(store, [2024], steps=lambda label, *_: lines.append(label))
    assert any("every patent (the data changed since)" in line for line in lines)
    assert _graph_rows(store, graph) == _full_rows(store, load("cnipa-2021"))
