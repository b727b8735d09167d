"""Federated queries: which ``SERVICE`` endpoints a query calls, and whether it may.

A query's ``SERVICE`` clauses make the engine fetch data from other hosts. That is refused unless
every endpoint the query names is on the ``federation_allow`` setting (empty by default: no
federation), compared as whole IRIs. A ``SERVICE ?variable`` is allowed only when the variable is
bound before the query runs (a canned query's parameter) to an IRI on the list; otherwise it is
refused, even if every value the query could give it looks allowed: its values come from the
data or from another endpoint while the query runs, where no check can stand between the engine
and the call (docs/decisions.md). The same check guards ``/sparql``, ``hvp sparql`` and the
canned queries.

The query is read by a small tokenizer that knows SPARQL's lexical noise (strings in all four
quotings, IRIs with ``\\u`` escapes, comments, variables, prefixed names with their local
escapes), so a ``SERVICE`` in a string or a comment is not one, and a prefixed name is expanded
with the query's own ``PREFIX`` declarations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from kg.errors import BadValue, Refused

#: An IRI reference, with the ``\u`` escapes SPARQL allows in it.
IRI = r"""<(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>"""
#: Tokens of SPARQL text that may hold a keyword's letters without being one (strings, IRIs,
#: comments, variables, prefixed names, whose ``prefix`` is kept), then the words left, which
#: may be keywords (SERVICE, PREFIX).
TOKENS = re.compile(r"""
    \"\"\"[\s\S]*?\"\"\" | '''[\s\S]*?''' | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*'
  | """ + IRI + r""" | (?P<comment>\#[^\n\r]*) | [?$]\w+ | _:[\w.-]*
  | (?P<prefix>[\w.-]*):(?:[\w.:%-]|\\[_~.\-!$&'()*+,;=/?\#@%])*
  | (?P<word>[^\W\d]\w*)""", re.VERBOSE)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def allowed(value: object) -> tuple[str, ...]:
    """The ``federation_allow`` setting as endpoint IRIs: a list, or a string of IRIs separated
    by spaces or commas (an environment variable; TOML may give either)."""
    if isinstance(value, (list, tuple)):
        items: Iterable[str] = (str(v) for v in value)
    else:
        items = re.findall(r"[^\s,'\"\[\]]+", str(value or ""))
    return tuple(i.strip() for i in items if i.strip())


def parse_allowed(text: str) -> tuple[str, ...]:
    """Parse the setting from text, refusing an entry that is not an absolute http(s) IRI."""
    items = allowed(text)
    for item in items:
        if not re.match(r"https?://[^/\s]+", item):
            raise BadValue("%(item)r is not an http(s) endpoint IRI", item=item)
    return items


def services(query: str) -> list[str | None]:
    """The endpoints of the query's ``SERVICE`` clauses in order: an IRI, ``?name`` for a
    variable, or ``None`` for what could not be read as either."""
    found: list[str | None] = []
    prefixes: dict[str, str] = {}
    matches = [m for m in TOKENS.finditer(query) if m.group("comment") is None]
    for i, m in enumerate(matches):
        word = (m.group("word") or "").upper()
        if word == "PREFIX" and i + 2 < len(matches) and matches[i + 1].group("prefix") \
                is not None:
            prefixes[matches[i + 1].group("prefix")] = _iri(matches[i + 2].group())
        elif word == "SERVICE":
            j = i + 1
            if j < len(matches) and (matches[j].group("word") or "").upper() == "SILENT":
                j += 1
            found.append(_target(matches[j], prefixes) if j < len(matches) else None)
    return found


def _iri(token: str) -> str:
    if not token.startswith("<"):
        return ""
    return _ESCAPE.sub(lambda e: chr(int(e.group(1) or e.group(2), 16)), token[1:-1])


def _target(m: re.Match[str], prefixes: Mapping[str, str]) -> str | None:
    token = m.group()
    if token.startswith("<"):
        return _iri(token)
    if token[:1] in "?$":
        return "?" + token[1:]
    prefix = m.group("prefix")
    if prefix is not None and prefix in prefixes:
        return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", token[len(prefix) + 1:])
    return None


def refusal(query: str, allow: Iterable[str],
            bound: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal] | None = None
            ) -> Refused | None:
    """Why the query may not run (a ``SERVICE`` to an endpoint not on ``allow``), or ``None``.
    ``bound``: values of the query's variables (a ``SERVICE ?endpoint`` parameter)."""
    if "service" not in query.lower():
        return None
    targets = services(query)
    if not targets:
        return None
    allow = tuple(allow)
    if not allow:
        return Refused("SERVICE (a federated query) is refused: no data is fetched from other "
                       "hosts while the federation_allow setting is empty. Query that endpoint "
                       "directly, load its data with `hvp ingest`, or list it in "
                       "federation_allow")
    for target in targets:
        if target is not None and target.startswith("?"):
            value = (bound or {}).get(target[1:])
            if not isinstance(value, ox.NamedNode):
                return Refused("SERVICE %(variable)s: an endpoint named by a variable is "
                               "refused: the endpoints it would call are known only while the "
                               "query runs (from the data, or from another endpoint's answer), "
                               "so they cannot be checked against federation_allow before it "
                               "runs. Write the endpoint's IRI after SERVICE (a canned query may "
                               "bind the variable to an allowed endpoint as a parameter)",
                               variable=target)
            target = value.value
        if target not in allow:
            if target is None:
                return Refused("SERVICE an endpoint that is not an absolute IRI is refused: it "
                               "is not on the federation_allow setting (%(allowed)s)",
                               allowed=", ".join(allow))
            return Refused("SERVICE <%(endpoint)s> is refused: it is not on the federation_allow "
                           "setting (%(allowed)s)", endpoint=target, allowed=", ".join(allow))
    return None


def check(query: str, allow: Iterable[str],
          bound: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal] | None = None) -> None:
    """Raise :class:`Refused` (HTTP 403) with :func:`refusal`'s reason, if any."""
    refused = refusal(query, allow, bound)
    if refused:
        raise refused


def federated(query: str) -> bool:
    """Whether the query has a ``SERVICE`` clause."""
    return "service" in query.lower() and bool(services(query))
