"""Each patent's high-value interval under a profile, kept as a compact graph per profile.

Validity at an as-of date D is one interval, [grant, min(lapse, end of term)), and every
criterion is monotone in D (docs/rules.md §2): sei and the domestic condition do not depend on
D; overseas, maintained, pledge (summed or not) and award hold from some date on. So a patent
is high-value under a profile exactly on [from, until) with from = max(grant, earliest criterion
onset) and until = the end of its validity. Each unit says its own dates, beside its shape:
``hvp:onsetQuery`` (``$this ?from``: holds from ?from on; no row, never) and ``hvp:endQuery``
(``$this ?until``: holds before ?until; no row, always), instantiated with the profile's
parameters like the shape (docs/criteria.md).

:func:`select_text` composes them into one set-based SELECT of ``?this ?from ?until
?domestic`` (on an embedded store the same entries are computed unit by unit and joined in
Python: :mod:`kg.classify.intervals`); :func:`ensure` keeps them in
``{base}graph/timeline/{profile}`` (three triples or fewer per patent that is ever high-value,
streamed into the store, the year tally counted as they pass), and brings a kept graph up to
date: the patents an ingest marked ``hvp:stalePatent`` (:func:`carry_over`)
are computed again with a ``VALUES`` of their IRIs inside every group of the query that names
the patent, their few triples replaced. The graph's ``hvp:sourceState`` says what it was
computed from (the profile's digest and the store's data generation, its base): a graph from
other data or another profile is computed again for every patent.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg import answers, generations
from kg.classify import intervals, materialize, year_tally
from kg.iri import mint
from kg.profiles import Profile
from kg.progress import Progress, reading, step
from kg.store import LocalStore, Store, base_beside, derived_replaced, derived_writes
from kg.vocab import DCTERMS, HVP, RDF, XSD

#: Things per VALUES block when finding the patents a delta reaches.
CHUNK = 2000
#: Patents per VALUES block of an incremental update (the engine's time grows faster than the
#: block: at 100,000 patents 0.18 s for 500, 1.27 s for 2,000).
UPDATE_CHUNK = 500
_WHERE = re.compile(r"WHERE\s*\{", re.I)
_THIS = re.compile(r"[$?]this\b")
_SUBSELECT = re.compile(r"\{\s*SELECT\b", re.I)


def graph_iri(base: str, profile: str) -> str:
    """The timeline graph of one profile."""
    return mint(base, "graph", "timeline", profile)


def is_timeline(base: str, graph: str) -> bool:
    """Whether ``graph`` is the timeline graph of a profile."""
    return graph.startswith(mint(base, "graph", "timeline", ""))


def select_text(prof: Profile, shapes: Graph) -> str:
    """One SELECT of ``?this ?from ?until ?domestic``: every invention patent that is
    high-value at some date, the first such date, the first date after it at which it is no
    longer valid (unbound: none known) and whether its first owner is domestic (true or
    unbound). ``shapes``: the profile instantiated (:meth:`Profile.instantiate`; the as-of date
    is not read). Raises InputError if a unit has no onset query."""
    prefixes: set[str] = set()
    valid, criteria, domestic = intervals.bounds(prof, shapes)
    for _, head, _ in valid:
        prefixes.add(head)
    for head, _ in [*criteria, domestic]:
        prefixes.add(head)
    body = ["?this a hvp:InventionPatent ."]
    starts, ends = [], []
    for i, (kind, _, text) in enumerate(valid):
        name = f"?v{i}"
        if kind == "from":
            body.append(f"{{ SELECT ?this (?from AS {name}) WHERE {{ {{ {text} }} }} }}")
            starts.append(name)
        else:
            body.append(f"OPTIONAL {{ SELECT ?this (?until AS {name}) WHERE {{ {{ {text} }} }} }}")
            ends.append(name)
    if criteria:
        union = " UNION ".join(f"{{ {text} }}" for _, text in criteria)
        body.append(f"{{ SELECT ?this (MIN(?from) AS ?met) WHERE {{ {union} }} GROUP BY ?this }}")
        starts.append("?met")
    else:
        body.append("FILTER(false)")  # no criterion: never high-value
    body.append(f"OPTIONAL {{ SELECT ?this (true AS ?domestic) WHERE {{ {{ {domestic[1]} }} }} }}")
    body += _folded(starts, "?from", "IF({a} > {b}, {a}, {b})")
    if ends:
        body += _folded(ends, "?until", "COALESCE(IF({a} < {b}, {a}, {b}), {a}, {b})")
        body.append("FILTER(!BOUND(?until) || ?from < ?until)")
    head = intervals.PREFIX + "".join(sorted(prefixes))
    return head + SELECT + "\n  ".join(body) + "\n}\n"


SELECT = "SELECT ?this ?from ?until ?domestic WHERE {\n  "


def composed(store: Store, prof: Profile, shapes: Graph) -> Iterator[year_tally.Entry]:
    """The entries as the one query of :func:`select_text` answers them (what a remote engine
    computes; :func:`kg.classify.intervals.entries` gives the same on an embedded store)."""
    rows = store.query(select_text(prof, shapes))
    assert isinstance(rows, ox.QuerySolutions)  # a SELECT
    return _entries(rows)


def split(text: str) -> tuple[str, str]:
    """A query of :func:`select_text` as (its PREFIX lines, the SELECT to nest in another)."""
    at = text.index(SELECT)
    return text[:at], text[at:]


def _folded(names: list[str], result: str, how: str) -> list[str]:
    """BINDs folding ``names`` pairwise with ``how`` into ``result``."""
    if len(names) == 1:
        return [f"BIND({names[0]} AS {result})"]
    out, current = [], names[0]
    for i, name in enumerate(names[1:]):
        target = result if i == len(names) - 2 else f"{result}_{i}"
        out.append(f"BIND({how.format(a=current, b=name)} AS {target})")
        current = target
    return out


def restricted(text: str, patents: Iterable[str]) -> str:
    """``text`` with ``VALUES ?this { ... }`` first in every group after ``WHERE`` that names
    the patent (``$this`` or ``?this``) itself, outside the sub-SELECTs it holds, so that the
    engine evaluates every part for those patents only (a trailing VALUES would be joined after
    evaluating everything; one in a group whose sub-SELECT alone names the patent would
    multiply that group's rows by the number of patents: 10 s for 200 patents at 100,000)."""
    values = "VALUES ?this { " + " ".join(f"<{p}>" for p in patents) + " } "
    subselects = [(m.start(), _closing(text, m.start() + 1) + 1)
                  for m in _SUBSELECT.finditer(text)]
    spots = []
    for match in _WHERE.finditer(text):
        end = _closing(text, match.end())
        inner = [(a, b) for a, b in subselects if match.end() <= a and b <= end + 1]
        own, at = [], match.end()
        for a, b in inner:
            if a >= at:
                own.append(text[at:a])
                at = b
        own.append(text[at:end])
        if any(_THIS.search(part) for part in own):
            spots.append(match.end())
    out = text
    for spot in reversed(spots):
        out = out[:spot] + " " + values + out[spot:]
    return out


def _closing(text: str, start: int) -> int:
    """The index of the brace closing the group opened just before ``start`` (string
    literals skipped)."""
    depth, quote, i = 0, "", start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif text.startswith(quote, i):
                quote = ""
        elif char in "\"'":
            quote = '"""' if text.startswith('"""', i) else char
            i += len(quote) - 1
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return len(text)


def turtle(rows: Iterable[ox.QuerySolution | dict]) -> Iterator[str]:
    """The timeline triples of each row of :func:`select_text` (after materialize.HEADER)."""
    return (_text(entry) for entry in _entries(rows))


def _text(entry: year_tally.Entry) -> str:
    """The timeline triples of one entry (after materialize.HEADER)."""
    this, start, until, domestic = entry
    text = f'<{this}> hvp:highValueFrom "{start}"^^xsd:date'
    if until is not None:
        text += f' ;\n  hvp:highValueUntil "{until}"^^xsd:date'
    return text + f" ;\n  hvp:domesticFirstOwner {'true' if domestic else 'false'} .\n"


_COLUMNS = ("this", "from", "until", "domestic")


def _entries(rows: Iterable[ox.QuerySolution | dict]) -> Iterator[year_tally.Entry]:
    """The rows of :func:`select_text` as tally entries; the engine's solutions unpacked in
    the order of the SELECT (a lookup by name per column cost a third of writing them)."""
    if not isinstance(rows, ox.QuerySolutions):
        yield from map(_entry, rows)
        return
    for this, start, until, domestic in rows:
        yield this.value, start.value, until.value if until is not None else None, \
            domestic is not None


def _get(row: ox.QuerySolution | dict, name: str) -> ox.NamedNode | ox.Literal | None:
    """A column of a row of the engine's (None when unbound) or of Store.select."""
    return row.get(name) if isinstance(row, dict) else row[name]  # type: ignore[return-value]


def data_state(store: Store) -> str:
    """The identity of the store's data (:func:`kg.generations.ident`: kept beside its
    generation, carried by a staged write of derived graphs such as the web app's writer
    process makes, changed by any write of data), "" when unknown (in memory, remote): a
    timeline is trusted only for a known one."""
    path = getattr(store, "path", None)
    return generations.ident(path) if isinstance(path, Path) else ""


def source_state(profile: str, store: Store) -> str:
    """What a timeline is computed from: the profile's digest, then the data's generation."""
    return f"{answers.profile_key(profile)} {data_state(store)}"


def _node(store: Store, graph: str) -> str | None:
    """The graph's hvp:sourceState if the graph is complete, else None."""
    rows = store.select(f"SELECT ?state WHERE {{ GRAPH <{graph}> {{ <{graph}> <{HVP.sourceState}> "
                        f"?state ; <{DCTERMS.created}> ?t }} }}")
    return rows[0]["state"].value if rows else None


def stale(store: Store, graph: str) -> list[str]:
    """The patents marked for computing again in the timeline graph."""
    return [row["p"].value for row in store.select(
        f"SELECT ?p WHERE {{ GRAPH <{graph}> {{ <{graph}> <{HVP.stalePatent}> ?p }} }}")]


def current(store: Store, prof: Profile, profile: str, base: str) -> bool:
    """Whether the profile's kept timeline graph is up to date (nothing to compute again)."""
    graph = graph_iri(base, prof.name)
    state = source_state(profile, store)
    return _node(store, graph) == state and not state.endswith(" ") \
        and not stale(store, graph) and year_tally.read(store, graph) is not None


def ensure(store: Store, prof: Profile, profile: str, base: str,
           progress: Progress | None = None) -> str:
    """The profile's timeline graph, brought up to date: kept as it is, its stale patents
    computed again, or computed for every patent (logged, with the reason)."""
    graph = graph_iri(base, prof.name)
    state = source_state(profile, store)
    kept = _node(store, graph)
    counted = kept is not None and year_tally.read(store, graph) is not None
    if kept is not None and kept == state and not state.endswith(" ") and counted:
        marked = stale(store, graph)
        if marked:
            update(store, prof, graph, marked, progress)
        return graph
    why = ("none kept" if kept is None else "the profile or program changed"
           if kept.split(" ")[0] != state.split(" ")[0] else "the data changed since"
           if not state.endswith(" ") else "the store names no data generation: in memory, "
           "remote, or data written outside an ingest" if counted else "no year tally kept")
    with step(progress, f"timeline of {prof.name}: every patent ({why})"):
        write_all(store, prof, graph, state, progress)
    return graph


def write_all(store: Store, prof: Profile, graph: str, state: str,
              progress: Progress | None = None) -> None:
    """Make the timeline graph hold every patent's interval, and its year tally; in the store's
    base too when it has one (:func:`kg.store.base_beside`: the next ingest starts from it
    there, with no copy). A graph kept from other data (an ingest that could not trace what it
    changed, a write outside an ingest: :func:`kg.ingest.drop_derived` keeps it) is compared
    with the new rows entry by entry, and only the entries that differ are removed and written:
    never the whole graph deleted quad by quad (about 20,000 quads/s)."""
    shapes = prof.instantiate(datetime.now(UTC).date())
    label = f"writing the timeline of {prof.name}"
    with ExitStack() as stack:
        base = stack.enter_context(base_beside(store)) if isinstance(store, LocalStore) \
            and not state.endswith(" ") else None
        if not isinstance(store, LocalStore):  # a remote engine: dropped and loaded, counted
            _load_all(store, graph, store.select(select_text(prof, shapes)), label, progress)
            with step(progress, f"tallying the timeline of {prof.name} by region and year"):
                counted = year_tally.full(store, graph)
        else:
            counter = year_tally.Counter(store)
            computed = counter.passing(intervals.entries(
                store, prof, shapes, progress, f"timeline of {prof.name}: its unit queries"))
            same = base is not None and _same(store, base, graph)
            _replace([store, base] if same and base is not None else [store], graph,
                     _keyed(computed), label, progress)
            if base is not None and not same:  # a base behind the generation: its own diff
                _replace([base], graph, _kept(store, ox.NamedNode(graph)).items(),
                         f"{label} in the store's base", progress)
            counted = counter.tally
        node = ox.NamedNode(graph)
        marker = [ox.Quad(node, ox.NamedNode(str(HVP.profile)), ox.NamedNode(str(prof.iri)), node),
                  ox.Quad(node, ox.NamedNode(str(HVP.sourceState)), ox.Literal(state), node),
                  ox.Quad(node, year_tally.TALLY, year_tally.literal(counted), node),
                  ox.Quad(node, ox.NamedNode(str(DCTERMS.created)),
                          ox.Literal(datetime.now(UTC).isoformat(),
                                     datatype=ox.NamedNode(str(XSD.dateTime))), node)]
        for target in (store, base):
            if target is not None:
                with derived_writes():  # one transaction: the graph is complete, or is not
                    target.add(marker)


#: Entries per chunk loaded while the timeline is written.
LOAD_CHUNK = 50_000


def _load_all(store: Store, graph: str, rows: Iterable[ox.QuerySolution | dict], label: str,
              progress: Progress | None) -> None:
    """The graph dropped and every row's entry loaded (a remote engine)."""
    done = 0
    if progress:
        progress(label, 0, None, 0)
    with materialize.Loader(store, graph) as put:
        batch: list[str] = []
        for chunk in turtle(rows):
            batch.append(chunk)
            if len(batch) >= LOAD_CHUNK:
                done += len(batch)
                if progress:
                    progress(label, done, None, done)
                put("".join(batch))
                batch = []
        if batch:
            put("".join(batch))
            done += len(batch)
        if progress:
            progress(label, done, done, done)
        put("", last=True)


def _replace(targets: list[LocalStore], graph: str, entries: Iterable[tuple[str, str]],
             label: str, progress: Progress | None) -> None:
    """Make the entries of the graph in each of ``targets`` (which hold the same graph) those
    of ``entries`` (patent, :func:`_key`): its metadata removed first (the graph incomplete
    until the caller's marker), the entries that differ from the kept ones removed, those of
    patents no longer listed too, and the new ones loaded in one bulk load per target (one set
    of files for the engine to place, none left for a compaction to rewrite: a compaction in
    a generation would copy what it shares with its base)."""
    node = ox.NamedNode(graph)
    old = _kept(targets[0], node)
    for target in targets:
        if old:
            derived_replaced(target)  # answers may have read the graph it replaces
        with derived_writes():
            target.remove(list(target.quads(node, None, None, node)))
    written, changed, kept = 0, [], 0
    with _scratch(targets[0]) as tmp:
        with tmp.open("w", encoding="utf-8") as out:
            out.write(materialize.HEADER)
            for patent, key in entries:
                if progress and written + kept == 0:  # begun: the entries' computation is done
                    progress(label, 0, None, 0)
                before = old.pop(patent, None)
                if before == key:
                    kept += 1
                    continue
                if before is not None:
                    changed.append(patent)
                out.write(_text(_unkey(patent, key)))
                written += 1
                if progress and written % LOAD_CHUNK == 0:
                    progress(label, written, None, written)
        if progress and written + kept:
            progress(label, written, written, written)  # ended: the load's step follows
        gone = sorted(old)
        removed = sorted(changed) + gone
        for i, target in enumerate(targets):
            where = " in the store's base" if i else ""
            with step(progress, f"{label}: {written:,} entries written, {kept:,} kept, "
                                f"{len(removed):,} removed{where}"):
                for start in range(0, len(removed), CHUNK):
                    with derived_writes():
                        _forget(target, graph, removed[start:start + CHUNK])
            if written:  # a bulk load: its bar moves by the file the engine has read
                with reading(progress, f"{label}: loading {written:,} entries{where}", tmp), \
                        derived_writes():
                    target.load(tmp, ox.RdfFormat.TURTLE, node)


@contextmanager
def _scratch(store: LocalStore) -> Iterator[Path]:
    """A temporary file for the entries to load: in the store's home on disk (a killed run's
    is removed by the next command), else in the system's."""
    if store.path is None:
        fd, name = tempfile.mkstemp(suffix=".ttl", prefix="hvp-timeline-")
        os.close(fd)
        try:
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)
        return
    home = store.path.parent if store.staging else generations.scratch(store.path)
    with generations.temporary(store.path, ".ttl", folder=home) as path:
        yield path


