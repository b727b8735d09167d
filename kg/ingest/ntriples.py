"""Writing N-Triples lines fast, without building term objects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kg.vocab import DCTERMS, FOAF, HVP, PATENT, RDF, XSD

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def iri(value: str) -> str:
    return f"<{value}>"


def string(value: str) -> str:
    return '"' + value.translate(_ESCAPES) + '"'


# the datatypes' IRIs as text once (a namespace's attribute costs a lookup per use)
_DATE, _INTEGER, _DECIMAL = f"<{XSD.date}>", f"<{XSD.integer}>", f"<{XSD.decimal}>"


def xsd_date(value: date) -> str:
    return f'"{value.isoformat()}"^^{_DATE}'


def integer(value: int) -> str:
    return f'"{value}"^^{_INTEGER}'


def decimal(value: Decimal) -> str:
    text = format(value, "f")
    if "." not in text:
        text += ".0"
    return f'"{text}"^^{_DECIMAL}'


class P:
    """Predicates and classes as ready N-Triples tokens."""

    type = iri(str(RDF.type))
    identifier = iri(str(DCTERMS.identifier))
    title = iri(str(DCTERMS.title))
    source = iri(str(DCTERMS.source))
    name = iri(str(FOAF.name))
    filing_date = iri(str(PATENT.filingDate))
    publication_number = iri(str(PATENT.publicationNumber))
    grant_date = iri(str(HVP.grantDate))
    lapse_date = iri(str(HVP.lapseDate))
    ipc_code = iri(str(HVP.ipcCode))
    owner = iri(str(HVP.owner))
    first_owner = iri(str(HVP.firstOwner))
    family = iri(str(HVP.family))
    pledge = iri(str(HVP.pledge))
    award = iri(str(HVP.award))
    country = iri(str(HVP.country))
    region = iri(str(HVP.region))
    member = iri(str(HVP.member))
    office = iri(str(HVP.office))
    registration_date = iri(str(HVP.registrationDate))
    amount = iri(str(HVP.amountCNY))
    award_kind = iri(str(HVP.awardKind))
    year = iri(str(HVP.year))
    population = iri(str(HVP.population))
    ipc_pattern = iri(str(HVP.ipcPattern))
    sei_category = iri(str(HVP.seiCategory))
    exclude_pattern = iri(str(HVP.excludePattern))
    Patent = iri(str(HVP.Patent))
    Owner = iri(str(HVP.Owner))
    Family = iri(str(HVP.Family))
    FamilyMember = iri(str(HVP.FamilyMember))
    Pledge = iri(str(HVP.Pledge))
    Award = iri(str(HVP.Award))
    PopulationObservation = iri(str(HVP.PopulationObservation))
    ConcordanceRow = iri(str(HVP.ConcordanceRow))
    KIND_CLASS = {
        "invention": iri(str(HVP.InventionPatent)),
        "utility_model": iri(str(HVP.UtilityModel)),
        "design": iri(str(HVP.DesignPatent)),
    }
