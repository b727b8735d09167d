"""Spreadsheet-safe downloads: CSV and TSV that a spreadsheet program opens without running them.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs,
a tab or a carriage return) as a formula, which can call other programs or send data away
(OWASP, "CSV Injection"). The human-facing downloads of ``/queries`` and ``/indicators`` follow
OWASP's rule: such a cell is written with a ``'`` in front, which the spreadsheet shows as text.
The value changes by that one character, so it is done here, for people, and nowhere else: the
JSON and RDF downloads, the CLI's CSV and the SPARQL protocol's ``text/csv`` results (a W3C format
for programs, which must keep exact values) carry every value as it is (docs/decisions.md 35).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """``value`` as a spreadsheet shows it as text."""
    return "'" + value if value.startswith(FORMULA) else value


def write(rows: Iterable[Sequence[str]], delimiter: str = ",") -> str:
    """CSV (or TSV) of ``rows`` (the header first), every cell made safe by :func:`cell`."""
    return "".join(lines(rows, delimiter))


def lines(rows: Iterable[Sequence[str]], delimiter: str = ",") -> Iterator[str]:
    """:func:`write`'s text line by line, each row written as it comes (a download streamed)."""
    for row in rows:
        yield delimiter.join(_field(cell(v), delimiter) for v in row) + "\n"


def _field(value: str, delimiter: str) -> str:
    """RFC 4180 quoting; also of a lone carriage return, which the csv module leaves bare."""
    if any(c in value for c in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def safe(text: str, delimiter: str = ",") -> str:
    """The CSV (or TSV) ``text`` of values without line breaks, every cell made safe."""
    return write(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), delimiter)