def _same(store: LocalStore, base: LocalStore, graph: str) -> bool:
    """Whether the base holds the same timeline graph as the store (both complete for the
    same state with the same stale marks, or both without it)."""
    node = _node(store, graph)
    if node is None or _node(base, graph) != node:
        return node is None and _node(base, graph) is None and not any(
            True for target in (store, base)
            for _ in target.quads(None, None, None, ox.NamedNode(graph)))
    return set(stale(store, graph)) == set(stale(base, graph))


_FROM, _UNTIL, _DOMESTIC = (str(HVP.highValueFrom), str(HVP.highValueUntil),
                            str(HVP.domesticFirstOwner))


def _kept(store: LocalStore, node: ox.NamedNode) -> dict[str, str]:
    """Patent -> :func:`_key` of its entry in the graph (read from the index)."""
    parts: dict[str, list[str]] = {}
    for quad in store.quads(None, None, None, node):
        subject = quad.subject
        if subject == node or not isinstance(subject, ox.NamedNode):
            continue
        entry = parts.get(subject.value)
        if entry is None:
            entry = parts[sys.intern(subject.value)] = ["", "", ""]
        at = {_FROM: 0, _UNTIL: 1, _DOMESTIC: 2}.get(quad.predicate.value)
        if at is not None and isinstance(quad.object, ox.Literal):
            entry[at] = quad.object.value
    return {patent: "|".join(entry) for patent, entry in parts.items()}


