"""Every patent's high-value interval, computed in parts: one query per unit, joined in Python.

:func:`kg.classify.timeline.select_text` composes a profile's units (the validity's onset and
end queries, each criterion's onset, the domestic condition) into one SELECT. On an embedded
store its engine evaluates that query on one core, holds every part's answer at once (1.8 GB of
RSS at 1,000,000 demo patents, 8.3 GB at 5,000,000) and says nothing until its first row
(minutes at 5,000,000). Here each unit's query runs alone, two at a time (the engine writes its
answer to a file without holding the GIL: :func:`kg.classify.result_sets.spill`), a bar moving
by the queries done, and Python joins the answers by patent as they arrive: every invention
patent's slots in one dict, the dates interned (a few thousand distinct values).

The composition is that of :func:`kg.classify.timeline.select_text`, row for row: an invention
patent has an entry when every onset of its validity and at least one criterion's onset hold;
``from`` is the latest of those onsets (a criterion's: the earliest of its criteria), ``until``
the earliest end of its validity (none: unbound), and the entry is dropped unless ``from`` is
before ``until``; ``domestic`` when the domestic condition has a row. Dates are compared as
``xsd:date`` lexical forms (``YYYY-MM-DD``, what the units' casts and validated data give); a
unit that answers several rows for a patent counts by its earliest.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from tempfile import TemporaryDirectory

from rdflib import Graph, URIRef
from rdflib.collection import Collection

from kg.classify import year_tally
from kg.classify.result_sets import read_spilled, spill
from kg.errors import InputError
from kg.profiles import Profile, prologue
from kg.progress import Progress
from kg.protocol import Store
from kg.vocab import HVP, SH

#: The prefix every timeline query starts with (the units' own prologues follow it).
PREFIX = "PREFIX hvp: <https://w3id.org/hvp/def#>\n"


@dataclass(frozen=True)
class Part:
    """One unit's query (``SELECT ?this ?value``) and what its rows give a patent: ``kind``
    "invention" (its type), "from" or "until" (an onset or an end of its validity), "met" (a
    criterion's onset) or "domestic" (the condition holds)."""

    kind: str
    query: str
    slot: int  # where its value goes in a patent's slots


Unit = tuple[str, str]  # (prologue, text) of an instantiated onset or end query


def _unit(shapes: Graph, shape: URIRef, link: URIRef) -> Unit | None:
    """(prologue, text) of the instantiated onset or end query of ``shape``, or None."""
    holder = shapes.value(shape, link)
    if holder is None:
        return None
    text = shapes.value(holder, SH.select)
    return None if text is None else (prologue(shapes, holder), str(text))


def _valid(shapes: Graph, shape: URIRef) -> list[tuple[str, str, str]]:
    """(kind "from" or "until", prologue, text) of every query that bounds ``shape``: its own,
    or those of the members of its ``sh:and``."""
    found = [(kind, *q) for kind, link in (("from", HVP.onsetQuery), ("until", HVP.endQuery))
             if (q := _unit(shapes, shape, link)) is not None]
    if found:
        return found
    head = shapes.value(shape, SH["and"])
    if head is None:
        raise InputError("shape %(shape_)s has no hvp:onsetQuery or hvp:endQuery (and no "
                         "sh:and of shapes that have): its timeline cannot be computed",
                         shape_=shape)
    return [part for member in Collection(shapes, head) if isinstance(member, URIRef)
            for part in _valid(shapes, member)]


def bounds(prof: Profile, shapes: Graph) -> tuple[list[tuple[str, str, str]], list[Unit], Unit]:
    """The units a timeline is composed of: the validity's bounds (kind, prologue, text), each
    criterion's onset and the domestic condition's (prologue, text). ``shapes``: the profile
    instantiated (:meth:`Profile.instantiate`). Raises InputError if a unit has no query."""
    criteria = []
    for criterion in prof.criteria:
        onset = _unit(shapes, criterion.shape, HVP.onsetQuery)
        if onset is None:
            raise InputError("criterion %(criterion_key)s (%(criterion_shape)s) has no "
                             "hvp:onsetQuery: its timeline cannot be computed",
                             criterion_key=criterion.key, criterion_shape=criterion.shape)
        criteria.append(onset)
    domestic = _unit(shapes, prof.domestic, HVP.onsetQuery)
    if domestic is None:
        raise InputError("%(prof_domestic)s has no hvp:onsetQuery", prof_domestic=prof.domestic)
    return _valid(shapes, prof.valid), criteria, domestic


def parts(prof: Profile, shapes: Graph) -> list[Part]:
    """The queries of :func:`kg.classify.timeline.select_text`, one per unit, in the order they
    are sent: the invention patents first (the others' rows are joined to them), then the
    domestic condition (the dearest at 1,000,000 demo patents: 11.7 s of 48), the validity's
    bounds, the criteria (the cheapest last: two workers end together). Raises InputError as
    that function does."""
    valid, criteria, domestic = bounds(prof, shapes)
    met = len(valid)
    out = [Part("invention", PREFIX + "SELECT ?this WHERE { ?this a hvp:InventionPatent }", -1),
           Part("domestic", _select(domestic[0], "from", domestic[1]), met + 1)]
    for slot, (kind, head, text) in enumerate(valid):
        out.append(Part(kind, _select(head, kind, text), slot))
    out += [Part("met", _select(head, "from", text), met) for head, text in criteria]
    return out


def _select(head: str, column: str, text: str) -> str:
    return f"{PREFIX}{head}SELECT ?this ?{column} WHERE {{ {text} }}"


#: Unit queries the engine evaluates at a time (each on its own core, without the GIL).
WORKERS = 2


def entries(store: Store, prof: Profile, shapes: Graph, progress: Progress | None = None,
            label: str = "") -> Iterator[year_tally.Entry]:
    """Every invention patent's entry (patent, from, until or None, domestic) that
    :func:`kg.classify.timeline.select_text` answers, in no particular order. ``progress``
    hears ``label`` move by the unit queries joined."""
    plan = parts(prof, shapes)
    width = 1 + max(part.slot for part in plan)
    valid = [part for part in plan if part.kind in ("from", "until")]
    if not any(part.kind == "met" for part in plan):
        return  # no criterion: never high-value
    slots: dict[str, list[str | None]] = {}
    with TemporaryDirectory(prefix="hvp-timeline-") as folder, \
            ThreadPoolExecutor(max_workers=min(WORKERS, os.cpu_count() or 1),
                               thread_name_prefix="hvp-timeline") as pool:
        files = [pool.submit(_spilled, store, part.query, Path(folder) / f"{i}.csv")
                 for i, part in enumerate(plan)]
        if progress:
            progress(label, 0, len(plan), None)
        of = {future: part for part, future in zip(plan, files, strict=True)}
        try:  # the invention patents first, then each answer as soon as it is written
            for done, future in enumerate(chain(files[:1], as_completed(files[1:])), start=1):
                path = future.result()
                _join(slots, of[future], path, width)
                path.unlink()
                if progress:
                    progress(label, done, len(plan), None)
        except BaseException:
            for future in files:  # those not started: only the running ones are waited for
                future.cancel()
            raise
    starts = [part.slot for part in valid if part.kind == "from"] + [width - 2]
    ends = [part.slot for part in valid if part.kind == "until"]
    for patent, values in slots.items():
        begun = [value for at in starts if (value := values[at]) is not None]
        if len(begun) < len(starts):
            continue
        start = max(begun)
        stops = [value for at in ends if (value := values[at]) is not None]
        until = min(stops) if stops else None
        if until is not None and not start < until:
            continue
        yield patent, start, until, values[width - 1] is not None


def _spilled(store: Store, query: str, path: Path) -> Path:
    spill(store, query, path)
    return path


def _join(slots: dict[str, list[str | None]], part: Part, path: Path, width: int) -> None:
    """Add the rows of one part's answer to the patents' slots."""
    header, rows = read_spilled(path)
    assert header[:1] == ["this"], header  # each part's SELECT is made here: ?this first
    if part.kind == "invention":
        for row in rows:
            if row[0] not in slots:
                slots[sys.intern(row[0])] = [None] * width
        return
    at = part.slot
    for row in rows:
        values = slots.get(row[0])
        if values is None:
            continue  # not an invention patent
        if part.kind == "domestic":
            values[at] = "true"  # a row: the condition holds
            continue
        if len(row) < 2 or not row[1]:
            continue  # no date: as the composed query, which needs one
        value = sys.intern(row[1])
        old = values[at]
        if old is None or value < old:
            values[at] = value
