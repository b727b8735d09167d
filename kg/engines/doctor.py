"""``hvp doctor``: probe a remote engine with queries and updates whose answers are known.

Each probe asks one thing that hvp-kg's queries rely on and that some engine gets wrong
(measured on Virtuoso 7.2.5 and ``oxigraph serve``: docs/engines.md). Probes that need stored
data write it into a scratch named graph of their own, dropped afterwards. A probe that cannot
run (its data could not be written) is a failure for the commands that depend on it: a command
is never run on an engine whose answers could not be checked.

Every remote command runs the probes it depends on first (:func:`require`; the verdict is kept
per endpoint for the process) and refuses an engine that fails one, naming the probe and the
engine setting that fixes it.
"""

from __future__ import annotations

import contextlib
import copy
import io
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.endpoint import CREDENTIALS, EndpointStore
from kg.engines.dialect import STANDARD
from kg.errors import KGError, StoreError

E = "https://w3id.org/hvp/doctor#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = f"PREFIX e: <{E}>\nPREFIX xsd: <{XSD}>\n"
ROWS = 20_000  # more than Virtuoso's packaged ResultSetMaxRows (10,000)

#: The scratch data: three patents with a family member each; b's member has no grant date
#: (unbound in an OPTIONAL), c's was granted after the as-of date; amounts around a threshold;
#: the three typed, a and b with an id.
DATA = """
e:a e:member e:m1 . e:m1 e:office "US" ; e:granted "2020-01-01"^^xsd:date .
e:b e:member e:m2 . e:m2 e:office "EP" .
e:c e:member e:m3 . e:m3 e:office "JP" ; e:granted "2025-06-01"^^xsd:date .
e:a e:filed "2014-12-30"^^xsd:date ; e:amount "10000000"^^xsd:decimal ; e:code "A" .
e:b e:filed "2014-12-31"^^xsd:date ; e:amount "9999999.99"^^xsd:decimal ; e:code "A" , "B" .
e:c e:filed "2000-02-29"^^xsd:date ; e:amount "1.0E7"^^xsd:double ; e:code "B" .
e:a a e:T ; e:id "a" . e:b a e:T ; e:id "b" . e:c a e:T .
"""


@dataclass(frozen=True)
class Scratch:
    """The endpoint and the scratch graph a run of the probes writes to."""

    store: EndpointStore
    graph: ox.NamedNode

    def select(self, where: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None
               ) -> list[str]:
        """The sorted ``?s`` values of ``SELECT ?s`` over the scratch graph."""
        query = f"{PREFIXES}SELECT ?s FROM {self.graph} WHERE {{ {where} }}"
        return sorted(str(row["s"].value) for row in self.store.select(query, bindings))


@dataclass(frozen=True)
class Probe:
    name: str
    asks: str
    meaning: str  # what a failure means for hvp-kg
    fix: str  # the engine setting that fixes it
    run: Callable[[Scratch], str | None]  # None: passed; else what was wrong
    scratch: bool = True  # needs the scratch data
    avoided: str = ""  # a fault hvp-kg's queries write around (how): reported, never needed
    #: whether hvp-kg avoids the fault on this store (default: on every store, when
    #: ``avoided``): its dialect's forms, or its engine's traits
    avoided_on: Callable[[EndpointStore], bool] | None = None

    def avoided_by(self, store: EndpointStore) -> bool:
        """Whether hvp-kg writes around this probe's fault on ``store``."""
        return bool(self.avoided) and (self.avoided_on is None or self.avoided_on(store))


@dataclass(frozen=True)
class Verdict:
    probe: Probe
    passed: bool
    detail: str
    avoided: bool = False  # failed, but the store's dialect writes around the fault


def _expect(got: list[str], want: list[str]) -> str | None:
    return None if got == want else f"expected {want}, got {got}"


def _ids(*names: str) -> list[str]:
    return [E + n for n in names]


def _query(scratch: Scratch) -> str | None:
    return None if scratch.store.ask("ASK { }") else "ASK {} answered false"


def _update(scratch: Scratch) -> str | None:
    return None  # the scratch data was written and read back before any probe ran


