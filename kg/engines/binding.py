"""Parameters bound inside a query's WHERE group, for engines reached over the SPARQL protocol.

A remote engine has no ``substitutions``: parameters become a ``VALUES`` block of serialized
RDF terms placed as the first element of the outermost WHERE group, where the engine joins them
before anything else. A trailing ``VALUES`` (after the whole query) is evaluated last: Oxigraph
computes the whole query first, and Virtuoso ignores it when the query has a ``BIND``.

The group is found by a small scanner that knows SPARQL's lexical noise: strings (all four
quotings, with escapes), IRIs (``<...>`` without spaces, told from the ``<`` operator), comments
and prefixed names. Nothing of the user's text is formatted in: values are pyoxigraph terms,
whose serialization escapes them, and blank nodes are refused (a blank node in a query is a
fresh variable, not the node).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

import pyoxigraph as ox

from kg.errors import QueryError

_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<comment>\#[^\n]*)
      | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                  |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<word>[?$]?[A-Za-z0-9_\u00b7-\uffff][\w\-.:\u00b7-\uffff%\\]*)
      | (?P<punct>.)""",
    re.VERBOSE | re.DOTALL,
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int


def tokens(query: str) -> Iterator[Token]:
    """The query's tokens outside strings, IRIs and comments (those are tokens of their own)."""
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "punct"
        if kind != "space":
            yield Token(kind, match.group(), match.start(), match.end())


def query_form(query: str) -> str:
    """The query form: the first SELECT, ASK, CONSTRUCT or DESCRIBE outside IRIs and strings."""
    for token in tokens(query):
        if token.kind == "word" and token.text.upper() in _FORMS:
            return token.text.upper()
    raise QueryError("not a SPARQL query form (SELECT, ASK, CONSTRUCT, DESCRIBE)")


def _groups(query: str) -> Iterator[tuple[Token, int]]:
    """Each ``{`` at brace and parenthesis depth 0 after the query form, with the offset just
    past its matching ``}``; a ``WHERE`` keyword at depth 0 as ``(token, -1)``."""
    seen_form = False
    braces = parens = 0
    opened: Token | None = None
    for token in tokens(query):
        if token.kind == "word" and braces == 0 and parens == 0:
            word = token.text.upper()
            if not seen_form and word in _FORMS:
                seen_form = True
                yield token, -1
            elif seen_form and word == "WHERE":
                yield token, -1
        if token.kind != "punct":
            continue
        if token.text == "(":
            parens += 1
        elif token.text == ")":
            parens -= 1
        elif token.text == "{":
            if braces == 0 and parens == 0 and seen_form:
                opened = token
            braces += 1
        elif token.text == "}":
            braces -= 1
            if braces == 0 and opened is not None:
                yield opened, token.end
                opened = None
    if braces or parens:
        raise QueryError("unbalanced braces or parentheses in the query")


def where_group(query: str) -> tuple[int, int, int]:
    """``(open, close, short)``: offsets of the outermost WHERE group's ``{`` and just past its
    ``}``; for ``CONSTRUCT WHERE { ... }`` (whose group is also its template) ``short`` is the
    offset of that ``WHERE``, else -1."""
    events = list(_groups(query))
    if not events:
        raise QueryError("not a SPARQL query form (SELECT, ASK, CONSTRUCT, DESCRIBE)")
    form = events[0][0].text.upper()
    rest = events[1:]
    short = -1
    if form == "CONSTRUCT":
        if rest and rest[0][1] == -1:  # CONSTRUCT WHERE { template and pattern }
            short = rest[0][0].start
        else:
            rest = rest[1:]  # the template
    groups = [(t, end) for t, end in rest if end != -1]
    if not groups:
        raise QueryError("the query has no WHERE group to bind parameters in")
    token, end = groups[0]
    return token.start, end, short


def values_block(bindings: Mapping[str, ox.NamedNode | ox.Literal | ox.BlankNode]) -> str:
    """``VALUES (?a ?b) { (t1 t2) }`` from RDF terms; a bad name or a blank node is refused."""
    for name, term in bindings.items():
        if not _NAME.match(name):
            raise QueryError("parameter name %(name)r is not a SPARQL variable name", name=name)
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise QueryError("parameter ?%(name)s: %(term)r cannot be bound over the SPARQL "
                             "protocol (only IRIs and literals; a blank node is a variable in "
                             "query text)", name=name, term=term)
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


def first_in_where(query: str, block: str) -> str:
    """``query`` with ``block`` (SPARQL pattern text) first in its outermost WHERE group."""
    start, end, short = where_group(query)
    inner = query[start + 1:end - 1]
    if short >= 0:  # CONSTRUCT WHERE { T } = CONSTRUCT { T } WHERE { T }: bind the pattern only
        return f"{query[:short]}{{{inner}}} WHERE {{ {block}\n{inner}}}{query[end:]}"
    return f"{query[:start]}{{ {block}\n{inner}}}{query[end:]}"
