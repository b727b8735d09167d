"""The SPARQL editor page (``/editor``, ``/sparql`` for a browser, ``/q/ID`` for a permalink):
YASGUI over this endpoint, and beside it what a query can name.

- **Model**: the prefixes (``kg.vocab.PREFIXES``), the ontology's classes and properties (from
  ``ontology/hvp.ttl``, labelled in the data language) and the store's named graphs (the derived
  graphs computed so far): a click inserts one into the query.
- **Results** (``web/static/editor.js``): IRIs the service mints link to this server's pages
  (:func:`web.links.namespaces`), literals show their value (numbers by locale) with the datatype
  or language tag as a badge, and a chart view (Chart.js) draws a column against another.
- **Permalinks** (:mod:`web.permalinks`) and a query history kept in the browser.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pyoxigraph as ox
from flask import Response, render_template

from kg import RDFS
from web import links
from web.i18n import DEFAULT, N_, data_language, locale
from web.i18n import gettext as _
from web.ontology import terms as ontology_terms
from web.ontology import triples
from web.queries import catalogue
from web.service import service


def page(permalink: str | None = None) -> Response:

    return Response(render_template(
        "editor.html", prefixes=service().prefixes, examples=catalogue(), graphs=graphs(),
        terms=terms(data_language()), local=links.namespaces(), permalink=permalink,
        texts=texts()), mimetype="text/html")


def graphs() -> list[dict[str, str]]:
    """The store's named graphs, by name, each with its short form."""
    names = sorted(g.value for g in service().store().oxigraph.named_graphs()
                   if isinstance(g, ox.NamedNode))
    return [{"iri": name, "short": links.short_iri(name)} for name in names]


@cache
def terms(language: str) -> dict[str, list[dict[str, str]]]:
    """The ontology's classes and properties (``hvp:Name``), each with its label in
    ``language`` (else English)."""

    label = str(RDFS.label)
    named = {str(t.subject.value): t.object.value for t in triples()  # type: ignore[union-attr]
             if t.predicate.value == label and isinstance(t.object, ox.Literal)
             and t.object.language == language}
    found: dict[str, list[dict[str, str]]] = {"class": [], "property": []}
    for term in ontology_terms():
        if term["kind"] in found:
            found[term["kind"]].append({"name": f"hvp:{term['name']}",
                                        "label": named.get(term["iri"]) or term["label"]})
    return found


def texts() -> dict[str, Any]:
    """The script's words, in the request's language."""
    return {
        "chart": _("Chart"), "bar": _("Bar"), "line": _("Line"), "pie": _("Pie"),
        "kind": _("Chart type"), "labels": _("Label column"), "values": _("Value column"),
        "noNumbers": _("No column of these results holds numbers: a chart needs one."),
        "firstRows": _("The chart shows the first %(n)s rows.", n="{n}"),
        "permalinkMade": _("Permalink to this query:"),
        "permalinkFailed": _("Could not make a permalink: %(reason)s", reason="{reason}"),
        "emptyHistory": _("Queries you run are listed here (kept in this browser)."),
        "computing": _("Computing the derived graphs this example reads…"),
        "computeFailed": _("Could not compute the derived graphs: %(reason)s",
                           reason="{reason}"),
        "endpoint": _("SPARQL endpoint"), "query": _("SPARQL query"), "tab": _("tab name"),
        "selectFormat": _("answer format for SELECT and ASK"),
        "graphFormat": _("answer format for CONSTRUCT and DESCRIBE"),
        "permalinkTab": _("Permalink"), "table": _("Table"), "response": _("Response"),
        "dataTables": {  # DataTables' own placeholders: _START_, _END_, _TOTAL_, _MAX_
            "info": _("Rows _START_ to _END_ of _TOTAL_"), "infoEmpty": _("No rows"),
            "infoFiltered": _("(filtered from _MAX_ rows)"),
            "emptyTable": _("No data available in table"),
            "zeroRecords": _("No matching rows found"),
            "lengthLabels": {"-1": _("All")},
        },
        "tabName": _("Query"),
        "yasgui": yasgui_words(),
    }


#: YASGUI's own words (marked for the catalogue: ``N_``).
YASGUI_WORDS = (
    N_("Run query"), N_("Share query"), N_("Simple view"), N_("Show all"),
    N_("Filter query results"), N_("Download result"), N_("Download Results"),
    N_("Download not supported"), N_("New Tab"), N_("Rename Tab"), N_("Copy Tab"),
    N_("Close Tab"), N_("Close other tabs"), N_("Undo close Tab"), N_("Add a new tab"),
    N_("Add tab"), N_("Close tab"), N_("Clear endpoint"), N_("Query"), N_("Ellipse"),
    N_("Search or add an endpoint"), N_('Press "enter" to add this endpoint'),
    N_("Page size:"), N_("Unable to get response from endpoint. Possible reasons:"),
    N_("Incorrect endpoint URL"), N_("Endpoint is down"),
    N_("Try query in a new browser window"), N_("Response"), N_("Table"))


def yasgui_words() -> dict[str, Any]:
    """YASGUI's own words that it has no setting for (its buttons, menus, titles and the
    results' summary, written into its elements by @zazuko/yasgui 4.6), in the request's
    language: ``words`` English -> translation, ``patterns`` (regular expression, translation
    with ``{1}``, ``{2}`` for its groups). None in English: the script leaves YASGUI as it is."""
    if locale() == DEFAULT:
        return {"words": {}, "patterns": []}
    words = {w: _(w) for w in YASGUI_WORDS}
    patterns = [
        (r"^(\d+) results? in ([\d.]+) seconds?$",
         _("%(n)s results in %(s)s seconds", n="{1}", s="{2}")),
        (r"^(\d+) results?$", _("%(n)s results", n="{1}")),
        (r"^Response in ([\d.]+) seconds?$", _("Response in %(s)s seconds", s="{1}")),
        (r"^Shows (.+) view$", _("Shows the %(view)s view", view="{1}")),
        (r"^View documentation of (.+)$",
         _("View the documentation of the %(view)s view", view="{1}")),
    ]
    return {"words": words, "patterns": patterns}
