"""What an RDF file must not do before it is parsed: declare a DTD (RDF/XML) or nest too deep.

Oxigraph's RDF/XML parser expands the entities of a DTD (a few hundred bytes can expand to
gigabytes) and slows down on deep element nesting; a deeply nested file is no patent data. The
scan runs before the parser, in constant memory, and locates what it refuses (line, column).
"""

from __future__ import annotations

import mmap
import re
import xml.parsers.expat
from pathlib import Path

import pyoxigraph as ox

from kg.errors import RowError

#: Deepest nesting of brackets (Turtle, TriG, N3: ``[`` and ``(``; JSON-LD: ``{`` and ``[``)
#: or of XML elements. Patent data nests a few levels deep; the limit keeps parsers' stacks small.
MAX_DEPTH = 64

_TURTLE_TOKENS = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""' rb"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    rb'|"(?:[^"\\\n]|\\.)*"' rb"|'(?:[^'\\\n]|\\.)*'"
    rb"|<[^>\s]*>|#[^\n]*|[\[\]()]")
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OPEN = frozenset(b"[({")
_CLOSE = (b"]", b")", b"}")


def check(path: Path, fmt: ox.RdfFormat) -> None:
    """Raise :class:`RowError` (line, column) for a DTD or nesting past :data:`MAX_DEPTH`."""
    if fmt == ox.RdfFormat.RDF_XML:
        _xml(path)
    elif fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3):
        _brackets(path, _TURTLE_TOKENS)
    elif fmt == ox.RdfFormat.JSON_LD:
        _brackets(path, _JSON_TOKENS)


def _xml(path: Path) -> None:
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    depth = 0

    def refuse(message: str) -> None:
        raise RowError(str(path), parser.CurrentLineNumber,
                       str(parser.CurrentColumnNumber + 1), message)

    def doctype(*_: object) -> None:
        refuse("a DOCTYPE declaration: RDF/XML input may not declare a DTD or entities "
               "(they can expand to gigabytes); remove it and write the text out")

    def start(*_: object) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            refuse(f"elements nested more than {MAX_DEPTH} deep")

    def end(*_: object) -> None:
        nonlocal depth
        depth -= 1

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with path.open("rb") as f:
            parser.ParseFile(f)
    except xml.parsers.expat.ExpatError as exc:  # the RDF/XML parser would not say where
        raise RowError(str(path), exc.lineno, str(exc.offset + 1),
                       "not well-formed XML: %(engine)s",
                       engine=xml.parsers.expat.ErrorString(exc.code)) from None


def _brackets(path: Path, tokens: re.Pattern[bytes]) -> None:
    with path.open("rb") as f:
        if not f.seek(0, 2):
            return  # mmap refuses an empty file
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            depth = 0
            for match in tokens.finditer(data):  # type: ignore[call-overload]
                char = match.group()
                if len(char) != 1:
                    continue  # a string, an IRI or a comment: its brackets are text
                if char[0] in _OPEN:
                    depth += 1
                    if depth > MAX_DEPTH:
                        line = data[:match.start()].count(b"\n") + 1
                        column = match.start() - data.rfind(b"\n", 0, match.start())
                        raise RowError(str(path), line, str(column),
                                       "brackets nested more than %(max_depth)s deep",
                                       max_depth=MAX_DEPTH)
                elif char in _CLOSE and depth:
                    depth -= 1
