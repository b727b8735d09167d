"""Differential test: for random profile parameters and random dates, each criterion's
explanation agrees with the classification and with a plain Python reading of the rule —
met or not, and the figures it quotes (the date the years count from and the years held, the
pledge amounts and the threshold, the family member, the award, the end of the term)."""

from __future__ import annotations

import calendar
import csv
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kg import reference
from kg.classify import classify
from kg.explain import explain
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.test_explain import figures, texts

KINDS = ("china-patent-gold", "china-patent-silver", "china-patent-excellence",
         "state-science-technology", "china-design-gold")
#: The English labels of the award kinds (ontology/awards.ttl), which the reasons name.
AWARD_LABELS = {"China Patent Gold Award": "china-patent-gold",
                "China Patent Silver Award": "china-patent-silver",
                "China Patent Excellence Award": "china-patent-excellence",
                "State Science and Technology Award": "state-science-technology",
                "China Design Gold Award": "china-design-gold"}
OFFICES = ("CN", "US", "EP", "JP", "WO")
LEAP_DAYS = (date(2008, 2, 29), date(2012, 2, 29), date(2004, 2, 29), date(2000, 2, 29))


def _day(rng: random.Random, start: int, end: int) -> date:
    if rng.random() < 0.2:
        return rng.choice(LEAP_DAYS + (date(2014, 2, 28), date(2013, 3, 1)))
    return date(start, 1, 1) + timedelta(days=rng.randrange((end - start) * 365))


def _write(folder: Path, name: str, header: str, rows: list[tuple]) -> None:
    with (folder / name).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header.split(","))
        writer.writerows(rows)


def _data(rng: random.Random, folder: Path) -> dict[str, dict]:
    folder.mkdir()
    patents: dict[str, dict] = {}
    for i in range(14):
        filing = _day(rng, 1998, 2022)
        grant = filing + timedelta(days=rng.randrange(200, 2500)) if rng.random() < 0.85 \
            else None
        lapse = grant + timedelta(days=rng.randrange(100, 6000)) if grant and \
            rng.random() < 0.2 else None
        members = [(f"M{i}{j}", rng.choice(OFFICES), filing + timedelta(
            days=rng.randrange(100, 4000)) if rng.random() < 0.6 else None)
            for j in range(rng.randrange(3))]
        pledges = [(f"PL{i}{j}", filing + timedelta(days=rng.randrange(100, 5000)),
                    Decimal(rng.choice(("500000", "1000000", "2500000.5", "4000000"))))
                   for j in range(rng.randrange(3))]
        awards = [(f"AW{i}{j}", rng.choice(KINDS), rng.randrange(2005, 2026))
                  for j in range(rng.randrange(2))]
        patents[f"P{i:02d}"] = {"filing": filing, "grant": grant, "lapse": lapse,
                                "members": members, "pledges": pledges, "awards": awards}
    _write(folder, "owners.csv", "owner_id,name,country,region", [("O1", "Co.", "CN", "CN-GD")])
    _write(folder, "patents.csv", "patent_id,kind,title,filing_date,grant_date,lapse_date,ipc,"
           "owners,family_id", [(pid, "invention", pid, p["filing"], p["grant"] or "",
                                 p["lapse"] or "", "F16H1/00", "O1", f"F{pid}")
                                for pid, p in patents.items()])
    _write(folder, "family_members.csv", "family_id,publication_number,office,granted_date",
           [(f"F{pid}", number, office, granted or "") for pid, p in patents.items()
            for number, office, granted in p["members"]])
    _write(folder, "pledges.csv", "pledge_id,patent_id,registration_date,amount_cny",
           [(pledge, pid, registered, amount) for pid, p in patents.items()
            for pledge, registered, amount in p["pledges"]])
    _write(folder, "awards.csv", "award_id,patent_id,award,year",
           [(award, pid, kind, year) for pid, p in patents.items()
            for award, kind, year in p["awards"]])
    return patents


