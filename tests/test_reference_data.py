"""Checks of the built-in reference data: ontology, SKOS schemes, regions, population,
concordance and the data-quality shapes."""

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, XSD

from kg import official

ROOT = Path(__file__).parents[1]
REFERENCE = ROOT / "kg/data/reference"
RULES = ROOT / "docs/rules.md"
HVP = Namespace("https://w3id.org/hvp/def#")
PATENT = Namespace("http://data.epo.org/linked-data/def/patent/")
BASE = "https://w3id.org/hvp/"
SEI_SCHEME = URIRef(BASE + "sei/")
TURTLE_FILES = sorted(
    [*ROOT.glob("ontology/*.ttl"), *ROOT.glob("shapes/data/*.ttl")], key=str
)


def load(relative: str) -> Graph:
    return Graph().parse(ROOT / relative, format="turtle")


def read_csv(relative: str) -> list[dict[str, str]]:
    with open(ROOT / relative, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def languages(graph: Graph, subject: URIRef, predicate: URIRef) -> set[str]:
    return {o.language for o in graph.objects(subject, predicate) if isinstance(o, Literal)}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load("ontology/hvp.ttl")


@pytest.fixture(scope="module")
def sei() -> Graph:
    return load("ontology/sei.ttl")


@pytest.fixture(scope="module")
def regions() -> Graph:
    return load("ontology/regions.ttl")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load("shapes/data/quality.ttl")


# --- every Turtle file parses -----------------------------------------------------------------


@pytest.mark.parametrize("path", TURTLE_FILES, ids=lambda p: p.name)
def test_turtle_parses(path: Path) -> None:
    assert len(Graph().parse(path, format="turtle")) > 0


# --- ontology ---------------------------------------------------------------------------------


def declared_terms(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects(RDFS.label, None) if str(s).startswith(str(HVP))}


def test_ontology_header(ontology: Graph) -> None:
    onto = URIRef("https://w3id.org/hvp/def")
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(onto, OWL.versionInfo) is not None
    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert (onto, DCTERMS.license, licence) in ontology


def test_every_model_term_is_declared(ontology: Graph) -> None:
    model = (ROOT / "docs/model.md").read_text(encoding="utf-8")
    used = {HVP[name] for name in re.findall(r"\bhvp:([A-Za-z][A-Za-z0-9_]*)", model)}
    assert used, "docs/model.md names no hvp: terms"
    missing = sorted(str(t) for t in used - declared_terms(ontology))
    assert not missing


def test_every_term_has_bilingual_label_and_comment(ontology: Graph) -> None:
    subjects = {
        s for s in ontology.subjects() if isinstance(s, URIRef) and str(s).startswith(str(HVP))
    }
    assert len(subjects) > 40
    for term in subjects:
        assert {"en", "zh"} <= languages(ontology, term, RDFS.label), term
        assert {"en", "zh"} <= languages(ontology, term, RDFS.comment), term


def test_terms_are_typed_and_reuse_links(ontology: Graph) -> None:
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}
    for term in declared_terms(ontology):
        assert set(ontology.objects(term, RDF.type)) & kinds, term
    assert (HVP.Patent, RDFS.subClassOf, PATENT.Application) in ontology
    assert (HVP.Family, RDFS.subClassOf, PATENT.SimpleFamily) in ontology
    assert (HVP.FamilyMember, RDFS.subClassOf, PATENT.Publication) in ontology
    assert (HVP.Owner, RDFS.subClassOf, FOAF.Agent) in ontology


def test_five_criteria(ontology: Graph) -> None:
    criteria = ontology.subjects(RDF.type, HVP.Criterion)
    notations = {str(ontology.value(c, SKOS.notation)) for c in criteria}
    assert notations == {"sei", "overseas", "maintained", "pledge", "award"}


# --- SEI scheme -------------------------------------------------------------------------------