def _keyed(entries: Iterable[year_tally.Entry]) -> Iterator[tuple[str, str]]:
    """(patent, :func:`_key`) of each entry."""
    for this, start, until, domestic in entries:
        yield this, _key(start, until or "", domestic)


def _key(start: str, until: str, domestic: bool) -> str:
    """An entry as one string: what two entries of a patent are compared by."""
    return f"{start}|{until}|{'true' if domestic else 'false'}"


def _unkey(patent: str, key: str) -> year_tally.Entry:
    """The entry of ``patent`` that :func:`_key` made ``key`` of."""
    start, until, domestic = key.split("|")
    return patent, start, until or None, domestic == "true"


def _forget(store: LocalStore, graph: str, patents: list[str]) -> None:
    """Remove the entries of ``patents`` from the timeline graph, looked up in the index (a
    VALUES joined with the graph would read all of it)."""
    node = ox.NamedNode(graph)
    store.remove([q for p in patents for q in store.quads(ox.NamedNode(p), None, None, node)])


def update(store: Store, prof: Profile, graph: str, patents: list[str],
           progress: Progress | None = None) -> None:
    """Compute the entries of ``patents`` again and replace theirs, then add them to the year
    tally and remove their stale marks in one transaction; in the store's base too, for those
    of them still marked there (:func:`kg.store.base_beside`)."""
    assert isinstance(store, LocalStore)
    text = select_text(prof, prof.instantiate(datetime.now(UTC).date()))
    derived_replaced(store)
    label = f"timeline of {prof.name}: {len(patents):,} patents the data changed"
    computed: list[tuple[year_tally.Entry, str]] = []
    for start in range(0, len(patents), UPDATE_CHUNK):
        if progress:
            progress(label, start, len(patents), None)
        chunk = patents[start:start + UPDATE_CHUNK]
        rows = store.select(restricted(text, chunk))
        with derived_writes():
            _forget(store, graph, chunk)
        computed.extend((entry, _text(entry)) for entry in _entries(rows))
    regions = year_tally.regions(store, [entry[0] for entry, _ in computed if entry[3]])
    _settle(store, graph, patents, computed, regions)
    with base_beside(store) as base:
        if base is not None and _node(base, graph) == _node(store, graph):
            marked = set(stale(base, graph)).intersection(patents)
            for start in range(0, len(marked), CHUNK):
                with derived_writes():
                    _forget(base, graph, sorted(marked)[start:start + CHUNK])
            _settle(base, graph, sorted(marked),
                    [(entry, text) for entry, text in computed if entry[0] in marked], regions)
    if progress:
        progress(label, len(patents), len(patents), None)


