"""The scope a constraint is compiled in, and the set patterns builders combine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rdflib import Graph, Literal
from rdflib.term import Node

from kg.compile import sparql
from kg.compile.sets import as_value, select_focus, select_rows
from kg.compile.shapes import rdf_list
from kg.errors import CompileError


class Context(Protocol):
    """What builders need from the compiler (see kg.compile.compiler.Compiler)."""

    g: Graph
    prologue: sparql.Prologue

    def violators(self, shape: Node, candidates: str) -> str | None: ...

    def conforming(self, shape: Node, candidates: str) -> str: ...

    def instances(self, shape: Node) -> str | None: ...


@dataclass(frozen=True)
class Scope:
    """A shape being compiled over a candidate set of focus nodes."""

    shape: Node
    path: str | None  # SPARQL property path of a property shape, None for a node shape
    candidates: str
    path_may_be_empty: bool = False
    # Every violator set is a subset of the candidates (the top of compile_violations and
    # of compile_results; nested shapes may report a superset, which the outer join cuts).
    targeted: bool = False
    # Rows of ``?focus ?value`` instead of a set of ``?focus``, where a value node is what
    # violates (compile_results: one validation result per focus node and value).
    rows: bool = False
    # The path is one IRI: a focus node's value nodes are then its triples' objects, each once
    # (the default graph is a set), so they can be counted without DISTINCT.
    plain_path: bool = False

    @property
    def value_pattern(self) -> str:
        """Pattern binding ?focus (a candidate) and ?value (each of its value nodes)."""
        if self.path is None:
            return f"{self.candidates}\nBIND(?focus AS ?value)"
        if self.path_may_be_empty:
            # Oxigraph gives no zero-length match for a node absent from the data, which
            # SPARQL 1.1 defines as the node itself; so add the node itself explicitly.
            return (f"{{ {self.candidates}\n?focus {self.path} ?value . }}\n"
                    f"UNION {{ {self.candidates}\nBIND(?focus AS ?value) }}")
        return f"{self.candidates}\n?focus {self.path} ?value ."

    @property
    def any_value_pattern(self) -> str:
        """Like value_pattern, for constraints that one bad value node violates: the
        candidates are joined only where needed (node shapes, paths of length zero, and
        targeted scopes)."""
        if self.path is None or self.path_may_be_empty or self.targeted:
            return self.value_pattern
        return f"?focus {self.path} ?value ."

    @property
    def value_nodes(self) -> str:
        """A set of nodes that holds every value node of every candidate: the candidates to
        check nested shapes on. Conformance of a node does not depend on the candidate set,
        so where the path cannot be empty all objects of the path are taken, without the
        (costlier) join with the candidates."""
        if self.path is None:
            return self.candidates
        if not self.path_may_be_empty:
            return select_focus(f"?subject {self.path} ?focus .")
        inner = f"{{ SELECT ?value WHERE {{ {self.value_pattern} }} }}"
        return select_focus(f"{inner}\nBIND(?value AS ?focus)")

    def refuse(self, feature: str, why: str) -> CompileError:
        """A CompileError about this shape."""
        return CompileError("%(feature_)s on %(shape_)s: %(why)s",
                            shape=self.shape, feature=feature,
                            feature_=feature, shape_=self.shape, why=why)


Builder = Callable[[Context, Scope, Node], "str | None"]


# --- helpers ---------------------------------------------------------------------------

def select_set(scope: Scope, where: str) -> str:
    """A set of the ``?focus`` that ``where`` binds, or rows of ``?focus ?value`` in a scope
    that reports values (``scope.rows``)."""
    return select_rows(where) if scope.rows else select_focus(where)


def bad_values(scope: Scope, expr: str) -> str:
    """Focus nodes with a value node for which the SPARQL expression ``expr`` is true."""
    return select_set(scope, f"{scope.any_value_pattern}\nFILTER({expr})")


def not_true(expr: str) -> str:
    """True unless ``expr`` is true: errors (incomparable values) count as violations."""
    return f"!COALESCE({expr}, false)"


def values_outside(scope: Scope, pattern: str) -> str:
    """Focus nodes with a value node that is not matched by ``pattern`` (over ?value)."""
    return select_set(scope, f"{{ {scope.any_value_pattern} }}\nMINUS {{ {pattern} }}")


def values_in(scope: Scope, value_set: str | None) -> str | None:
    """Focus nodes with a value node in ``value_set`` (a set of nodes as ?focus)."""
    if value_set is None:
        return None
    if scope.path is None:  # a node shape's value node is the focus node itself
        if scope.targeted:
            return select_set(scope, f"{scope.candidates}\n{value_set}\nBIND(?focus AS ?value)")
        return select_set(scope, f"{value_set}\nBIND(?focus AS ?value)") if scope.rows \
            else value_set
    return select_set(scope, f"{scope.any_value_pattern}\n{as_value(value_set)}")


def counted(scope: Scope, test: str, extra: str = "", pattern: str | None = None,
            unique: bool = False) -> str:
    """Focus nodes whose number of distinct value nodes passes ``test`` (HAVING);
    ``unique``: ``pattern`` gives each value node of a focus node once (then counted without
    DISTINCT, a hash set per focus node less)."""
    pattern = scope.value_pattern if pattern is None else pattern
    count = "COUNT(*)" if unique else "COUNT(DISTINCT ?value)"
    return (f"{{ SELECT ?focus WHERE {{ {pattern}\n{extra} }}\n"
            f"GROUP BY ?focus HAVING ({count} {test}) }}")


def without(scope: Scope, remove: str) -> str:
    """Candidates not in the set ``remove``."""
    return select_focus(f"{scope.candidates}\nMINUS {remove}")


def integer(scope: Scope, value: Node, feature: str) -> int:
    """A non-negative integer parameter."""
    number = value.toPython() if isinstance(value, Literal) else None
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise scope.refuse(feature, "needs a non-negative integer")
    return number


def property_only(scope: Scope, feature: str) -> None:
    """Refuse a parameter that SHACL allows on property shapes only."""
    if scope.path is None:
        raise scope.refuse(feature, "only allowed on property shapes")


def shape_list(ctx: Context, scope: Scope, head: Node, feature: str) -> list[Node]:
    """The member shapes of a logical constraint's list."""
    return rdf_list(ctx.g, head, scope.shape, feature)
