"""RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML): checked, then bulk-loaded."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError, RowError

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


def format_of(path: Path) -> ox.RdfFormat:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"{path}: unknown RDF file type {path.suffix!r}; use one of {known}, "
                         "or a folder of CSV files") from None


def check(path: Path, fmt: ox.RdfFormat, progress: object = None) -> int:
    """Parse the whole file without storing it; the number of quads, or a located error."""
    count = 0
    try:
        with path.open("rb") as f:
            for _ in ox.parse(f, format=fmt, base_iri=path.resolve().as_uri()):
                count += 1
    except SyntaxError as exc:
        line = exc.lineno or 0
        column = str(exc.offset) if exc.offset else "*"
        raise RowError(str(path), line, column, exc.msg) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    return count