def test_sei_top_and_second_level(sei: Graph) -> None:
    tops = set(sei.subjects(SKOS.topConceptOf, SEI_SCHEME))
    assert {str(sei.value(t, SKOS.notation)) for t in tops} == {str(i) for i in range(1, 10)}
    second = [c for c in sei.subjects(RDF.type, SKOS.Concept) if c not in tops]
    assert len(second) == 40
    for concept in [*tops, *second]:
        code = str(sei.value(concept, SKOS.notation))
        assert concept == URIRef(BASE + "sei/" + code)
        assert {"en", "zh"} <= languages(sei, concept, SKOS.prefLabel), concept
    for concept in second:
        broader = sei.value(concept, SKOS.broader)
        code = str(sei.value(concept, SKOS.notation))
        assert broader == URIRef(BASE + "sei/" + code.split(".")[0])
        assert (broader, SKOS.narrower, concept) in sei


def test_award_kinds() -> None:
    awards = load("ontology/awards.ttl")
    scheme = URIRef(BASE + "award-kind/")
    codes = {str(c).removeprefix(str(scheme)) for c in awards.subjects(SKOS.inScheme, scheme)}
    assert codes == {
        "china-patent-gold", "china-patent-silver", "china-patent-excellence",
        "state-science-technology", "china-design-gold", "china-design-silver",
        "china-design-excellence",
    }
    for code in codes:
        assert {"en", "zh"} <= languages(awards, scheme + code, SKOS.prefLabel)


# --- regions ----------------------------------------------------------------------------------


def test_regions_match_reference(regions: Graph) -> None:
    with open(REFERENCE / "cn-provinces.csv", encoding="utf-8", newline="") as f:
        provinces = list(csv.DictReader(f))
    assert len(provinces) == 31
    expected = {row["iso_3166_2"]: row["wikidata_qid"] for row in provinces}
    expected |= {"CN": "Q148", "CN-HK": "Q8646", "CN-MO": "Q14773", "CN-TW": "Q865"}
    found = {
        str(regions.value(r, SKOS.notation)): r for r in regions.subjects(RDF.type, HVP.Region)
    }
    assert set(found) == set(expected)
    for code, qid in expected.items():
        region = found[code]
        assert region == URIRef(BASE + "region/" + code)
        wikidata = {str(o) for o in regions.objects(region, OWL.sameAs) if "wikidata" in str(o)}
        assert wikidata == {"http://www.wikidata.org/entity/" + qid}
        assert {"en", "zh"} <= languages(regions, region, RDFS.label)
        assert str(regions.value(region, HVP.country)) == "CN"
    for row in provinces:
        region = found[row["iso_3166_2"]]
        geonames = URIRef(f"https://sws.geonames.org/{row['geonames_id']}/")
        assert (region, OWL.sameAs, geonames) in regions
        assert regions.value(region, SKOS.broader) == found["CN"]


def test_regions_conform_to_quality_shapes(regions: Graph, shapes: Graph) -> None:
    conforms, _, text = validate(regions, shacl_graph=shapes)
    assert conforms, text


# --- population -------------------------------------------------------------------------------


def test_population_format_and_totals() -> None:
    rows = read_csv("kg/data/population.csv")
    assert list(rows[0]) == ["region", "year", "population", "source"]
    national: dict[int, int] = {}
    provinces: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        assert row["source"].strip()
        year, population = int(row["year"]), int(row["population"])
        if row["region"] == "CN":
            national[year] = population
        else:
            assert re.fullmatch(r"CN-[A-Z]{2}", row["region"])
            provinces[year] += population
            counts[year] += 1
    assert sorted(national) == list(range(2020, 2026))
    assert national[2022] == 1_411_750_000
    assert sorted(provinces) == list(range(2020, 2025))
    for year, total in provinces.items():
        assert counts[year] == 31
        assert 0 < national[year] - total <= 3_000_000, year


# --- concordance ------------------------------------------------------------------------------


