"""The checks of RDF input against the model: the rules the CSV reader applies, applied to quads.

A literal of a model property must have the datatype of the property's ``rdfs:range`` in
``ontology/hvp.ttl`` (``patent:filingDate``: ``xsd:date``) and a lexical form that the matching
cell parser of :mod:`kg.ingest.cells` accepts (dates as ``YYYY-MM-DD`` at most 100 years
ahead, amounts of at least 0, ISO country codes, IPC codes that are codes once normalized...);
a property whose range is a class takes an IRI; an award kind is one of ``ontology/awards.ttl``;
a grant or lapse date is not before the filing date (in the file or in the store). Every
literal is at most :data:`kg.ingest.cells.LONGEST` characters (as a CSV cell) and holds no NUL or
bidi control. Nothing may be written into a derived graph (under ``{base}graph/``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from kg.errors import BadValue, InputError, fill
from kg.ingest import cells
from kg.iri import derived_prefix
from kg.store import LocalStore
from kg.vocab import AWARD_KIND, HVP, PATENT, PREFIXES, RDFS, XSD

ONTOLOGY = Path(__file__).resolve().parents[2] / "ontology" / "hvp.ttl"

_FILING = str(PATENT.filingDate)
#: The dates that may not come before the filing date.
_ORDERED = (str(HVP.grantDate), str(HVP.lapseDate))
_XSD_DATE = str(XSD.date)


RULES: dict[str, Callable[[str], object]] = {
    str(HVP.ipcCode): cells.ipc_code,  # as written: compared normalized (decision 19)
    str(HVP.ipcPattern): cells.ipc_pattern,
    str(HVP.excludePattern): cells.ipc_pattern,
    str(HVP.country): cells.country,
    str(HVP.office): cells.office,
    str(HVP.year): cells.year,
    str(HVP.population): cells.positive_int,
    str(HVP.amountCNY): cells.amount,
}
"""The cell parser that a property's values must pass, beyond its datatype."""

def _integer(value: str) -> int:
    if value.lstrip("+-").isdigit() and value.isascii():
        return int(value)
    raise BadValue("%(value)r is not an xsd:integer (ASCII digits)", value=value)


def _boolean(value: str) -> str:
    if value in ("true", "false", "1", "0"):
        return value
    raise BadValue("%(value)r is not an xsd:boolean: write true or false", value=value)


_BY_DATATYPE: dict[str, Callable[[str], object]] = {
    _XSD_DATE: cells.iso_date,
    str(XSD.integer): _integer,
    str(XSD.decimal): cells.amount,
    str(XSD.boolean): _boolean,
}


@cache
def ranges() -> tuple[dict[str, str], frozenset[str]]:
    """From ``ontology/hvp.ttl``: the XSD datatype of each literal-valued hvp property, and the
    hvp properties whose range is a class (their values are IRIs)."""
    literal: dict[str, str] = {_FILING: _XSD_DATE}
    things: set[str] = set()
    range_ = ox.NamedNode(str(RDFS.range))
    for triple in ox.parse(path=ONTOLOGY, format=ox.RdfFormat.TURTLE):
        if triple.predicate != range_ or not triple.subject.value.startswith(str(HVP)):
            continue
        if triple.object.value.startswith(str(XSD)):
            literal[triple.subject.value] = triple.object.value
        else:
            things.add(triple.subject.value)
    return literal, frozenset(things)


