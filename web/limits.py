"""Bounds on what one request may ask of the app: body size, query size, query nesting.

Checked before any parsing: a body over ``max_body`` bytes is refused by werkzeug (413, the
app's ``MAX_CONTENT_LENGTH``, and :class:`web.sparql.Endpoint`'s request), a SPARQL query or
update over ``max_query`` characters is 413, and one nested deeper than :data:`NESTING` is 400.
The depth check exists because Oxigraph's parser recurses per nested group and overflows its
stack (the process dies: SIGSEGV) at about 3,000 nested ``{`` on an 8 MB main-thread stack, fewer
on a thread's; no real query nests more than a few dozen deep. Long flat chains of operators
(``||``, ``+``, ``UNION``, path ``/``) crash it likewise at 10,000, so they are counted too.

Pages classify at the dates they are asked (a patent page's ``as_of``, a canned query's date or
year) only between :data:`EARLIEST` and :func:`latest` (:func:`check_day`), so that what GETs
write is bounded: year-end classifications are kept (at most one per year of that span), others
up to ``kept_dates``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pyoxigraph as ox
from flask import request

from kg import DEFAULT_AS_OF, InputError, parse_date
from web.errors import Problem

#: Deepest nesting of ``{``, ``(`` and ``[`` together in a query or update.
NESTING = 128
#: Most operators in a query or update. A flat chain of operators nests as deep as brackets
#: do once parsed (``a || b || c ...`` is a tree), and the engine overflows its stack on
#: chains of 10,000 ``||``, ``+``, ``!``, ``UNION`` or ``/`` (5,000 pass); the canned queries
#: have a few dozen.
OPERATORS = 2000

#: What can hold brackets or operators that are none (strings, IRIs, comments, variables,
#: numbers, words and prefixed names, whose ``-`` and ``.`` are no operators), then brackets
#: and operators. Every character is read once (possessive quantifiers): a text of
#: ``a-a-a-...`` or ``-----`` costs what its length does, as it must in front of the parser.
_TOKENS = re.compile(r"""
    \"\"\"[\s\S]*?\"\"\" | '''[\s\S]*?''' | "(?:[^"\\\n\r]|\\.)*+" | '(?:[^'\\\n\r]|\\.)*+'
  | <[^<>"{}|^`\\\x00-\x20]*+> | \#[^\n\r]*+ | [?$]\w++ | \d++(?:\.\d++)?(?:[eE][+-]?\d++)?
  | (?P<word>(?:[^\W\d][\w.-]*+)?:[\w.:%-]*+ | [^\W\d][\w.-]*+)
  | (?P<open>[{(\[]) | (?P<close>[})\]])
  | (?P<op>\|\| | && | [-+*/|!^.;,=<>])""", re.VERBOSE)
#: Words that join two patterns, as operators do.
_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS"})


def measure(text: str) -> tuple[int, int]:
    """The deepest nesting of brackets in SPARQL ``text`` and the number of its operators
    (outside strings, IRIs, comments and names)."""
    level = deepest = operators = 0
    for match in _TOKENS.finditer(text):
        if match.group("open"):
            level += 1
            deepest = max(deepest, level)
        elif match.group("close"):
            level -= 1
        elif match.group("op") or (match.group("word") or "").upper() in _WORDS:
            operators += 1
    return deepest, operators


def depth(text: str) -> int:
    """The deepest nesting of brackets in SPARQL ``text``."""
    return measure(text)[0]


def check_query(text: str, longest: int, what: str = "query") -> None:
    """413 for a ``what`` longer than ``longest`` characters; 400 for one nested too deep or
    with too many operators."""
    if len(text) > longest:
        raise Problem(413, "Content Too Large", "the %(what)s has %(count)s characters; the "
                                                "most this endpoint takes is %(longest)s "
                                                "(setting max_query)",
            params={"what": what, "count": f"{len(text):,}", "longest": f"{longest:,}"})
    if len(text) > 200:  # shorter ones cannot reach either bound
        nested, operators = measure(text)
        if nested > NESTING:
            raise Problem(400, "Bad request", "the %(what)s nests brackets %(nested)s deep; "
                                              "the most this endpoint takes is %(nesting)s",
                params={"what": what, "nested": nested, "nesting": NESTING})
        if operators > OPERATORS:
            raise Problem(400, "Bad request", "the %(what)s has %(operators)s operators; the "
                                              "most this endpoint takes is %(operators2)s",
                params={"what": what, "operators": operators, "operators2": OPERATORS})


#: The first day a page may classify at: China's patent law took effect on 1 April 1985, so no
#: patent is valid earlier. The last: 31 December of next year.
EARLIEST = date(1985, 1, 1)


def latest() -> date:
    return date(date.today().year + 1, 12, 31)


def check_day(day: date, name: str = "as_of") -> None:
    """400 for a date a page may not classify at: each classification is computed once and
    stored (year-ends for good, others up to ``kept_dates``), so the dates are bounded."""
    if not EARLIEST <= day <= latest():
        raise InputError("parameter %(name)r: %(day)s is outside %(earliest)s to "
                         "%(latest)s, the dates this service classifies at",
                         name=name, day=day.isoformat(), earliest=EARLIEST.isoformat(),
                         latest=latest().isoformat())


def check_dates(query: Any, values: Mapping[str, str]) -> None:
    """:func:`check_day` for the date and year parameters of a canned query that reads a
    classification at them (a value that is not a date or year at all is left to the query's
    own parsing; indicators are computed for the years with a population row only)."""
    if all(need == "indicators" for need in query.needs):
        return
    for p in query.params:
        raw = (values.get(p.name) or p.default or "").strip()
        try:
            if p.type == "date":
                day = parse_date(raw)
            elif p.type == "year":
                day = date(int(raw), 12, 31)
            else:
                continue
        except ValueError:
            continue
        check_day(day, p.name)


#: The start of a document type declaration or an entity declaration in XML.
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def check_rdf(text: bytes, fmt: ox.RdfFormat, what: str) -> None:
    """400 for RDF/XML with a DTD (entity declarations: a few hundred bytes of nested entities
    expand to gigabytes, the "billion laughs") or not in UTF-8 (where a DTD could hide)."""
    if fmt != ox.RdfFormat.RDF_XML:
        return
    if text.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in text[:1024]:
        raise Problem(400, "Bad RDF", "%(what)s: RDF/XML is read in UTF-8 only", part=what,
                                      params={"what": what})
    match = _DTD.search(text)
    if match:
        line = text.count(b"\n", 0, match.start()) + 1
        column = match.start() - (text.rfind(b"\n", 0, match.start()) + 1) + 1
        raise Problem(400, "Bad RDF", "%(what)s: a document type declaration (DTD) or entity "
                                      "declaration is refused: entities are not expanded",
                                      line=line,
                      column=column, part=what, params={"what": what})


def request_day() -> str:
    """The request's ``as_of`` parameter (default :data:`kg.DEFAULT_AS_OF`), checked as
    :func:`check_day` says, in ISO form."""
    raw = request.args.get("as_of") or DEFAULT_AS_OF
    try:
        day = parse_date(raw)
    except ValueError as exc:
        raise InputError("parameter 'as_of': %(exc)s", exc=exc) from None
    check_day(day)
    return day.isoformat()
