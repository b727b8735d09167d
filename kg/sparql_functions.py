"""Shared SPARQL functions of the shapes, inlined into the queries that call them.

The rules several criteria share ("held for more than N years at the as-of date", the
29 February anniversary, "on or before the as-of date", list membership, IPC patterns) are
SHACL-AF ``sh:SPARQLFunction``s in ``shapes/components/sparql.ttl``: the body is the expression
of ``SELECT (EXPR AS ?result) WHERE {}``, the parameters are ``$name`` by the local name of their
``sh:path``, in ``sh:order``. Neither Oxigraph nor kg.compile runs custom functions, so
:func:`inline_all` replaces every call ``hvpfn:name(arg, ...)`` in the text of each
``sh:select`` of a shapes graph by the body, each parameter by its argument in parentheses
(a lone variable bare; nested calls too), and removes the definitions: pySHACL and the compiled
SPARQL run the same plain text. Calls inside string literals are not told apart (do not write
``hvpfn:`` in one).
"""

from __future__ import annotations

import re

from rdflib import RDF, Graph, Literal
from rdflib.term import Node

from kg.errors import InputError
from kg.vocab import SH

FUNCTIONS = "https://w3id.org/hvp/fn#"
_CALL = re.compile(r"\bhvpfn:([A-Za-z_][\w-]*)\s*\(")
_BODY = re.compile(r"^\s*SELECT\s*\((.*)\s+AS\s+\?result\s*\)\s*WHERE\s*\{\s*\}\s*$", re.S | re.I)


def local_name(iri: Node) -> str:
    """The text after the last ``#`` or ``/`` of an IRI."""
    return re.split(r"[#/]", str(iri))[-1]


def functions(graph: Graph) -> dict[str, tuple[list[str], str]]:
    """The SPARQL functions of the graph: local name -> (parameter names, body expression)."""
    out = {}
    for fn in graph.subjects(RDF.type, SH.SPARQLFunction):
        if not str(fn).startswith(FUNCTIONS):
            continue
        params = sorted(graph.objects(fn, SH.parameter),
                        key=lambda p: int(str(graph.value(p, SH.order) or 0)))
        match = _BODY.match(str(graph.value(fn, SH.select) or ""))
        if match is None:
            raise InputError("function %(fn)s: sh:select must be SELECT (EXPR AS ?result) "
                             "WHERE {}", fn=fn)
        names = [local_name(graph.value(p, SH.path) or p) for p in params]
        out[str(fn)[len(FUNCTIONS):]] = (names, match.group(1))
    return out


def _drop_functions(graph: Graph) -> None:
    for fn in list(graph.subjects(RDF.type, SH.SPARQLFunction)):
        for param in list(graph.objects(fn, SH.parameter)):
            graph.remove((param, None, None))
        graph.remove((fn, None, None))


def inline(text: str, defined: dict[str, tuple[list[str], str]], depth: int = 0) -> str:
    """``text`` with every ``hvpfn:name(arg, ...)`` replaced by the function's body, each
    parameter by its argument in parentheses (nested calls too)."""
    if depth > 20:
        raise InputError("SPARQL functions call each other more than 20 deep")
    out, pos = [], 0
    for match in _CALL.finditer(text):
        if match.start() < pos:
            continue
        name = match.group(1)
        if name not in defined:
            raise InputError("unknown SPARQL function hvpfn:%(name)s (shapes/components/)",
                             name=name)
        args, end = _arguments(text, match.end())
        names, body = defined[name]
        if len(args) != len(names):
            raise InputError("hvpfn:%(name)s takes %(count)s arguments, not %(count2)s",
                             name=name, count=len(names), count2=len(args))
        expanded = _bind(body, dict(zip(names, args, strict=True)))
        out += [text[pos:match.start()], "(", inline(expanded, defined, depth + 1), ")"]
        pos = end
    out.append(text[pos:])
    return "".join(out)


_VARIABLE = re.compile(r"[$?][A-Za-z_]\w*")


def _bind(body: str, values: dict[str, str]) -> str:
    """The body with each ``$name`` of a parameter replaced by its argument: in parentheses,
    except a lone variable (which needs none, and which ``BOUND()`` takes only bare)."""
    def argument(name: str) -> str:
        text = values[name]
        return text if _VARIABLE.fullmatch(text) else f"({text})"
    return re.sub(r"[$?]([A-Za-z_]\w*)", lambda m: argument(m.group(1))
                  if m.group(1) in values else m.group(0), body)


def _arguments(text: str, start: int) -> tuple[list[str], int]:
    """The top-level comma-separated arguments from ``start`` (after "(") to the matching ")";
    and the index after it. String literals are skipped."""
    args, depth, quote, current, i = [], 0, "", start, start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                args.append(text[current:i].strip())
                return [a for a in args if a], i + 1
            depth -= 1
        elif char == "," and depth == 0:
            args.append(text[current:i].strip())
            current = i + 1
        i += 1
    raise InputError("unbalanced parentheses in a SPARQL function call: %(text)s",
                     text=text[start - 20:])


def inline_all(graph: Graph) -> None:
    """Inline every function call of every sh:select of ``graph``; drop the definitions."""
    defined = functions(graph)
    for s, p, o in list(graph.triples((None, SH.select, None))):
        if isinstance(o, Literal) and _CALL.search(str(o)):
            graph.set((s, p, Literal(inline(str(o), defined), lang=o.language,
                                     datatype=o.datatype)))
    _drop_functions(graph)
