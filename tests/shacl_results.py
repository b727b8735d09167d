"""pySHACL's ``sh:ValidationReport`` graphs read as :class:`kg.validate.report.Result` records,
for the tests that compare the compiled validation with pySHACL's."""

from __future__ import annotations

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from kg.validate.report import Result
from kg.vocab import SH


def results_of(report: Graph) -> list[Result]:
    """The results of a ``sh:ValidationReport`` graph (pySHACL's), as records."""
    out = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        def one(pred: URIRef, node: Node = node) -> Node | None:
            return report.value(node, pred)
        out.append(Result(
            focus=one(SH.focusNode), source_shape=one(SH.sourceShape),  # type: ignore[arg-type]
            component=one(SH.sourceConstraintComponent),  # type: ignore[arg-type]
            severity=one(SH.resultSeverity), path=one(SH.resultPath),  # type: ignore[arg-type]
            value=one(SH.value), source_constraint=one(SH.sourceConstraint),
            messages=tuple(m for m in report.objects(node, SH.resultMessage)
                           if isinstance(m, Literal))))
    return out