def test_official_national_figures_are_those_of_rules_md() -> None:
    """docs/rules.md §1's official values and counts (kg.official) and year-end populations
    (population.csv)."""
    text = " ".join(RULES.read_text(encoding="utf-8").split())
    values = text.split("Official national values")[1].split("Counts:")[0]
    published = {int(y): float(v) for y, v in re.findall(r"(20\d\d) (\d+(?:\.\d+)?)\b", values)}
    assert published == official.per_10k() and set(published) == set(range(2020, 2026))
    counts = text.split("Counts: ")[1].split("high-value patents")[0]
    listed = {int(y): int(n.replace(",", ""))
              for y, n in re.findall(r"(20\d\d) (\d[\d,]*\d)", counts)}
    assert set(listed) == {2022, 2023, 2024, 2025}
    for year, count in listed.items():
        assert official.series()[year].high_value_count == count, year
    listed = "2022 " + text.split("population 2022 ")[1].split(". ")[0]
    populations = {int(y): int(n.replace(",", ""))
                   for y, n in re.findall(r"(20\d\d) (\d[\d,]*\d)", listed)}
    assert set(populations) == {2022, 2023, 2024, 2025}
    national = {int(r["year"]): int(r["population"])
                for r in read_csv("kg/data/population.csv") if r["region"] == "CN"}
    for year, count in populations.items():
        assert national[year] == count == official.national_population()[year], year


def test_official_counts_reproduce_the_published_values() -> None:
    """Each published value is the count over the NBS population, at the published precision
    (14 for 14.05 in 2024, 16 for 16.31 in 2025, 9.4 for 9.378 in 2022)."""
    for year, row in official.series().items():
        digits = len(repr(row.per_10k).partition(".")[2].rstrip("0"))
        computed = row.high_value_count / row.population * 10_000
        assert round(computed, digits) == row.per_10k, (year, computed)
        assert row.valid_invention_count > row.high_value_count
        assert "official-indicator.md" in row.source, year


def test_official_population_is_population_csv() -> None:
    rows = {(r["region"], int(r["year"])): int(r["population"])
            for r in read_csv("kg/data/population.csv")}
    assert official.population() == rows and len(rows) == 31 * 5 + 6
    assert official.national_population() == {y: n for (r, y), n in rows.items() if r == "CN"}


def test_population_matches_the_provinces_table() -> None:
    """population.csv's province rows are the 万人 figures of kg/data/reference/cn-provinces.csv."""
    with open(REFERENCE / "cn-provinces.csv", encoding="utf-8", newline="") as f:
        table = {(r["iso_3166_2"], year): int(r[f"pop_{year}"]) * 10_000
                 for r in csv.DictReader(f) for year in range(2020, 2025)}
    rows = {(r["region"], int(r["year"])): int(r["population"])
            for r in read_csv("kg/data/population.csv") if r["region"] != "CN"}
    assert rows == table


def test_concordance_codes_exist(sei: Graph) -> None:
    rows = read_csv("kg/data/sei_concordance.csv")
    assert list(rows[0]) == ["ipc", "sei_code", "exclude", "source", "note"]
    codes = {str(o) for o in sei.objects(None, SKOS.notation)}
    pattern = re.compile(r"^([A-HY][0-9]{2}[A-Z]([0-9]{1,4}(/[0-9]{1,6})?)?|[A-HY][0-9A-Z/]*\*)$")
    for row in rows:
        assert row["sei_code"] in codes, row
        assert pattern.match(row["ipc"]), row
        for excluded in filter(None, row["exclude"].split(";")):
            assert pattern.match(excluded), row
        assert row["source"].startswith(("quoted:", "project assumption")), row
    assert {row["sei_code"].split(".")[0] for row in rows} == {str(i) for i in range(1, 10)}
    pairs = {(row["ipc"], row["sei_code"]) for row in rows}
    assert len(pairs) == len(rows)
    required = {
        ("G06N3/*", "1.5"), ("G06N5/*", "1.5"), ("G06F40*", "1.5"), ("H04L*", "1.1"),
        ("H04W*", "1.1"), ("H01L*", "1.2"), ("G06F9/50", "1.4"), ("B29C64/*", "2.1"),
        ("B64D*", "2.2"), ("A61K*", "4.1"), ("C12N*", "4.1"), ("B60L*", "5.2"),
        ("H01M*", "5.2"), ("F03D*", "6.2"), ("H02S*", "6.3"), ("B01D53/*", "7.2"),
    }
    assert required <= pairs
    assert any(r["ipc"] == "A61K*" and r["exclude"] == "A61K8/*" for r in rows)


