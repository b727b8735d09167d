"""An in-process index of owner names, for the reconciliation service.

Built once from the store by one SELECT of every owner's name, id, country and region (about
143,000 owners at 1,000,000 demo patents), it answers a name lookup by its key
(:func:`kg.link.names.key`, the normalization linking uses) and a suggest query by key prefix
(bisect over the sorted keys) in microseconds, without a query per request. The store's
SPARQL engine could not: a name lookup that normalizes names has to read every owner's name
(a full scan per query). See ``bench/reconcile.py`` for the figures.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from kg.link import names
from kg.link.owners import store_owners
from kg.store import Store

__all__ = ["OwnerEntry", "OwnerIndex"]


@dataclass(frozen=True)
class OwnerEntry:
    iri: str
    id: str
    name: str
    country: str
    region: str | None
    key: str


class OwnerIndex:
    """Owners by name key, by id, and sorted by key for prefix search."""

    def __init__(self, entries: list[OwnerEntry]) -> None:
        self.by_key: dict[str, list[OwnerEntry]] = {}
        self.by_id: dict[str, OwnerEntry] = {}
        for e in entries:
            self.by_key.setdefault(e.key, []).append(e)
            self.by_id[e.id] = e
        self.keys = sorted(self.by_key)

    @classmethod
    def build(cls, store: Store) -> OwnerIndex:
        return cls([OwnerEntry(o.iri, o.id, o.name, o.country, o.region, names.key(o.name))
                    for o in store_owners(store)])

    def __len__(self) -> int:
        return len(self.by_id)

    def exact(self, name: str) -> list[OwnerEntry]:
        """Owners whose name has the key of ``name``."""
        return list(self.by_key.get(names.key(name), ()))

    def prefixed(self, text: str, limit: int, skip: int = 0) -> list[OwnerEntry]:
        """Owners whose key starts with the key of ``text``, by key, from ``skip`` on."""
        start = names.key(text)
        if not start:
            return []
        out: list[OwnerEntry] = []
        i = bisect.bisect_left(self.keys, start)
        seen = 0
        while i < len(self.keys) and self.keys[i].startswith(start) and len(out) < limit:
            for e in self.by_key[self.keys[i]]:
                if seen >= skip and len(out) < limit:
                    out.append(e)
                seen += 1
            i += 1
        return out
