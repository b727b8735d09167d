"""The W3C Data Cube integrity constraints (IC-1 to IC-21) and normalization algorithm, run as the
Recommendation writes them (``shapes/cube/integrity.ttl``).

The constraints are SPARQL ASK queries that are true when a cube violates them; they are run on
an in-memory pyoxigraph store holding the cube and nothing else. They assume a cube in normalized
form and :func:`check` does **not** normalize first: a cube that is not normalized fails (IC-13
for a data-set attribute not copied to the observations), and :func:`normalized` tells whether
the normalization algorithm would add anything.

    constraints() -> tuple[Constraint, ...]     # IC-1 .. IC-21, in order
    check(triples) -> IntegrityReport           # .conforms, .violations, .text
    normalize(triples) -> set[ox.Triple]         # the cube after phases 1 and 2
    normalized(triples) -> bool                  # True when normalize adds nothing
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import pyoxigraph as ox

from kg.folders import SHAPES
from kg.indicators.core import query_text

INTEGRITY = SHAPES / "cube" / "integrity.ttl"
NS = "https://w3id.org/hvp/shapes/cube#"
#: Diagnostic rows shown for a violated constraint (the ASK's pattern as a SELECT).
SAMPLE = 5


@dataclass(frozen=True)
class Constraint:
    """One integrity constraint: its name (``IC-12``), label, the Recommendation's sentence, its
    ASK queries (prologue included) and, for a template (IC-20, IC-21), the query of its ``?p``."""

    name: str
    label: str
    comment: str
    asks: tuple[str, ...]
    instances: str | None = None

    def queries(self, cube: ox.Store) -> list[str]:
        """The ASK queries to run on ``cube``: a template once per value of ``?p``."""
        if self.instances is None:
            return list(self.asks)
        values = [row["p"].value for row in _solutions(cube, self.instances)]
        return [ask.replace("$p", p) for ask in self.asks for p in values]


@dataclass(frozen=True)
class Violation:
    constraint: Constraint
    sample: tuple[str, ...]  # a few solutions of the violated pattern, for people

    def __str__(self) -> str:
        rows = "".join(f"\n    {row}" for row in self.sample)
        return f"{self.constraint.label}: {self.constraint.comment}{rows}"


@dataclass(frozen=True)
class IntegrityReport:
    checked: tuple[Constraint, ...]
    violations: tuple[Violation, ...]

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def text(self) -> str:
        if self.conforms:
            return f"Conforms: {len(self.checked)} integrity constraints (IC-1 to IC-21) hold"
        return "\n".join(["Does not conform:", *map(str, self.violations)])


@cache
def _shapes() -> ox.Store:
    store = ox.Store()
    store.load(INTEGRITY.read_bytes(), ox.RdfFormat.TURTLE)
    return store


def _solutions(store: ox.Store, query: str) -> list[dict[str, Any]]:
    """The solutions of a SELECT as dicts of the bound variables."""
    solutions = cast(ox.QuerySolutions, store.query(query))
    names = [v.value for v in solutions.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in solutions]


def _rows(name: str) -> list[dict[str, str]]:
    """The answers of one of this package's ``.rq`` files over integrity.ttl, as text."""
    return [{k: v.value for k, v in row.items()}
            for row in _solutions(_shapes(), query_text(name))]


@cache
def constraints() -> tuple[Constraint, ...]:
    """IC-1 to IC-21 in order."""
    asks: dict[str, list[str]] = {}
    rows: dict[str, dict[str, str]] = {}
    for row in _rows("integrity"):
        name = row["c"].removeprefix(NS)
        rows[name] = row
        asks.setdefault(name, []).append(row["prologue"] + row["ask"])
    return tuple(
        Constraint(name, row["label"], row["comment"], tuple(sorted(asks[name])),
                   row["prologue"] + row["instances"] if "instances" in row else None)
        for name, row in sorted(rows.items(), key=lambda kv: int(kv[0].removeprefix("IC-"))))


def _store(triples: Iterable[ox.Triple]) -> ox.Store:
    cube = ox.Store()
    cube.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return cube


def _sample(cube: ox.Store, ask: str) -> tuple[str, ...]:
    """The violated pattern's first solutions: the ASK run as ``SELECT *``."""
    head, _, body = ask.partition("ASK")
    rows = _solutions(cube, f"{head}SELECT * WHERE{body} LIMIT {SAMPLE}")
    return tuple(", ".join(f"?{name}={term}" for name, term in row.items()) for row in rows)


def check(triples: Iterable[ox.Triple]) -> IntegrityReport:
    """Run IC-1 to IC-21 on a cube (as given: it must be normalized)."""
    cube = _store(triples)
    violations = []
    for constraint in constraints():
        failed = [ask for ask in constraint.queries(cube) if cube.query(ask)]
        if failed:
            violations.append(Violation(constraint, _sample(cube, failed[0])))
    return IntegrityReport(constraints(), tuple(violations))


def normalize(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    """The cube after the Recommendation's normalization algorithm (phase 1, then phase 2).
    Literals come back in the engine's canonical form (``"0.00000"^^xsd:decimal`` as ``0``)."""
    return {ox.Triple(q.subject, q.predicate, q.object) for q in _normalized_store(triples)[0]}


def normalized(triples: Iterable[ox.Triple]) -> bool:
    """True when the normalization algorithm adds no triple (the cube is in normalized form)."""
    cube, before = _normalized_store(triples)
    return len(cube) == before


def _normalized_store(triples: Iterable[ox.Triple]) -> tuple[ox.Store, int]:
    """A store with the cube after phases 1 and 2, and its size before them."""
    cube = _store(triples)
    before = len(cube)
    for row in _rows("normalization"):
        cube.update(row["prologue"] + row["update"])
    return cube, before