# --- data-quality shapes ----------------------------------------------------------------------


def example_graph() -> tuple[Graph, dict[str, URIRef]]:
    """A small graph that follows docs/model.md."""
    g = Graph()
    n = {name: URIRef(BASE + name) for name in (
        "patent/CN-T01", "owner/O1", "owner/O2", "family/F1", "publication/US123B2",
        "pledge/PL1", "award/A1", "population/CN-GD/2024", "concordance/1.5/G06N3_-any",
    )}
    patent, o1, o2 = n["patent/CN-T01"], n["owner/O1"], n["owner/O2"]
    g.add((patent, RDF.type, HVP.Patent))
    g.add((patent, RDF.type, HVP.InventionPatent))
    g.add((patent, DCTERMS.identifier, Literal("CN-T01")))
    g.add((patent, DCTERMS.title, Literal("Neural network accelerator")))
    g.add((patent, PATENT.filingDate, Literal("2012-03-01", datatype=XSD.date)))
    g.add((patent, HVP.grantDate, Literal("2015-06-10", datatype=XSD.date)))
    g.add((patent, HVP.ipcCode, Literal("G06N3/063")))
    g.add((patent, HVP.ipcCode, Literal("G06F9")))
    for owner, oid, name in ((o1, "O1", "Example Co."), (o2, "O2", "Other Co.")):
        g.add((patent, HVP.owner, owner))
        g.add((owner, RDF.type, HVP.Owner))
        g.add((owner, DCTERMS.identifier, Literal(oid)))
        g.add((owner, FOAF.name, Literal(name)))
        g.add((owner, HVP.country, Literal("CN")))
    g.add((o1, HVP.region, URIRef(BASE + "region/CN-GD")))
    g.add((patent, HVP.firstOwner, o1))
    family, member = n["family/F1"], n["publication/US123B2"]
    g.add((patent, HVP.family, family))
    g.add((family, RDF.type, HVP.Family))
    g.add((family, DCTERMS.identifier, Literal("F1")))
    g.add((family, HVP.member, member))
    g.add((member, RDF.type, HVP.FamilyMember))
    g.add((member, PATENT.publicationNumber, Literal("US123B2")))
    g.add((member, HVP.office, Literal("US")))
    g.add((member, HVP.grantDate, Literal("2016-01-05", datatype=XSD.date)))
    pledge = n["pledge/PL1"]
    g.add((patent, HVP.pledge, pledge))
    g.add((pledge, RDF.type, HVP.Pledge))
    g.add((pledge, DCTERMS.identifier, Literal("PL1")))
    g.add((pledge, HVP.registrationDate, Literal("2020-05-01", datatype=XSD.date)))
    g.add((pledge, HVP.amountCNY, Literal("12000000", datatype=XSD.decimal)))
    award = n["award/A1"]
    g.add((patent, HVP.award, award))
    g.add((award, RDF.type, HVP.Award))
    g.add((award, DCTERMS.identifier, Literal("A1")))
    g.add((award, HVP.awardKind, URIRef(BASE + "award-kind/china-patent-gold")))
    g.add((award, HVP.year, Literal(2019)))
    obs = n["population/CN-GD/2024"]
    g.add((obs, RDF.type, HVP.PopulationObservation))
    g.add((obs, HVP.region, URIRef(BASE + "region/CN-GD")))
    g.add((obs, HVP.year, Literal(2024)))
    g.add((obs, HVP.population, Literal(127_800_000)))
    g.add((obs, DCTERMS.source, Literal("NBS")))
    row = n["concordance/1.5/G06N3_-any"]
    g.add((row, RDF.type, HVP.ConcordanceRow))
    g.add((row, HVP.ipcPattern, Literal("G06N3/*")))
    g.add((row, HVP.seiCategory, URIRef(BASE + "sei/1.5")))
    g.add((row, HVP.excludePattern, Literal("G06N3/12")))
    return g, n