def _settle(store: LocalStore, graph: str, patents: list[str],
            computed: list[tuple[year_tally.Entry, str]], regions: dict[str, set[str]]) -> None:
    """Load the new entries of ``patents`` (their old ones removed before), then add them to
    the tally and remove the patents' marks in one transaction: a run killed before it leaves
    the marks, and the next computes those patents again (their entries replaced, counted
    once)."""
    if not patents:
        return
    node = ox.NamedNode(graph)
    old = year_tally.read(store, graph)
    assert old is not None
    new = year_tally.changed(old, [entry for entry, _ in computed], regions, 1)
    with derived_writes():  # one load (each costs about 70 ms however small)
        store.load((materialize.HEADER + "".join(text for _, text in computed)).encode("utf-8"),
                   ox.RdfFormat.TURTLE, node)
        marks = " ".join(f"{node} <{HVP.stalePatent}> <{p}> ." for p in patents)
        store.update(f"DELETE DATA {{ GRAPH {node} {{ {marks} {node} {year_tally.TALLY} "
                     f"{year_tally.literal(old)} }} }} ;\n"
                     f"INSERT DATA {{ GRAPH {node} {{ {node} {year_tally.TALLY} "
                     f"{year_tally.literal(new)} }} }}")


def _entry(row: ox.QuerySolution | dict) -> year_tally.Entry:
    """A row of :func:`select_text` as a tally entry."""
    this, start, until, domestic = (_get(row, name) for name in _COLUMNS)
    assert this is not None and start is not None
    return this.value, start.value, until.value if until is not None else None, \
        domestic is not None


