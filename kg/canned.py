"""Canned queries: ``kg/queries/*.rq`` files with a front-matter header, run with typed parameters.

Front matter (grlc-like): comment lines ``#+ key: value`` at the top of the file::

    #+ title: High-value patents per 10,000 people by province
    #+ description: One row per province (and the nation) for a year.
    #+ needs: indicators
    #+ param: year year "Year" default=2024

* ``title`` (required), ``description``;
* ``needs``: ``classification``, ``indicators`` and/or ``timeline`` (comma-separated). Before
  running, the runner ensures those derived graphs exist and adds them to the query's default
  graph (next to the data and reference data): the classification at the query's ``date``
  parameter, or at ``Y-12-31`` of its ``year`` parameter; the indicator cube for its year
  parameter(s) (one: that year; two, e.g. ``from`` and ``to``: every year between them); the
  profile's timeline (each patent's ``hvp:highValueFrom`` and ``hvp:highValueUntil``,
  :mod:`kg.classify.timeline`), whatever the parameters;
* ``param``: ``NAME TYPE "LABEL" [default=VALUE] [required]``; TYPE is one of :data:`TYPES`;
* ``drill``: ``COLUMN FILTER=?COLUMN|VALUE ...``, one line per column of counts whose patents
  can be listed (the web's ``/patents``): each filter (:data:`DRILL_FILTERS`) takes its value
  from a column of the row (``?code``) or is fixed (``high_value=any``); the list follows the
  count's rules, which the author checks and a test proves on the shipped queries.

Each raw value is parsed into an RDF term first (a bad value raises :class:`InputError` naming
the parameter) and bound to ``?NAME`` by the engine (pyoxigraph substitutions), never formatted
into the query text. pyoxigraph binds only variables of the SELECT projection, so every
parameter is also a column of the result. The loader does not depend on the web app.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import answers, dates, federation
from kg.classify import timeline
from kg.classify.materialize import graph_iri
from kg.errors import BadValue, InputError, NotFound, QueryError, Word
from kg.evaluation import evaluating
from kg.indicators import cube, with_population
from kg.indicators.core import classification_graph
from kg.iri import DEFAULT_BASE, mint
from kg.profiles import load as load_profile
from kg.store import LocalStore, Term

QUERY_DIR = Path(__file__).resolve().parent / "queries"
XSD = "http://www.w3.org/2001/XMLSchema#"
NEEDS = ("classification", "indicators", "timeline")
#: The filters of a ``drill`` line: those of the patent list (kg.indicators.patents.behind).
DRILL_FILTERS = ("region", "year", "as_of", "criterion", "high_value", "industry", "met",
                 "criteria", "owner", "domestic")
_REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")


def _integer(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadValue("not a whole number") from None


def _year(raw: str, base: str) -> Term:
    value = _integer(raw)
    if not 1900 <= value <= 2200:
        raise BadValue("a year between 1900 and 2200")
    return ox.Literal(value)


def _date(raw: str, base: str) -> Term:
    return ox.Literal(dates.parse(raw).isoformat(), datatype=ox.NamedNode(XSD + "date"))


def _iri(raw: str, base: str) -> Term:
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", raw):
        raise BadValue("an absolute IRI")
    return ox.NamedNode(raw)


def _region(raw: str, base: str) -> Term:
    code = raw.strip().upper()
    if not _REGION.fullmatch(code):
        raise BadValue("an ISO 3166-2 region code such as CN-GD, or CN for the nation")
    return ox.NamedNode(mint(base, "region", code))


#: Parameter types: name -> (parser, what a good value looks like).
TYPES: dict[str, tuple[Callable[[str, str], Term], Word]] = {
    "year": (_year, Word("a year, e.g. 2024 (xsd:integer)")),
    "int": (lambda raw, base: ox.Literal(_integer(raw)), Word("an integer")),
    "date": (_date, Word("a date YYYY-MM-DD")),
    "iri": (_iri, Word("an absolute IRI")),
    "region": (_region, Word("a region code such as CN-GD (CN = the nation)")),
    "string": (lambda raw, base: ox.Literal(raw), Word("text")),
}


@dataclass(frozen=True)
class Param:
    """One typed parameter of a canned query."""

    name: str
    type: str
    label: str
    default: str | None = None
    required: bool = False

    def parse(self, raw: str, base: str = DEFAULT_BASE) -> Term:
        """The RDF term of a raw value; InputError naming the parameter when it is bad."""
        parser, expected = TYPES[self.type]
        try:
            return parser(raw, base)
        except (ValueError, TypeError) as exc:
            raise InputError("parameter %(name)r: %(raw)r is not %(expected)s (%(exc)s)",
                             name=self.name, raw=raw, expected=expected, exc=exc) from None


@dataclass(frozen=True)
class CannedQuery:
    """A canned query: its file's front matter and SPARQL text."""

    name: str
    title: str
    description: str
    needs: tuple[str, ...]
    params: tuple[Param, ...]
    text: str
    #: column of counts -> filter -> ``?COLUMN`` (the row's value) or a fixed value
    drills: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False,
                                                    compare=False)

    def drill(self, column: str, row: Mapping[str, Term | None]) -> dict[str, str] | None:
        """The patent list's filters behind ``row``'s count in ``column`` (None: not one, or a
        value missing). A region IRI gives its code."""
        spec = self.drills.get(column)
        if spec is None or row.get(column) is None:
            return None
        filters = {}
        for name, source in spec.items():
            if not source.startswith("?"):
                filters[name] = source
                continue
            term = row.get(source[1:])
            if term is None:
                return None
            value = term.value
            filters[name] = value.rpartition("/")[2] if isinstance(term, ox.NamedNode) else value
        return filters

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or Word("none")
        raise InputError("query %(name)r has no parameter %(parameter)r (parameters: %(known)s)",
                         name=self.name, parameter=name, known=known)

    def bind(self, raw: Mapping[str, str], base: str = DEFAULT_BASE, *,
             partial: bool = False) -> dict[str, Term]:
        """Parse raw values (defaults filled in) into the terms bound to ``?name``; ``partial``:
        leave out a required parameter without a value instead of refusing."""
        for name in raw:
            self.param(name)
        bound: dict[str, Term] = {}
        for p in self.params:
            value = raw.get(p.name) or p.default  # a field left empty takes the default
            if value is None or value == "":
                if p.required and not partial:
                    raise InputError("query %(name)r: parameter %(parameter)r is required "
                                     "(%(label)s)", name=self.name, parameter=p.name,
                                     label=Word(p.label))
                continue
            bound[p.name] = p.parse(value, base)
        return bound


