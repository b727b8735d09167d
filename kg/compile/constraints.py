"""One builder per SHACL constraint parameter: the set of violating focus nodes.

Each builder takes the compiler context, the :class:`Scope` of the shape being compiled and
the parameter's value, and returns a set (see :mod:`kg.compile.sets`) that contains every
candidate focus node violating the constraint and no conforming candidate; or None when the
constraint can never be violated.
"""

from __future__ import annotations

from dataclasses import replace

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.term import Node

from kg.compile import sparql
from kg.compile.scope import (
    Builder,
    Context,
    Scope,
    bad_values,
    counted,
    integer,
    not_true,
    property_only,
    select_set,
    shape_list,
    values_in,
    values_outside,
    without,
)
from kg.compile.sets import as_value, select_focus, union
from kg.compile.shapes import SH, is_true, one, rdf_list
from kg.compile.terms import n3

# --- value type ------------------------------------------------------------------------

# Datatypes whose ill-typed literals SPARQL casts detect, as pySHACL (rdflib) does.
_CAST_CHECKED = {XSD.integer, XSD.decimal, XSD.float, XSD.double, XSD.boolean, XSD.date,
                 XSD.dateTime, XSD.time}
# Oxigraph stores these as xsd:integer, so their datatype cannot be checked there.
_COLLAPSED = {XSD.int, XSD.long, XSD.short, XSD.byte, XSD.nonNegativeInteger,
              XSD.positiveInteger, XSD.negativeInteger, XSD.nonPositiveInteger,
              XSD.unsignedInt, XSD.unsignedLong, XSD.unsignedShort, XSD.unsignedByte}


def datatype(ctx: Context, scope: Scope, dt: Node) -> str:
    """sh:datatype: a literal of that datatype, and well-formed where SPARQL can tell."""
    if dt == RDFS.Literal:
        return bad_values(scope, "!isLiteral(?value)")
    if dt in _COLLAPSED or dt == RDFS.Datatype:
        raise scope.refuse("sh:datatype", f"{dt} cannot be checked on Oxigraph")
    # datatype() costs Oxigraph about 2 µs a value (5x a cast): a well-formed literal of the
    # datatype is the one its cast returns unchanged (an ill-formed one fails the cast, one of
    # another datatype is cast to another term), a string the one STR() returns unchanged.
    if dt in _CAST_CHECKED:
        ok = f"sameTerm(?value, {n3(dt)}(?value))"
    elif dt == XSD.string:
        ok = "isLiteral(?value) && sameTerm(?value, STR(?value))"
    else:
        ok = f"isLiteral(?value) && sameTerm(datatype(?value), {n3(dt)})"
    return bad_values(scope, not_true(ok))


_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI(?value)",
    SH.BlankNode: "isBlank(?value)",
    SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "!isLiteral(?value)",
    SH.BlankNodeOrLiteral: "!isIRI(?value)",
    SH.IRIOrLiteral: "!isBlank(?value)",
}


def node_kind(ctx: Context, scope: Scope, kind: Node) -> str:
    """sh:nodeKind."""
    if kind not in _NODE_KINDS:
        raise scope.refuse("sh:nodeKind", f"unknown node kind {kind}")
    return bad_values(scope, f"!({_NODE_KINDS[kind]})")


def class_(ctx: Context, scope: Scope, cls: Node) -> str:
    """sh:class: instances through rdf:type/rdfs:subClassOf* in the data graph."""
    return values_outside(scope, f"?value {n3(RDF.type)}/{n3(RDFS.subClassOf)}* {n3(cls)}")


def _stringish(var: str) -> str:
    """An IRI, a plain string or a language-tagged one (without datatype(): see datatype)."""
    plain_or_tagged = f"sameTerm({var}, STR({var})) || LANG({var}) != \"\""
    return f"(isIRI({var}) || isLiteral({var}) && ({plain_or_tagged}))"


def _of_type(var: str, dt: Node) -> str:
    """True for a well-formed literal of the datatype ``dt`` (a cast type), false otherwise."""
    return f"COALESCE(sameTerm({var}, {n3(dt)}({var})), false)"


# --- value range, string -----------------------------------------------------------------

