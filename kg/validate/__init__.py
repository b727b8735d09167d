"""Data-quality validation of a store's data with pySHACL and the shapes under shapes/data/."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg.errors import InputError
from kg.folders import SHAPES
from kg.parser_lock import SPARQL_PARSER
from kg.store import Store
from kg.vocab import SH

DATA_SHAPES = SHAPES / "data"


@dataclass
class ValidationReport:
    conforms: bool
    graph: rdflib.Graph
    text: str


def load_shapes(paths: list[Path] | None = None) -> rdflib.Graph:
    """The shapes of ``paths`` (default: the data-quality shapes under shapes/data/) merged."""
    graph = rdflib.Graph()
    for path in paths or sorted(DATA_SHAPES.glob("*.ttl")):
        part = rdflib.Graph()
        try:
            part.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises many types for bad syntax
            raise InputError("%(path)s: cannot read shapes: %(exc)s", path=path, exc=exc) from exc
        graph += part
        for prefix, namespace in part.namespaces():
            graph.bind(prefix, namespace, override=False)
        if not _has_shapes(part):
            raise InputError("%(path)s: no SHACL shapes in it (no sh:NodeShape, "
                             "sh:PropertyShape or sh:targetClass): nothing would be checked",
                             path=path)
    return graph


def _has_shapes(graph: rdflib.Graph) -> bool:
    return any(graph.triples((None, rdflib.RDF.type, SH.NodeShape))) or any(
        graph.triples((None, rdflib.RDF.type, SH.PropertyShape))) or any(
        graph.triples((None, SH.targetClass, None)))


def data_graph(store: Store, into: rdflib.Graph | None = None,
               graph: ox.NamedNode | ox.DefaultGraph | None = None) -> rdflib.Graph:
    """A graph of the store (the default graph unless ``graph`` names one) copied as N-Triples
    into an rdflib graph for pySHACL: ``into``, or a new ``rdflib.Graph``."""
    buffer = io.BytesIO()
    store.dump(buffer, ox.RdfFormat.N_TRIPLES, graph or ox.DefaultGraph())
    copy = rdflib.Graph() if into is None else into
    copy.parse(data=buffer.getvalue(), format="nt")
    return copy


def validate(data: rdflib.Graph, shapes: rdflib.Graph) -> ValidationReport:
    """Validate ``data`` against ``shapes`` with pySHACL (the reference engine)."""
    # A local import: pySHACL takes about 0.3 s of CPU to import, a third of `import kg`'s
    # cost, and only validation by pySHACL needs it (tests/test_imports.py lists it).
    from pyshacl import validate as shacl_validate

    with SPARQL_PARSER:  # pySHACL parses SHACL-SPARQL with rdflib (kg.parser_lock)
        conforms, report, text = shacl_validate(data, shacl_graph=shapes, advanced=True,
                                                allow_warnings=True)
    return ValidationReport(bool(conforms), report, str(text))
