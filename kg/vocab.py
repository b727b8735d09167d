"""Closed namespaces of the vocabularies hvp-kg writes.

``HVP`` lists every term of ``ontology/hvp.ttl``; a typo such as ``HVP.grantdate`` raises
``AttributeError`` instead of minting a new term. ``tests/test_vocab.py`` keeps the list and the
ontology in sync.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD, DefinedNamespace

__all__ = [
    "AWARD_KIND", "DCTERMS", "FOAF", "HVP", "OWL", "PATENT", "QB", "RDF", "RDFS", "SDMX_DIMENSION",
    "SDMX_MEASURE", "SEI", "SH", "SKOS", "XSD", "PREFIXES",
]

HVP_NS = "https://w3id.org/hvp/def#"


class HVP(DefinedNamespace):
    """The hvp-kg ontology, ``https://w3id.org/hvp/def#``."""

    _NS = Namespace(HVP_NS)
    _fail = True

    # classes
    Patent: URIRef
    InventionPatent: URIRef
    UtilityModel: URIRef
    DesignPatent: URIRef
    Owner: URIRef
    Region: URIRef
    Family: URIRef
    FamilyMember: URIRef
    Pledge: URIRef
    Award: URIRef
    PopulationObservation: URIRef
    ConcordanceRow: URIRef
    Classification: URIRef
    Criterion: URIRef
    Evidence: URIRef
    Profile: URIRef
    # patent facts
    grantDate: URIRef
    lapseDate: URIRef
    ipcCode: URIRef
    owner: URIRef
    firstOwner: URIRef
    family: URIRef
    pledge: URIRef
    award: URIRef
    # owners, regions, families
    country: URIRef
    region: URIRef
    member: URIRef
    office: URIRef
    # pledges, awards, population
    registrationDate: URIRef
    amountCNY: URIRef
    awardKind: URIRef
    year: URIRef
    population: URIRef
    # concordance
    ipcPattern: URIRef
    seiCategory: URIRef
    excludePattern: URIRef
    # classification results
    patent: URIRef
    asOf: URIRef
    profile: URIRef
    valid: URIRef
    domestic: URIRef
    highValue: URIRef
    meetsCriterion: URIRef
    evaluatesCriterion: URIRef
    evidence: URIRef
    evidenceItem: URIRef
    criterion: URIRef
    reason: URIRef
    SEICriterion: URIRef
    OverseasCriterion: URIRef
    MaintainedCriterion: URIRef
    PledgeCriterion: URIRef
    AwardCriterion: URIRef
    # timelines (kg.classify.timeline)
    highValueFrom: URIRef
    highValueUntil: URIRef
    domesticFirstOwner: URIRef
    stalePatent: URIRef
    sourceState: URIRef
    yearTally: URIRef
    # indicators
    highValueCount: URIRef
    per10k: URIRef
    populationSource: URIRef
    PatentsPer10000People: URIRef
    populationSeries: URIRef
    OfficialPopulation: URIRef
    WikidataPopulation: URIRef

    # the dataset description (kg.dataset)
    synthetic: URIRef
    scale: URIRef

    # criteria profiles
    validShape: URIRef
    domesticShape: URIRef
    highValueShape: URIRef
    criterionShape: URIRef
    checks: URIRef
    evidenceQuery: URIRef
    onsetQuery: URIRef
    endQuery: URIRef
    factsQuery: URIRef
    shortfallQuery: URIRef
    reasonTemplate: URIRef
    shortfallTemplate: URIRef
    evidenceRank: URIRef
    parameter: URIRef
    validityEvidence: URIRef
    maintenanceYears: URIRef
    maintenanceFrom: URIRef
    termYears: URIRef
    leapDayAnniversary: URIRef
    pledgeThreshold: URIRef
    sumPledges: URIRef
    pendingOverseasCounts: URIRef
    domesticOffices: URIRef
    applicationOffices: URIRef
    countedAwards: URIRef
    domesticCountries: URIRef
    excludedCountries: URIRef
    excludedRegions: URIRef


PATENT = Namespace("http://data.epo.org/linked-data/def/patent/")
SEI = Namespace("https://w3id.org/hvp/sei/")
AWARD_KIND = Namespace("https://w3id.org/hvp/award-kind/")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES: dict[str, str] = {
    "hvp": HVP_NS,
    "patent": str(PATENT),
    "sei": str(SEI),
    "awardkind": str(AWARD_KIND),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "skos": str(SKOS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "qb": str(QB),
    "sdmx-dimension": str(SDMX_DIMENSION),
    "sdmx-measure": str(SDMX_MEASURE),
    "sh": str(SH),
}
