"""The links graphs: what linking found, and what a reviewer decided, each with provenance.

``{base}links/wikidata`` holds the links of the last ``hvp link owners`` run: ``owl:sameAs``
for a match, ``skos:closeMatch`` for every other candidate; a run replaces the whole graph.
Each link is annotated by an ``owl:Axiom`` (``owl:annotatedSource`` / ``annotatedProperty`` /
``annotatedTarget``) with its score (``sssom:confidence``), its justification
(``sssom:mapping_justification``: ``semapv:LexicalMatching`` or, after review,
``semapv:ManualMappingCuration``), the evidence as a comment, and ``prov:wasGeneratedBy`` the
run: a ``prov:Activity`` with the endpoint (``prov:used``), its start and end time, and the
software and method version (``prov:wasAssociatedWith``).

``{base}links/wikidata-review`` keeps the reviewer's decisions (``hvp link owners --accept``):
``owl:sameAs`` for an accepted pair, ``owl:differentFrom`` for a rejected one. A run leaves it
alone and follows it: an accepted pair is written as ``owl:sameAs`` whatever its score, a
rejected one is not written at all.

Neither graph lies under ``{base}graph/``, the derived graphs that ``hvp ingest`` drops: links
survive a re-ingest (owner IRIs are stable: ``{base}owner/{owner_id}``). Every write of a
links graph goes through :func:`writing`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

import pyoxigraph as ox
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.classify import timeline
from kg.iri import mint
from kg.link.score import METHOD, Decision
from kg.store import LocalStore, staged

__all__ = ["links_graph", "review_graph", "Run", "link_quads", "write_run", "reviewed",
           "Reviewed", "Written", "SSSOM", "SEMAPV", "writing"]

SSSOM = "https://w3id.org/sssom/"
SEMAPV = "https://w3id.org/semapv/vocab/"
SAME, CLOSE, DIFFERENT = (ox.NamedNode(str(OWL.sameAs)), ox.NamedNode(str(SKOS.closeMatch)),
                          ox.NamedNode(str(OWL.differentFrom)))


def _n(term: object) -> ox.NamedNode:
    return ox.NamedNode(str(term))


@contextmanager
def writing(store: LocalStore, base: str) -> Iterator[LocalStore]:
    """A write of links graphs, all or nothing (:func:`kg.store.staged`), that names the data
    it leaves. Links are data (a re-ingest keeps them) that no classification reads: the write
    is staged as a write of data, so the new generation has a base (the data generation the
    profiles' timelines and kept answers are computed for) and starts without the derived
    graphs (an indicator cube from Wikidata's populations reads them); the timelines that held
    before are carried over with no patent to compute again
    (:func:`kg.classify.timeline.carry_over`). Staged otherwise, the store would name no data
    generation and every indicator computation would compute every patent's interval again."""
    graphs = timeline.keepable(store, base) if store.path is not None else []
    carry = partial(timeline.carry_over, graphs, [], None) if graphs else None
    with staged(store, data=True, kept=carry) as target:
        yield target


def links_graph(base: str) -> ox.NamedNode:
    """The graph of the last `hvp link owners` run's links to Wikidata."""
    return ox.NamedNode(mint(base, "links", "wikidata"))


def review_graph(base: str) -> ox.NamedNode:
    return ox.NamedNode(mint(base, "links", "wikidata-review"))


@dataclass(frozen=True)
class Run:
    """One linking run (or one review), for its provenance."""

    endpoint: str
    started: datetime
    ended: datetime
    software: str
    method: str = METHOD
    comment: str = ""


def _dt(when: datetime) -> ox.Literal:
    return ox.Literal(when.isoformat(), datatype=_n(XSD.dateTime))


def run_quads(run: Run, graph: ox.NamedNode, act: ox.BlankNode | None = None
              ) -> tuple[ox.BlankNode, list[ox.Quad]]:
    act, agent = act or ox.BlankNode(), ox.BlankNode()
    triples: list[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode,
                        ox.NamedNode | ox.BlankNode | ox.Literal]] = [
        (graph, _n(PROV.wasGeneratedBy), act),
        (act, _n(RDF.type), _n(PROV.Activity)),
        (act, _n(PROV.startedAtTime), _dt(run.started)),
        (act, _n(PROV.endedAtTime), _dt(run.ended)),
        (act, _n(PROV.wasAssociatedWith), agent),
        (agent, _n(RDF.type), _n(PROV.SoftwareAgent)),
        (agent, _n(RDFS.label), ox.Literal(run.software)),
        (agent, _n(OWL.versionInfo), ox.Literal(run.method)),
    ]
    if run.endpoint:
        triples.append((act, _n(PROV.used), ox.NamedNode(run.endpoint)))
    if run.comment:
        triples.append((act, _n(RDFS.comment), ox.Literal(run.comment)))
    return act, [ox.Quad(s, p, o, graph) for s, p, o in triples]


def link_quads(source: ox.NamedNode, prop: ox.NamedNode, target: ox.NamedNode, score: float,
               justification: str, comment: str, act: ox.BlankNode, graph: ox.NamedNode
               ) -> Iterator[ox.Quad]:
    ax = ox.BlankNode()
    yield ox.Quad(source, prop, target, graph)
    for p, o in ((_n(RDF.type), _n(OWL.Axiom)), (_n(OWL.annotatedSource), source),
                 (_n(OWL.annotatedProperty), prop), (_n(OWL.annotatedTarget), target),
                 (ox.NamedNode(SSSOM + "confidence"),
                  ox.Literal(repr(float(score)), datatype=_n(XSD.double))),
                 (ox.NamedNode(SSSOM + "mapping_justification"),
                  ox.NamedNode(SEMAPV + justification)),
                 (_n(PROV.wasGeneratedBy), act)):
        yield ox.Quad(ax, p, o, graph)
    if comment:
        yield ox.Quad(ax, _n(RDFS.comment), ox.Literal(comment), graph)


@dataclass(frozen=True)
class Reviewed:
    """The reviewer's decisions: accepted and rejected (owner IRI, item IRI) pairs."""

    accepted: frozenset[tuple[str, str]]
    rejected: frozenset[tuple[str, str]]


def reviewed(store: LocalStore, base: str) -> Reviewed:
    g = review_graph(base)
    acc = {_pair(q) for q in store.quads(None, SAME, None, g)}
    rej = {_pair(q) for q in store.quads(None, DIFFERENT, None, g)}
    return Reviewed(frozenset(acc), frozenset(rej))


def _pair(quad: ox.Quad) -> tuple[str, str]:
    return str(getattr(quad.subject, "value", "")), str(getattr(quad.object, "value", ""))


@dataclass(frozen=True)
class Written:
    """What :func:`write_run` wrote: the owners given an ``owl:sameAs``, and how many pairs
    the review decided (accepted and written as ``owl:sameAs``; rejected and left out)."""

    same_as: frozenset[str]
    accepted: int
    rejected: int


def write_run(store: LocalStore, base: str, run: Run, decisions: Iterable[Decision],
              describe: Callable[[Written], str] | None = None) -> Written:
    """Replace the links graph with the links of ``decisions``, following the review, in one
    staged write (:func:`kg.store.staged`): the old graph stays whole if anything fails.
    ``describe(written)``: what the run's ``rdfs:comment`` says after ``run.comment``, from
    what is written (the review followed), not from the machine's decisions."""
    graph = links_graph(base)
    review = reviewed(store, base)
    act = ox.BlankNode()
    quads: list[ox.Quad] = []
    written: set[tuple[str, str]] = set()
    same: set[str] = set()
    rejected = 0
    for d in decisions:
        source = ox.NamedNode(d.owner.iri)
        for i, s in enumerate(d.scored):
            pair = (d.owner.iri, s.candidate.iri)
            if pair in review.rejected:
                rejected += 1
                continue
            accepted = pair in review.accepted
            prop = SAME if accepted or (i == 0 and d.status == "matched") else CLOSE
            how = "ManualMappingCuration" if accepted else "LexicalMatching"
            quads.extend(link_quads(source, prop, ox.NamedNode(s.candidate.iri), s.score, how,
                                    "; ".join(s.evidence), act, graph))
            written.add(pair)
            if prop == SAME:
                same.add(d.owner.iri)
    for owner, item in sorted(review.accepted - written):  # a reviewer's own finds
        quads.extend(link_quads(ox.NamedNode(owner), SAME, ox.NamedNode(item), 1.0,
                                "ManualMappingCuration", "accepted in review", act, graph))
        same.add(owner)
    result = Written(frozenset(same), len(review.accepted), rejected)
    if describe is not None:
        run = replace(run, comment="; ".join(filter(None, (run.comment, describe(result)))))
    _, provenance = run_quads(run, graph, act)
    with writing(store, base) as target:
        target.clear_graph(graph)
        target.add(provenance + quads)
    return result