def _params(rng: random.Random) -> dict:
    return {"maintenanceYears": rng.randrange(1, 13),
            "maintenanceFrom": rng.choice(("filing", "grant")),
            "leapDayAnniversary": rng.choice(("march-1", "february-28")),
            "termYears": rng.choice((8, 12, 20)),
            "pledgeThreshold": Decimal(rng.choice(("1000000", "2500000.5", "5000000"))),
            "sumPledges": rng.random() < 0.5,
            "pendingOverseasCounts": rng.random() < 0.5,
            "domesticOffices": rng.choice((("CN",), ("CN", "EP"))),
            "countedAwards": tuple(rng.sample(KINDS, rng.randrange(1, 4)))}


def _profile(path: Path, p: dict) -> Path:
    start = "patent:filingDate" if p["maintenanceFrom"] == "filing" else "hvp:grantDate"
    offices = " ".join(f'"{o}"' for o in p["domesticOffices"])
    awards = " ".join(f"awardkind:{k}" for k in p["countedAwards"])
    path.write_text(f"""@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix patent: <http://data.epo.org/linked-data/def/patent/> .
@prefix awardkind: <https://w3id.org/hvp/award-kind/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://example.org/random> a hvp:Profile ;
    owl:imports <https://w3id.org/hvp/profile/cnipa-2021> ;
    hvp:maintenanceYears {p["maintenanceYears"]} ; hvp:maintenanceFrom {start} ;
    hvp:leapDayAnniversary "{p["leapDayAnniversary"]}" ; hvp:termYears {p["termYears"]} ;
    hvp:pledgeThreshold {p["pledgeThreshold"]} ; hvp:sumPledges {str(p["sumPledges"]).lower()} ;
    hvp:pendingOverseasCounts {str(p["pendingOverseasCounts"]).lower()} ;
    hvp:domesticOffices ( {offices} ) ; hvp:countedAwards ( {awards} ) .
""", encoding="utf-8")
    return path


def _day_in(d: date, year: int, rule: str) -> int:
    """The day of d's anniversary in ``year`` (the tuple rule; 28 under "february-28")."""
    if rule == "february-28" and (d.month, d.day) == (2, 29) and not calendar.isleap(year):
        return 28
    return d.day


def held_more_than(start: date, years: int, as_of: date, rule: str) -> bool:
    return (start.year + years, start.month, start.day) < \
        (as_of.year, as_of.month, _day_in(as_of, as_of.year - years, rule))


def full_years(start: date, as_of: date) -> int:
    return as_of.year - start.year - ((as_of.month, as_of.day) < (start.month, start.day))


def term_ended(filing: date, years: int, as_of: date, rule: str) -> bool:
    return (as_of.year, as_of.month, as_of.day) >= \
        (filing.year + years, filing.month, _day_in(filing, filing.year + years, rule))


def cny(value: Decimal) -> str:
    return f"{value:,.0f} CNY" if value == value.to_integral_value() else f"{value:,.2f} CNY"


def _check_patent(p: dict, params: dict, as_of: date, row, e) -> None:
    valid = bool(p["grant"] and p["grant"] <= as_of) and not (p["lapse"] and p["lapse"] <= as_of) \
        and not term_ended(p["filing"], params["termYears"], as_of, params["leapDayAnniversary"])
    assert row.valid == e.valid == valid
    end = f"{p['filing'].year + params['termYears']:04d}{p['filing'].isoformat()[4:]}"
    term = term_ended(p["filing"], params["termYears"], as_of, params["leapDayAnniversary"])
    assert (f"term ended on {end}" in e.validity) == term
    checks = {c.key: c for c in e.criteria}
    assert {k for k, c in checks.items() if c.met} == set(row.criteria)
    if not valid:
        assert not row.criteria
        return
    _check_maintained(p, params, as_of, checks["maintained"])
    _check_pledge(p, params, as_of, checks["pledge"])
    _check_overseas(p, params, as_of, checks["overseas"])
    _check_award(p, params, as_of, checks["award"])


