"""Profiles: parameters are data, user profiles work, unsupported SHACL is refused by name."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import reference
from kg.classify import classify
from kg.cli import cli
from kg.errors import CompileError, InputError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.profiles import PROFILES, load, resolve, shipped
from kg.store import LocalStore

CASES = Path(__file__).parent / "cases" / "classify"
SHIPPED = PROFILES / "cnipa-2021.ttl"


def store_for(folder: Path) -> LocalStore:
    store = LocalStore()
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    return store


def variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A user's copy of cnipa-2021 with some text replaced."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "my-profile.ttl"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_profiles() -> None:
    assert shipped() == ["cnipa-2021", "cnipa-2026-four"]
    assert [c.key for c in load().criteria] == ["sei", "overseas", "maintained", "pledge", "award"]
    four = load("cnipa-2026-four")
    assert [c.key for c in four.criteria] == ["sei", "overseas", "maintained", "award"]
    assert "UNCONFIRMED" in four.graph.serialize(format="turtle")


def test_every_rules_parameter_is_a_value_in_the_profile() -> None:
    params = load().parameters
    assert int(params["maintenanceYears"]) == 10
    assert str(params["maintenanceFrom"]).endswith("filingDate")
    assert int(params["termYears"]) == 20
    assert float(params["pledgeThreshold"]) == 10_000_000
    assert params["sumPledges"].toPython() is False
    assert params["pendingOverseasCounts"].toPython() is False
    assert str(params["domesticOffices"]) == "|CN|"
    assert str(params["applicationOffices"]) == "|WO|"
    assert str(params["excludedRegions"]) == "|CN-HK|CN-MO|CN-TW|"
    assert str(params["excludedCountries"]) == "|HK|MO|TW|"
    assert str(params["countedAwards"]).count("|") == 5
    assert str(params["leapDayAnniversary"]) == "march-1"


def test_instantiation_substitutes_every_parameter() -> None:
    shapes = load().instantiate(date(2024, 12, 31))
    text = shapes.serialize(format="turtle")
    assert "$asOf" not in text and "$pledgeThreshold" not in text
    assert '"2024-12-31"^^' in text


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_user_profile_changes_parameters(tmp_path: Path, engine: str) -> None:
    path = variant(tmp_path, ("hvp:sumPledges false", "hvp:sumPledges true"),
                   ("hvp:maintenanceYears 10", "hvp:maintenanceYears 1"))
    store = store_for(CASES / "pledges" / "input")
    rows = {r.patent_id: r.criteria for r in
            classify(store, date(2024, 12, 31), profile=path, engine=engine).rows}
    assert rows["P3"] == ("maintained", "pledge")  # 6M + 5M summed; filed 2020, > 1 year
    assert rows["P2"] == ("maintained",)


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_threshold_awards_offices_and_regions_are_parameters(tmp_path: Path, engine: str
                                                             ) -> None:
    """Every parameter changes what it names, in both engines."""
    def rows(case: str, as_of: date, *changes: tuple[str, str]) -> dict[str, object]:
        (tmp_path / case).mkdir()
        path = variant(tmp_path / case, *changes)
        return {r.patent_id: r for r in classify(store_for(CASES / case / "input"), as_of,
                                                 profile=path, engine=engine).rows}

    pledges = rows("pledges", date(2024, 12, 31),
                   ("hvp:pledgeThreshold 10000000.0", "hvp:pledgeThreshold 9999999.99"))
    assert "pledge" in pledges["P2"].criteria  # 9,999,999.99 now reaches the threshold
    awards = rows("awards", date(2024, 12, 31),
                  ("awardkind:china-patent-gold", "awardkind:china-design-gold"))
    assert "award" not in awards["A1"].criteria and "award" in awards["A3"].criteria
    offices = rows("overseas-members", date(2024, 6, 30),
                   ('hvp:domesticOffices ( "CN" )', 'hvp:domesticOffices ( "CN" "EP" )'))
    assert "overseas" not in offices["O6"].criteria and "overseas" in offices["O4"].criteria
    regions = rows("owners-first-decides", date(2024, 12, 31),
                   ('hvp:excludedRegions ( "CN-HK" "CN-MO" "CN-TW" )',
                    'hvp:excludedRegions ( "CN-HK" "CN-MO" "CN-TW" "CN-BJ" )'))
    assert not regions["W9"].domestic and regions["W2"].domestic


def test_pending_members_and_grant_date_maintenance(tmp_path: Path) -> None:
    path = variant(tmp_path, ("hvp:pendingOverseasCounts false", "hvp:pendingOverseasCounts true"),
                   ("hvp:maintenanceFrom patent:filingDate", "hvp:maintenanceFrom hvp:grantDate"),
                   ("hvp:maintenanceYears 10", "hvp:maintenanceYears 4"))
    store = store_for(CASES / "overseas-members" / "input")
    rows = {r.patent_id: r.criteria for r in
            classify(store, date(2024, 6, 30), profile=path).rows}
    assert rows["O2"] == ("overseas", "maintained")  # pending US member; granted 2020-01-01
    assert rows["O1"] == ("maintained",)  # a WO publication never counts


LEAP_CASE = CASES / "leap-as-of-2024-02-29" / "input"
LEAP_LINE = 'hvp:leapDayAnniversary "march-1"'


def leap_store(tmp_path: Path) -> LocalStore:
    """The 29 February case, plus a patent filed 2080-02-29 (its 20 years end in 2100, a year
    without 29 February) and one filed 2016-02-28 (8 years before 2024-02-29, a leap year)."""
    folder = tmp_path / "leap"
    shutil.copytree(LEAP_CASE, folder)
    with (folder / "patents.csv").open("a", encoding="utf-8") as f:
        f.write("T1,invention,Term from a leap day,2080-02-29,2082-01-01,,F16H1/00,OCN,\n"
                "E1,invention,Eight years,2016-02-28,2017-01-01,,F16H1/00,OCN,\n")
    return store_for(folder)


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_leap_day_anniversary_is_a_parameter(tmp_path: Path, engine: str) -> None:
    """docs/rules.md is silent on "N years before or after a 29 February" in a year without one:
    the default is 1 March, a profile can say 28 February."""
    store = leap_store(tmp_path)
    feb28 = variant(tmp_path, (LEAP_LINE, 'hvp:leapDayAnniversary "february-28"'))
    eight = tmp_path / "eight.ttl"
    eight.write_text(feb28.read_text(encoding="utf-8").replace(
        "hvp:maintenanceYears 10", "hvp:maintenanceYears 8"), encoding="utf-8")

    def rows(profile: str | Path, as_of: date) -> dict[str, tuple[bool, tuple[str, ...]]]:
        return {r.patent_id: (r.valid, r.criteria)
                for r in classify(store, as_of, profile=profile, engine=engine).rows}

    default, changed = rows("cnipa-2021", date(2024, 2, 29)), rows(feb28, date(2024, 2, 29))
    # 2024-02-29 minus 10 years: 2014-03-01 by default, 2014-02-28 in the variant
    assert default["D3"] == (True, ("maintained",)) and changed["D3"] == (True, ())
    assert default["D4"] == changed["D4"] == (True, ())
    assert default["D2"] == changed["D2"] == (True, ("maintained",))
    # minus 8 years is 2016-02-29, which exists: the parameter changes nothing
    assert rows(eight, date(2024, 2, 29))["E1"] == (True, ("maintained",))
    # 2080-02-29 plus 20 years: the term ends on 2100-03-01 by default, on 2100-02-28 else
    assert rows("cnipa-2021", date(2100, 2, 28))["T1"][0] is True
    assert rows(feb28, date(2100, 2, 28))["T1"][0] is False
    assert rows(feb28, date(2100, 2, 27))["T1"][0] is True


def test_leap_day_parameter_defaults_and_is_checked(tmp_path: Path) -> None:
    older = variant(tmp_path, (f"    {LEAP_LINE} ;\n", ""))  # a copy from before the parameter
    assert str(load(older).parameters["leapDayAnniversary"]) == "march-1"
    (tmp_path / "other").mkdir()
    wrong = variant(tmp_path / "other", (LEAP_LINE, 'hvp:leapDayAnniversary "feb-28"'))
    with pytest.raises(InputError, match="'march-1', 'february-28'"):
        load(wrong)


def test_profile_by_file_on_the_cli(tmp_path: Path) -> None:
    path = variant(tmp_path, ("hvp:maintenanceYears 10", "hvp:maintenanceYears 30"))
    store = str(tmp_path / "store")
    runner = CliRunner()
    runner.invoke(cli, ["--store", store, "ingest", "-q", str(CASES / "owners-first-decides"
                                                                / "input")])
    out = runner.invoke(cli, ["--store", store, "classify", "--as-of", "2024-12-31",
                              "--profile", str(path)])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[1] == "W1,true,false,,false,"


def test_unsupported_shacl_is_a_compile_error_naming_shape_and_feature(tmp_path: Path) -> None:
    path = tmp_path / "closed.ttl"  # a profile deriving from cnipa-2021 that closes a shape
    path.write_text("""@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://example.org/closed> a hvp:Profile ;
    owl:imports <https://w3id.org/hvp/profile/cnipa-2021> .