def comparison(op: str, feature: str) -> Builder:
    """sh:minInclusive etc.: ``?value op bound``; incomparable values violate. As in pySHACL
    (rdflib's ordering), a language-tagged string is above any plain string bound, and a
    boolean is below any number bound."""
    def build(ctx: Context, scope: Scope, bound: Node) -> str:
        if not isinstance(bound, Literal):
            raise scope.refuse(feature, "needs a literal")
        if bound.language is not None:
            raise scope.refuse(feature, "a language-tagged bound is not supported")
        if isinstance(bound.toPython(), str):
            test = f"sameTerm(datatype(?value), {n3(XSD.string)}) && ?value {op} {n3(bound)}"
            if op.startswith(">"):  # rdflib orders every language-tagged string higher
                test = f"({test}) || sameTerm(datatype(?value), {n3(RDF.langString)})"
        else:  # rdflib orders every boolean below any number
            boolean = f"sameTerm(datatype(?value), {n3(XSD.boolean)})"
            below = "true" if op.startswith("<") else "false"
            test = f"IF({boolean}, {below}, ?value {op} {n3(bound)})"
        return bad_values(scope, not_true(test))
    return build


def length(op: str, feature: str) -> Builder:
    """sh:minLength/maxLength on STR(); blank nodes violate."""
    def build(ctx: Context, scope: Scope, bound: Node) -> str:
        n = integer(scope, bound, feature)
        return bad_values(scope, not_true(f"!isBlank(?value) && STRLEN(STR(?value)) {op} {n}"))
    return build


def pattern(ctx: Context, scope: Scope, regex: Node) -> str:
    """sh:pattern with sh:flags (i, m) on STR(); blank nodes violate."""
    flags = str(one(ctx.g, scope.shape, SH.flags) or "").lower()
    args = n3(Literal(str(regex)))
    if flags:  # pySHACL honours the flags i and m only
        args += ", " + n3(Literal("".join(f for f in "im" if f in flags)))
    return bad_values(scope, not_true(f"!isBlank(?value) && REGEX(STR(?value), {args})"))


# --- other ------------------------------------------------------------------------------

def in_(ctx: Context, scope: Scope, head: Node) -> str:
    """sh:in: term equality with one of the members (VALUES joins on RDF terms)."""
    members = rdf_list(ctx.g, head, scope.shape, "sh:in")
    return values_outside(scope, "VALUES ?value { " + " ".join(n3(m) for m in members) + " }")


def has_value(ctx: Context, scope: Scope, value: Node) -> str:
    """sh:hasValue: the value is among the value nodes (a result names no value node)."""
    scope = replace(scope, rows=False)
    if scope.path is None:
        return bad_values(scope, f"!sameTerm(?value, {n3(value)})")
    reached = without(scope, f"{{ ?focus {scope.path} {n3(value)} }}")
    if scope.path_may_be_empty:  # the value itself, even when absent from the data
        return select_focus(f"{reached}\nFILTER(!sameTerm(?focus, {n3(value)}))")
    return reached


# --- cardinality ---------------------------------------------------------------------------

def min_count(ctx: Context, scope: Scope, bound: Node) -> str | None:
    """sh:minCount on distinct value nodes."""
    property_only(scope, "sh:minCount")
    n = integer(scope, bound, "sh:minCount")
    if n == 1:  # the common case: an anti-join, no counting
        return without(scope, f"{{ {scope.any_value_pattern} }}")
    return without(scope, counted(scope, f">= {n}")) if n else None


def max_count(ctx: Context, scope: Scope, bound: Node) -> str:
    """sh:maxCount on distinct value nodes."""
    property_only(scope, "sh:maxCount")
    limit = integer(scope, bound, "sh:maxCount")
    return counted(scope, f"> {limit}", pattern=scope.any_value_pattern, unique=scope.plain_path)


