"""Federated canned queries under the app's hard time limit.

A canned query with ``SERVICE`` (its endpoint on ``federation_allow``) waits on another host as
long as that host takes. In the app's process nothing could stop it (pyoxigraph's
``Store.query`` has no timeout), so the app runs it the way ``/sparql`` runs a query: in one of
its query workers (:mod:`web.pool`), its parameters bound by the engine there, the worker killed
at the ``timeout`` setting (:class:`kg.QueryTimeout`, 503). The derived graphs it reads are
computed first, in the app, as for any canned query. A page worker (``workers = 0`` there) runs
it within its render, which is killed at the same limit; an app without query workers (in
memory, ``workers = 0``) runs it in its own process with no hard limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyoxigraph as ox

from web.pool import DEFAULT_GRAPH, Request
from web.service import Service

Runner = Callable[[str, Mapping[str, Any], list[ox.NamedNode]], ox.QuerySolutions]


def runner(svc: Service) -> Runner | None:
    """How the app runs a federated canned query (``kg.run_query``'s ``federated``): in a
    query worker; ``None`` (in this process) when the app has none."""
    if svc.pool is None:
        return None

    def run(text: str, bound: Mapping[str, Any], graphs: list[ox.NamedNode]
            ) -> ox.QuerySolutions:
        # a dataset given replaces the query's whole (SPARQL Protocol): every named graph is
        # named, as in the app's own run of a canned query (the links graphs, say)
        named = [g.value for g in svc.store().named_graphs()]
        reply = svc.run(Request(
            text, default_graph=[DEFAULT_GRAPH, *(g.value for g in graphs)], named_graphs=named,
            substitutions=tuple((name, str(term)) for name, term in bound.items())))
        solutions = ox.parse_query_results(reply.body, format=ox.QueryResultsFormat.JSON)
        assert isinstance(solutions, ox.QuerySolutions)  # a canned query is a SELECT
        return solutions

    return run
