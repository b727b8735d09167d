"""A copy of a remote engine's data in a temporary on-disk embedded store.

Read through the Graph Store Protocol (the engine's data graph, streamed through a file, never
whole in memory) and loaded with the embedded store's bulk loader. ``hvp ingest --endpoint``
checks new rows against it; ``hvp validate`` runs there on an engine whose dialect says it
cannot validate itself (:attr:`kg.engines.dialect.Dialect.validates_on_copy`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from kg.endpoint import EndpointStore
from kg.progress import Progress, step
from kg.store import LocalStore


def read_data(remote: EndpointStore, local: LocalStore, file: Path,
              progress: Progress | None = None, graphs: Iterable[ox.NamedNode] = ()) -> int:
    """Load the engine's data (its default graph, or its data graph) into ``local``'s
    default graph through ``file``, and each of ``graphs`` that the engine holds into the
    graph of that name; the number of bytes read."""
    data = remote.data
    where = f"GRAPH {data} {{ ?s ?p ?o }}" if isinstance(data, ox.NamedNode) else "?s ?p ?o"
    if not remote.ask(f"ASK {{ {where} }}"):
        return 0
    size = 0
    with step(progress, "reading the engine's data"):
        every: list[ox.NamedNode | ox.DefaultGraph] = [ox.DefaultGraph(), *graphs]
        for graph in every:
            if isinstance(graph, ox.NamedNode) and not remote.ask(
                    f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"):
                continue
            with file.open("wb") as out:
                remote.dump(out, ox.RdfFormat.N_TRIPLES, graph)
            size += file.stat().st_size
            local.load(file, ox.RdfFormat.N_TRIPLES,
                       graph if isinstance(graph, ox.NamedNode) else None)
    return size


@contextmanager
def data_copy(remote: EndpointStore, progress: Progress | None = None) -> Iterator[LocalStore]:
    """The engine's data in a temporary on-disk store, removed when the block ends."""
    folder = Path(tempfile.mkdtemp(prefix="hvp-remote-copy-"))
    local = LocalStore(folder / "store")
    try:
        read_data(remote, local, folder / "data.nt", progress)
        yield local
    finally:
        local.close()
        shutil.rmtree(folder, ignore_errors=True)