def keepable(store: Store, base: str) -> list[str]:
    """The timeline graphs that hold for the store's current data (complete, computed for its
    data generation): those an ingest may carry into the next one."""
    state = data_state(store)
    if not state:
        return []
    prefix = mint(base, "graph", "timeline", "")
    rows = store.select(f"SELECT ?g ?state WHERE {{ GRAPH ?g {{ ?g <{HVP.sourceState}> ?state ; "
                        f"<{DCTERMS.created}> ?t ; <{HVP.yearTally}> ?tally }} "
                        f"FILTER(STRSTARTS(STR(?g), \"{prefix}\")) }}")
    return [row["g"].value for row in rows
            if row["state"].value.rpartition(" ")[2] == state]


def reached(store: LocalStore, subjects: list[str]) -> set[str]:
    """The invention patents whose timeline entry can depend on what ``subjects`` say: each
    subject that is one, and those that reach one in one or two links (a patent's first owner,
    its family and the family's members, its pledges and awards: every unit's query reads
    within two links of the patent)."""
    found = set(subjects)
    for start in range(0, len(subjects), CHUNK):
        values = _values("s", subjects[start:start + CHUNK])
        # The links first, the patents among them after: with ?p a hvp:InventionPatent in the
        # same query the engine may start from every patent (515 s against 2 s at 100,000).
        found.update(row["p"].value for row in store.select(
            f"SELECT DISTINCT ?p WHERE {{ {{ {values} ?p ?x ?s }} UNION "
            f"{{ {values} ?m ?y ?s . ?p ?x ?m }} FILTER(isIRI(?p)) }}"))
    return inventions(store, sorted(found))


