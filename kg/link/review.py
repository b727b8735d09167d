"""The review CSV: what linking found, for a person to decide; and the decisions read back.

``write`` gives one row per candidate (best first within an owner) and one row for each owner
without any, with its ``status`` (matched / ambiguous / unmatched), the ``link`` written
(``sameAs`` / ``closeMatch`` / empty), score and evidence, and an empty ``decision`` column.
A reviewer writes ``accept`` or ``reject`` there (a ``qid`` may be typed into an owner's empty
row and accepted) and gives the file back to ``hvp link owners --accept FILE``: accepted pairs
become ``owl:sameAs``, rejected ones are removed; rows left empty change nothing. Decisions are
kept in the review graph, so a later run follows them (:mod:`kg.link.graph`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import OWL

from kg.errors import InputError, RowError
from kg.iri import mint
from kg.link import graph as lg
from kg.link.candidates import WD
from kg.link.score import Decision
from kg.store import LocalStore
from kg.vocab import HVP

__all__ = ["COLUMNS", "Row", "check_writable", "write", "read", "apply"]

COLUMNS = ("owner_id", "owner", "name", "country", "region", "status", "qid", "label",
           "description", "score", "link", "evidence", "decision")
DECISIONS = ("accept", "reject", "")
_QID = re.compile(r"^Q[1-9][0-9]*$")


def check_writable(path: Path) -> None:
    """Refuse, before a long run, a review file that cannot be written."""
    if not path.parent.is_dir():
        raise InputError("--review %(path)s: the folder %(folder)s does not exist",
                         path=path, folder=path.parent)
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise InputError("--review %(path)s: cannot write there: %(value)s",
                         path=path, value=exc.strerror or exc) from None
    if not existed:
        path.unlink()


def write(decisions: Iterable[Decision], path: Path) -> int:
    """Write the review CSV; returns the number of rows."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for d in decisions:
            o = d.owner
            head = [o.id, o.iri, o.name, o.country, o.region or "", d.status]
            if not d.scored:
                w.writerow([*head, "", "", "", "", "", "", ""])
                rows += 1
            for i, s in enumerate(d.scored):
                link = "sameAs" if i == 0 and d.status == "matched" else "closeMatch"
                c = s.candidate
                w.writerow([*head, c.qid, c.name, c.description, f"{s.score:.2f}", link,
                            "; ".join(s.evidence), ""])
                rows += 1
    return rows


@dataclass(frozen=True)
class Row:
    line: int
    owner: str  # IRI
    qid: str
    decision: str
    score: float


def read(path: Path, base: str) -> list[Row]:
    """The decided rows of a review CSV (``accept`` / ``reject``); a bad cell is a
    :class:`~kg.errors.RowError` naming file, line and column."""
    name = path.name
    try:
        f = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError("%(path)s: cannot read the review file: %(strerror)s",
                         path=path, strerror=exc.strerror) from None
    with f:
        reader = csv.DictReader(f)
        missing = [c for c in ("owner_id", "qid", "decision") if c not in (reader.fieldnames or [])]
        if missing:
            raise RowError(name, 1, missing[0], "missing column (the review CSV has %(columns)s)",
                           columns=", ".join(COLUMNS))
        out = []
        for row in reader:
            line = reader.line_num
            decision = (row.get("decision") or "").strip().lower()
            if decision not in DECISIONS:
                raise RowError(name, line, "decision",
                               "%(decision)r is not accept, reject or empty",
                               decision=row["decision"])
            if not decision:
                continue
            qid = (row.get("qid") or "").strip()
            if not _QID.match(qid):
                raise RowError(name, line, "qid", "%(qid)r is not a Wikidata item id (Q123)",
                               qid=qid)
            oid = (row.get("owner_id") or "").strip()
            if not oid:
                raise RowError(name, line, "owner_id", "empty")
            score_text = (row.get("score") or "").strip()
            try:
                score = float(score_text) if score_text else 1.0
            except ValueError:
                raise RowError(name, line, "score", "%(score)r is not a number",
                               score=score_text) from None
            out.append(Row(line, mint(base, "owner", oid), qid, decision, score))
    return out


def apply(store: LocalStore, base: str, rows: list[Row], file: str,
          software: str) -> dict[str, int]:
    """Record the decisions in the review graph and update the links graph. Checks every row
    first (an unknown owner is a :class:`~kg.errors.RowError`): nothing is written on error."""
    owner_type = ox.NamedNode(str(HVP.Owner))
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for r in rows:
        if not any(store.quads(ox.NamedNode(r.owner), rdf_type, owner_type)):
            raise RowError(file, r.line, "owner_id", "no owner %(owner)s in the store",
                           owner=r.owner)
    now = datetime.now(UTC)
    run = lg.Run("", now, now, software, "hvp-link-review/1", f"review file {file}")
    links, review = lg.links_graph(base), lg.review_graph(base)
    act_links, quads = lg.run_quads(run, links)
    act_review, review_quads = lg.run_quads(run, review)
    removed: list[ox.Quad] = []
    counts = {"accepted": 0, "rejected": 0}
    for r in rows:
        source, target = ox.NamedNode(r.owner), ox.NamedNode(WD + r.qid)
        removed += _pair(store, links, source, target)
        removed += [q for p in (lg.SAME, lg.DIFFERENT)
                    for q in store.quads(source, p, target, review)]
        if r.decision == "accept":
            quads += lg.link_quads(source, lg.SAME, target, r.score, "ManualMappingCuration",
                                   f"accepted in review ({file}:{r.line})", act_links, links)
            review_quads.append(ox.Quad(source, lg.SAME, target, review))
        else:
            review_quads.append(ox.Quad(source, lg.DIFFERENT, target, review))
        counts["accepted" if r.decision == "accept" else "rejected"] += 1
    with lg.writing(store, base) as stage:  # both graphs change together, or neither
        stage.remove(removed)
        stage.add(quads + review_quads)
    return counts


def _pair(store: LocalStore, graph: ox.NamedNode, source: ox.NamedNode,
          target: ox.NamedNode) -> list[ox.Quad]:
    """The link triples between source and target in ``graph``, and their axioms."""
    out = [q for p in (lg.SAME, lg.CLOSE) for q in store.quads(source, p, target, graph)]
    src = ox.NamedNode(str(OWL.annotatedSource))
    tgt = ox.NamedNode(str(OWL.annotatedTarget))
    axioms = {q.subject for q in store.quads(None, src, source, graph)}
    axioms &= {q.subject for q in store.quads(None, tgt, target, graph)}
    for ax in axioms:
        out += list(store.quads(ax, None, None, graph))  # type: ignore[arg-type]
    return out
