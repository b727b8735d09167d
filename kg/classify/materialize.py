"""Writing a classification and its evidence into its named graph.

The graph (``{base}graph/classification/{profile}/{as_of}``, see docs/model.md) is dropped and
reloaded from N-Triples generated here: one classification node per invention patent,
one evidence node per met criterion (and per broken validity condition). The profile and the
as-of date are stated once, on the graph node, not on every classification node, and
the nodes carry no ``rdf:type``: the rdfs:domain of ``hvp:patent`` (``hvp:Classification``) and
the range of ``hvp:evidence`` (``hvp:Evidence``) state it; the triples cost a quarter of the load
time (docs/model.md).

The N-Triples are loaded in chunks by background threads (the engine releases the GIL while it
loads), so generating the next chunk overlaps loading the last ones. The graph node's
``dcterms:created`` is loaded last: a graph without it is incomplete (an interrupted run) and
:func:`is_complete` says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from types import TracebackType

import pyoxigraph as ox

from kg.classify.evidence import Evidence
from kg.iri import mint
from kg.vocab import DCTERMS, HVP, XSD

_BOOL = {True: f'"true"^^<{XSD.boolean}>', False: f'"false"^^<{XSD.boolean}>'}
# IRIs as ready N-Triples text, looked up once (the closed namespace is slow per access).
_PATENT = f"<{HVP.patent}>"
_VALID, _DOMESTIC, _HIGH_VALUE = f"<{HVP.valid}>", f"<{HVP.domestic}>", f"<{HVP.highValue}>"
_MEETS = f"<{HVP.meetsCriterion}>"
_EVIDENCE, _VALIDITY = f"<{HVP.evidence}>", f"<{HVP.validityEvidence}>"
_REASON, _CRITERION = f"<{HVP.reason}>", f"<{HVP.criterion}>"
_REFERENCES = f"<{DCTERMS.references}>"
_CRITERION_PROPS = {"code": f"<{HVP.ipcCode}>", "category": f"<{HVP.seiCategory}>"}


def graph_iri(base: str, profile: str, as_of: date) -> str:
    """The named graph of one (profile, as-of date) classification."""
    return mint(base, "graph", "classification", profile, as_of.isoformat())


def node_iri(base: str, profile: str, as_of: date, patent_id: str) -> str:
    """The hvp:Classification node of one patent."""
    return mint(base, "classification", profile, as_of.isoformat(), patent_id)


def literal(text: str) -> str:
    """An N-Triples string literal."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


class Writer:
    """Generates the N-Triples of one classification graph."""

    def __init__(self, base: str, profile_name: str, profile_iri: str, as_of: date) -> None:
        self.base, self.profile, self.as_of = base, profile_name, as_of
        self.patent_prefix = mint(base, "patent", "")
        self.node_prefix = node_iri(base, profile_name, as_of, "")
        self.profile_iri = profile_iri

    def graph_node(self) -> str:
        """The graph node's triples; ``dcterms:created`` last (it marks the graph complete)."""
        g = f"<{graph_iri(self.base, self.profile, self.as_of)}> "
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        return (f"{g}<{HVP.profile}> <{self.profile_iri}> .\n"
                f'{g}<{HVP.asOf}> "{self.as_of.isoformat()}"^^<{XSD.date}> .\n'
                f'{g}<{DCTERMS.created}> "{now}"^^<{XSD.dateTime}> .\n')

    def node(self, patent_iri: str, valid: bool, domestic: bool, high_value: bool,
             criteria: Iterable[str]) -> str:
        """Triples of one patent's classification node (``criteria``: IRIs of those it meets)."""
        s = f"<{self.node_of(patent_iri)}> "
        text = (f"{s}{_PATENT} <{patent_iri}> .\n{s}{_VALID} {_BOOL[valid]} .\n"
                f"{s}{_DOMESTIC} {_BOOL[domestic]} .\n{s}{_HIGH_VALUE} {_BOOL[high_value]} .\n")
        for iri in criteria:
            text += f"{s}{_MEETS} <{iri}> .\n"
        return text

    def evidence(self, patent_iri: str, evidence: Iterable[Evidence],
                 criterion_iris: dict[str, str]) -> str:
        """Triples of one patent's evidence nodes (met criteria or broken validity conditions)."""
        node = self.node_of(patent_iri)
        return "".join(line for ev in evidence
                       for line in self._evidence(node, ev, criterion_iris.get(ev.key)))

    def node_of(self, patent_iri: str) -> str:
        """The IRI of a patent's classification node in this graph."""
        return self.node_prefix + patent_iri.removeprefix(self.patent_prefix)

    def _evidence(self, node: str, ev: Evidence, criterion: str | None) -> Iterator[str]:
        iri = f"<{node}/{ev.key}>"
        link = _EVIDENCE if criterion else _VALIDITY
        yield f"<{node}> {link} {iri} .\n{iri} {_REASON} {literal(ev.reason)} .\n"
        if criterion:
            yield f"{iri} {_CRITERION} <{criterion}> .\n"
        for name, value in ev.items.items():
            if name in _CRITERION_PROPS:
                obj = f"<{value}>" if value.startswith("http") else literal(value)
                yield f"{iri} {_CRITERION_PROPS[name]} {obj} .\n"
            elif value.startswith(self.base) and name in ("member", "pledge", "award", "row"):
                yield f"{iri} {_REFERENCES} <{value}> .\n"


def is_complete(store, graph: str) -> bool:
    """True if the graph was written to the end (its node has ``dcterms:created``)."""
    return bool(store.ask(f"ASK {{ GRAPH <{graph}> {{ <{graph}> <{DCTERMS.created}> ?t }} }}"))


class Loader:
    """Replaces a named graph with N-Triples chunks, loaded by background threads.

    ``with Loader(store, graph) as put: put(chunk) ... put(marker, last=True)``: the graph is
    dropped first; chunks load concurrently, in any order; a ``last`` chunk waits for all the
    others (the completeness marker goes last); leaving the block waits for every load and
    raises the first error.
    """

    def __init__(self, store, graph: str, threads: int = 2, queue: int = 6) -> None:
        self.store, self.graph, self.queue = store, ox.NamedNode(graph), queue
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hvp-load")
        self.pending: list[Future] = []

    def __enter__(self):
        self.store.update(f"DROP SILENT GRAPH {self.graph}")
        return self.put

    def put(self, chunk: str, last: bool = False) -> None:
        """Queue one chunk of N-Triples; at most ``queue`` chunks wait or load (bounding memory)
        so that the caller can go on generating while the engine loads."""
        while len(self.pending) >= (1 if last else self.queue):
            self.pending.pop(0).result()
        data = chunk.encode("utf-8")
        self.pending.append(self.pool.submit(self.store.load, data, ox.RdfFormat.N_TRIPLES,
                                             self.graph))

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            for future in self.pending:
                future.result()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
