"""The patents behind an indicator count: the drill-down from a number to its patents.

``behind(store, as_of, region=..., criterion=..., high_value=...)`` lists the valid, domestic
invention patents of the classification at ``as_of`` (the graph :func:`classification_graph`
ensures, the one the counts read) with the same rules as ``counts.rq`` and ``national.rq``: the
nation (``CN``) takes every one, a province those whose first owner's region it is. So the
list of a province and year has exactly as many patents as its indicator's count. The other
filters follow the canned queries' counts: ``met`` the number of criteria met (``2``, or ``3+``
for three or more: ``criteria-count.rq``), ``criteria`` the exact combination met (``sei;award``,
in any order: ``criteria-combinations.rq``), ``owner`` an owner in any position
(``top-owners.rq``, whose counts take foreign patents too: ``domestic=None``).

The list is found in two steps: the patents and the key they are sorted by (one query), then
the facts shown of the page asked for (title, first owner, region, filing date, criteria met),
read patent by patent: on the embedded store straight from its indexes (a few quad patterns
each, about a tenth of a millisecond a patent), elsewhere a query each; a page costs the same
whatever the list's length, and a whole list (:func:`rows`) can be streamed, its first row read
at once. The first step is the costly one (about a second for 4,000 patents on a loaded
machine's on-disk store, tens of seconds for a province at a million patents): :func:`find`
gives it as a value (:class:`Found`) that a caller may keep to page through the list with
:func:`page`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, overload
from urllib.parse import unquote

import pyoxigraph as ox

from kg import answers
from kg.errors import InputError
from kg.indicators.core import NATION, classification_graph
from kg.iri import DEFAULT_BASE, mint
from kg.store import DATA_EPOCH, LocalStore, Store
from kg.vocab import DCTERMS, HVP, SEI, SKOS

#: Sort keys: name -> the pattern binding ``?key`` (inside an OPTIONAL; none for the id).
SORTS = {
    "patent": "",
    "title": f"?patent <{DCTERMS.title}> ?key",
    "filing": "?patent <http://data.epo.org/linked-data/def/patent/filingDate> ?key",
    "owner": f"?patent <{HVP.firstOwner}>/<http://xmlns.com/foaf/0.1/name> ?key",
    "region": f"?patent <{HVP.firstOwner}>/<{HVP.region}>/<{SKOS.notation}> ?key",
}
REGION = re.compile(r"CN(-[A-Z0-9]{2,3})?")
INDUSTRY = re.compile(r"\d+(\.\d+)*")
MET = re.compile(r"([1-9]\d{0,2})(\+?)")
#: The criteria each classification node meets, by key (``met``, ``criteria``).
MEETS = f"SELECT ?graph ?c ?k WHERE {{ GRAPH ?graph {{ ?c <{HVP.meetsCriterion}> ?k }} }}"


@dataclass(frozen=True)
class Listed:
    """One patent of a list: what a row shows."""

    patent: str  # IRI
    patent_id: str
    title: str
    filing_date: str
    owner: str  # IRI of the first owner, or ""
    owner_name: str
    region: str  # the first owner's region code, or ""
    criteria: tuple[str, ...]  # keys of the criteria met, in the profile's order


@dataclass
class PatentList:
    """A page of the patents behind a count, and how many there are in all."""

    as_of: date
    total: int
    rows: list[Listed]


#: A page longer than this has its rows' facts read by one query over the whole list (a
#: download), a shorter one patent by patent (:data:`DETAILS`).
BULK = 200
#: The facts a row shows, as OPTIONALs added to :func:`query` (one query for a whole list).
FACTS = f"""OPTIONAL {{ ?patent <{DCTERMS.title}> ?title }}
  OPTIONAL {{ ?patent <http://data.epo.org/linked-data/def/patent/filingDate> ?filing }}
  OPTIONAL {{ ?patent <{HVP.firstOwner}> ?owner
    OPTIONAL {{ ?owner <http://xmlns.com/foaf/0.1/name> ?name }}
    OPTIONAL {{ ?owner <{HVP.region}> ?owner_region }} }}
  OPTIONAL {{ GRAPH ?graph {{ ?c <{HVP.meetsCriterion}> ?met }} }}
"""


def query(sort: str, *, region: bool, criterion: bool, high_value: bool | None,
          industry: bool = False, owner: bool = False, domestic: bool | None = True,
          extra: str = "") -> str:
    """The text that selects the patents (and the sort key, and ``extra`` patterns); the
    values of the filters are bound by the engine (``?graph``, ``?region``, ``?criterion``,
    ``?hv``, ``?industry``, ``?owner``, ``?domestic``)."""
    if sort not in SORTS:
        raise InputError("sort must be one of %(sorts)s, got %(sort)r",
                         sorts=', '.join(SORTS), sort=sort)
    node = [f"?c <{HVP.valid}> true ; <{HVP.patent}> ?patent"]
    if domestic is not None:
        node.append(f"<{HVP.domestic}> ?domestic")
    if high_value is not None:
        node.append(f"<{HVP.highValue}> ?hv")
    if criterion:
        node.append(f"<{HVP.meetsCriterion}> ?criterion")
    if industry:  # the SEI evidence names the categories (as sei-by-industry.rq reads them)
        node.append(f"<{HVP.evidence}> ?ev . ?ev <{HVP.seiCategory}> ?category")
    where = "GRAPH ?graph { " + " ; ".join(node) + " }\n"
    if industry:
        where += f"  ?category <{SKOS.broader}>* ?industry .\n"
    if region:
        where += f"  ?patent <{HVP.firstOwner}>/<{HVP.region}> ?region .\n"
    if owner:
        where += f"  ?patent <{HVP.owner}> ?owner .\n"
    if SORTS[sort]:
        where += f"  OPTIONAL {{ {SORTS[sort]} }}\n"
    return f"SELECT * WHERE {{\n  {where}  {extra}}}"  # every variable: the engine binds some


class Pairs(Sequence[tuple[ox.NamedNode, ox.NamedNode]]):
    """(classification node, patent) of a list, in order, held as IRIs and made terms as they
    are read: a page reads fifty of a list that may hold 140,000 (the nation at a million
    patents: making every term of a list read back took 6 µs a term, 0.4 s for the nation's
    35,000 high-value patents at 250,000)."""

    __slots__ = ("iris",)

    def __init__(self, iris: Iterable[Sequence[str]]) -> None:
        self.iris: tuple[tuple[str, str], ...] = tuple((c, p) for c, p in iris)

    def __len__(self) -> int:
        return len(self.iris)

    @overload
    def __getitem__(self, index: int) -> tuple[ox.NamedNode, ox.NamedNode]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[ox.NamedNode, ox.NamedNode], ...]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return tuple((ox.NamedNode(c), ox.NamedNode(p)) for c, p in self.iris[index])
        c, p = self.iris[index]
        return ox.NamedNode(c), ox.NamedNode(p)

    def __iter__(self) -> Iterator[tuple[ox.NamedNode, ox.NamedNode]]:
        for c, p in self.iris:
            yield ox.NamedNode(c), ox.NamedNode(p)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pairs) and other.iris == self.iris

    def __hash__(self) -> int:
        return hash(self.iris)

    def __repr__(self) -> str:
        return f"Pairs({len(self.iris)} patents)"


@dataclass(frozen=True)
class Found:
    """The patents of a list, in order (what :func:`page` reads a page of): keep it to page
    through a list without finding it again (the search is the costly step)."""

    as_of: date
    graph: Any
    patents: Pairs  # (classification node, patent)
    text: str  # the query that found them, and its bindings: the facts of a long page
    bind: dict[str, Any] = field(hash=False, compare=False)


def find(store: Store, as_of: date, *, profile: Any, base: str = DEFAULT_BASE,
         region: str = NATION, criterion: str | None = None, high_value: bool | None = True,
         industry: str | None = None, met: str | None = None, criteria: str | None = None,
         owner: str | None = None, domestic: bool | None = True, sort: str = "patent",
         descending: bool = False) -> Found:
    """The patents behind the count of ``region`` at ``as_of`` (``profile``: a loaded
    :class:`kg.profiles.Profile`), sorted by ``sort`` (then by patent). ``criterion``: only
    those meeting it (its key); ``high_value``: True (the indicator's), False (valid, domestic,
    not high-value) or None (every valid, domestic invention patent); ``industry``: an SEI
    category's code (``1``, ``1.5``): those whose SEI evidence is in it or below it; ``met``:
    those meeting that many criteria (``3+``: at least three); ``criteria``: those meeting
    exactly these (keys joined by ``;``); ``owner``: an owner's id, in any position;
    ``domestic``: True (default), False or None (domestic or not)."""
    keys, wanted = check(profile, region=region, criterion=criterion, industry=industry,
                         met=met, criteria=criteria, owner=owner, sort=sort)
    graph = classification_graph(store, as_of, profile, base)
    bind: dict[str, Any] = {"graph": graph}
    if domestic is not None:
        bind["domestic"] = ox.Literal(domestic)
    if owner is not None:
        bind["owner"] = ox.NamedNode(mint(base, "owner", owner))
    if region != NATION:
        bind["region"] = ox.NamedNode(mint(base, "region", region))
    if criterion is not None:
        bind["criterion"] = ox.NamedNode(str(keys[criterion].iri))
    if high_value is not None:
        bind["hv"] = ox.Literal(high_value)
    if industry is not None:
        bind["industry"] = ox.NamedNode(str(SEI[industry]))
    filters = {"region": region != NATION, "criterion": criterion is not None,
               "high_value": high_value, "industry": industry is not None,
               "owner": owner is not None, "domestic": domestic}
    text = query(sort, **filters)  # type: ignore[arg-type]

    def found() -> list[tuple[Any, Any]]:
        return _ordered(store, text, bind, graph, keys, wanted, sort, descending)

    if isinstance(store, LocalStore):  # kept beside the store: read back, no search again
        parts = [text, answers.profile_key(str(profile.path)), str(met), str(criteria),
                 str(descending), *(f"{k}={v}" for k, v in sorted(bind.items()))]
        name = "found-" + hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
        pairs = Pairs(json.loads(answers.kept_bytes(store, f"{name}.json", lambda: json.dumps(
            [[c.value, p.value] for c, p in found()]).encode("utf-8"))))
    else:
        pairs = Pairs((c.value, p.value) for c, p in found())
    facts = query("patent", extra=FACTS, **filters)  # type: ignore[arg-type]
    return Found(as_of, graph, pairs, facts, bind)


def _ordered(store: Store, text: str, bind: dict[str, Any], graph: Any, keys: dict[str, Any],
             wanted: Callable[[frozenset[str]], bool] | None, sort: str, descending: bool
             ) -> list[tuple[Any, Any]]:
    """:func:`find`'s search: (classification node, patent) in the list's order."""
    meets = _meets(store, graph, keys) if wanted is not None else {}
    found: dict[str, tuple[Any, Any, str]] = {}
    for row in store.select(text, bind):
        if wanted is not None and not wanted(meets.get(row["c"].value, frozenset())):
            continue
        key = row["key"].value if "key" in row else ""
        patent = row["patent"].value
        if patent not in found or key < found[patent][2]:  # two titles: the first
            found[patent] = (row["c"], row["patent"], key)
    ordered = sorted(found.values(), key=lambda f: f[1].value, reverse=descending)
    if SORTS[sort]:  # by the key (stable: then by patent), those without it last
        keyed = sorted((f for f in ordered if f[2]), key=lambda f: f[2], reverse=descending)
        ordered = keyed + [f for f in ordered if not f[2]]
    return [(c, p) for c, p, _ in ordered]


def check(profile: Any, *, region: str = NATION, criterion: str | None = None,
          industry: str | None = None, met: str | None = None, criteria: str | None = None,
          owner: str | None = None, sort: str = "patent"
          ) -> tuple[dict[str, Any], Callable[[frozenset[str]], bool] | None]:
    """The filters of :func:`find` checked before any work (:class:`InputError` naming the
    first wrong one): the profile's criteria by key, and the test ``met`` and ``criteria`` ask
    on the keys a patent meets (None: no such filter)."""
    if not REGION.fullmatch(region):
        raise InputError("region must be CN or a province code such as CN-SN, got %(region)r",
                         region=region)
    if sort not in SORTS:
        raise InputError("sort must be one of %(sorts)s, got %(sort)r",
                         sorts=', '.join(SORTS), sort=sort)
    keys = {c.key: c for c in profile.criteria}
    if criterion is not None and criterion not in keys:
        raise InputError("criterion must be one of %(keys)s, got %(criterion)r",
                         keys=', '.join(keys), criterion=criterion)
    if owner is not None and (not owner or "/" in owner):
        raise InputError("owner must be an owner's id such as O1, got %(owner)r", owner=owner)
    if industry is not None and not INDUSTRY.fullmatch(industry):
        raise InputError("industry must be an SEI code such as 1 or 1.5, got %(industry)r",
                         industry=industry)
    return keys, _wanted(met, criteria, keys)


def _wanted(met: str | None, criteria: str | None,
            keys: dict[str, Any]) -> Callable[[frozenset[str]], bool] | None:
    """The test on the keys of the criteria a patent meets that ``met`` and ``criteria`` ask
    (None: no such filter)."""
    tests: list[Callable[[frozenset[str]], bool]] = []
    if met is not None:
        number = MET.fullmatch(met)
        if number is None:
            raise InputError("met must be a number of criteria such as 2, or 3+ for three or "
                             "more, got %(met)r", met=met)
        n, more = int(number[1]), bool(number[2])
        tests.append(lambda codes: len(codes) >= n if more else len(codes) == n)
    if criteria is not None:
        combination = frozenset(criteria.split(";"))
        unknown = sorted(combination - set(keys))
        if unknown:
            raise InputError("criteria must be criteria of the profile (%(keys)s) joined by "
                             "';', got %(criteria)r", keys=', '.join(keys), criteria=criteria)
        tests.append(lambda codes: codes == combination)
    if not tests:
        return None
    return lambda codes: all(test(codes) for test in tests)


def _meets(store: Store, graph: Any, keys: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Classification node IRI -> the keys of the criteria it meets."""
    by_iri = {str(c.iri): key for key, c in keys.items()}
    meets: dict[str, set[str]] = {}
    for row in store.select(MEETS, {"graph": graph}):
        meets.setdefault(row["c"].value, set()).add(by_iri.get(row["k"].value, row["k"].value))
    return {c: frozenset(codes) for c, codes in meets.items()}


def page(store: Store, found: Found, *, profile: Any, offset: int = 0,
         limit: int | None = None) -> PatentList:
    """``limit`` rows of a list from ``offset`` (all with ``limit=None``)."""
    chosen = found.patents[offset: None if limit is None else offset + limit]
    order = {str(c.iri): c.key for c in profile.criteria}
    if isinstance(store, LocalStore):  # the engine's indexes, patent by patent
        return PatentList(found.as_of, len(found.patents),
                          [_looked_up(store, c, p, found.graph, order) for c, p in chosen])
    if len(chosen) > BULK:
        facts = _facts(store.select(found.text, found.bind))
        rows = [_row(p, *facts.get(p.value, ({}, set())), order) for _, p in chosen]
    else:
        rows = [_listed(store, c, p, found.graph, order) for c, p in chosen]
    return PatentList(found.as_of, len(found.patents), rows)


def rows(store: Store, found: Found, *, profile: Any) -> Iterator[Listed]:
    """Every row of a list, in order, read as they are asked for (a download streamed: the
    first row at once, whatever the list's length). On disk the rows of a list read to its
    end are kept beside the store for its data (:mod:`kg.answers`): the same list downloaded
    again (another format, another language) reads them back instead of looking up each
    patent's facts again (about 0.25 ms a row at 100,000 patents, more at a million)."""
    if not isinstance(store, LocalStore):
        yield from page(store, found, profile=profile).rows
        return
    name = f"rows-{key(found, profile)}.json"
    kept = answers.read(store, name)
    if kept is not None:  # a list downloaded before, for the same data
        for patent, number, title, filing, owner, owner_name, region, met in json.loads(kept):
            yield Listed(patent, number, title, filing, owner, owner_name, region, tuple(met))
        return
    epoch = DATA_EPOCH[0]
    order = {str(c.iri): c.key for c in profile.criteria}
    known: dict[Any, tuple[list[str], list[str]]] = {}
    done: list[Listed] = []
    for node, patent in found.patents:
        row = _looked_up(store, node, patent, found.graph, order, known)
        done.append(row)
        yield row
    # the fields as they are (dataclasses.astuple deep-copies each: a fifth of a first download)
    fields = [(r.patent, r.patent_id, r.title, r.filing_date, r.owner, r.owner_name, r.region,
               r.criteria) for r in done]
    answers.keep(store, name, json.dumps(fields, ensure_ascii=False).encode("utf-8"), epoch)


def key(found: Found, profile: Any) -> str:
    """What names a list's rows kept beside the store (:mod:`kg.answers`): a digest of its
    patents in their order (lists of the same query and bindings differ by their sort and by
    the ``met`` and ``criteria`` filters, applied after the query), its classification graph
    and the profile."""
    digest = hashlib.sha256("\x00".join([str(found.graph), answers.profile_key(
        str(profile.path))]).encode("utf-8"))
    digest.update("".join(f"\x00{node}\x00{patent}"
                          for node, patent in found.patents.iris).encode("utf-8"))
    return digest.hexdigest()


def behind(store: Store, as_of: date, *, profile: Any, base: str = DEFAULT_BASE,
           sort: str = "patent", descending: bool = False, offset: int = 0,
           limit: int | None = None, **filters: Any) -> PatentList:
    """:func:`find` the list (``filters``: its keyword filters), then :func:`page` through
    it."""
    found = find(store, as_of, profile=profile, base=base, sort=sort, descending=descending,
                 **filters)
    return page(store, found, profile=profile, offset=offset, limit=limit)


def _facts(rows: list[Any]) -> dict[str, tuple[dict[str, str], set[str]]]:
    """Patent IRI -> (its facts, the IRIs of the criteria it meets), from rows that carry
    them (a patent with two titles: the first)."""
    found: dict[str, tuple[dict[str, str], set[str]]] = {}
    for row in rows:
        facts, met = found.setdefault(row["patent"].value, ({}, set()))
        if "met" in row:
            met.add(row["met"].value)
        for name, column in (("title", "title"), ("filing", "filing"), ("owner", "owner"),
                             ("name", "name"), ("region", "owner_region")):
            if column in row and (name not in facts or row[column].value < facts[name]):
                facts[name] = row[column].value
    return found


def _row(patent: Any, facts: dict[str, str], met: set[str], order: dict[str, str]) -> Listed:
    return Listed(patent.value, unquote(patent.value.rpartition("/patent/")[2]),
                  facts.get("title", ""), facts.get("filing", ""), facts.get("owner", ""),
                  facts.get("name", ""), facts.get("region", "").rpartition("/region/")[2],
                  tuple(key for iri, key in order.items() if iri in met))


#: High-value count per (first owner's region, criterion met) in one classification graph.
CRITERIA = f"""SELECT ?graph ?region ?criterion (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  GRAPH ?graph {{ ?c <{HVP.highValue}> true ; <{HVP.valid}> true ; <{HVP.domestic}> true ;
    <{HVP.patent}> ?patent ; <{HVP.meetsCriterion}> ?criterion }}
  OPTIONAL {{ ?patent <{HVP.firstOwner}>/<{HVP.region}> ?region }}
}} GROUP BY ?graph ?region ?criterion"""


def criterion_counts(store: Store, as_of: date, *, profile: Any,
                     base: str = DEFAULT_BASE) -> dict[str, dict[str, int]]:
    """Region code (``CN``: the nation, every region and none) -> criterion key -> how many of
    its high-value patents meet that criterion at ``as_of`` (a patent meeting several counts
    under each): what :func:`behind` lists with ``criterion``; kept beside the store
    (:mod:`kg.answers`) for its data."""
    graph = classification_graph(store, as_of, profile, base)
    parts = [answers.profile_key(str(profile.path)), base, graph.value]
    name = "criterion-counts-" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return json.loads(answers.kept_bytes(store, f"{name}.json", lambda: json.dumps(
        _criterion_counts(store, graph, profile)).encode()))  # type: ignore[no-any-return]


def _criterion_counts(store: Store, graph: Any, profile: Any) -> dict[str, dict[str, int]]:
    """:func:`criterion_counts` computed now: one GROUP BY over the classification graph
    (seconds at a million patents, so its answer is kept beside the store)."""
    keys = {str(c.iri): c.key for c in profile.criteria}
    counts: dict[str, dict[str, int]] = {NATION: {}}
    for row in store.select(CRITERIA, {"graph": graph}):
        key = keys.get(row["criterion"].value)
        if key is None:
            continue
        n = int(row["n"].value)
        counts[NATION][key] = counts[NATION].get(key, 0) + n
        if "region" in row:
            code = unquote(row["region"].value.rpartition("/region/")[2])
            counts.setdefault(code, {})[key] = n
    return counts


#: What a row shows of one patent (``?patent``, its node ``?c`` and ``?graph`` bound).
DETAILS = f"""SELECT ?patent ?c ?graph ?title ?filing ?owner ?name ?region ?criterion WHERE {{
  {{ OPTIONAL {{ ?patent <{DCTERMS.title}> ?title }}
    OPTIONAL {{ ?patent <http://data.epo.org/linked-data/def/patent/filingDate> ?filing }}
    OPTIONAL {{ ?patent <{HVP.firstOwner}> ?owner
      OPTIONAL {{ ?owner <http://xmlns.com/foaf/0.1/name> ?name }}
      OPTIONAL {{ ?owner <{HVP.region}> ?region }} }} }}
  UNION {{ GRAPH ?graph {{ ?c <{HVP.meetsCriterion}> ?criterion }} }}
}}"""


def _listed(store: Store, node: ox.NamedNode, patent: ox.NamedNode, graph: ox.NamedNode,
            order: dict[str, str]) -> Listed:
    rows = store.select(DETAILS, {"patent": patent, "c": node, "graph": graph})
    renamed = [{("owner_region" if k == "region" else "met" if k == "criterion" else k): v
                for k, v in row.items()} for row in rows]
    facts, met = _facts(renamed).get(patent.value, ({}, set()))
    return _row(patent, facts, met, order)


_TITLE = ox.NamedNode(str(DCTERMS.title))
_FILING = ox.NamedNode("http://data.epo.org/linked-data/def/patent/filingDate")
_FIRST_OWNER = ox.NamedNode(str(HVP.firstOwner))
_NAME = ox.NamedNode("http://xmlns.com/foaf/0.1/name")
_REGION = ox.NamedNode(str(HVP.region))
_MEETS = ox.NamedNode(str(HVP.meetsCriterion))


#: The most owners whose names and regions one list's rows remember (:func:`rows`).
OWNERS_KEPT = 100_000


def _looked_up(store: LocalStore, node: Any, patent: Any, graph: Any,
               order: dict[str, str], known: dict[Any, tuple[list[str], list[str]]] | None = None
               ) -> Listed:
    """What :data:`DETAILS` reads of one patent, from the engine's indexes (quad patterns, no
    query to parse and plan): the same row as :func:`_listed` (two values: the least).
    ``known``: owners' names and regions already read for the same list (an owner has many
    patents: two lookups of the six saved)."""
    data = ox.DefaultGraph()

    def objects(subject: Any, predicate: ox.NamedNode, where: Any = data) -> list[Any]:
        return [q.object for q in store.quads(subject, predicate, None, where)
                if not isinstance(q.object, ox.Triple)]

    def owner(o: Any) -> tuple[list[str], list[str]]:
        found = known.get(o) if known is not None else None
        if found is None:
            found = ([n.value for n in objects(o, _NAME)], [r.value for r in objects(o, _REGION)])
            if known is not None:
                if len(known) >= OWNERS_KEPT:
                    known.clear()
                known[o] = found
        return found

    owners = [o for o in objects(patent, _FIRST_OWNER) if not isinstance(o, ox.Literal)]
    facts_of = [owner(o) for o in owners]
    names = [n for found in facts_of for n in found[0]]
    regions = [r for found in facts_of for r in found[1]]
    met = {c.value for c in objects(node, _MEETS, graph)}
    facts = {name: min(found) for name, found in (
        ("title", [t.value for t in objects(patent, _TITLE)]),
        ("filing", [f.value for f in objects(patent, _FILING)]),
        ("owner", [o.value for o in owners]), ("name", names), ("region", regions)) if found}
    return _row(patent, facts, met, order)