def _check_maintained(p: dict, params: dict, as_of: date, check) -> None:
    start, years = p[params["maintenanceFrom"]], params["maintenanceYears"]
    label = "filed" if params["maintenanceFrom"] == "filing" else "granted"
    assert check.met == held_more_than(start, years, as_of, params["leapDayAnniversary"])
    held = full_years(start, as_of)
    if check.met:
        assert check.reasons == [f"{label} {start}: more than {years} years before {as_of}"]
        assert held >= years
    else:
        assert f"{label} {start}: {held} full years at {as_of} (more than {years} needed)" \
            in check.reasons
        assert held <= years


def _check_pledge(p: dict, params: dict, as_of: date, check) -> None:
    counted = [(pid, amount) for pid, registered, amount in p["pledges"] if registered <= as_of]
    amounts = [a for _, a in counted]
    value = (sum(amounts) if params["sumPledges"] else max(amounts)) if amounts else None
    threshold = params["pledgeThreshold"]
    assert check.met == (value is not None and value >= threshold)
    if check.met:
        reason, = check.reasons
        assert reason.endswith(f"(threshold {cny(threshold)})")
        if params["sumPledges"]:
            assert f"total {cny(value)}" in reason
        else:
            assert f"of {cny(value)} registered" in reason


def _check_overseas(p: dict, params: dict, as_of: date, check) -> None:
    counted = {number: granted for number, office, granted in p["members"]
               if office not in params["domesticOffices"] and office != "WO"
               and ((granted and granted <= as_of) or params["pendingOverseasCounts"])}
    assert check.met == bool(counted)
    if check.met:
        reason, = check.reasons
        number = reason.split()[2]
        assert number in counted
        granted = counted[number]
        if granted and granted <= as_of:
            assert reason.endswith(f"granted {granted}")
        else:
            assert "pending" in reason and params["pendingOverseasCounts"]


def _check_award(p: dict, params: dict, as_of: date, check) -> None:
    counted = {(kind, year) for _, kind, year in p["awards"]
               if kind in params["countedAwards"] and year <= as_of.year}
    assert check.met == bool(counted)
    if check.met:
        reason, = check.reasons  # "award China Patent Gold Award in 2011": kinds by label
        label, _, year = reason.removeprefix("award ").rpartition(" in ")
        assert (AWARD_LABELS[label], int(year)) in counted


@pytest.mark.parametrize("seed", range(8))
def test_explanations_agree_with_the_classification(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    patents = _data(rng, tmp_path / "data")
    params = _params(rng)
    profile = _profile(tmp_path / "random.ttl", params)
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [tmp_path / "data"], base=DEFAULT_BASE)
    for as_of in (_day(rng, 2008, 2030), rng.choice((date(2024, 2, 29), date(2023, 2, 28),
                                                      date(2024, 3, 1)))):
        rows = {r.patent_id: r for r in classify(store, as_of, profile=profile).rows}
        for pid, p in patents.items():
            english = explain(store, pid, as_of, profile)
            _check_patent(p, params, as_of, rows[pid], english)
            _same_facts(english, explain(store, pid, as_of, profile, lang="zh"))


def _same_facts(english, chinese) -> None:
    """The Chinese explanation says what the English one says: the same verdicts, facts and
    number of texts, each quoting the same figures."""
    assert (english.valid, english.domestic, english.high_value, len(english.validity)) == \
        (chinese.valid, chinese.domestic, chinese.high_value, len(chinese.validity))
    assert [(c.key, c.met, c.facts, len(c.reasons)) for c in english.criteria] == \
        [(c.key, c.met, c.facts, len(c.reasons)) for c in chinese.criteria]
    for en, zh in zip(texts(english), texts(chinese), strict=True):
        assert figures(en) == figures(zh), (en, zh)