def _graph_store(scratch: Scratch) -> str | None:
    store, graph = scratch.store, ox.NamedNode(f"{scratch.graph.value}-gsp")
    sent = [ox.Triple(ox.NamedNode(E + "x"), ox.NamedNode(E + "date"),
                      ox.Literal("2024-02-29", datatype=ox.NamedNode(XSD + "date"))),
            ox.Triple(ox.NamedNode(E + "x"), ox.NamedNode(E + "title"),
                      ox.Literal("高价值 \"x\"", language="zh"))]
    try:
        store.add(ox.Quad(t.subject, t.predicate, t.object, graph) for t in sent)
        out = io.BytesIO()
        store.dump(out, ox.RdfFormat.N_TRIPLES, graph)
        back = sorted(map(str, ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES)))
    finally:
        store.clear_graph(graph)
    want = sorted(map(str, sent))
    return None if back == want else f"sent {want}, read back {back}"


def _row_limit(scratch: Scratch) -> str | None:
    digits = "{ 0 1 2 3 4 5 6 7 8 9 }"
    query = (f"SELECT * WHERE {{ VALUES ?a {digits} VALUES ?b {digits} VALUES ?c {digits} "
             f"VALUES ?d {digits} VALUES ?e {{ 0 1 }} }}")
    rows = scratch.store.select(query)
    return None if len(rows) == ROWS else f"asked for {ROWS:,} rows, got {len(rows):,}"


def _dates(scratch: Scratch) -> str | None:
    checks = [
        ('?s e:member/e:granted ?d FILTER(?d <= "2024-12-31"^^xsd:date)', _ids("a")),
        ('?s e:filed ?d FILTER(?d < "2014-12-31"^^xsd:date)', _ids("a", "c")),
        ('?s e:filed ?d FILTER(?d >= "2014-12-31"^^xsd:date && ?d <= "2014-12-31"^^xsd:date)',
         _ids("b")),
        ("?s e:amount ?v FILTER(?v >= 10000000)", _ids("a", "c")),
    ]
    for where, want in checks:
        wrong = _expect(scratch.select(where), want)
        if wrong:
            return f"FILTER on {where!r}: {wrong}"
    return None


YEAR_ENDS = tuple(f"{year}-12-31" for year in range(2019, 2026))


def _dates_in_data(scratch: Scratch) -> str | None:
    """Read-only, on hvp-kg's own data: grant dates on or before each recent year's end counted
    with an xsd:date comparison (in the form the store's dialect sends) and with a comparison of
    their text (the same for ISO dates)."""
    head = "PREFIX hvp: <https://w3id.org/hvp/def#>\nSELECT (COUNT(*) AS ?n) WHERE { ?p " \
        "hvp:grantDate ?d FILTER("
    for day in YEAR_ENDS:
        typed = scratch.store.select(f'{head}?d <= "{day}"^^<{XSD}date>) }}')[0]["n"].value
        text = scratch.store.select(f'{head}STR(?d) <= "{day}") }}')[0]["n"].value
        if typed != text:
            return (f"grant dates on or before {day}: {typed} by FILTER(?d <= \"{day}\"^^"
                    f"xsd:date), {text} by their text")
    return None


def _date_literals(scratch: Scratch) -> str | None:
    """The same as dates-in-data with date constants written as literals (no dialect)."""
    plain = copy.copy(scratch.store)
    plain.dialect = STANDARD
    return _dates_in_data(Scratch(plain, scratch.graph))


def _unbound(scratch: Scratch) -> str | None:
    """hvp-kg's form of "on or before, no date is false" (hvpfn:onOrBefore)."""
    where = ('?s e:member ?m OPTIONAL { ?m e:granted ?g } '
             'FILTER(COALESCE(BOUND(?g) && ?g <= "2024-12-31"^^xsd:date, false))')
    wrong = _expect(scratch.select(where), _ids("a"))
    return f"COALESCE(BOUND(?g) && ?g <= date, false): {wrong}" if wrong else None


