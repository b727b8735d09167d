"""Parsers of single cells of the exchange format; each raises :class:`~kg.errors.BadValue` (a
ValueError) naming what to fix."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import pycountry
import pyoxigraph as ox

from kg import dates
from kg.errors import BadValue
from kg.vocab import AWARD_KIND, SKOS

_IPC = re.compile(r"[A-HY][0-9]{2}[A-Z]([0-9]{1,4}(/[0-9]{1,6})?)?")
_IPC_PATTERN = re.compile(r"[A-HY]([0-9]{2}([A-Z]([0-9]{1,4}(/[0-9]{0,6})?)?)?)?\*?")
_SPACE = re.compile(r"\s+")
_OFFICE = re.compile(r"[A-Z]{2}")
_SEI_CODE = re.compile(r"[1-9](\.[0-9]{1,2}){0,2}")
KINDS = ("invention", "utility_model", "design")
SEI_SCHEME = Path(__file__).resolve().parents[2] / "ontology" / "sei.ttl"
AWARD_SCHEME = SEI_SCHEME.with_name("awards.ttl")
#: Longest cell (CSV) or literal (RDF) accepted, in characters: a title or a name is far
#: shorter. The one figure of both formats (the csv module's own limit is set to it).
LONGEST = 100_000
#: Characters that are never data: NUL, and the Unicode bidirectional controls, which make a
#: cell read differently from what it holds (Trojan Source, CVE-2021-42574).
CONTROLS = re.compile("[\x00\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
#: Invisible characters that make a column name differ from the one it looks like.
INVISIBLE = re.compile("[\ufeff\u200b-\u200d\u2060\x00-\x08\x0a-\x1f]")
#: How many years after this one a date may be: a date further ahead is a typo (2916 for 2016,
#: 9999 for "unknown") that would make a patent never valid. Nearer dates are accepted: rule
#: tests use them (a patent filed 2080-02-29, whose term ends in 2100, a year without 29 February).
AHEAD_YEARS = 100
#: The latest year accepted when the program started: no later date needs asking the clock
#: (a clock read per date was a twentieth of an ingest's row checks).
_AHEAD_AT_START = date.today().year + AHEAD_YEARS


def text(value: str) -> str:
    if not value.strip():
        raise BadValue("must not be empty")
    return value


def iso_date(value: str) -> date:
    """A ``YYYY-MM-DD`` date, at most :data:`AHEAD_YEARS` years ahead."""
    day = dates.parse(value)
    if day.year > _AHEAD_AT_START and day.year > date.today().year + AHEAD_YEARS:
        raise BadValue("%(value)s is more than %(years)s years ahead: check the year",
                       value=value, years=AHEAD_YEARS)
    return day


def controls(value: str) -> BadValue | None:
    """What is wrong with a text that holds a character that is never data, or None."""
    found = CONTROLS.search(value)
    if found is None:
        return None
    char = found.group()
    return BadValue("holds the invisible control character %(code)s (%(name)s) at character "
                    "%(at)s: remove it", code=f"U+{ord(char):04X}",
                    name=unicodedata.name(char, "NULL"), at=found.start() + 1)


def award_kind(value: str) -> str:
    """A kind of award of ``ontology/awards.ttl`` (its ``skos:notation``)."""
    known = award_kinds()
    if value not in known:
        raise BadValue("%(value)r is not a known award kind; use one of %(known)s", value=value,
                       known=", ".join(known))
    return value


@cache
def award_kinds() -> tuple[str, ...]:
    """The notations of the award kinds in ``ontology/awards.ttl``, in the file's order."""
    notation = ox.NamedNode(str(SKOS.notation))
    return tuple(t.object.value for t in ox.parse(path=AWARD_SCHEME, format=ox.RdfFormat.TURTLE)
                 if t.predicate == notation and t.subject.value.startswith(str(AWARD_KIND)))


def kind(value: str) -> str:
    if value not in KINDS:
        raise BadValue("%(value)r is not one of %(known)s", value=value, known=", ".join(KINDS))
    return value


