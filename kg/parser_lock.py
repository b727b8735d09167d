"""The process-wide lock around rdflib's SPARQL parser.

rdflib parses SPARQL with pyparsing, whose parser state is shared and not thread-safe: two
threads parsing at once can fail with errors from inside pyparsing (seen here:
``Param.postParse2() missing 1 required positional argument``). The web app serves requests in
threads, and pySHACL (SHACL-SPARQL constraints) and the compiler's idiom recognition both parse
SPARQL, so every such use in this package holds :data:`SPARQL_PARSER`. It is re-entrant: a
pySHACL run that holds it may parse again in the same thread.
"""

from __future__ import annotations

import threading

SPARQL_PARSER = threading.RLock()
