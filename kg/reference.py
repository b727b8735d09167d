"""Reference data shipped with hvp-kg and loaded once into every store.

The ontology, the SEI classification, award kinds, regions (``ontology/*.ttl``), the official
year-end population and the built-in partial SEI concordance (``kg/data/*.csv``).
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.folders import DATA, ONTOLOGY
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore, Store
from kg.vocab import OWL, RDF

MARKER = ox.Quad(ox.NamedNode("https://w3id.org/hvp/def"), ox.NamedNode(str(RDF.type)),
                 ox.NamedNode(str(OWL.Ontology)), ox.DefaultGraph())


GENID = "https://w3id.org/hvp/.well-known/genid/"


def skolemized(turtle: bytes, name: str) -> list[ox.Quad]:
    """The quads of a Turtle file with blank nodes replaced by stable IRIs (RDF 1.1 §3.5).

    Blank nodes are canonicalized first (RDFC-1.0), so that the same file always gives the same
    IRIs and an exported store can be ingested again without duplicates.
    """
    dataset = ox.Dataset(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)

    def term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.Literal:
        return ox.NamedNode(f"{GENID}{name}-{t.value}") if isinstance(t, ox.BlankNode) else t

    return [ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name)  # type: ignore[arg-type]
            for q in dataset]


def is_loaded(store: Store) -> bool:
    """True if the store holds the ontology's marker triple (embedded or remote store)."""
    return store.ask(f"ASK {{ {MARKER.subject} {MARKER.predicate} {MARKER.object} }}")


def ensure(store: LocalStore, base: str = DEFAULT_BASE) -> bool:
    """Load the reference data unless the store has it; True when it was loaded now."""
    if is_loaded(store):
        return False
    if DATA.is_dir() and any(DATA.glob("*.csv")):
        ingest(store, [DATA], base=base, source="hvp-kg built-in reference data")
    # hvp.ttl holds the marker: loaded last, so an interrupted load is redone next time
    for path in sorted(ONTOLOGY.glob("*.ttl"), key=lambda p: p.name == "hvp.ttl"):
        text = path.read_text(encoding="utf-8")
        if base != DEFAULT_BASE:
            text = text.replace(DEFAULT_BASE + "region/", base + "region/")
        store.add(skolemized(text.encode("utf-8"), path.stem))
    store.flush()
    return True
