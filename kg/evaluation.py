"""What the embedded engine (pyoxigraph) raises while it runs a query, said as a kg error.

A query that parses may still fail while it runs, and pyoxigraph then raises its own English
words as a bare ``RuntimeError`` or ``OSError``. The kinds found by trying queries
(``tests/test_engine_failures.py`` has one of each, on ``/sparql``, ``hvp sparql`` and a canned
query):

- a function the engine does not have (``The custom function <...> is not supported``): a
  cast to ``xsd:int`` or ``xsd:long``, a vendor's function; 400;
- a ``SERVICE`` call that failed (a refused connection, a name not found, a port HTTP may not
  use, an error status from the other endpoint, with its page quoted): :class:`ServiceFailed`,
  502;
- a ``SERVICE ?variable`` without a value when the call is made, or a parameter bound to a
  variable the ``SELECT`` does not project (a canned query of one's own): 400;
- an answer the chosen format cannot hold (JSON-LD and the triple terms of RDF 1.2): 400;
- anything else the engine refuses while it runs: 400, its words quoted.

Each is a message of ours saying what failed and what to do (a template of the catalogue, said
in Chinese on the web) with the engine's words as the value ``engine``, on one line and cut at
:data:`ENGINE_WORDS` characters (an endpoint's error page can be long). An ``OSError`` with an
``errno`` is the system's (a broken pipe, a full disk; the engine's own carry none), and one of
a query without ``SERVICE`` that is not writing an answer the store's: a :class:`StoreError`, as
before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from kg.errors import KGError, QueryError, ServiceFailed, StoreError
from kg.federation import services

#: The most characters of the engine's words quoted in a message.
ENGINE_WORDS = 300

_FUNCTION = re.compile(r"The custom function (<[^>]*>) is not supported")
_NOT_SELECTED = re.compile(r"does not contains? variable \?(\w+) in its SELECT projection")
_SERVICE_UNBOUND = "The variable encoding the service name is unbound"


def engine_words(exc: BaseException | str) -> str:
    """The engine's words on one line, cut at :data:`ENGINE_WORDS` characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= ENGINE_WORDS else text[:ENGINE_WORDS - 1] + "…"


def failure(exc: BaseException, query: str, writing: str | None = None,
            bound: Mapping[str, object] | None = None) -> KGError:
    """The kg error for ``exc``, raised by the engine while it parsed or ran ``query`` (or,
    with ``writing``, the name of a format, while it wrote the answer in that format);
    ``bound``: the values of its parameters (a ``SERVICE ?endpoint``'s, to name it)."""
    if isinstance(exc, KGError):
        return exc
    words = engine_words(exc)
    if isinstance(exc, SyntaxError):
        # the parser's words whole: the web layer and `hvp sparql` read the position in them
        return QueryError("invalid SPARQL: %(engine)s", engine=str(exc))
    if isinstance(exc, OSError) and exc.errno is not None:  # the system's (a pipe, a disk):
        return StoreError(str(exc))  # the engine's own carry no errno
    if isinstance(exc, OSError):
        endpoints = [_endpoint(e, bound or {}) for e in services(query) if e]
        if endpoints:
            return ServiceFailed(
                "a SERVICE call to %(endpoints)s failed while the query ran (the endpoint is "
                "down, unreachable, or answered with an error): ask again later, or write "
                "SERVICE SILENT to go on without its answer (the engine said: %(engine)s)",
                endpoints=", ".join(dict.fromkeys(endpoints)), engine=words)
        if writing is not None:
            return QueryError("the answer cannot be written as %(format)s: ask for another "
                              "format, such as Turtle or N-Triples (the engine said: "
                              "%(engine)s)", format=writing, engine=words)
        return StoreError(str(exc))
    if match := _FUNCTION.search(words):
        return QueryError("the query calls %(function)s, a function the engine does not have: "
                          "use one of SPARQL 1.1's functions, or cast to a type it knows "
                          "(xsd:integer, not xsd:int or xsd:long) (the engine said: %(engine)s)",
                          function=match[1], engine=words)
    if match := _NOT_SELECTED.search(words):
        return QueryError("a parameter binds ?%(variable)s, which the query does not select: "
                          "add ?%(variable)s to its SELECT clause (the engine said: %(engine)s)",
                          variable=match[1], engine=words)
    if _SERVICE_UNBOUND in words:
        return QueryError("a SERVICE names its endpoint by a variable that has no value when the "
                          "call is made: give it one before the SERVICE clause (VALUES or BIND), "
                          "or write the endpoint's IRI (the engine said: %(engine)s)",
                          engine=words)
    return QueryError("the engine stopped the query while it ran: change what the query asks "
                      "(the engine said: %(engine)s)", engine=words)


def _endpoint(service: str, bound: Mapping[str, object]) -> str:
    """A ``SERVICE``'s endpoint: its IRI, or the IRI its variable is bound to."""
    value = bound.get(service[1:]) if service.startswith("?") else None
    if value is None:
        return service
    return str(getattr(value, "value", value)).removeprefix("<").removesuffix(">")


@contextmanager
def evaluating(query: str, writing: str | None = None,
               bound: Mapping[str, object] | None = None) -> Iterator[None]:
    """Turn what the engine raises inside the block into :func:`failure`'s kg error."""
    try:
        yield
    except KGError:
        raise
    except (SyntaxError, RuntimeError, OSError, ValueError) as exc:
        raise failure(exc, query, writing, bound) from exc