@dataclass
class Result:
    """Rows of a canned query: column names and, per row, a term (or None) per column."""

    columns: list[str]
    rows: list[dict[str, Term | None]]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_text(row[c]) for c in self.columns])
        return buffer.getvalue()

    def to_json(self) -> str:
        rows = [{c: _plain(row[c]) for c in self.columns} for row in self.rows]
        return json.dumps({"columns": self.columns, "rows": rows}, ensure_ascii=False,
                          indent=2) + "\n"


def _text(term: Term | None) -> str:
    return "" if term is None else term.value


_NUMERIC: dict[str, type[int] | type[float]] = {
    XSD + t: int for t in ("integer", "int", "long", "nonNegativeInteger")}
_NUMERIC.update({XSD + t: float for t in ("decimal", "double", "float")})


def _plain(term: Term | None) -> Any:
    if isinstance(term, ox.Literal) and term.datatype.value in _NUMERIC:
        return _NUMERIC[term.datatype.value](term.value)
    if isinstance(term, ox.Literal) and term.datatype.value == XSD + "boolean":
        return term.value == "true"
    return None if term is None else term.value


# --- loading ---------------------------------------------------------------------------------
def parse(text: str, name: str) -> CannedQuery:
    """A canned query from the text of an ``.rq`` file (front matter errors name file and line)."""
    meta: dict[str, str] = {}
    params: list[Param] = []
    drills: dict[str, dict[str, str]] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            continue
        key, sep, value = line[2:].partition(":")
        key, value = key.strip(), value.strip()
        where = f"{name}.rq:{line_no}"
        if not sep:
            raise QueryError("%(where)s: expected '#+ key: value'", where=where)
        if key == "param":
            params.append(_param(value, where))
        elif key == "drill":
            column, spec = _drill(value, where)
            drills[column] = spec
        elif key in ("title", "description", "needs"):
            meta[key] = value
        else:
            raise QueryError("%(where)s: unknown front-matter key %(key)r (title, description, "
                             "needs, param, drill)", where=where, key=key)
    if "title" not in meta:
        raise QueryError("%(name)s.rq: front matter needs a '#+ title:' line", name=name)
    needs = tuple(n.strip() for n in meta.get("needs", "").split(",") if n.strip())
    for need in needs:
        if need not in NEEDS:
            raise QueryError("%(name)s.rq: unknown need %(need)r (known: %(needs)s)",
                             name=name, need=need, needs=', '.join(NEEDS))
    return CannedQuery(name, meta["title"], meta.get("description", ""), needs, tuple(params),
                       text, drills)


