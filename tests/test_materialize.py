"""The Turtle that kg.classify.materialize writes: the triples it means, read by two parsers.

The writer builds Turtle text by hand (it is the hot path of a classification), so these tests
read it back with Oxigraph (what loads it) and rdflib (an independent parser) and compare the
triples with the ones the model promises (docs/model.md).
"""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.classify import materialize
from kg.classify.evidence import Evidence
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from kg.vocab import DCTERMS, HVP

AS_OF = date(2024, 12, 31)
PATENT = f"{DEFAULT_BASE}patent/CN-T01"
NODE = f"{DEFAULT_BASE}classification/cnipa-2021/2024-12-31/CN-T01"
PROFILE = "https://w3id.org/hvp/profile/cnipa-2021"
TRICKY = 'award "gold" \\ 金奖\nline two\r'


def writer() -> materialize.Writer:
    return materialize.Writer(DEFAULT_BASE, "cnipa-2021", PROFILE, AS_OF,
                              [str(HVP.SEICriterion), str(HVP.AwardCriterion)])


def body() -> str:
    """Two classification nodes and their evidence (without the header and graph node)."""
    w = writer()
    evidence = [
        Evidence("sei", "IPC G06N3/063 matches G06N3/* (SEI 1.5 Artificial intelligence)",
                 {"code": "G06N3/063", "category": "https://w3id.org/hvp/sei/1.5",
                  "pattern": "G06N3/*"}),
        Evidence("award", TRICKY, {"award": f"{DEFAULT_BASE}award/A1", "year": "2019"}),
    ]
    criteria = {"sei": str(HVP.SEICriterion), "award": str(HVP.AwardCriterion)}
    return (w.node(PATENT, True, True, True, [str(HVP.SEICriterion), str(HVP.AwardCriterion)])
            + w.node(f"{DEFAULT_BASE}patent/CN-T02", False, True, False, [])
            + w.evidence(PATENT, evidence, criteria)
            + w.evidence(f"{DEFAULT_BASE}patent/CN-T02",
                         [Evidence("lapsed", "lapsed on 2020-01-01")], criteria))


def text() -> str:
    return materialize.HEADER + body() + writer().graph_node()


def expected() -> set[tuple[str, str, object]]:
    t = lambda v: Literal(v, datatype=XSD.boolean)  # noqa: E731
    node2 = NODE.replace("T01", "T02")
    graph = f"{DEFAULT_BASE}graph/classification/cnipa-2021/2024-12-31"
    return {
        (NODE, str(HVP.patent), URIRef(PATENT)), (NODE, str(HVP.valid), t(True)),
        (NODE, str(HVP.domestic), t(True)), (NODE, str(HVP.highValue), t(True)),
        (NODE, str(HVP.meetsCriterion), HVP.SEICriterion),
        (NODE, str(HVP.meetsCriterion), HVP.AwardCriterion),
        (node2, str(HVP.patent), URIRef(PATENT.replace("T01", "T02"))),
        (node2, str(HVP.valid), t(False)), (node2, str(HVP.domestic), t(True)),
        (node2, str(HVP.highValue), t(False)),
        (NODE, str(HVP.evidence), URIRef(NODE + "/sei")),
        (NODE + "/sei", str(HVP.criterion), HVP.SEICriterion),
        (NODE + "/sei", str(HVP.reason),
         Literal("IPC G06N3/063 matches G06N3/* (SEI 1.5 Artificial intelligence)", lang="en")),
        (NODE + "/sei", str(HVP.ipcCode), Literal("G06N3/063")),
        (NODE + "/sei", str(HVP.seiCategory), URIRef("https://w3id.org/hvp/sei/1.5")),
        (NODE, str(HVP.evidence), URIRef(NODE + "/award")),
        (NODE + "/award", str(HVP.criterion), HVP.AwardCriterion),
        (NODE + "/award", str(HVP.reason), Literal(TRICKY, lang="en")),
        (NODE + "/award", str(DCTERMS.references), URIRef(f"{DEFAULT_BASE}award/A1")),
        (node2, str(HVP.validityEvidence), URIRef(node2 + "/lapsed")),
        (node2 + "/lapsed", str(HVP.reason), Literal("lapsed on 2020-01-01", lang="en")),
        (graph, str(HVP.profile), URIRef(PROFILE)),
        (graph, str(HVP.evaluatesCriterion), HVP.SEICriterion),
        (graph, str(HVP.evaluatesCriterion), HVP.AwardCriterion),
        (graph, str(HVP.asOf), Literal("2024-12-31", datatype=XSD.date)),
    }


def without_created(triples: set[tuple[str, str, object]]) -> set[tuple[str, str, object]]:
    return {t for t in triples if t[1] != str(DCTERMS.created)}


def test_rdflib_reads_the_triples_the_model_promises() -> None:
    g = Graph().parse(data=text(), format="turtle")
    got = {(str(s), str(p), o) for s, p, o in g}
    assert without_created(got) == expected()
    created = [o for _, p, o in got if p == str(DCTERMS.created)]
    assert len(created) == 1 and created[0].datatype == XSD.dateTime


def test_the_loader_puts_the_same_triples_in_the_named_graph() -> None:
    store = LocalStore()
    graph = f"{DEFAULT_BASE}graph/classification/cnipa-2021/2024-12-31"
    store.load(b"<urn:old> <urn:p> <urn:o> .", ox.RdfFormat.N_TRIPLES, ox.NamedNode(graph))
    with materialize.Loader(store, graph) as put:
        put(body())
        put(writer().graph_node(), last=True)
    assert materialize.is_complete(store, graph)
    rdflib_form = Graph().parse(data=text(), format="turtle")
    got = {(q.subject.value, q.predicate.value, q.object.value)
           for q in store.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(graph))}
    want = {(str(s), str(p), str(o)) for s, p, o in rdflib_form}
    assert without_created(got) == without_created(want)  # the old triple is gone


def test_a_failed_load_is_raised_and_the_graph_left_incomplete() -> None:
    store = LocalStore()
    graph = f"{DEFAULT_BASE}graph/classification/cnipa-2021/2024-12-31"
    with pytest.raises(Exception), materialize.Loader(store, graph) as put:  # noqa: B017, PT011
        put("<urn:a> <urn:b> .\n")  # not Turtle
    assert not materialize.is_complete(store, graph)
