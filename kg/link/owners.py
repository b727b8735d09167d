"""``hvp link owners``: the store's owners linked to a Wikidata-compatible endpoint."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.link import graph as lg
from kg.link.candidates import WD, Owner, find
from kg.link.client import Endpoint
from kg.link.score import Decision, decide
from kg.store import LocalStore, Store

__all__ = ["store_owners", "store_provinces", "link", "Report", "software"]

_HERE = Path(__file__).resolve().parent


def software() -> str:
    """This program and its version, as a link run's provenance names it."""
    try:
        return f"hvp-kg {version('hvp-kg')}"
    except PackageNotFoundError:  # pragma: no cover
        return "hvp-kg"


def _text(name: str) -> str:
    return (_HERE / f"{name}.rq").read_text(encoding="utf-8")


def _value(term: object) -> str:
    return str(getattr(term, "value", ""))


def store_owners(store: Store) -> list[Owner]:
    """Every owner, in id order. On an embedded store the solutions are read by position
    straight from the engine (a dict per row costs more than the query itself)."""
    regions = {r: (code, qid) for r, code, qid in _regions(store)}
    query = _text("owners")
    if isinstance(store, LocalStore):
        solutions = store.oxigraph.query(query)
        assert isinstance(solutions, ox.QuerySolutions)
        rows: Iterable[tuple[Any, ...]] = (tuple(s) for s in solutions)
    else:
        rows = (tuple(r.get(v) for v in ("owner", "id", "name", "country", "region"))
                for r in store.select(query))
    out = []
    for owner, oid, name, country, region in rows:
        code, qid = regions.get(_value(region), (None, None)) if region is not None \
            else (None, None)
        out.append(Owner(_value(owner), _value(oid), _value(name), _value(country), code, qid))
    out.sort(key=lambda o: o.id)
    return out


def _regions(store: Store) -> list[tuple[str, str, str]]:
    rows = store.select(_text("provinces"))
    return [(_value(r["region"]), _value(r["code"]), _value(r["wd"])[len(WD):]) for r in rows]


def store_provinces(store: Store) -> set[str]:
    return {qid for _, _, qid in _regions(store)}


@dataclass
class Report:
    """The owners' decisions, counted as written: after the reviewer's (an accepted pair is a
    match, a rejected match is not)."""

    decisions: list[Decision] = field(default_factory=list)
    written: lg.Written | None = None

    def status(self, d: Decision) -> str:
        if self.written is None:
            return d.status
        if d.owner.iri in self.written.same_as:
            return "matched"
        return "unmatched" if d.status == "matched" else d.status

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.status(d) for d in self.decisions)

    def __str__(self) -> str:
        c = self.counts
        below = sum(1 for d in self.decisions if self.status(d) == "unmatched" and d.scored)
        text = (f"{len(self.decisions)} owners: {c['matched']} matched (owl:sameAs), "
                f"{c['ambiguous']} ambiguous, {c['unmatched']} unmatched "
                f"({below} of them with candidates below the threshold, as skos:closeMatch)")
        w = self.written
        if w is not None and (w.accepted or w.rejected):
            text += (f"; review followed: {w.accepted} pairs accepted (owl:sameAs), "
                     f"{w.rejected} rejected (left out)")
        return text


def link(store: LocalStore, base: str, endpoint: Endpoint, *, threshold: float,
         batch: int) -> Report:
    """Find, score and decide each owner's candidates; replace the links graph."""
    started = datetime.now(UTC)
    owners = store_owners(store)
    found = find(endpoint, owners, store_provinces(store), batch=batch)
    report = Report([decide(o, found.get(o.iri, []), threshold) for o in owners])
    run = lg.Run(endpoint.url, started, datetime.now(UTC), software(),
                 comment=f"threshold {threshold}")

    def written(what: lg.Written) -> str:  # the comment counts what is written
        report.written = what
        return str(report)

    report.written = lg.write_run(store, base, run, report.decisions, written)
    return report

