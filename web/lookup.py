"""Lookups: the queries that run in the app's process even where the time limit is hard.

A query goes to a query worker (:mod:`web.pool`) so that it can be killed at the time limit. A
*lookup* needs no such guard: it reads the triples of one named resource in the default graph,
and nothing in its text can make that work larger than the resource's own triples (the demo's
largest: 18; for ``DESCRIBE``, with the blank nodes they lead to, as Oxigraph describes a
resource by its concise bounded description). It runs in the app's process, without the hop
to a worker (docs/web.md, "Benchmark"; docs/decisions.md 26). A lookup is one of these,
whole, and nothing else::

    SELECT [DISTINCT|REDUCED] (* | ?v ...) [WHERE] { S P O [.] } [LIMIT n] [OFFSET n]
    ASK [WHERE] { S P O [.] }
    CONSTRUCT WHERE { S P O [.] } [LIMIT n] [OFFSET n]
    DESCRIBE S

after ``PREFIX`` and ``BASE`` declarations, in at most :data:`LONGEST` characters, where ``S``
is an IRI or a prefixed name (a constant: never a variable, nor a blank node, which is one),
``P`` a variable, an IRI, a prefixed name or ``a`` (no property path), ``O`` a variable, an IRI
or a prefixed name. No comments, ``FILTER``, ``GRAPH``, ``FROM``, function or subquery:
anything else is not a lookup and goes to a worker, as does a request that names its dataset
(``default-graph-uri``, ``named-graph-uri``). The default graph holds the ingested data only,
which nothing writes while the app serves (pages write their derived graphs, all named), so a
lookup in the app's process sees what a worker sees.
"""

from __future__ import annotations

import re

from web.pool import Request

_IRI = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_PNAME = r"(?:[A-Za-z][\w-]*)?:[\w:%-]*"  # no dots or escapes: those go to a worker
_VAR = r"[?$]\w+"
_CONSTANT = f"(?:{_IRI}|{_PNAME})"
_PATTERN = (rf"\{{\s*{_CONSTANT}\s+(?:{_VAR}|{_CONSTANT}|a)\s+(?:{_VAR}|{_CONSTANT})"
            r"\s*(?:\.\s*)?\}")
_SLICE = r"(?:\s*(?:LIMIT|OFFSET)\s+\d+){0,2}"
LOOKUP = re.compile(rf"""\s*
    (?:(?:PREFIX\s+{_PNAME}\s*{_IRI}|BASE\s*{_IRI})\s*)*
    (?: SELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?(?:\*\s*|(?:{_VAR}\s*)+)(?:WHERE\s*)?{_PATTERN}{_SLICE}
      | ASK\s*(?:WHERE\s*)?{_PATTERN}
      | CONSTRUCT\s*WHERE\s*{_PATTERN}{_SLICE}
      | DESCRIBE\s+{_CONSTANT}
    )\s*""", re.VERBOSE | re.IGNORECASE)


#: The longest lookup, in characters. A point lookup is a few hundred; a longer text goes to a
#: worker, so that neither this recognizer nor the engine's parser (which takes seconds for a
#: projection of 40,000 variables) can be kept busy by a text without a time limit.
LONGEST = 4096


def is_lookup(req: Request) -> bool:
    """Whether ``req`` is a lookup (above): its work is bounded by one resource's triples."""
    return len(req.query) <= LONGEST and req.default_graph is None \
        and req.named_graphs is None and LOOKUP.fullmatch(req.query) is not None