def extract_messages(fileobj: Any, keywords: Any, comment_tags: Any, options: Any
                     ) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extraction method for ``.rq`` files (``babel.cfg``, ``make messages``): the
    title, description and parameter labels of the front matter, which the web pages show
    translated."""
    for line_no, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        key, _, value = line[2:].partition(":")
        if not line.startswith("#+"):
            continue
        if key.strip() in ("title", "description"):
            yield line_no, None, value.strip(), []
        elif key.strip() == "param":
            yield line_no, None, shlex.split(value)[2], []


def _drill(spec: str, where: str) -> tuple[str, dict[str, str]]:
    column, *pairs = spec.split()
    filters = {}
    for pair in pairs:
        name, sep, source = pair.partition("=")
        if not sep or name not in DRILL_FILTERS or not source.strip("?"):
            raise QueryError("%(where)s: expected 'drill: COLUMN FILTER=?COLUMN|VALUE ...' "
                             "with FILTER one of %(drill_filters)s, got %(pair)r",
                             where=where, drill_filters=', '.join(DRILL_FILTERS), pair=pair)
        filters[name] = source
    return column, filters


def _param(spec: str, where: str) -> Param:
    try:
        parts = shlex.split(spec)
    except ValueError as exc:
        raise QueryError("%(where)s: bad param line: %(exc)s", where=where, exc=exc) from None
    if len(parts) < 3 or parts[1] not in TYPES:
        raise QueryError('%(where)s: expected \'param: NAME TYPE "LABEL" [default=V] '
                         "[required]' with TYPE one of %(types)s",
                         where=where, types=', '.join(TYPES))
    name, kind, label, *flags = parts
    default = next((f.partition("=")[2] for f in flags if f.startswith("default=")), None)
    param = Param(name, kind, label, default, "required" in flags)
    if default is not None:
        param.parse(default)  # a bad default is the query author's error, caught at load
    return param


def list_queries(directory: Path = QUERY_DIR) -> list[CannedQuery]:
    """Every canned query of a folder, by name."""
    return [load(p.stem, directory) for p in sorted(directory.glob("*.rq"))]


def load(name: str, directory: Path = QUERY_DIR) -> CannedQuery:
    """One canned query by name (the file's stem); NotFound lists the known names."""
    path = directory / f"{name}.rq"
    # a name is short: a longer one is no file name (the system's limit: ENAMETOOLONG)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,99}", name) or not path.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.rq")))
        raise NotFound("no canned query %(name)r; known: %(known)s", name=name, known=known)
    return parse(path.read_text(encoding="utf-8"), name)


# --- running ---------------------------------------------------------------------------------
#: How a federated canned query is run: ``(text, bound values, derived graphs it reads besides
#: the default graph) -> solutions`` (the web app's: in a query worker killed at the time limit).
FederatedRunner = Callable[[str, Mapping[str, Term], list[ox.NamedNode]], ox.QuerySolutions]


def run(store: LocalStore, query: CannedQuery | str, params: Mapping[str, str] | None = None,
        *, base: str = DEFAULT_BASE, profile: str = "cnipa-2021",
        allow: Iterable[str] = (), federated: FederatedRunner | None = None) -> Result:
    """Run a canned query: parse parameters, ensure the graphs it needs, bind and execute.
    ``allow``: the endpoints a federated query's ``SERVICE`` may call (``federation_allow``);
    a federated query's answer is never kept (the other endpoint's data may change), and it
    runs through ``federated`` when given (else in this process, with no time limit)."""
    if isinstance(query, str):
        query = load(query)
    bound = query.bind(params or {}, base)
    federation.check(query.text, allow, bound)
    _check(store, query, bound)
    with evaluating(query.text, bound=bound):  # the engine's failures (kg.evaluation)
        if federation.federated(query.text):
            solutions = _solutions(store, query, bound, base, profile, federated)
        else:
            solutions = answers.kept(store, answers.key(query.text, bound, profile, base),
                                     lambda: _solutions(store, query, bound, base, profile))
        columns = [v.value for v in solutions.variables]
        return Result(columns, [{c: s[c] for c in columns} for s in solutions])


def _solutions(store: LocalStore, query: CannedQuery, bound: Mapping[str, Term], base: str,
               profile: str, runner: FederatedRunner | None = None) -> ox.QuerySolutions:
    """The query's answer computed now (by ``runner`` if given), with the derived graphs it
    reads."""
    graphs = [_ensure(store, need, query, bound, base, profile) for need in query.needs]
    if runner is not None:
        return runner(query.text, bound, graphs)
    text, bindings = inlined(query.text, bound)
    solutions = store.query(text, bindings, default_graph=[ox.DefaultGraph(), *graphs])
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryError("query %(query_name)r: a canned query must be a SELECT",
                         query_name=query.name)
    return solutions


_WHERE = re.compile(r"\bWHERE\s*\{", re.I)
_SUBSELECT = re.compile(r"\{\s*SELECT\b", re.I)


def inlined(text: str, bound: Mapping[str, Term]) -> tuple[str, Mapping[str, Term]]:
    """The query with its bound parameters as a ``VALUES`` block at the start of its WHERE
    clause, and the bindings left to the engine (none then). Oxigraph joins ``substitutions``
    to the solutions of the whole pattern, so a selective parameter does not steer the plan:
    an owner's patents at 1,000,000 patents took 5 s bound so, 0.03 s in a VALUES (and 244 s
    with the page's OPTIONALs). The terms are parsed first and written by pyoxigraph (N-Triples
    syntax), never the raw input. A query with a sub-SELECT keeps the substitutions (a
    ``VALUES`` outside does not reach into it); so does a federated one (Oxigraph evaluates a
    ``SERVICE ?endpoint`` before a ``VALUES`` that binds it: "the variable encoding the service
    name is unbound")."""
    where = _WHERE.search(text)
    if not bound or where is None or _SUBSELECT.search(text) or federation.federated(text):
        return text, bound
    names = sorted(bound)
    block = (f" VALUES ({' '.join('?' + n for n in names)}) "
             f"{{ ({' '.join(str(bound[n]) for n in names)}) }}\n")
    return text[:where.end()] + block + text[where.end():], {}


def _check(store: LocalStore, query: CannedQuery, bound: Mapping[str, Term]) -> None:
    """Values that are well-formed but would only find nothing: a region the store does not
    know, a ``from`` year after the ``to`` year."""
    for p in query.params:
        term = bound.get(p.name)
        if p.type == "region" and term is not None and not store.ask(
                "ASK { ?region ?p ?o }", {"region": term}):
            code = term.value.rsplit("/", 1)[-1]
            raise InputError("parameter %(name)r: the store knows no region %(code)r (ISO "
                             "3166-2, e.g. CN-GD; CN for the nation)", name=p.name, code=code)
    first, last = bound.get("from"), bound.get("to")
    if first is not None and last is not None and int(first.value) > int(last.value):
        raise InputError("parameters 'from' and 'to': %(first_value)s is after %(last_value)s",
                         first_value=first.value, last_value=last.value)


def _ensure(store: LocalStore, need: str, query: CannedQuery, bound: Mapping[str, Term],
            base: str, profile: str) -> ox.NamedNode:
    if need == "timeline":
        return ox.NamedNode(timeline.ensure(store, load_profile(profile), profile, base))
    target = _target(need, query, bound)
    if isinstance(target, range):
        return cube.ensure(store, with_population(store, target), profile, base)

    return classification_graph(store, target, profile, base)


def ensure_graphs(store: LocalStore, query: CannedQuery, params: Mapping[str, str] | None = None,
                  *, base: str = DEFAULT_BASE, profile: str = "cnipa-2021") -> list[str]:
    """Compute the derived graphs :func:`run` reads with these parameters (the others may be
    missing: the graphs depend on the dates and years only) and name them."""
    bound = query.bind(params or {}, base, partial=True)
    return [_ensure(store, need, query, bound, base, profile).value for need in query.needs]


def graph_iris(query: CannedQuery, params: Mapping[str, str] | None = None, *,
               base: str = DEFAULT_BASE, profile: str = "cnipa-2021") -> list[str]:
    """The derived graphs :func:`run` reads beside the default graph, computing none (the
    parameters other than dates and years may be missing)."""
    bound = query.bind(params or {}, base, partial=True)
    iris = []
    for need in query.needs:
        if need == "timeline":
            iris.append(timeline.graph_iri(base, load_profile(profile).name))
            continue
        target = _target(need, query, bound)
        iris.append(cube.graph_iri(profile, base).value if isinstance(target, range)
                    else graph_iri(base, profile, target))
    return iris


def _target(need: str, query: CannedQuery, bound: Mapping[str, Term]) -> range | date:
    """What a need means for these parameters: the years of the cube, or the classification's
    as-of date (the date parameter, else the last year's 31 December)."""
    years = sorted(int(bound[p.name].value) for p in query.params
                   if p.type == "year" and p.name in bound)
    if need == "indicators":
        if not years:
            raise QueryError("query %(query_name)r needs indicators but has no year parameter",
                             query_name=query.name)
        return range(years[0], years[-1] + 1)
    days = [bound[p.name].value for p in query.params if p.type == "date" and p.name in bound]
    if days:
        return date.fromisoformat(days[0])
    if years:
        return date(years[-1], 12, 31)
    raise QueryError("query %(query_name)r needs a classification but has no date or year "
                     "parameter", query_name=query.name)