def short(iri: str) -> str:
    """``hvp:grantDate`` for the IRI, with the project's prefixes; else ``<iri>``."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


class Broken(ValueError):
    """A quad that breaks a rule: ``needle`` is text to find it by in the file, after
    ``context`` (the predicate's local name) on the same line if it is there."""

    def __init__(self, message: str, needle: str, context: str = "", /,
                 **params: object) -> None:
        super().__init__(fill(message, params))
        self.template, self.params = message, params
        self.needle, self.context = needle, context

    def error(self) -> InputError:
        """The broken rule as a kg error (its template and values)."""
        return InputError(self.template, **self.params)


class Facts:
    """Checks quads one by one, keeping the dates needed to check their order at the end."""

    def __init__(self, base: str) -> None:
        self.derived = derived_prefix(base)
        self.dates: dict[ox.NamedNode | ox.BlankNode, dict[str, date]] = {}

    def check(self, quad: ox.Quad) -> None:
        """Raise :class:`Broken` for a quad that breaks a rule."""
        graph, predicate, obj = quad.graph_name, quad.predicate.value, quad.object
        if isinstance(graph, ox.NamedNode) and graph.value.startswith(self.derived):
            raise Broken("writes into the derived graph <%(graph)s>: graphs under "
                         "<%(derived)s> are computed by `hvp classify` and `hvp "
                         "indicators`, never ingested; leave them out (export the default "
                         "graph: `hvp export --graph default`)", graph.value,
                         graph=graph.value, derived=self.derived)
        if isinstance(obj, ox.Literal):
            self._literal(predicate, obj)
        elif predicate in ranges()[0]:
            raise Broken("%(predicate)s takes a literal (%(datatype)s), not %(value)s",
                         _tail(str(getattr(obj, "value", obj))), _tail(predicate),
                         predicate=short(predicate), datatype=short(ranges()[0][predicate]),
                         value=str(obj))
        elif predicate == str(HVP.awardKind):
            _award_kind(obj)
        if predicate == _FILING or predicate in _ORDERED:
            day = _date_of(obj)
            if day is not None and isinstance(quad.subject, ox.NamedNode | ox.BlankNode):
                days = self.dates.setdefault(quad.subject, {})
                other = days.setdefault(predicate, day)
                if other != day:
                    raise _second_date(quad.subject, predicate, day, other)

    def _literal(self, predicate: str, obj: ox.Literal) -> None:
        value, where = obj.value, _tail(predicate)
        if len(value) > cells.LONGEST:
            raise Broken("%(predicate)s: a literal of %(length)s characters (at most "
                         "%(limit)s)", value[:40], where, predicate=short(predicate),
                         length=f"{len(value):,}", limit=f"{cells.LONGEST:,}")
        if problem := cells.controls(value):
            before = value[:cells.CONTROLS.search(value).start()]  # type: ignore[union-attr]
            raise Broken("%(predicate)s %(problem)s", before[-40:], where,
                         predicate=short(predicate), problem=str(problem))
        literal, things = ranges()
        if predicate in things:
            raise Broken("%(predicate)s takes an IRI, not the literal %(literal)s", value,
                         where, predicate=short(predicate), literal=str(obj))
        datatype = literal.get(predicate)
        if datatype is None:
            return
        if obj.datatype.value != datatype:
            raise Broken("%(predicate)s takes %(datatype)s literals, not %(literal)s",
                         value, where, predicate=short(predicate), datatype=short(datatype),
                         literal=str(obj))
        try:
            _BY_DATATYPE.get(datatype, str)(value)
            RULES.get(predicate, str)(value)
        except ValueError as exc:
            raise Broken("%(predicate)s: %(problem)s", value, where,
                         predicate=short(predicate), problem=exc) from None

    def order(self, store: LocalStore) -> None:
        """Raise :class:`Broken` for a grant or lapse date before the filing date: a subject's
        dates from the input, each missing one from the store (the input may date a patent
        the store holds: its grant date, or a new filing date); then for a date beside another
        of its kind in the store (``store`` is the one the write leaves, or the one an ingest
        adds to)."""
        for subject, days in self.dates.items():
            filed = days.get(_FILING) or _stored(store, subject, _FILING)
            for predicate in _ORDERED:
                day = days.get(predicate)
                if day is None and _FILING in days:
                    day = _stored(store, subject, predicate)
                if filed is not None and day is not None and day < filed:
                    where = day if predicate in days else filed
                    raise _before_filing(predicate, where.isoformat(),
                                         _tail(predicate if predicate in days else _FILING),
                                         subject=str(subject), predicate=short(predicate),
                                         day=day.isoformat(), filed=filed.isoformat())
        for subject, days in self.dates.items():  # one date of each kind (RULES.md)
            for predicate, day in days.items():
                for other in _stored_all(store, subject, predicate):
                    if other != day:
                        raise _second_date(subject, predicate, day, other)
        self.dates.clear()


def _second_date(subject: ox.NamedNode | ox.BlankNode, predicate: str, day: date, other: date
                 ) -> Broken:
    """Regression: RDF gave a stored patent a second filing date (or a subject two in one
    file); the classification then took either, while RULES.md gives a patent one."""
    return Broken("%(subject)s %(predicate)s: %(day)s besides %(other)s, which it has already "
                  "(in the input or the store); it takes one date: delete the other first",
                  day.isoformat(), _tail(predicate), subject=str(subject),
                  predicate=short(predicate), day=day.isoformat(), other=other.isoformat())


def _stored_all(store: LocalStore, subject: ox.NamedNode | ox.BlankNode, predicate: str
                ) -> Iterator[date]:
    """Every date of ``predicate`` the subject has in the store's default graph."""
    for quad in store.quads(subject, ox.NamedNode(predicate), None, ox.DefaultGraph()):
        day = _date_of(quad.object)
        if day is not None:
            yield day


def _before_filing(iri: str, needle: str, context: str, /, **params: object) -> Broken:
    if iri == str(HVP.grantDate):
        return Broken("%(subject)s %(predicate)s: the grant date %(day)s is before the filing "
                      "date %(filed)s", needle, context, **params)
    return Broken("%(subject)s %(predicate)s: the lapse date %(day)s is before the filing date "
                  "%(filed)s", needle, context, **params)


def _stored(store: LocalStore, subject: ox.NamedNode | ox.BlankNode, predicate: str
            ) -> date | None:
    """A subject's date of ``predicate`` in the store's default graph, if it has one."""
    found = next(store.quads(subject, ox.NamedNode(predicate), None, ox.DefaultGraph()), None)
    return _date_of(found.object) if found else None


def position(lines: Callable[[], Iterable[bytes]], problem: Broken) -> tuple[int, int] | None:
    """(line, column) of the first place in a text (``lines()`` gives its lines, read once or
    twice) where ``problem``'s needle appears after its context on the line, else anywhere."""
    needle, context = problem.needle.encode("utf-8"), problem.context.encode("utf-8")
    for before in (context, b"") if needle else ():
        for number, raw in enumerate(lines(), start=1):
            after = raw.find(before)
            at = raw.find(needle, after + len(before)) if after >= 0 else -1
            if at >= 0:
                return number, len(raw[:at].decode("utf-8", "replace")) + 1
    return None


def _award_kind(obj: object) -> None:
    value = getattr(obj, "value", "")
    kind = value[len(str(AWARD_KIND)):] if value.startswith(str(AWARD_KIND)) else None
    if kind not in cells.award_kinds():
        known = ", ".join(f"awardkind:{k}" for k in cells.award_kinds())
        raise Broken("hvp:awardKind %(kind)s is not a known award kind; use one of %(known)s",
                     _tail(value) if value else "awardKind", "awardKind", kind=str(obj),
                     known=known)


def _date_of(obj: object) -> date | None:
    if isinstance(obj, ox.Literal) and obj.datatype.value == _XSD_DATE:
        try:
            return date.fromisoformat(obj.value)
        except ValueError:
            return None
    return None


def _tail(iri: str) -> str:
    """The last segment of an IRI (how a prefixed name in the file ends)."""
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
