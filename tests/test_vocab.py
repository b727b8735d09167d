"""kg/vocab.py's closed namespace and ontology/hvp.ttl declare the same terms."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from kg.vocab import HVP, HVP_NS

ONTOLOGY = Path(__file__).resolve().parents[1] / "ontology" / "hvp.ttl"


def declared() -> set[str]:
    graph = rdflib.Graph().parse(ONTOLOGY)
    return {str(s)[len(HVP_NS):] for s in graph.subjects()
            if isinstance(s, rdflib.URIRef) and str(s).startswith(HVP_NS)}


def test_vocab_matches_ontology() -> None:
    in_code = {name for name in HVP.__annotations__}
    assert in_code == declared()


def test_closed_namespace_rejects_typos() -> None:
    with pytest.raises(AttributeError):
        HVP.grantdate  # noqa: B018
