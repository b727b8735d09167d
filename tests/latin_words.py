"""Latin-script words left in Chinese text: what the Chinese interface's walks
(``tests/test_web_zh_walk.py``, ``tests/test_web_zh_errors_walk.py``) flag as English.

A word of three letters or more is English left over unless it is data or a name that stays
Latin: an IRI, a prefixed name, a media type or a path, a file name or suffix, a quoted value,
a word in capitals (SPARQL's keywords, SHACL, a placeholder such as YEAR), a name with ``_``, a
digit or a hyphen (a setting, a code), a query parameter (``?graph``, ``format=``), a list of
values (``html, csv, json``), a command in backquotes, a project prefix, a canned query's
parameter, or one of :data:`LATIN`.
"""

from __future__ import annotations

import re

from kg import DATASET_PREFIXES, PREFIXES, list_queries

#: Names that stay Latin in the Chinese interface (standards, formats, engines) beyond words in
#: capitals (SPARQL's keywords, SHACL, a placeholder such as YEAR).
LATIN = {"Turtle", "TriG", "Quads", "Triples", "Oxigraph", "RocksDB", "Bearer", "Authorization",
         "Accept", "Data", "Cube", "VoID", "YASGUI", "true", "false", "engine"}
#: The canned queries' parameters, named as a URL names them, and the project's prefixes.
PARAMETERS = {p.name for q in list_queries() for p in q.params} | {*PREFIXES, *DATASET_PREFIXES}
#: Data and names inside a message: IRIs, prefixed names, media types, paths, file names and
#: suffixes (``.jsonld``), quoted values, words in capitals, names with an underscore, a digit
#: or a hyphen, a query parameter (``?graph``), a list of values (``html, csv, json``),
#: commands in backquotes.
DATA = re.compile(r"<[^>\s]*>|https?://\S+|`[^`]*`|'[^']*'|\"[^\"]*\"|“[^”]*”"
                  r"|[\w.-]*:[\w./#-]+|\b[\w+.-]+/[\w+.-]+\b|(?<![\w.])/[\w/.-]+|[\w-]*\.[A-Za-z]\w*"
                  r"|\b[A-Z]{2,}\b|\b\w*[_\d]\w*\b|\b[A-Za-z]+(?:-[\w]+)+\b|[?&]\w+|\b\w+="
                  r"|\b[a-z][\w+-]*(?:, [a-z][\w+-]*)+", re.ASCII)
WORD = re.compile(r"[A-Za-z]{3,}")


def english_words(text: str, sent: str) -> list[str]:
    """The Latin-script words of ``text`` that are neither data nor a name that stays Latin
    (:data:`LATIN`) nor a word of what the request sent (``sent``)."""
    bare = DATA.sub(" ", text)
    return [w for w in WORD.findall(bare) if w not in LATIN | PARAMETERS and w not in sent]
