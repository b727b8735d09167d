"""The data's size counted by the ingest that changes it, for the dataset description.

The description (:mod:`kg.dataset`) states the data's triples and its things by kind. Counted
in the store, that reads every quad (``len``) and every typed thing: seconds at 250,000 patents,
minutes of wall at 5,000,000 on a loaded machine. An ingest staged from the store's base starts
from exactly the data the last description counted (a write of data outside an ingest removes
the base: decision 40), so its counts are the last ones plus what this ingest adds and minus
what it removes, both counted as it writes:

* removed: the quads :func:`kg.ingest._clear_stale` takes away (each counted once);
* added: each triple of the ingest's N-Triples file that the store does not hold yet and that
  the file has not said before (the file is read once more, beside the load).

An ingest that cannot be followed so (RDF files, a new concordance, more than :data:`MAX_ADDED`
triples, a store with no base or no description) counts in the store, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg import dataset
from kg.stats import NAMES
from kg.store import LocalStore
from kg.vocab import HVP, RDF

#: Above this many triples to load the file is not checked triple by triple (each is looked up
#: in the store and kept in a set): the store is counted instead.
MAX_ADDED = 2_000_000
_TYPE = ox.NamedNode(str(RDF.type))
_KINDS = {ox.NamedNode(f"{HVP}{cls}"): label for cls, label in NAMES.items()}


class Tally:
    """The data's size as the last description stated it, moved by this ingest's writes."""

    def __init__(self, scale: dataset.Scale) -> None:
        self.triples = scale.triples
        self.things = dict(scale.things)

    @classmethod
    def start(cls, store: LocalStore, base: str, triples_to_load: int) -> Tally | None:
        """A tally for an ingest into ``store`` (a staged store), or None when its counts must
        be taken in the store: not staged from a base, no description, too much to load."""
        if not store.from_base or triples_to_load > MAX_ADDED:
            return None
        before = dataset.read(store, base)
        if before is None or set(before.classes) != {str(kind.value) for kind in _KINDS}:
            return None
        things = {_KINDS[ox.NamedNode(iri)]: n for iri, n in before.classes.items()}
        return cls(dataset.Scale(before.triples, things))

    def removed(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        """Count quads of the data about to be removed (each once); returns them."""
        gone = list(dict.fromkeys(quads))
        for quad in gone:
            self._count(quad.predicate, quad.object, -1)
        return gone

    def added(self, store: LocalStore, path: Path) -> None:
        """Count the triples of the N-Triples file ``path`` that loading it into ``store``'s
        default graph adds (before it is loaded)."""
        seen: set[ox.Quad] = set()
        for quad in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES):  # the default graph's
            if quad in seen:
                continue
            seen.add(quad)
            if quad not in store.oxigraph:
                self._count(quad.predicate, quad.object, 1)

    def scale(self) -> dataset.Scale:
        """The size after the ingest's writes."""
        return dataset.Scale(self.triples, dict(self.things))

    def _count(self, predicate: ox.NamedNode, obj: object, step: int) -> None:
        self.triples += step
        if predicate == _TYPE and obj in _KINDS:
            self.things[_KINDS[obj]] += step  # type: ignore[index]