def _coalesce_unbound(scratch: Scratch) -> str | None:
    where = ('?s e:member ?m OPTIONAL { ?m e:granted ?g } '
             'FILTER(COALESCE(?g <= "2024-12-31"^^xsd:date, false))')
    wrong = _expect(scratch.select(where), _ids("a"))
    return f"COALESCE(?unbound <= date, false): {wrong}" if wrong else None


def _values_bind(scratch: Scratch) -> str | None:
    where = "?s e:member ?m BIND(STR(?m) AS ?name)"
    wrong = _expect(scratch.select(where, {"s": ox.NamedNode(E + "b")}), _ids("b"))
    return f"a parameter of a query with BIND: {wrong}" if wrong else None


def _distinct_union(scratch: Scratch) -> str | None:
    where = ("?s e:member ?m . { SELECT DISTINCT ?s WHERE { { ?s e:code \"A\" } UNION "
             "{ ?s e:code \"B\" } UNION { ?s e:member/e:office ?o } } }")
    wrong = _expect(scratch.select(where), _ids("a", "b", "c"))
    return f"SELECT DISTINCT over UNION joined to a pattern: {wrong}" if wrong else None


def _minus_subselect(scratch: Scratch) -> str | None:
    """The compiled validation's anti-join: the candidates MINUS the candidates joined with a
    pattern (sh:minCount 1)."""
    typed = ("{ SELECT DISTINCT ?s WHERE { ?s a/<http://www.w3.org/2000/01/rdf-schema#"
             "subClassOf>* e:T } }")
    where = f"{typed} MINUS {{ {typed} ?s e:id ?id . }}"
    wrong = _expect(scratch.select(where), _ids("c"))
    return f"MINUS of a sub-SELECT joined to a pattern: {wrong}" if wrong else None


def _default_graph(scratch: Scratch) -> str | None:
    """Read-only: a named-graph triple missing from the default graph proves them apart; named
    graphs whose every triple is also in the default graph are taken for a union."""
    store = scratch.store
    if not store.ask("ASK { GRAPH ?g { ?s ?p ?o } }"):
        return None  # no named graph: nothing to mix up
    if store.ask("ASK { GRAPH ?g { ?s ?p ?o } FILTER NOT EXISTS { ?s ?p ?o } }"):
        return None
    return "every triple of the named graphs is read in the default graph (a union)"


UPDATE_FIX = ('the update_endpoint setting (--update-endpoint) and credentials; Virtuoso: '
              '--update-endpoint .../sparql and, in isql, GRANT SPARQL_UPDATE TO "SPARQL"; or '
              '.../sparql-auth with endpoint_user, endpoint_password and endpoint_auth = digest')
