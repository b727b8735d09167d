"""RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML): checked, then bulk-loaded."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError, RowError
from kg.ingest import model, scan
from kg.store import LocalStore
from kg.vocab import HVP, RDF

_TYPE = ox.NamedNode(str(RDF.type))
_CONCORDANCE_ROW = ox.NamedNode(str(HVP.ConcordanceRow))

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}


def base_of(path: Path) -> str:
    """The base IRI of a file's relative IRIs: the file's own ``file:`` URL."""
    return path.resolve().as_uri()


def format_of(path: Path) -> ox.RdfFormat:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise InputError("%(path)s: unknown RDF file type %(path_suffix)r; use one of "
                         "%(known)s, or a folder of CSV files",
                         path=path, path_suffix=path.suffix, known=known) from None


@dataclass
class Checked:
    """What a checked RDF file will change."""

    quads: int = 0
    replaced: set[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.DefaultGraph]
                  ] = field(default_factory=set)
    """(subject, predicate, graph) whose values in the store the file replaces."""
    concordance: bool = False
    """The file holds SEI concordance rows: they replace the store's whole concordance."""


def check(path: Path, fmt: ox.RdfFormat, store: LocalStore, base: str,
          progress: Callable[[str, int, int | None, int | None], None] | None = None
          ) -> Checked:
    """Parse the whole file without storing it; what it will replace, or a located error.

    Before parsing, :func:`kg.ingest.scan.check` refuses a DTD and deep nesting; while
    parsing, every quad is checked against the model (:mod:`kg.ingest.model`: datatypes,
    lexical forms, the CSV rules, no derived graphs).

    For each subject and predicate that the file states, its values replace those in the store
    (so that re-ingesting an exported, edited file updates rather than accumulates).
    ``progress`` is :data:`kg.progress.Progress`, labelled with the file's path.
    """
    result = Checked()
    label = str(path)
    facts = model.Facts(base)
    try:
        scan.check(path, fmt)
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if progress:
                progress(label, 0, size, 0)
            for quad in ox.parse(f, format=fmt, base_iri=base_of(path)):
                result.quads += 1
                facts.check(quad)
                _note(result, quad, store)
                if progress and result.quads % 20_000 == 0:
                    progress(label, min(f.tell(), size - 1), size, result.quads)
        facts.order(store)
        if progress:
            progress(label, size, size, result.quads)
    except model.Broken as exc:
        raise located(path, exc) from None
    except SyntaxError as exc:
        line = exc.lineno or 0
        column = str(exc.offset) if exc.offset else "*"
        raise RowError(str(path), line, column, exc.msg) from None
    except OSError as exc:
        raise InputError("%(path)s: cannot read: %(exc)s", path=path, exc=exc) from None
    return result


def located(path: Path, problem: model.Broken) -> InputError:
    """The error for a quad that breaks a rule, at the first place in the file where the text
    it was found by appears (the parser gives no position for a quad it read well)."""
    where = model.position(lambda: _lines(path), problem)
    if where is None:
        return InputError("%(path)s: %(problem)s", path=path, problem=problem.error())
    return RowError(str(path), where[0], str(where[1]), problem.template, **problem.params)


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        yield from f


def _note(result: Checked, quad: ox.Quad, store: LocalStore) -> None:
    if quad.predicate == _TYPE and quad.object == _CONCORDANCE_ROW:
        result.concordance = True
    key = (quad.subject, quad.predicate, quad.graph_name)
    if key not in result.replaced and next(iter(store.quads(*key[:2], None, key[2])), None):
        result.replaced.add(key)  # type: ignore[arg-type]


def clear(store: LocalStore, checked: Checked) -> None:
    """Remove the values that a checked file replaces."""
    for subject, predicate, graph in checked.replaced:
        store.remove(store.quads(subject, predicate, None, graph))
