"""What an engine needs written differently: equivalent query forms, chosen per engine.

A :class:`Dialect` rewrites the final text of every query and update an
:class:`kg.endpoint.EndpointStore` sends, and binds its parameters. The forms are equivalent
in SPARQL 1.1 on every engine; a dialect picks the one its engine answers right.

**Date constants as casts** (Virtuoso 7.2): ``FILTER(?d <= "2019-12-31"^^xsd:date)`` over stored
``xsd:date`` values matches none of them where ``FILTER(?d <= xsd:date("2019-12-31"))`` matches
the right ones; a date bound by ``VALUES`` or by ``BIND`` of the literal fails the same way, a
date bound by ``BIND`` of the cast does not (measured: docs/engines.md). So in that dialect every
``"YYYY-MM-DD"^^xsd:date`` literal inside an expression (within parentheses, outside a
``VALUES`` data block) becomes ``xsd:date("YYYY-MM-DD")``, and a date parameter is bound by a
``BIND`` of its cast first in the WHERE group instead of a ``VALUES`` row.

**Validation on a copy** (Virtuoso 7.2): compiled validation combines sets of focus nodes with
``MINUS``, and Virtuoso answers those wrong in several ways (a ``MINUS`` whose right side joins a
sub-SELECT to a pattern keeps the candidates it should remove, ``FILTER NOT EXISTS`` in its place
fails the same way, an ``sh:xone`` query is refused by its SPARQL compiler, value filters with
``IF``/``COALESCE`` drop rows; measured on 300 demo patents with a planted violation of every
constraint: 37 of the constraint queries differed). No equivalent text was right for all of
them, so in that dialect ``hvp validate`` reads the data graph into a temporary embedded store
(:mod:`kg.engines.copy`) and validates there: the same report as the embedded store's.

The default dialect changes nothing: the text Oxigraph gets is the compiler's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from kg.engines.binding import Token, first_in_where, tokens, values_block

XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
_DATE_NAMES = (f"<{XSD_DATE}>", "xsd:date")
Binding = ox.NamedNode | ox.Literal | ox.BlankNode


@dataclass(frozen=True)
class Dialect:
    """An engine's query forms. ``date_casts``: date constants written as ``xsd:date()``
    casts; ``validates_on_copy``: ``hvp validate`` runs on a copy of the data, not in the
    engine."""

    name: str = "standard"
    date_casts: bool = False
    validates_on_copy: bool = False

    def text(self, query: str) -> str:
        """The query or update as this engine should get it."""
        return cast_dates(query) if self.date_casts else query

    def bind(self, query: str, bindings: Mapping[str, Binding] | None) -> str:
        """The query rewritten, with ``bindings`` first in its outermost WHERE group."""
        query = self.text(query)
        if not bindings:
            return query
        dates = {name: term for name, term in bindings.items()
                 if self.date_casts and isinstance(term, ox.Literal) and _is_date(term)}
        rest = {name: term for name, term in bindings.items() if name not in dates}
        parts = [f"BIND({_cast(term)} AS ?{name})" for name, term in dates.items()]
        if rest:
            parts.insert(0, values_block(rest))
        return first_in_where(query, "\n".join(parts))


STANDARD = Dialect()
VIRTUOSO = Dialect("virtuoso", date_casts=True, validates_on_copy=True)
#: endpoint_engine -> dialect (engines not named here get the standard forms)
BY_ENGINE = {"virtuoso": VIRTUOSO}


def for_engine(engine: str) -> Dialect:
    return BY_ENGINE.get(engine, STANDARD)


def _is_date(term: ox.Literal) -> bool:
    return term.datatype.value == XSD_DATE


def _cast(term: ox.Literal) -> str:
    return f"<{XSD_DATE}>({ox.Literal(term.value)})"


def cast_dates(query: str) -> str:
    """Each ``"..."^^xsd:date`` literal inside an expression written as ``xsd:date("...")``."""
    out: list[str] = []
    last = 0
    parens = 0
    values = -1  # brace depth of a VALUES data block being read, -1 outside one
    braces = 0
    pending_values = False
    items = list(tokens(query))
    i = 0
    while i < len(items):
        token = items[i]
        if token.kind == "word" and token.text.upper() == "VALUES":
            pending_values = True
        elif token.kind == "punct":
            if token.text == "(":
                parens += 1
            elif token.text == ")":
                parens -= 1
            elif token.text == "{":
                braces += 1
                if pending_values and values < 0:
                    values, pending_values = braces, False
            elif token.text == "}":
                if braces == values:
                    values = -1
                braces -= 1
        elif token.kind == "string" and parens > 0 and values < 0 and _typed_date(items, i):
            out += [query[last:token.start], f"<{XSD_DATE}>({token.text})"]
            last = items[i + 3].end
            i += 4
            continue
        i += 1
    out.append(query[last:])
    return "".join(out)


def _typed_date(items: list[Token], i: int) -> bool:
    """``items[i]`` (a string) is followed by ``^^`` and the xsd:date datatype."""
    if i + 3 >= len(items):
        return False
    caret1, caret2, name = items[i + 1], items[i + 2], items[i + 3]
    return (caret1.text == "^" and caret2.text == "^" and caret1.end == caret2.start
            and name.text in _DATE_NAMES)
