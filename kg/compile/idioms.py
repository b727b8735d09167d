"""Two forms of SHACL-SPARQL constraint that the engine can evaluate without joining every
target with the constraint, recognized on the SPARQL algebra (rdflib's parser), never on text.

**Negated sub-SELECT**: a constraint that reports the focus nodes for which a sub-SELECT finds
nothing,

    SELECT $this WHERE {
      OPTIONAL { SELECT $this (true AS ?met) WHERE { ... } [GROUP BY $this HAVING (...)] }
      FILTER(!BOUND(?met))
    }

has as violators the targets minus the ``$this`` values of the sub-SELECT, so its conforming
focus nodes are the targets that the sub-SELECT returns. Evaluated that way the engine runs the
sub-SELECT alone, instead of a left join of every target with it and a filter, and returns the
(usually few) conforming nodes instead of the (usually many) violators.

The idiom is recognized on the SPARQL algebra (rdflib's parser), never on the text: the query
must project only ``$this``; its WHERE must be exactly an empty pattern OPTIONAL-joined (with no
filter of its own) with one sub-SELECT projecting ``$this`` and a variable that the sub-SELECT
binds to a constant in every solution, and one FILTER ``!BOUND`` of that variable. Only then is
the sub-SELECT's text taken from the query (the one OPTIONAL group of the WHERE clause).

**Plain violators**: ``SELECT $this WHERE { <triple patterns binding $this> FILTER(...) }`` — a
basic graph pattern under filters, nothing else. Joining the targets first and filtering gives
the solutions of the pattern whose ``$this`` is a target, so the violators are the targets among
the pattern's own ``$this`` values.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rdflib import Literal, Variable
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from kg.compile.variables import mask
from kg.parser_lock import SPARQL_PARSER

THIS = Variable("this")
_OPTIONAL = re.compile(r"\bOPTIONAL\b", re.I)


@lru_cache(maxsize=256)
def _algebra(text: str) -> CompValue | None:
    try:
        with SPARQL_PARSER:
            return translateQuery(parseQuery(text)).algebra
    except Exception:  # noqa: BLE001 - rdflib raises many types; no idiom then
        return None


def negated_subselect(prologue: str, body: str) -> str | None:
    """The sub-SELECT text if ``body`` (a SELECT, prefixes in ``prologue``) is the idiom."""
    algebra = _algebra(prologue + body)
    if algebra is None or not _is_idiom(algebra):
        return None
    return _optional_group(body)


def plain_violators(prologue: str, body: str) -> bool:
    """True if ``body`` projects ``$this`` from filters over one basic graph pattern that
    binds it."""
    algebra = _algebra(prologue + body)
    if algebra is None or algebra.p.name != "Project" or list(algebra.p.PV) != [THIS]:
        return False
    pattern = algebra.p.p
    while isinstance(pattern, CompValue) and pattern.name == "Filter":
        pattern = pattern.p
    return isinstance(pattern, CompValue) and pattern.name == "BGP" and \
        any(THIS in triple for triple in pattern.triples)


def _is_idiom(query: CompValue) -> bool:
    project = query.p
    if project.name != "Project" or list(project.PV) != [THIS]:
        return False
    filtered = project.p
    if filtered.name != "Filter" or filtered.expr.name != "UnaryNot":
        return False
    bound = filtered.expr.expr
    if not isinstance(bound, CompValue) or bound.name != "Builtin_BOUND":
        return False
    left_join = filtered.p
    if left_join.name != "LeftJoin" or left_join.expr.name != "TrueFilter":
        return False
    if left_join.p1.name != "BGP" or left_join.p1.triples:
        return False
    multiset = left_join.p2
    if multiset.name != "ToMultiSet" or multiset.p.name != "Project":
        return False
    inner = multiset.p
    met = bound.arg
    if set(inner.PV) != {THIS, met} or met == THIS:
        return False
    return _always_bound(inner.p, met)


def _always_bound(pattern: CompValue, var: Variable) -> bool:
    """True if the top of the sub-SELECT's algebra binds ``var`` to a constant."""
    while isinstance(pattern, CompValue) and pattern.name == "Extend":
        if pattern.var == var:
            return isinstance(pattern.expr, Literal)
        pattern = pattern.p
    return False


def _optional_group(body: str) -> str | None:
    """The text inside the single OPTIONAL group at the top of the WHERE clause."""
    code = mask(body)
    start = code.index("{") + 1
    found = []
    for m in _OPTIONAL.finditer(code, start):
        depth = code.count("{", start, m.start()) - code.count("}", start, m.start())
        if depth == 0:
            found.append(m)
    if len(found) != 1:
        return None
    open_at = code.index("{", found[0].end())
    depth = 0
    for i in range(open_at, len(code)):
        depth += {"{": 1, "}": -1}.get(code[i], 0)
        if depth == 0:
            return body[open_at + 1:i].strip()
    return None