PROBES: tuple[Probe, ...] = (
    Probe("query", "ASK {} over the SPARQL protocol (form-encoded POST)",
          "hvp-kg cannot query the engine", "the endpoint setting (the query URL); "
          f"credentials: {CREDENTIALS}", _query, scratch=False),
    Probe("update", "INSERT DATA into a scratch graph, then read it back",
          "hvp-kg cannot store classifications, indicators or the probes' data", UPDATE_FIX,
          _update, scratch=False),
    Probe("graph-store", "POST N-Triples to a graph through the Graph Store Protocol, GET it "
          "back (a date, a language-tagged string)",
          "classification and indicator graphs would not be stored, or stored changed",
          "the gsp_endpoint setting (Virtuoso: .../sparql-graph-crud, with SPARQL_UPDATE "
          "granted, or .../sparql-graph-crud-auth with digest credentials)", _graph_store),
    Probe("row-limit", f"a SELECT of {ROWS:,} rows (VALUES)",
          "results are cut at the engine's limit (every patent past it would be missing)",
          "Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini, above the "
          "number of patents (and endpoint_row_limit to match)", _row_limit, scratch=False),
    Probe("dates-in-filter", "FILTER comparisons of xsd:date values (on and before a date, "
          "29 February) and of decimal/double amounts",
          "validity, maintenance and pledge criteria would count the wrong patents",
          "none known: use another engine", _dates),
    Probe("dates-in-data", "grant dates of the stored patents on or before each year's end "
          f"{YEAR_ENDS[0][:4]}-{YEAR_ENDS[-1][:4]}, compared as xsd:date (in the form sent to "
          "this engine) and as text",
          "validity and the criteria would drop patents (Virtuoso 7.2.5 with date literals: "
          "0 of 11 grant dates on or before 2019-12-31 matched, 8 did)",
          "Virtuoso: endpoint_engine = virtuoso (date constants sent as xsd:date(\"...\") "
          "casts, which it compares right); else none known: use another engine",
          _dates_in_data, scratch=False),
    Probe("date-literals", "dates-in-data with date constants written as literals "
          "(\"2019-12-31\"^^xsd:date), as other engines get them",
          "Virtuoso 7.2.5 matches no stored date on or before most literal constants",
          "endpoint_engine = virtuoso", _date_literals, scratch=False,
          avoided="date constants are sent as xsd:date(\"...\") casts (endpoint_engine = "
          "virtuoso; dates-in-data checks that form)"),
    Probe("unbound-comparison", "FILTER(COALESCE(BOUND(?g) && ?g <= date, false)) after an "
          "OPTIONAL that leaves ?g unbound (hvp-kg's form) is false",
          "a family member never granted would count as granted (the overseas criterion)",
          "none known: use another engine", _unbound),
    Probe("coalesce-unbound", "FILTER(COALESCE(?unbound <= date, false)) after an OPTIONAL "
          "is false", "Virtuoso 7.2.5 takes the comparison as true",
          "none needed", _coalesce_unbound,
          avoided="hvp-kg writes BOUND(?x) && first (hvpfn:onOrBefore; unbound-comparison "
          "checks that form)"),
    Probe("values-with-bind", "a parameter (VALUES first in the WHERE group) of a query with "
          "a BIND", "explain and the canned queries would answer for every patent",
          "none (hvp-kg binds inside the WHERE group): use another engine", _values_bind),
    Probe("distinct-union", "SELECT DISTINCT over a UNION, as a sub-query joined to a pattern",
          "patents counted twice in the criteria (Virtuoso at 1M patents)",
          "none known: use another engine", _distinct_union),
    Probe("minus-subselect", "the candidates MINUS { the candidates (a sub-SELECT) joined to a "
          "pattern }, as compiled validation writes sh:minCount",
          "`hvp validate` would report violations that are not there (Virtuoso 7.2.5 keeps "
          "candidates whose pattern is present)",
          "Virtuoso: endpoint_engine = virtuoso (validate runs on a copy of the data); else "
          "validate on the embedded store (`hvp export` the data, `hvp ingest` it)",
          _minus_subselect,
          avoided="`hvp validate` reads the data graph into a temporary embedded store and "
          "validates there (endpoint_engine = virtuoso)",
          avoided_on=lambda store: store.dialect.validates_on_copy),
    Probe("default-graph", "a triple of a named graph, asked for in the default graph",
          "the data's patterns also read derived graphs (classifications, indicators) and the "
          "engine's own graphs: `hvp stats` counts them",
          "an engine whose default graph is its own graph (Virtuoso's is the union of all); "
          "Virtuoso: endpoint_engine = virtuoso", _default_graph, scratch=False,
          avoided="the data is kept in a named graph of its own (urn:hvp:data), which hvp-kg "
          "reads by name (endpoint_engine = virtuoso)",
          avoided_on=lambda store: bool(store.traits.data_graph)),
)
BY_NAME = {p.name: p for p in PROBES}
_CORE = ("query", "row-limit")
_ANSWERS = ("dates-in-filter", "dates-in-data", "unbound-comparison", "values-with-bind",
            "distinct-union")
#: The probes each remote command's queries depend on.
NEEDS: dict[str, tuple[str, ...]] = {
    "classify": (*_CORE, "update", "graph-store", *_ANSWERS),
    "indicators": (*_CORE, "update", "graph-store", *_ANSWERS),
    "explain": (*_CORE, "update", "graph-store", *_ANSWERS),
    "ingest": (*_CORE, "update", "graph-store"),
    "query": (*_CORE, "update", "graph-store", *_ANSWERS),
    "serve": (*_CORE, "update", "graph-store", *_ANSWERS),
    "validate": (*_CORE, "minus-subselect"),
    "export": (*_CORE, "graph-store"),
    "stats": (*_CORE, "default-graph"),
}


