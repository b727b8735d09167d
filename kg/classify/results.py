"""Reading SPARQL results fast: CSV serialization parsed with the csv module.

Classification moves whole sets (up to millions of patents) from the engine to Python; building
one pyoxigraph term object per value costs more than the query, so the result is serialized by
the engine as SPARQL CSV (plain lexical values) and parsed here.
"""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox

from kg.store import Store

Table = list[dict[str, str]]


def table(store: Store, query: str, bindings: dict | None = None) -> Table:
    """Rows of a SELECT as dicts of lexical values ("" for unbound)."""
    engine_query = getattr(store, "query", None)
    if engine_query is None:  # a remote store: its own select
        return [{k: v.value for k, v in row.items()} for row in store.select(query, bindings)]
    result = engine_query(query, bindings)
    data = result.serialize(format=ox.QueryResultsFormat.CSV)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(reader, [])
    return [dict(zip(header, row, strict=True)) for row in reader]


def iri_rows(store: Store, query: str) -> list[list[str]]:
    """Rows of a SELECT whose values are all IRIs (or unbound: ""), read from TSV."""
    engine_query = getattr(store, "query", None)
    if engine_query is None:
        return [[t.value for t in row.values()] for row in store.select(query)]
    data = engine_query(query).serialize(format=ox.QueryResultsFormat.TSV).decode("utf-8")
    return [[cell[1:-1] for cell in line.split("\t")] for line in data.split("\n")[1:] if line]


def focus_set(store: Store, query: str, var: str = "focus") -> set[str]:
    """The IRIs bound to ``var`` by a SELECT (as plain strings).

    Read from SPARQL TSV, where an IRI is ``<...>`` (it cannot hold a tab or a line break), so
    no CSV parsing is needed.
    """
    engine_query = getattr(store, "query", None)
    if engine_query is None:
        return {row[var].value for row in store.select(query) if var in row}
    data = engine_query(query).serialize(format=ox.QueryResultsFormat.TSV).decode("utf-8")
    lines = data.split("\n")
    column = lines[0].split("\t").index("?" + var)
    cells = (line.split("\t")[column] for line in lines[1:] if line)
    return {cell[1:-1] for cell in cells if cell.startswith("<")}
