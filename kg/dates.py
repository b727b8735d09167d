"""Dates as docs/rules.md writes them: ISO 8601 calendar dates, ``YYYY-MM-DD`` and nothing else.

Python's ``date.fromisoformat`` also takes ``20241231`` and week dates such as ``2024-W52-2``;
every date a user gives (cells of the exchange format, ``--as-of``, the web's ``as_of``, a
canned query's date parameter) goes through :func:`parse` instead.
"""

from __future__ import annotations

import re
from datetime import date

from kg.errors import BadValue

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The as-of date of the web pages when none is given (a patent's explanation, /shacl with a
#: profile, the canned queries' defaults): the last year-end with official figures.
DEFAULT_AS_OF = "2024-12-31"


def parse(value: str) -> date:
    """The date written ``YYYY-MM-DD`` (ASCII digits); ValueError naming what is wrong."""
    if not _DATE.fullmatch(value):
        raise BadValue("%(value)r is not a date as YYYY-MM-DD", value=value)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadValue("%(value)r is not a calendar date (%(engine)s)", value=value,
                       engine=str(exc)) from None