def needs(store: EndpointStore, command: str) -> tuple[str, ...]:
    """The probes ``command`` depends on, on this store: a probe whose fault hvp-kg avoids
    there is not needed (validation on a copy needs the graph store instead)."""
    names = NEEDS.get(command, ())
    if command == "validate" and store.dialect.validates_on_copy:
        names = (*_CORE, "graph-store")
    return tuple(n for n in names if not BY_NAME[n].avoided_by(store))


def run(store: EndpointStore, names: Iterable[str] | None = None) -> list[Verdict]:
    """Run the named probes (all by default) in a scratch graph dropped afterwards."""
    probes = [BY_NAME[n] for n in names] if names is not None else list(PROBES)
    scratch = Scratch(store, ox.NamedNode(f"{E}scratch-{uuid.uuid4().hex}"))
    attempted = any(p.scratch or p.name == "update" for p in probes)
    written = _write_scratch(scratch) if attempted else None
    try:
        verdicts = []
        for probe in probes:
            if probe.name == "update":
                verdicts.append(Verdict(probe, written is None, written or ""))
            elif probe.scratch and written is not None:
                verdicts.append(Verdict(probe, False, "not run: the probe's data could not be "
                                        "written (see the update probe)"))
            else:
                verdicts.append(_verdict(probe, scratch))
        return [Verdict(v.probe, v.passed, v.detail,
                        not v.passed and v.probe.avoided_by(store)) for v in verdicts]
    finally:
        if attempted:  # the verdicts stand if this fails: the graph holds a few triples at worst
            with contextlib.suppress(KGError):
                store.clear_graph(scratch.graph)


def _write_scratch(scratch: Scratch) -> str | None:
    """Write the probes' data; None, or why it could not be written (and read back)."""
    try:
        scratch.store.update(f"{PREFIXES}INSERT DATA {{ GRAPH {scratch.graph} {{ {DATA} }} }}")
        if scratch.select("?s e:member ?m") != _ids("a", "b", "c"):
            return "the update answered success but stored nothing"
    except KGError as exc:
        return _short(str(exc))
    return None


def _short(text: str) -> str:
    """An engine's error on one line: its first, cut at 200 characters."""
    line = text.strip().splitlines()[0] if text.strip() else "no message"
    return line if len(line) <= 200 else f"{line[:199]}…"


def _verdict(probe: Probe, scratch: Scratch) -> Verdict:
    try:
        wrong = probe.run(scratch)
    except KGError as exc:
        wrong = _short(str(exc))
    return Verdict(probe, wrong is None, wrong or "")


_CACHE: dict[tuple[str, str, str, str], dict[str, Verdict]] = {}


def require(store: EndpointStore, command: str) -> None:
    """Refuse (:class:`StoreError`) an engine that fails a probe ``command`` depends on; each
    probe runs once per endpoint and process."""
    key = (store.query_url, store.update_url, store.graph_store_url, store.dialect.name)
    known = _CACHE.setdefault(key, {})
    needed = needs(store, command)
    missing = [n for n in needed if n not in known]
    if missing:
        known.update((v.probe.name, v) for v in run(store, missing))
    failed = [known[n] for n in needed if not known[n].passed]
    if failed:
        first = failed[0]
        others = ", ".join(v.probe.name for v in failed[1:])
        raise StoreError(
            "hvp %(command)s refused: %(url)s fails the probe %(probe)r (%(detail)s): "
            "%(meaning)s. Fix: %(fix)s.%(others)s `hvp doctor` shows every probe.",
            command=command, url=store.query_url, probe=first.probe.name, detail=first.detail,
            meaning=first.probe.meaning, fix=first.probe.fix,
            others=f" Also failing: {others}." if others else "")
