"""Parsers of single cells of the exchange format; each raises ValueError naming what to fix."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

import pycountry

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IPC = re.compile(r"[A-HY]\d{2}[A-Z](\d{1,4}(/\d{1,6})?)?")
_IPC_PATTERN = re.compile(r"[A-HY](\d{2}([A-Z](\d{1,4}(/\d{0,6})?)?)?)?\*?")
_SPACE = re.compile(r"\s+")
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_OFFICE = re.compile(r"[A-Z]{2}")
_SEI_CODE = re.compile(r"[1-9](\.\d{1,2}){0,2}")
KINDS = ("invention", "utility_model", "design")


def text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def iso_date(value: str) -> date:
    if not _DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a calendar date ({exc})") from None


def kind(value: str) -> str:
    if value not in KINDS:
        raise ValueError(f"{value!r} is not one of {', '.join(KINDS)}")
    return value


def normalize_ipc(value: str) -> str:
    """``' g06n 3/063 '`` -> ``'G06N3/063'``: white space removed, upper case."""
    return _SPACE.sub("", value).upper()


def ipc_code(value: str) -> str:
    code = normalize_ipc(value)
    if not _IPC.fullmatch(code):
        raise ValueError(f"{value!r} is not an IPC code such as G06N3/063")
    return code


def ipc_pattern(value: str) -> str:
    pattern = normalize_ipc(value)
    if not _IPC_PATTERN.fullmatch(pattern):
        raise ValueError(f"{value!r} is not an IPC code or pattern such as G06N3/* or A01B*")
    return pattern


def split_list(value: str) -> list[str]:
    """A ``;``-separated list; empty items are dropped."""
    return [item.strip() for item in value.split(";") if item.strip()]


def amount(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{value!r} must be a number of at least 0")
    return number


def year(value: str) -> int:
    if not re.fullmatch(r"\d{4}", value):
        raise ValueError(f"{value!r} is not a year such as 2021")
    return int(value)


def positive_int(value: str) -> int:
    if not re.fullmatch(r"\d+", value) or int(value) <= 0:
        raise ValueError(f"{value!r} must be a whole number above 0")
    return int(value)


def slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(f"{value!r} must be lower-case letters, digits and hyphens, "
                         "e.g. china-patent-gold")
    return value


def office(value: str) -> str:
    if not _OFFICE.fullmatch(value):
        raise ValueError(f"{value!r} is not a two-letter WIPO ST.3 office code such as US or WO")
    return value


def sei_code(value: str) -> str:
    if not _SEI_CODE.fullmatch(value):
        raise ValueError(f"{value!r} is not a strategic-emerging-industry code such as 1.5")
    return value


@cache
def country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value) is None or value != value.upper():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code such as CN")
    return value


@cache
def region(value: str) -> str:
    """An ISO 3166-2 subdivision code such as ``CN-GD``, or ``CN`` for the nation."""
    if value == value.upper() and len(value) == 2 and pycountry.countries.get(alpha_2=value):
        return value
    if value != value.upper() or pycountry.subdivisions.get(code=value) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-2 region code such as CN-GD")
    return value