def qualified_sets(ctx: Context, scope: Scope, qshape: Node) -> list[tuple[URIRef, str]]:
    """sh:qualifiedValueShape: (constraint component, violators) of its sh:qualifiedMinCount
    and of its sh:qualifiedMaxCount, those present (a validation result names one of them)."""
    property_only(scope, "sh:qualifiedValueShape")
    if is_true(ctx.g, scope.shape, SH.qualifiedValueShapesDisjoint):
        raise scope.refuse("sh:qualifiedValueShapesDisjoint", "not supported")
    matching = as_value(ctx.conforming(qshape, scope.value_nodes))
    sets = []
    low = one(ctx.g, scope.shape, SH.qualifiedMinCount)
    least = 0 if low is None else integer(scope, low, "sh:qualifiedMinCount")
    if least:
        sets.append((SH.QualifiedMinCountConstraintComponent,
                     without(scope, counted(scope, f">= {least}", matching))))
    high = one(ctx.g, scope.shape, SH.qualifiedMaxCount)
    if high is not None:
        limit = integer(scope, high, "sh:qualifiedMaxCount")
        sets.append((SH.QualifiedMaxCountConstraintComponent,
                     counted(scope, f"> {limit}", matching, scope.any_value_pattern)))
    return sets


def qualified(ctx: Context, scope: Scope, qshape: Node) -> str | None:
    """sh:qualifiedValueShape with sh:qualifiedMinCount and/or sh:qualifiedMaxCount."""
    sets = [found for _, found in qualified_sets(ctx, scope, qshape)]
    return union(sets) if sets else None


# --- shape-based and logical -----------------------------------------------------------------

def node(ctx: Context, scope: Scope, shape: Node) -> str | None:
    """sh:node: value nodes that do not conform to the shape."""
    return values_in(scope, ctx.violators(shape, scope.value_nodes))


def not_(ctx: Context, scope: Scope, shape: Node) -> str | None:
    """sh:not: value nodes that conform to the shape."""
    return values_in(scope, ctx.instances(shape) or ctx.conforming(shape, scope.value_nodes))


def and_(ctx: Context, scope: Scope, head: Node) -> str | None:
    """sh:and: value nodes that violate any member."""
    nodes = scope.value_nodes
    found = [ctx.violators(s, nodes) for s in shape_list(ctx, scope, head, "sh:and")]
    sets = [s for s in found if s is not None]
    return values_in(scope, union(sets)) if sets else None


def or_(ctx: Context, scope: Scope, head: Node) -> str | None:
    """sh:or: value nodes that conform to no member, i.e. violate every member (a join)."""
    nodes = scope.value_nodes
    sets = []
    for member in shape_list(ctx, scope, head, "sh:or"):
        violators = ctx.violators(member, nodes)
        if violators is None:  # a member that every node conforms to
            return None
        sets.append(violators)
    return values_in(scope, select_focus("\n".join(sets) or nodes))


def xone(ctx: Context, scope: Scope, head: Node) -> str | None:
    """sh:xone: value nodes that conform to a number of members other than one."""
    nodes = scope.value_nodes
    members = [ctx.instances(s) or ctx.conforming(s, nodes)
               for s in shape_list(ctx, scope, head, "sh:xone")]
    once = (f"{{ SELECT ?focus WHERE {{ {' UNION '.join(members) or '{}'} }}\n"
            "GROUP BY ?focus HAVING (COUNT(*) = 1) }")
    return values_in(scope, select_focus(f"{nodes}\nMINUS {once}"))


# --- property pairs ----------------------------------------------------------------------

def _hashed(prop: Node, var: str) -> str:
    """``?focus prop var`` as a sub-SELECT: Oxigraph joins a sub-SELECT by hashing, where it
    joins a triple pattern by one index lookup per row of the other side (on disk 5x the CPU
    for a patent's two dates)."""
    return f"{{ SELECT ?focus {var} WHERE {{ ?focus {n3(prop)} {var} }} }}"


