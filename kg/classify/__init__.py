"""Classify invention patents under a criteria profile at an as-of date.

API (used by the CLI, the indicators and the web app)::

    from kg.classify import classify, ensure, Classification, ClassRow

    result = classify(store, date(2024, 12, 31), profile="cnipa-2021", engine="sparql",
                      base=DEFAULT_BASE)
    result.rows    # list[ClassRow(patent_id, valid, domestic, region, high_value, criteria)]
    result.graph   # IRI of the named graph holding the results and their evidence
    graph = ensure(store, date(2024, 12, 31), "cnipa-2021", DEFAULT_BASE)  # reuse or compute

``profile`` is a shipped name (``shapes/profiles/NAME.ttl``), a ``.ttl`` path or a loaded
:class:`kg.profiles.Profile`. ``engine="sparql"`` (default) runs one compiled, set-based query
per leaf shape in the store and joins the sets in Python; ``engine="pyshacl"`` validates the same
instantiated shapes with pySHACL on an rdflib copy of the store (slow; for small data and tests).
Rows follow docs/rules.md §4: one per invention patent, sorted by patent id; ``criteria`` in the
profile's order (``sh:order`` of the criteria: sei, overseas, maintained, pledge, award) and empty
for a patent that is not valid; ``region`` the
first owner's ISO 3166-2 code for domestic patents, else "". Results and evidence are written to
``{base}graph/classification/{profile}/{as_of}`` (replaced on a re-run; dropped by ingest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import NamedTuple
from urllib.parse import unquote

from rdflib import Graph, URIRef

from kg import collector
from kg import iri as iris
from kg.classify import engines, evidence, grouped, materialize
from kg.classify.evidence import Evidence
from kg.classify.result_sets import iri_rows, spill
from kg.errors import InputError
from kg.iri import DEFAULT_BASE
from kg.profiles import DEFAULT_PROFILE, Profile, load
from kg.progress import Progress
from kg.store import Store
from kg.vocab import HVP, SKOS

__all__ = ["ENGINES", "ClassRow", "Classification", "classify", "ensure", "graph_iri"]

#: The engine names: ``sparql`` (compiled queries run in the store) and ``pyshacl``.
ENGINES = ("sparql", "pyshacl")
graph_iri = materialize.graph_iri

_PATENTS = """PREFIX hvp: <https://w3id.org/hvp/def#>
SELECT ?patent ?region WHERE {
  ?patent a hvp:InventionPatent .
  OPTIONAL { ?patent hvp:firstOwner/hvp:region ?region }
}"""


class ClassRow(NamedTuple):
    """One invention patent's classification (docs/rules.md §4); immutable (a named tuple: a million
    of them are made per run)."""

    patent_id: str
    valid: bool
    domestic: bool
    region: str
    high_value: bool
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    """All rows of one classification and the graph that holds them."""

    profile: str
    as_of: date
    engine: str
    rows: list[ClassRow]
    graph: str


def _profile(profile: str | Path | Profile) -> Profile:
    return profile if isinstance(profile, Profile) else load(profile)


def classify(store: Store, as_of: date, *, profile: str | Path | Profile = DEFAULT_PROFILE,
             engine: str = "sparql", base: str = DEFAULT_BASE,
             store_graph: bool = True, progress: Progress | None = None) -> Classification:
    """Classify every invention patent and materialize results and evidence.

    ``store_graph=False`` only computes the rows: no evidence, nothing written, ``graph`` is
    "" (for a caller that needs the counts once, e.g. indicators that keep no classification).
    ``progress`` hears three bars (:data:`kg.progress.Progress`): the criteria's queries
    answered (the SPARQL engine), the patents whose rows and graph nodes are written, the
    evidence's units described.
    """
    if engine not in ENGINES:
        raise InputError("unknown engine %(engine)r; choose one of %(engines)s",
                         engine=engine, engines=', '.join(ENGINES))
    prof = _profile(profile)
    shapes = prof.instantiate(as_of)
    return _classify(store, as_of, prof, shapes, engine, base, store_graph, progress)


def _building(engine: str) -> AbstractContextManager[None]:
    """The collector paused while the patent list, the rows and the evidence are built
    (:mod:`kg.collector`); not while the profile is read and instantiated (rdflib).

    A SPARQL classification builds millions of small container objects (rows, evidence rows)
    that live until it ends and form no cycles; with the collector on, each of its passes walks
    all of them again (measured at 1,000,000 patents: building the rows 2.5 s with it, 0.34 s
    without). pySHACL and rdflib make cyclic garbage: with them the collector stays on.
    """
    return collector.paused() if engine == "sparql" else nullcontext()


def _classify(store: Store, as_of: date, prof: Profile, shapes: Graph, engine: str, base: str,
              store_graph: bool, progress: Progress | None) -> Classification:
    label = f"classifying at {as_of}"
    queries = None if progress is None else \
        (lambda done, total: progress(f"{label}: the criteria's queries", done, total, None))
    with _building(engine):  # the patent list: a million tuples
        patents, sets = _sets(store, prof, shapes, engine, base, queries)
    if not store_graph:
        with _building(engine):
            return Classification(prof.name, as_of, engine, [row for row, _ in _rows(
                prof, patents, sets, base)], "")
    graph = materialize.graph_iri(base, prof.name, as_of)
    writer = materialize.Writer(base, prof.name, str(prof.iri), as_of,
                                [str(c.iri) for c in prof.criteria], _undescribed(store, prof))
    criterion_iris = {c.key: str(c.iri) for c in prof.criteria}
    rows: list[ClassRow] = []
    # The evidence queries run, one at a time, while the rows are made and the classification
    # nodes generated and loaded (the engine evaluates and loads without the GIL): the store
    # loads one chunk at a time, so the loader keeps one core and the queries the other. Each
    # answer goes to a file, not into memory; the evidence is then made unit by unit in
    # buckets of patents (kg.classify.grouped) and follows the nodes, the graph node last
    # (measured orders: docs/classification.md).
    with TemporaryDirectory(prefix="hvp-evidence-") as folder, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="hvp-evidence") as background, \
            materialize.Loader(store, graph) as put:
        spilled = background.submit(_spill, store, prof, shapes, Path(folder))

        def nodes() -> Iterator[str]:
            writing = f"{label}: the rows and the graph"
            if progress:
                progress(writing, 0, len(patents), 0)
            for row, patent in _rows(prof, patents, sets, base):
                rows.append(row)
                if progress and len(rows) % EVERY == 0:
                    progress(writing, len(rows), len(patents), len(rows))
                yield writer.node(patent, row.valid, row.domestic, row.high_value,
                                  [criterion_iris[k] for k in row.criteria])
            if progress:
                progress(writing, len(rows), len(rows), len(rows))

        with _building(engine):
            _chunks(put, nodes())
            files = spilled.result()
            names = evidence.labels(store, "en")  # the stored reason is English
            _chunks(put, (writer.evidence(patent, [found], criterion_iris)
                          for patent, found in _evidence(prof, as_of, patents, sets, files,
                                                         names, progress, label)))
        # Freed while the last chunks load: freeing a million patents' sets takes a while,
        # which would otherwise follow the load.
        for big in (patents, sets):
            big.clear()
        put(writer.graph_node(), last=True)
    return Classification(prof.name, as_of, engine, rows, graph)


def _sets(store: Store, prof: Profile, shapes: Graph, engine: str, base: str,
          queries: Callable[[int, int], None] | None = None
          ) -> tuple[dict[str, tuple[str, str]], dict[URIRef, set[str]]]:
    """The invention patents and the conforming set of every shape the rows need.

    With the SPARQL engine the leaf queries need no targets: the patent list is read beside
    them."""
    if engine != "sparql":
        patents = _patents(store, base)
        return patents, engines.pyshacl_sets(store, shapes, _wanted(prof), set(patents))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hvp-patents") as background:
        patents_future = background.submit(_patents, store, base)
        answers = engines.leaf_answers(store, shapes, _wanted(prof), done=queries)
        patents = patents_future.result()
    return patents, engines.combine(shapes, _wanted(prof), answers, set(patents))


def _undescribed(store: Store, prof: Profile) -> list[tuple[str, str, dict[str, str]]]:
    """Criteria that the store's ontology does not name (one a profile adds), with their
    notation and the labels of their shapes."""
    out = []
    for c in prof.criteria:
        if not store.ask(f"ASK {{ <{c.iri}> <{SKOS.notation}> ?code }}"):
            labels = {lang: prof.label(c.shape, lang) for lang in ("en", "zh")}
            out.append((str(c.iri), c.key, labels))
    return out


#: Patents between two reports of the rows written.
EVERY = 50_000


def _chunks(put: Callable[[str], None], texts: Iterable[str], size: int = 50_000) -> None:
    """Send generated Turtle to ``put`` in chunks of ``size`` patents."""
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= size:
            put("".join(batch))
            batch.clear()
    if batch:
        put("".join(batch))


def ensure(store: Store, as_of: date, profile: str | Path | Profile = DEFAULT_PROFILE,
           base: str = DEFAULT_BASE) -> str:
    """The classification graph, computed now unless already materialized (ingest drops it)."""
    prof = _profile(profile)
    graph = materialize.graph_iri(base, prof.name, as_of)
    if not materialize.is_complete(store, graph):
        classify(store, as_of, profile=prof, base=base)
    return graph


def _wanted(prof: Profile) -> list[URIRef]:
    return [prof.valid, prof.domestic, prof.high_value,
            *(shape for _, shape in prof.conditions), *(c.shape for c in prof.criteria)]


def _patents(store: Store, base: str = DEFAULT_BASE) -> dict[str, tuple[str, str]]:
    """Invention patent IRI -> (patent id, first owner's region IRI or "").

    The id is read back from the IRI that ingest minted (``{base}patent/{id}``, percent-encoded).
    """
    prefix = iris.mint(base, "patent", "")
    out: dict[str, tuple[str, str]] = {}
    for patent, region in iri_rows(store, _PATENTS):
        local = patent[len(prefix):] if patent.startswith(prefix) else patent.rsplit("/", 1)[-1]
        out.setdefault(patent, (unquote(local), region))
    return out


def _spill(store: Store, prof: Profile, shapes: Graph, folder: Path) -> dict[str, Path | None]:
    """Criterion or condition key -> the file its evidence query's answer was written to (None
    for a unit without one), the queries one at a time (the caller runs this beside the load,
    which keeps the other core)."""
    out: dict[str, Path | None] = {}
    for i, (key, shape) in enumerate(_units(prof)):
        query = prof.query(shapes, shape, HVP.evidenceQuery)
        out[key] = None if query is None else folder / f"{i}.csv"
        if query is not None:
            spill(store, query, folder / f"{i}.csv")
    return out


def _evidence(prof: Profile, as_of: date, patents: dict[str, tuple[str, str]],
              sets: dict[URIRef, set[str]], files: dict[str, Path | None],
              names: Mapping[str, str], progress: Progress | None = None,
              label: str = "") -> Iterator[tuple[str, Evidence]]:
    """The evidence of every patent whose graph needs it (a met criterion of a valid patent, a
    broken validity condition of one that is not), unit by unit: its supporting rows, described
    (a bare placeholder when the unit has no evidence query or no row supports it). A
    criterion's rows for a patent that is not valid are never read."""
    valid = sets[prof.valid]
    units = _units(prof)
    for done, (key, shape) in enumerate(units):
        if progress:
            progress(f"{label}: the evidence, unit by unit", done, len(units), None)
        members = sets[shape]
        if key in {c.key for c in prof.criteria}:
            def wanted(p: str, members: set[str] = members) -> bool:
                return p in members and p in valid
        else:
            def wanted(p: str, members: set[str] = members) -> bool:
                return p in patents and p not in valid and p not in members
        reasons = evidence.Reasons(prof, shape, as_of, labels=names)
        path = files[key]
        found = grouped.groups(path, patents, wanted) if path is not None else \
            ((p, []) for p in patents if wanted(p))
        for patent, rows in found:
            supporting = reasons.supporting(rows)
            yield patent, (evidence.describe(key, supporting, reasons) if supporting
                           else Evidence(key, key))
    if progress:
        progress(f"{label}: the evidence, unit by unit", len(units), len(units), None)


