"""The effect of a write made outside an ingest (a SPARQL update, a Graph Store write), checked
as ingested RDF is: every quad it added passes :mod:`kg.ingest.model` (datatypes and lexical
forms of the model's properties, the CSV rules, no derived graph), and the dates of every
subject it dated are in order in the store it leaves.

The write is run first on a copy (a staging generation, or an in-memory copy), then the copy is
compared with the store as it was: the quads of the copy that the store lacks are what the
write added, however it was written (``INSERT DATA``, a template filled by a ``WHERE``, an IRI
built by ``BIND``). The comparison reads every quad of the copy once and looks it up in the
store: about 7 µs of CPU a quad (136,000 quads/s measured), so 2 s at 20,000 patents and about
95 s at 1,000,000, within ``write_timeout`` (300 s) (decision 72).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from kg.errors import InputError, RowError, Word
from kg.ingest import model
from kg.store import LocalStore

#: How a write is named in its errors (the ``file`` of a :class:`RowError`).
WHAT = Word("update")


def added(before: ox.Store, after: ox.Store) -> Iterator[ox.Quad]:
    """The quads of ``after`` that ``before`` lacks."""
    for quad in after.quads_for_pattern(None, None, None, None):
        if quad not in before:
            yield quad


def check_added(quads: Iterable[ox.Quad], after: LocalStore, base: str, text: str,
                what: str = WHAT) -> int:
    """Check the quads a write added (``after`` is the store it left; ``text`` the write, to
    locate a problem in, named ``what``); their number, or :class:`RowError` at the first place
    in ``text`` where the offending value appears (:class:`InputError` when not found there)."""
    facts = model.Facts(base)
    count = 0
    try:
        for quad in quads:
            count += 1
            facts.check(quad)
        facts.order(after)
    except model.Broken as exc:
        raise located(text, exc, what) from None
    return count


def located(text: str, problem: model.Broken, what: str = WHAT) -> InputError:
    """The error for ``problem``, at its line and column in ``text`` when found there."""
    lines = text.encode("utf-8").splitlines(keepends=True)
    where = model.position(lambda: lines, problem)
    if where is None:
        return InputError("%(path)s: %(problem)s", path=what, problem=problem.error())
    return RowError(what, where[0], str(where[1]), problem.template, **problem.params)


def update_checked(before: ox.Store, stage: LocalStore, text: str, base: str,
                   source: str | None = None) -> int:
    """Run the update ``text`` on ``stage`` (a copy of ``before``: a staging generation, an
    in-memory copy) and check what it added; the number of quads added. ``source`` is the text
    a problem is located in when it is not ``text``: a Graph Store request's body (named
    ``body`` in the error), written as an update."""
    stage.update(text)
    if source is None:
        return check_added(added(before, stage.oxigraph), stage, base, text)
    return check_added(added(before, stage.oxigraph), stage, base, source, Word("body"))
