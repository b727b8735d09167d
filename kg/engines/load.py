"""``hvp ingest`` into a remote engine: the embedded store's checks, then one switch.

1. The engine's data (its default graph, or its data graph: Virtuoso) is read into a temporary
   on-disk embedded store, streamed through a file; the reference data is added if missing.
2. :func:`kg.ingest.ingest` runs there: every check of the embedded store (cells, references to
   owners already in the engine, re-ingested rows replacing old ones); a bad row stops it before
   anything is sent.
3. The whole new data is POSTed through the Graph Store Protocol, in batches of N-Triples, into
   a staging graph of its own (``urn:hvp:staging:…``), then counted there.
4. One SPARQL Update moves the staging graph over the data, the new dataset description (sent
   to a staging graph of its own) over its graph, and drops the derived graphs
   (classifications, indicator cubes: computed from the old data):
   ``MOVE SILENT GRAPH <staging> TO DEFAULT ; MOVE … ; DROP SILENT GRAPH <derived> ; …``.
   The data is counted again afterwards.

Until step 4 the engine's data is untouched, and the staging graph is dropped on every failure.
Step 4 is one request: all or nothing where the engine runs an update request in one transaction
(Oxigraph does); docs/engines.md says what each engine promises. The whole data is sent each
time, so an ingest costs the size of the data, not of the delta.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import dataset, reference
from kg.endpoint import EndpointStore
from kg.engines.copy import read_data
from kg.errors import KGError, StoreError
from kg.ingest import IngestReport, ingest
from kg.iri import derived_prefix
from kg.progress import Progress, step
from kg.store import LocalStore

BATCH = 100_000  # triples per Graph Store POST


def ingest_remote(remote: EndpointStore, paths: Iterable[Path], *, base: str,
                  progress: Progress | None = None, batch: int = BATCH,
                  **reading: Any) -> IngestReport:
    """Ingest CSV folders and RDF files into ``remote``; on bad input raise InputError and
    leave the engine's data as it was. ``reading``: how to read the paths (``fmt``,
    ``complete``: :func:`kg.ingest.ingest`)."""
    folder = Path(tempfile.mkdtemp(prefix="hvp-remote-ingest-"))
    try:
        local = LocalStore(folder / "store")
        described = ox.NamedNode(dataset.graph_iri(base))
        read_data(remote, local, folder / "data.nt", progress, [described])
        reference.ensure(local, base)
        report = ingest(local, paths, base=base, progress=progress, **reading)
        triples, description = folder / "new.nt", folder / "description.nt"
        with triples.open("wb") as out:
            local.dump(out, ox.RdfFormat.N_TRIPLES, ox.DefaultGraph())
        with description.open("wb") as out:
            local.dump(out, ox.RdfFormat.N_TRIPLES, described)
        blank = local.ask("ASK { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }")
        count = int(local.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].value)
        local.close()
        report.dropped = _switch(remote, triples, count, base, progress,
                                 batch if not blank else 0, (description, described))
        return report
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _count(remote: EndpointStore, graph: ox.NamedNode | ox.DefaultGraph) -> int:
    where = f"GRAPH {graph} {{ ?s ?p ?o }}" if isinstance(graph, ox.NamedNode) else "?s ?p ?o"
    return int(remote.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")[0]["n"].value)


def derived_graphs(remote: EndpointStore, base: str) -> list[ox.NamedNode]:
    """The engine's graphs computed from the data (classifications, indicators)."""
    prefix = derived_prefix(base)
    return [g for g in remote.named_graphs() if g.value.startswith(prefix)]


def _switch(remote: EndpointStore, triples: Path, count: int, base: str,
            progress: Progress | None, batch: int,
            description: tuple[Path, ox.NamedNode]) -> list[str]:
    """Send ``triples`` (N-Triples, ``count`` of them) to a staging graph and move it over the
    data in one update, with the dataset's description (a file of N-Triples, its graph) moved
    over its graph; ``batch`` 0: in one POST (blank nodes must not be split)."""
    staging = ox.NamedNode(f"urn:hvp:staging:{uuid.uuid4().hex}")
    described = ox.NamedNode(f"{staging.value}:description")
    try:
        _send(remote, triples, staging, count, progress, batch)
        sent = _count(remote, staging)
        if sent != count:
            raise StoreError("%(remote)r holds %(sent)s of the %(count)s triples sent to "
                             "%(staging)s: the engine's data is left as it was",
                             remote=remote, sent=f"{sent:,}", count=f"{count:,}", staging=staging)
        remote.load(description[0], ox.RdfFormat.N_TRIPLES, described)
        stale = derived_graphs(remote, base)
        target = remote.data
        into = "DEFAULT" if isinstance(target, ox.DefaultGraph) else f"GRAPH {target}"
        with step(progress, "switching the engine's data"):
            remote.update(" ;\n".join([f"MOVE SILENT GRAPH {staging} TO {into}",
                                       f"MOVE SILENT GRAPH {described} TO GRAPH "
                                       f"{description[1]}",
                                       *(f"DROP SILENT GRAPH {g}" for g in stale)]))
    except BaseException:
        with suppress(KGError):
            remote.clear_graph(staging)
            remote.clear_graph(described)
        raise
    now = _count(remote, target)
    if now != count:
        raise StoreError("%(remote)r: after the switch its data holds %(now)s triples, not "
                         "%(count)s: the engine did not move the staging graph in one piece",
                         remote=remote, now=f"{now:,}", count=f"{count:,}")
    return [g.value for g in stale]


def _send(remote: EndpointStore, triples: Path, graph: ox.NamedNode, count: int,
          progress: Progress | None, batch: int) -> None:
    label = f"sending {count:,} triples"
    if progress:
        progress(label, 0, count, 0)
    done = 0
    with triples.open("rb") as lines:
        while True:
            chunk = list(itertools.islice(lines, batch)) if batch else lines.readlines()
            if not chunk:
                break
            remote.load(b"".join(chunk), ox.RdfFormat.N_TRIPLES, graph)
            done += len(chunk)
            if progress:
                progress(label, done, count, done)
            if not batch:
                break
