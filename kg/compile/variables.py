"""Variables in SPARQL code, found and replaced outside strings, IRIs and comments.

A shape's parameters are bound by writing their terms in place of ``$name``/``?name`` in the
code of its SPARQL (:func:`substitute`; the values checked and serialized by
:func:`binding_values`). :func:`mask` blanks out the tokens that may hold braces, ``#``, ``?``
or ``$`` without being code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.compile.terms import n3
from kg.errors import InputError

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