def inventions(store: LocalStore, things: list[str]) -> set[str]:
    """Those of ``things`` that are invention patents, looked up one by one in the index (a
    VALUES joined with ``?p a hvp:InventionPatent`` reads every patent: 20 s a chunk at
    100,000)."""
    kind, invention = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(HVP.InventionPatent))
    return {thing for thing in things if any(
        True for _ in store.quads(ox.NamedNode(thing), kind, invention, ox.DefaultGraph()))}


def _values(name: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{name} {{ " + " ".join(f"<{i}>" for i in iris) + " }"


def carry_over(graphs: list[str], subjects: list[str], progress: Progress | None,
               old: LocalStore, stage: LocalStore) -> None:
    """Bring the timeline ``graphs`` of ``old`` into the staged generation ``stage`` of an
    ingest that wrote what ``subjects`` say (and removed what they said before): mark the
    patents that reach them stale (in either generation: a link removed counts too), take
    their old entries out of the year tally (their old regions read from ``old``), and state
    the new data generation as theirs. A stage checkpointed from a base that keeps the graph
    as ``old`` has it (:func:`kg.store.base_beside`) changes only that; otherwise the graph is
    copied in bulk (one dump and one load), none of its quads deleted one by one."""
    assert old.path is not None and stage.path is not None
    state = generations.ident(stage.path)
    with step(progress, f"finding the patents {len(subjects):,} changed things reach"):
        patents = sorted(reached(old, subjects) | reached(stage, subjects))
    for graph in graphs:
        node = ox.NamedNode(graph)
        kept = _node(old, graph) or ""
        if _node(stage, graph) != kept or year_tally.read(stage, graph) is None:
            with step(progress, f"copying {graph} (the base does not keep it)"), \
                    generations.temporary(old.path, ".nt") as tmp:
                stage.clear_graph(node)  # an older one, if any: quad by quad (seldom)
                old.oxigraph.dump(str(tmp), ox.RdfFormat.N_TRIPLES, from_graph=node)
                stage.load(tmp, ox.RdfFormat.N_TRIPLES, node)
        with step(progress, f"keeping {graph} ({len(patents):,} patents to compute again)"):
            marked = set(stale(stage, graph))
            fresh = [p for p in patents if p not in marked]
            before = year_tally.read(stage, graph)
            assert before is not None
            leaving = year_tally.entries(stage, graph, fresh)
            after = year_tally.changed(before, leaving, year_tally.regions(
                old, [entry[0] for entry in leaving if entry[3]]), -1)
            stage.update(f"DELETE WHERE {{ GRAPH {node} {{ {node} <{HVP.sourceState}> ?s ; "
                         f"{year_tally.TALLY} ?t }} }}")
            stage.add([ox.Quad(node, ox.NamedNode(str(HVP.sourceState)),
                               ox.Literal(f"{kept.split(' ')[0]} {state}"), node),
                       ox.Quad(node, year_tally.TALLY, year_tally.literal(after), node)]
                      + [ox.Quad(node, ox.NamedNode(str(HVP.stalePatent)), ox.NamedNode(p), node)
                         for p in fresh])