<https://w3id.org/hvp/criterion/sei#SEIShape> sh:closed true .
""", encoding="utf-8")
    store = store_for(CASES / "awards" / "input")
    with pytest.raises(CompileError) as info:
        classify(store, date(2024, 12, 31), profile=path)
    assert "sh:closed" in str(info.value) and "SEIShape" in str(info.value)


def test_bad_profiles_name_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="shipped profiles: cnipa-2021, cnipa-2026-four"):
        resolve("cnipa-1999")
    with pytest.raises(InputError, match="does not exist"):
        resolve(tmp_path / "missing.ttl")
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle")
    with pytest.raises(InputError, match="not valid Turtle"):
        load(broken)
    empty = tmp_path / "empty.ttl"
    empty.write_text("@prefix hvp: <https://w3id.org/hvp/def#> .\n")
    with pytest.raises(InputError, match="one hvp:Profile"):
        load(empty)


def test_instantiated_shapes_are_kept_per_date_and_equal_a_fresh_instantiation():
    """What a patent page reads (kg.explain): the shapes at a date made once, the latest
    KEPT_INSTANCES dates kept."""
    from rdflib.compare import isomorphic

    from kg.profiles import KEPT_INSTANCES

    profile = load("cnipa-2021")
    day = date(2024, 12, 31)
    first = profile.instantiated(day)
    assert profile.instantiated(day) is first
    assert isomorphic(first, profile.instantiate(day))
    for offset in range(1, KEPT_INSTANCES + 1):
        profile.instantiated(date(2000 + offset, 6, 30))
    assert profile.instantiated(day) is not first  # the oldest went first
