"""Bounds on what one request may ask of the app: body size, query size, query nesting.

Checked before any parsing: a body over ``max_body`` bytes is refused by werkzeug (413, the
app's ``MAX_CONTENT_LENGTH``, and :class:`web.sparql.Endpoint`'s request), a SPARQL query or
update over ``max_query`` characters is 413, and one nested deeper than :data:`NESTING` is 400.
The depth check exists because Oxigraph's parser recurses per nested group and overflows its
stack (the process dies: SIGSEGV) at about 3,000 nested ``{`` on an 8 MB main-thread stack, fewer
on a thread's; no real query nests more than a few dozen deep.
"""

from __future__ import annotations

import re

from web.errors import Problem

#: Deepest nesting of ``{``, ``(`` and ``[`` together in a query or update.
NESTING = 128

#: What can hold brackets that do not nest (strings, IRIs, comments), then the brackets.
_BRACKETS = re.compile(r"""
    \"\"\"[\s\S]*?\"\"\" | '''[\s\S]*?''' | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*'
  | <[^<>"{}|^`\\\x00-\x20]*> | \#[^\n\r]* | (?P<open>[{(\[]) | (?P<close>[})\]])""",
                       re.VERBOSE)


def depth(text: str) -> int:
    """The deepest nesting of brackets in SPARQL ``text`` (outside strings, IRIs, comments)."""
    level = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group("open"):
            level += 1
            deepest = max(deepest, level)
        elif match.group("close"):
            level -= 1
    return deepest


def check_query(text: str, longest: int, what: str = "query") -> None:
    """413 for a ``what`` longer than ``longest`` characters; 400 for one nested too deep."""
    if len(text) > longest:
        raise Problem(413, "Content Too Large", f"the {what} has {len(text):,} characters; "
                      f"the most this endpoint takes is {longest:,} (setting max_query)")
    if "{" in text or "(" in text or "[" in text:
        nested = depth(text)
        if nested > NESTING:
            raise Problem(400, "Bad request", f"the {what} nests brackets {nested} deep; the most "
                          f"this endpoint takes is {NESTING}")
