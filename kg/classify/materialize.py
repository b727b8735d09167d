"""Writing a classification and its evidence into its named graph, as one bulk load.

The graph (``{base}graph/classification/{profile}/{as_of}``, see docs/model.md) is dropped and
reloaded from N-Triples generated here: one ``hvp:Classification`` node per invention patent,
one ``hvp:Evidence`` node per met criterion (and per broken validity condition).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

import pyoxigraph as ox

from kg.classify.evidence import Evidence
from kg.iri import mint
from kg.vocab import DCTERMS, HVP, RDF, XSD

_BOOL = {True: f'"true"^^<{XSD.boolean}>', False: f'"false"^^<{XSD.boolean}>'}
# IRIs as ready N-Triples text, looked up once (the closed namespace is slow per access).
_TYPE, _CLASSIFICATION, _PATENT = f"<{RDF.type}>", f"<{HVP.Classification}>", f"<{HVP.patent}>"
_FLAGS = (f"<{HVP.valid}>", f"<{HVP.domestic}>", f"<{HVP.highValue}>")
_REGION, _MEETS = f"<{HVP.region}>", f"<{HVP.meetsCriterion}>"
_EVIDENCE, _VALIDITY = f"<{HVP.evidence}>", f"<{HVP.validityEvidence}>"
_EVIDENCE_CLASS, _REASON, _CRITERION = f"<{HVP.Evidence}>", f"<{HVP.reason}>", f"<{HVP.criterion}>"
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
        self.head = (f"<{HVP.profile}> <{profile_iri}> .\n"
                     f'<{HVP.asOf}> "{as_of.isoformat()}"^^<{XSD.date}> .\n')

    def graph_node(self) -> str:
        g = f"<{graph_iri(self.base, self.profile, self.as_of)}> "
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        return (g + self.head.replace(".\n", ".\n" + g, 1)
                + g + f'<{DCTERMS.created}> "{now}"^^<{XSD.dateTime}> .\n')

    def row(self, patent_iri: str, patent_id: str, flags: tuple[bool, bool, bool],
            region_iri: str, criteria: Iterable[tuple[str, str]],
            evidence: Iterable[Evidence], criterion_iris: dict[str, str]) -> str:
        """Triples of one patent: flags = (valid, domestic, high_value)."""
        node = self.node_prefix + patent_iri.removeprefix(self.patent_prefix)
        s = f"<{node}> "
        out = [f"{s}{_TYPE} {_CLASSIFICATION} .\n{s}{_PATENT} <{patent_iri}> .\n",
               s + self.head.replace(".\n", ".\n" + s, 1)]
        for prop, value in zip(_FLAGS, flags, strict=True):
            out.append(f"{s}{prop} {_BOOL[value]} .\n")
        if region_iri:
            out.append(f"{s}{_REGION} <{region_iri}> .\n")
        for _, iri in criteria:
            out.append(f"{s}{_MEETS} <{iri}> .\n")
        for ev in evidence:
            out.extend(self._evidence(node, ev, criterion_iris.get(ev.key)))
        return "".join(out)

    def _evidence(self, node: str, ev: Evidence, criterion: str | None) -> Iterator[str]:
        iri = f"<{node}/{ev.key}>"
        link = _EVIDENCE if criterion else _VALIDITY
        yield f"<{node}> {link} {iri} .\n{iri} {_TYPE} {_EVIDENCE_CLASS} .\n"
        yield f"{iri} {_REASON} {literal(ev.reason)} .\n"
        if criterion:
            yield f"{iri} {_CRITERION} <{criterion}> .\n"
        for name, value in ev.items.items():
            if name in _CRITERION_PROPS:
                obj = f"<{value}>" if value.startswith("http") else literal(value)
                yield f"{iri} {_CRITERION_PROPS[name]} {obj} .\n"
            elif value.startswith(self.base) and name in ("member", "pledge", "award", "row"):
                yield f"{iri} {_REFERENCES} <{value}> .\n"


def load(store, graph: str, chunks: Iterable[str]) -> None:
    """Replace the named graph with the generated triples (one bulk load)."""
    store.update(f"DROP SILENT GRAPH <{graph}>")
    data = "".join(chunks).encode("utf-8")
    store.load(data, ox.RdfFormat.N_TRIPLES, ox.NamedNode(graph))