def violations(data: Graph, shapes: Graph) -> set[URIRef]:
    conforms, report, _ = validate(data, shacl_graph=shapes)
    SH = Namespace("http://www.w3.org/ns/shacl#")
    paths = {report.value(r, SH.resultPath) for r in report.subjects(RDF.type, SH.ValidationResult)}
    assert conforms == (not paths)
    return paths


def test_valid_example_conforms(shapes: Graph) -> None:
    data, _ = example_graph()
    assert violations(data, shapes) == set()


def test_valid_example_with_ontology_conforms(shapes: Graph, ontology: Graph) -> None:
    data, _ = example_graph()
    assert violations(data + ontology, shapes) == set()


def _bad_ipc(g: Graph, n: dict[str, URIRef]) -> None:
    g.add((n["patent/CN-T01"], HVP.ipcCode, Literal("g06n 3/063")))


def _no_first_owner(g: Graph, n: dict[str, URIRef]) -> None:
    g.remove((n["patent/CN-T01"], HVP.firstOwner, None))


def _first_owner_not_owner(g: Graph, n: dict[str, URIRef]) -> None:
    g.remove((n["patent/CN-T01"], HVP.owner, n["owner/O1"]))


def _string_date(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["patent/CN-T01"], HVP.grantDate, Literal("2015-06-10")))


def _grant_before_filing(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["patent/CN-T01"], HVP.grantDate, Literal("2011-01-01", datatype=XSD.date)))


def _two_kinds(g: Graph, n: dict[str, URIRef]) -> None:
    g.add((n["patent/CN-T01"], RDF.type, HVP.UtilityModel))


def _no_filing_date(g: Graph, n: dict[str, URIRef]) -> None:
    g.remove((n["patent/CN-T01"], PATENT.filingDate, None))


def _negative_amount(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["pledge/PL1"], HVP.amountCNY, Literal("-1", datatype=XSD.decimal)))


def _bad_country(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["owner/O2"], HVP.country, Literal("China")))


def _string_year(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["award/A1"], HVP.year, Literal("2019")))


def _bad_office(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["publication/US123B2"], HVP.office, Literal("usa")))


def _bad_sei(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["concordance/1.5/G06N3_-any"], HVP.seiCategory, BNode()))


def _literal_region(g: Graph, n: dict[str, URIRef]) -> None:
    g.set((n["owner/O1"], HVP.region, Literal("CN-GD")))


@pytest.mark.parametrize(
    ("break_it", "path"),
    [
        (_bad_ipc, HVP.ipcCode),
        (_no_first_owner, HVP.firstOwner),
        (_first_owner_not_owner, None),
        (_string_date, HVP.grantDate),
        (_grant_before_filing, PATENT.filingDate),
        (_two_kinds, None),
        (_no_filing_date, PATENT.filingDate),
        (_negative_amount, HVP.amountCNY),
        (_bad_country, HVP.country),
        (_string_year, HVP.year),
        (_bad_office, HVP.office),
        (_bad_sei, HVP.seiCategory),
        (_literal_region, HVP.region),
    ],
    ids=lambda v: getattr(v, "__name__", "").lstrip("_") or None,
)
def test_bad_example_does_not_conform(shapes: Graph, break_it, path) -> None:
    data, n = example_graph()
    break_it(data, n)
    found = violations(data, shapes)
    assert found, "expected a violation"
    if path is not None:
        assert path in found