def _units(prof: Profile) -> list[tuple[str, URIRef]]:
    """Key and shape of every criterion and validity condition."""
    return [(c.key, c.shape) for c in prof.criteria] + list(prof.conditions)


def _rows(prof: Profile, patents: dict[str, tuple[str, str]], sets: dict[URIRef, set[str]],
          base: str) -> Iterator[tuple[ClassRow, str]]:
    """The output rows (sorted by id), each with the patent's IRI."""
    valid_set, domestic_set, hv_set = (sets[prof.valid], sets[prof.domestic],
                                       sets[prof.high_value])
    # Each valid patent's met criteria, in the profile's order, found set by set (not by five
    # lookups per patent).
    met_of: dict[str, tuple[str, ...]] = {}
    for criterion in prof.criteria:
        for patent in sets[criterion.shape] & valid_set:
            met_of[patent] = (*met_of.get(patent, ()), criterion.key)
    regions: dict[str, str] = {}
    for patent, (patent_id, region_iri) in sorted(patents.items(), key=_by_id):
        valid, domestic = patent in valid_set, patent in domestic_set
        if domestic and region_iri not in regions:
            regions[region_iri] = _region(base, region_iri)
        met = met_of.get(patent, ())  # () for a patent that is not valid
        yield (ClassRow(patent_id, valid, domestic, regions[region_iri] if domestic else "",
                        patent in hv_set, met), patent)


def _by_id(item: tuple[str, tuple[str, str]]) -> str:
    return item[1][0]


def _region(base: str, region_iri: str) -> str:
    parsed = iris.parse(base, region_iri) if region_iri else None
    return parsed[1][0] if parsed and parsed[0] == "region" else ""
