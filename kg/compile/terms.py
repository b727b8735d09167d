"""RDF terms written into generated SPARQL.

Every term that goes into generated SPARQL is written with :func:`n3`, never by formatting
user text.
"""

from __future__ import annotations

import re

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.errors import CompileError, InputError

_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def n3(term: Node) -> str:
    """Serialize an IRI or literal for SPARQL; refuse blank nodes and unsafe IRIs."""
    if isinstance(term, URIRef):
        if _BAD_IRI_CHARS.search(str(term)):
            raise InputError("not a valid IRI: %(term)r", term=str(term))
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise CompileError("cannot write %(term)r into SPARQL", feature="blank node value", term=term)
