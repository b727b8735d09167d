"""Names from the data's own labels, in the request's data language (``web.i18n``).

Provinces (``rdfs:label`` of the regions), criteria (``rdfs:label`` of the hvp:Criterion
nodes) and strategic emerging industries (``skos:prefLabel`` of the SEI concepts) are named in
the data in Chinese and English; a page shows the label in the request's language, else the
English one, else the code. Read once per language and kept in the
service's cache (dropped with it when the store changes).
"""

from __future__ import annotations

import pyoxigraph as ox

from web.i18n import data_language
from web.service import service

#: Code -> label of each language, for regions and criteria.
LABELS = {
    "regions": """SELECT ?code ?name WHERE { ?s a <https://w3id.org/hvp/def#Region> ;
      <http://www.w3.org/2004/02/skos/core#notation> ?code ;
      <http://www.w3.org/2000/01/rdf-schema#label> ?name }""",
    "criteria": """SELECT ?code ?name WHERE { ?s a <https://w3id.org/hvp/def#Criterion> ;
      <http://www.w3.org/2004/02/skos/core#notation> ?code ;
      <http://www.w3.org/2000/01/rdf-schema#label> ?name }""",
    "industries": """SELECT ?code ?name WHERE { ?s
      <http://www.w3.org/2004/02/skos/core#inScheme> <https://w3id.org/hvp/sei/> ;
      <http://www.w3.org/2004/02/skos/core#notation> ?code ;
      <http://www.w3.org/2004/02/skos/core#prefLabel> ?name }""",
}


def _names(kind: str, lang: str) -> dict[str, str]:
    svc = service()
    key = ("labels", kind, lang)
    names: dict[str, str] | None = svc.cache.get(key)  # one read: the cache may be cleared
    if names is None:
        ranked: dict[str, tuple[int, str]] = {}
        for row in svc.store().select(LABELS[kind]):
            name = row["name"]
            tag = (name.language if isinstance(name, ox.Literal) else None) or ""
            rank = 0 if tag == lang else 1 if tag == "en" else 2
            code = row["code"].value
            if code not in ranked or (rank, row["name"].value) < ranked[code]:
                ranked[code] = (rank, row["name"].value)
        names = {code: name for code, (_, name) in ranked.items()}
        svc.cache[key] = names
    return names


def regions() -> dict[str, str]:
    """Region code (``CN``, ``CN-SN``, ...) -> its name in the request's data language."""
    return _names("regions", data_language())


def criteria() -> dict[str, str]:
    """Criterion key (``sei``, ...) -> its name in the request's data language."""
    return _names("criteria", data_language())


def industries() -> dict[str, str]:
    """SEI category code (``1``, ``1.5``, ...) -> its name in the request's data language."""
    return _names("industries", data_language())


def region(code: str) -> str:
    return regions().get(code, code)