def normalize_ipc(value: str) -> str:
    """``' g06n 3/063 '`` -> ``'G06N3/063'``: white space removed, upper case."""
    return _SPACE.sub("", value).upper()


def ipc_code(value: str) -> str:
    code = normalize_ipc(value)
    if not _IPC.fullmatch(code):
        raise BadValue("%(value)r is not an IPC code such as G06N3/063", value=value)
    return code


def ipc_pattern(value: str) -> str:
    pattern = normalize_ipc(value)
    if not _IPC_PATTERN.fullmatch(pattern):
        raise BadValue("%(value)r is not an IPC code or pattern such as G06N3/* or A01B*",
                       value=value)
    return pattern


def split_list(value: str) -> list[str]:
    """A ``;``-separated list; empty items are dropped."""
    return [item.strip() for item in value.split(";") if item.strip()]


def amount(value: str) -> Decimal:
    try:
        if not value.isascii():  # Decimal reads full-width and other Unicode digits
            raise InvalidOperation
        number = Decimal(value)
    except InvalidOperation:
        raise BadValue("%(value)r is not a number written in ASCII digits",
                       value=value) from None
    if not number.is_finite() or number < 0:
        raise BadValue("%(value)r must be a number of at least 0", value=value)
    return number


def year(value: str) -> int:
    if not re.fullmatch(r"[0-9]{4}", value):
        raise BadValue("%(value)r is not a year such as 2021", value=value)
    return int(value)


def past_year(value: str) -> int:
    """A year no later than next year (an event's: an award's)."""
    number = year(value)
    if number > date.today().year + 1:
        raise BadValue("%(value)s is after next year: check the year", value=value)
    return number


def positive_int(value: str) -> int:
    if not re.fullmatch(r"[0-9]+", value) or int(value) <= 0:
        raise BadValue("%(value)r must be a whole number above 0", value=value)
    return int(value)


def office(value: str) -> str:
    if not _OFFICE.fullmatch(value):
        raise BadValue("%(value)r is not a two-letter WIPO ST.3 office code such as US or WO",
                       value=value)
    return value


def sei_code(value: str) -> str:
    """A code of the NBS 2018 classification (docs/rules.md §3): one of its 9 industries or 40
    categories (``ontology/sei.ttl``), or a sub-category ``n.m.k`` of one of those categories
    (the scheme does not list the sub-categories, so only their parent is checked)."""
    if not _SEI_CODE.fullmatch(value):
        raise BadValue("%(value)r is not a strategic-emerging-industry code such as 1.5",
                       value=value)
    known = sei_codes()
    if value not in known and not (value.count(".") == 2 and value.rpartition(".")[0] in known):
        raise BadValue("%(value)r is not in the NBS 2018 strategic-emerging-industry "
                       "classification (codes 1-9 and their categories, e.g. 1.5; see "
                       "ontology/sei.ttl)", value=value)
    return value


@cache
def sei_codes() -> frozenset[str]:
    """The codes (``skos:notation``) of the NBS 2018 classification in ``ontology/sei.ttl``."""
    notation = ox.NamedNode(str(SKOS.notation))
    return frozenset(t.object.value for t in ox.parse(path=SEI_SCHEME, format=ox.RdfFormat.TURTLE)
                     if t.predicate == notation)


@cache
def country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value) is None or value != value.upper():
        raise BadValue("%(value)r is not an ISO 3166-1 alpha-2 country code such as CN",
                       value=value)
    return value


@cache
def region(value: str) -> str:
    """An ISO 3166-2 subdivision code such as ``CN-GD``, or ``CN`` for the nation."""
    if value == value.upper() and len(value) == 2 and pycountry.countries.get(alpha_2=value):
        return value
    if value != value.upper() or pycountry.subdivisions.get(code=value) is None:
        raise BadValue("%(value)r is not an ISO 3166-2 region code such as CN-GD", value=value)
    return value
