"""SHACL-SPARQL: SPARQL-based constraints and targets as sets of focus nodes.

A constraint's ``SELECT`` gets the candidate focus nodes joined in first inside its WHERE
clause, bound to ``$this``; this stands in for SHACL's pre-binding. Every solution is a
violation of its ``$this``, so the set of ``$this`` values is the set of violators.
"""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.compile.sets import select_focus
from kg.compile.shapes import SH
from kg.compile.terms import n3
from kg.compile.variables import mask, substitute, uses_var
from kg.errors import CompileError

_PREFIX = re.compile(r"\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.I)
_LEADING_COMMENTS = re.compile(r"\A(?:\s+|#[^\n]*)+")
_BASE = re.compile(r"\s*BASE\b", re.I)
_SELECT = re.compile(r"\s*SELECT(\s+(?:DISTINCT|REDUCED))?\b", re.I)


def refuse(shape: Node, feature: str, message: str) -> CompileError:
    """A CompileError about ``shape``."""
    return CompileError("%(message_)s (%(shape_)s)", shape=shape, feature=feature,
                        message_=message, shape_=shape)


class Prologue:
    """The PREFIX declarations that the SPARQL-based parts of one compiled query need."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}

    def add(self, prefix: str, namespace: str, shape: Node) -> None:
        """Declare a prefix; refuse one prefix bound to two namespaces."""
        if self.prefixes.setdefault(prefix, namespace) != namespace:
            raise refuse(shape, "sh:prefixes", f"prefix {prefix}: bound to two namespaces")

    def text(self) -> str:
        """The prologue as SPARQL text."""
        return "".join(f"PREFIX {p}: {n3(URIRef(ns))}\n" for p, ns in sorted(self.prefixes.items()))


def declare_prefixes(g: Graph, holder: Node, prologue: Prologue, shape: Node) -> None:
    """Add the sh:prefixes declarations of ``holder`` (transitively via owl:imports? no)."""
    for ontology in g.objects(holder, SH.prefixes):
        for decl in g.objects(ontology, SH.declare):
            prefix, namespace = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
            if prefix is None or namespace is None:
                raise refuse(shape, "sh:declare", "incomplete sh:declare")
            prologue.add(str(prefix), str(namespace), shape)


def split_prologue(query: str, prologue: Prologue, shape: Node) -> str:
    """Move the query's own PREFIX lines into the shared prologue; return the rest."""
    while True:
        query = _LEADING_COMMENTS.sub("", query)
        if _BASE.match(query):
            raise refuse(shape, "BASE", "BASE in a SPARQL query")
        m = _PREFIX.match(query)
        if not m:
            return query
        prologue.add(m.group(1) or "", m.group(2), shape)
        query = query[m.end():]


def select_text(g: Graph, holder: Node, shape: Node, prologue: Prologue) -> str:
    """The sh:select of a constraint or target, prefixes moved to ``prologue``."""
    select = g.value(holder, SH.select)
    if not isinstance(select, Literal):
        raise refuse(shape, "sh:ask", "SPARQL part without sh:select")
    declare_prefixes(g, holder, prologue, shape)
    body = split_prologue(str(select), prologue, shape)
    if not _SELECT.match(mask(body)):
        raise refuse(shape, "sh:select", "sh:select is not a SELECT query")
    if uses_var(body, "shapesGraph"):
        raise refuse(shape, "$shapesGraph", "$shapesGraph is not supported")
    return body


def project_this(body: str) -> str:
    """Make sure the SELECT clause projects ?this."""
    code = mask(body)
    head_end = code.index("{")
    head = code[:head_end]
    if "*" in head or re.search(r"[?$]this\b", head):
        return body
    m = _SELECT.match(code)
    end = m.end() if m else 0
    return body[:end] + " ?this" + body[end:]


def inject_candidates(body: str, candidates: str) -> str:
    """Join the candidate set, as ?this, at the start of the WHERE clause."""
    brace = mask(body).index("{") + 1
    bound = f"\n  {{ SELECT (?focus AS ?this) WHERE {candidates} }}\n"
    return body[:brace] + bound + body[brace:]


_WHERE = re.compile(r"\bWHERE\s*\{", re.I)
_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")


def prebind_this(query: str, focus: str) -> str:
    """``query`` for one focus node (``focus``: an IRI, ``<...>``): ``$this`` bound by a
    ``VALUES`` block at the start of every WHERE clause, sub-SELECTs' included, as SHACL's
    pre-binding replaces every occurrence of the variable, sub-queries' too (SHACL 1.0 §5.6.1).
    Bound by the engine after the whole query (pyoxigraph ``substitutions``), a unit's
    sub-SELECT read every patent's values: the SEI evidence query matched every IPC code of
    the store against the concordance for one patent's explanation (0.3 s at 100,000 patents,
    seconds at a million)."""
    if not _IRI.fullmatch(focus):
        raise ValueError(f"not an IRI in SPARQL syntax: {focus!r}")
    block = f" VALUES ?this {{ {focus} }}\n"
    out, last = [], 0
    for m in _WHERE.finditer(mask(query)):
        out += [query[last:m.end()], block]
        last = m.end()
    return "".join(out) + query[last:]


def this_set(body: str) -> str:
    """The set of ?this values of a SELECT query, as ?focus."""
    return select_focus(f"{{ SELECT (?this AS ?focus) WHERE {{\n{{ {body} }}\n}} }}")


def _constraint_body(g, holder, shape, prologue, path_text) -> str:
    """The constraint's SELECT with its parameters replaced."""
    body = select_text(g, holder, shape, prologue)
    values = {"currentShape": n3(shape)} if isinstance(shape, URIRef) else {}
    if uses_var(body, "currentShape") and not values:
        raise refuse(shape, "$currentShape", "$currentShape of a blank node shape")
    if uses_var(body, "PATH"):
        if path_text is None:
            raise refuse(shape, "$PATH", "$PATH in a node shape")
        values["PATH"] = path_text
    return substitute(body, values)


def constraint_set(g, holder, shape, candidates, prologue, path_text=None) -> str:
    """Violators among ``candidates`` of one sh:sparql constraint."""
    body = _constraint_body(g, holder, shape, prologue, path_text)
    return this_set(inject_candidates(project_this(body), candidates))


def constraint_rows(g, holder, shape, candidates, prologue, path_text=None) -> str:
    """The distinct solutions of one sh:sparql constraint over ``candidates``, ``?this`` as
    ``?focus`` besides every variable the query projects (``?value``, ``?path`` and those a
    message names): one validation result each, as pySHACL reports them."""
    body = _constraint_body(g, holder, shape, prologue, path_text)
    if uses_var(body, "failure"):
        raise refuse(shape, "?failure", "a SPARQL constraint that reports ?failure")
    if uses_var(body, "focus"):
        raise refuse(shape, "?focus", "a SPARQL constraint that uses the variable ?focus")
    body = inject_candidates(project_this(body), candidates)
    return f"{{ SELECT DISTINCT * WHERE {{\n{{ {body} }}\nBIND(?this AS ?focus) }} }}"


def target_set(g, target, shape, prologue) -> str:
    """Focus nodes of a sh:SPARQLTarget."""
    body = select_text(g, target, shape, prologue)
    if not re.search(r"[?$]this\b", mask(body)[: mask(body).index("{")]) and "*" not in body:
        raise refuse(shape, "sh:SPARQLTarget", "SPARQL target does not select ?this")
    return this_set(body)