def equals(ctx: Context, scope: Scope, other: Node) -> str:
    """sh:equals: value nodes and the values of the other property are the same set. Where
    the value nodes are a path's objects alone and rows are reported (the loose form of
    kg.compile.results), each side's pairs are read once and the other side looked up for
    each (FILTER NOT EXISTS: memory bounded, where a MINUS hashed every pair of its side)."""
    plain = scope.rows and scope.path is not None and not scope.path_may_be_empty \
        and not scope.targeted
    if plain:
        pairs = scope.any_value_pattern
        mine = f"{pairs}\nFILTER NOT EXISTS {{ ?focus {n3(other)} ?value }}"
        theirs = f"?focus {n3(other)} ?value .\nFILTER NOT EXISTS {{ {pairs} }}"
        return select_set(scope, f"{{ {mine} }}\nUNION\n{{ {theirs} }}")
    mine = values_outside(scope, f"?focus {n3(other)} ?value")
    others = f"{scope.candidates}\n?focus {n3(other)} ?value ." if scope.targeted \
        else f"?focus {n3(other)} ?value"  # the values of every node: a caller cuts them
    theirs = select_set(scope, f"{{ {others} }}\nMINUS {{ {scope.any_value_pattern} }}")
    return select_set(scope, f"{mine}\nUNION\n{theirs}")


def disjoint(ctx: Context, scope: Scope, other: Node) -> str:
    """sh:disjoint: no value node is a value of the other property."""
    return select_set(scope, f"{scope.any_value_pattern}\n?focus {n3(other)} ?value .")


def pair_order(op: str, feature: str) -> Builder:
    """sh:lessThan(OrEquals); like pySHACL, IRIs and strings compare as strings."""
    def build(ctx: Context, scope: Scope, other: Node) -> str:
        property_only(scope, feature)
        a, b = "?value", "?other"
        boolean = f"sameTerm(datatype(?value), {n3(XSD.boolean)})"
        other_boolean = boolean.replace("?value", "?other")
        numbers = (f"IF({boolean} && isNumeric({b}), true, "  # rdflib: booleans below numbers
                   f"IF(isNumeric({a}) && {other_boolean}, false, {a} {op} {b}))")
        test = f"IF({_stringish(a)} && {_stringish(b)}, STR({a}) {op} STR({b}), {numbers})"
        # The common case first: two dates, or two numbers, compare as they are.
        same = " || ".join(f"{_of_type(a, dt)} && {_of_type(b, dt)}"
                           for dt in (XSD.date, XSD.dateTime))
        test = f"IF({same} || isNumeric({a}) && isNumeric({b}), {a} {op} {b}, {test})"
        return select_set(scope, f"{scope.any_value_pattern}\n{_hashed(other, '?other')}\n"
                                 f"FILTER({not_true(test)})")
    return build


# --- SHACL-SPARQL ------------------------------------------------------------------------------

def sparql_constraint(ctx: Context, scope: Scope, constraint: Node) -> str | None:
    """sh:sparql: the ?this of every solution is a violator."""
    if is_true(ctx.g, constraint, SH.deactivated):
        return None
    if isinstance(constraint, Literal):
        raise scope.refuse("sh:sparql", "needs a node with sh:select")
    build = sparql.constraint_rows if scope.rows else sparql.constraint_set
    return build(ctx.g, constraint, scope.shape, scope.candidates, ctx.prologue, scope.path)


BUILDERS: dict[Node, Builder] = {
    SH.datatype: datatype,
    SH.nodeKind: node_kind,
    SH["class"]: class_,
    SH.minInclusive: comparison(">=", "sh:minInclusive"),
    SH.maxInclusive: comparison("<=", "sh:maxInclusive"),
    SH.minExclusive: comparison(">", "sh:minExclusive"),
    SH.maxExclusive: comparison("<", "sh:maxExclusive"),
    SH.minLength: length(">=", "sh:minLength"),
    SH.maxLength: length("<=", "sh:maxLength"),
    SH.pattern: pattern,
    SH["in"]: in_,
    SH.hasValue: has_value,
    SH.minCount: min_count,
    SH.maxCount: max_count,
    SH.qualifiedValueShape: qualified,
    SH.node: node,
    SH["not"]: not_,
    SH["and"]: and_,
    SH["or"]: or_,
    SH.xone: xone,
    SH.equals: equals,
    SH.disjoint: disjoint,
    SH.lessThan: pair_order("<", "sh:lessThan"),
    SH.lessThanOrEquals: pair_order("<=", "sh:lessThanOrEquals"),
    SH.sparql: sparql_constraint,
}
