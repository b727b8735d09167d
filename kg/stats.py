"""What a store holds, counted."""

from __future__ import annotations

from kg.store import Store

_QUERY = """
PREFIX hvp: <https://w3id.org/hvp/def#>
SELECT ?class (COUNT(?s) AS ?n) WHERE {
  VALUES ?class { hvp:InventionPatent hvp:UtilityModel hvp:DesignPatent hvp:Owner hvp:Family
                  hvp:FamilyMember hvp:Pledge hvp:Award hvp:PopulationObservation
                  hvp:ConcordanceRow }
  ?s a ?class
} GROUP BY ?class
"""
NAMES = {"InventionPatent": "invention patents", "UtilityModel": "utility models",
          "DesignPatent": "designs", "Owner": "owners", "Family": "families",
          "FamilyMember": "family members", "Pledge": "pledges", "Award": "awards",
          "PopulationObservation": "population rows", "ConcordanceRow": "concordance rows"}


def counts(store: Store) -> dict[str, int]:
    """Things by kind, named graphs and triples."""
    found = {row["class"].value.rsplit("#", 1)[1]: int(row["n"].value)
             for row in store.select(_QUERY)}
    result = {label: found.get(cls, 0) for cls, label in NAMES.items()}
    graphs = store.select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    result["named graphs"] = int(graphs[0]["n"].value)
    result["quads"] = len(store)
    return result
