"""SPARQL text helpers: term serialization, masking, parameter substitution, set patterns.

Every term that goes into generated SPARQL is written with :func:`n3`, never by formatting
user text. A *set* is a group graph pattern (``{ ... }``) whose only visible variable is
``?focus``; the compiler combines sets with MINUS, UNION and joins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.errors import CompileError, InputError

_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Tokens that may contain braces, '#', '?' or '$' without being code: strings, IRIs, comments.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|#[^\n]*",
    re.S,
)
# Variables that SHACL-SPARQL itself binds: never parameters.
RESERVED = {"this", "PATH", "currentShape", "shapesGraph", "value"}
_VAR = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


def n3(term: Node) -> str:
    """Serialize an IRI or literal for SPARQL; refuse blank nodes and unsafe IRIs."""
    if isinstance(term, URIRef):
        if _BAD_IRI_CHARS.search(str(term)):
            raise InputError("not a valid IRI: %(term)r", term=str(term))
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise CompileError("cannot write %(term)r into SPARQL", feature="blank node value", term=term)


def mask(query: str) -> str:
    """Blank out strings, IRIs and comments (same length) so code can be searched safely."""
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)), query)


def substitute(query: str, values: Mapping[str, str]) -> str:
    """Replace ``$name``/``?name`` in code (not in strings, IRIs, comments) by ready SPARQL."""
    masked = mask(query)
    out, last = [], 0
    for m in _VAR.finditer(masked):
        if m.group(1) in values:
            out += [query[last:m.start()], values[m.group(1)]]
            last = m.end()
    return "".join(out) + query[last:]


def binding_values(bindings: Mapping[str, Node] | None) -> dict[str, str]:
    """Check parameter names and terms, and serialize each term once."""
    values = {}
    for name, term in (bindings or {}).items():
        if not _NAME.match(name) or name in RESERVED:
            raise InputError("bad parameter name %(name)r", name=name)
        if isinstance(term, BNode) or not isinstance(term, (URIRef, Literal)):
            raise InputError("parameter %(name)r must be an IRI or a literal, not %(term)r",
                             name=name, term=term)
        values[name] = n3(term)
    return values


def uses_var(query: str, name: str) -> bool:
    """True if the variable ``?name``/``$name`` occurs in the code of ``query``."""
    return any(m.group(1) == name for m in _VAR.finditer(mask(query)))


def select_focus(where: str) -> str:
    """Wrap a pattern that binds ?focus as a set: ``{ SELECT DISTINCT ?focus WHERE {..} }``."""
    return f"{{ SELECT DISTINCT ?focus WHERE {{\n{indent(where)}\n}} }}"


def select_rows(where: str) -> str:
    """Rows of ``?focus ?value`` that a pattern binds: ``{ SELECT DISTINCT ?focus ?value .. }``."""
    return f"{{ SELECT DISTINCT ?focus ?value WHERE {{\n{indent(where)}\n}} }}"


def undistinct(focus_set: str) -> str:
    """A set made by :func:`select_focus` without its DISTINCT (for a reader that builds a set
    anyway); any other pattern unchanged."""
    head = "{ SELECT DISTINCT ?focus WHERE {"
    return "{ SELECT ?focus WHERE {" + focus_set[len(head):] if focus_set.startswith(head) \
        else focus_set


def union(sets: list[str]) -> str:
    """One set of the union of sets (an empty set for none)."""
    if not sets:
        return EMPTY
    if len(sets) == 1:
        return sets[0]
    return select_focus("\nUNION\n".join(sets))


def as_value(focus_set: str) -> str:
    """The set renamed from ?focus to ?value, to join with a value pattern."""
    return f"{{ SELECT (?focus AS ?value) WHERE {focus_set} }}"


def indent(text: str) -> str:
    """Indent every line by two spaces."""
    return "\n".join("  " + line for line in text.splitlines())


EMPTY = "{ VALUES ?focus { } }"
