"""A query's rows grouped by patent in bounded memory (a classification's evidence).

An evidence query answers rows for millions of patents in no useful order (the engine's join
order), and a patent's evidence needs all of its rows at once. Holding every row in Python cost
about 2.3 KB per invention patent (at 5,000,000 patents, 9.4 GB of RSS). Instead the engine
writes its answer to a file (:func:`kg.classify.result_sets.spill`); the rows of the patents
that need evidence are partitioned on disk by a hash of the patent into buckets of about
:data:`BUCKET_BYTES` of text, and each bucket is grouped in memory on its own. Memory is bounded
by one bucket's rows (plus one reference per patent that needs evidence), whatever the number
of patents; the disk holds the answer and one copy of its wanted rows for as long as it is read.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kg.classify.result_sets import read_spilled

#: About this much CSV text per bucket (grouped in memory: about 5x as Python objects).
BUCKET_BYTES = 16 * 1024 * 1024
#: At most this many buckets (files open at once while the answer is partitioned).
MAX_BUCKETS = 128
Row = dict[str, str]


def ordered(rows: list[Row]) -> list[Row]:
    """A patent's rows smallest first (by their sorted items): a stable, total order, so the
    evidence chosen does not depend on the order the engine answered in."""
    if len(rows) > 1:
        rows.sort(key=lambda r: tuple(sorted(r.items())))
    return rows


def groups(path: Path, patents: Iterable[str], wanted: Callable[[str], bool],
           bucket_bytes: int | None = None) -> Iterator[tuple[str, list[Row]]]:
    """Every patent of ``patents`` that is ``wanted``, with its rows from the spilled answer at
    ``path`` (column ``this``), smallest first; ``[]`` for a wanted patent with no row. The
    answer's file is removed once read."""
    size = bucket_bytes or BUCKET_BYTES
    count = min(MAX_BUCKETS, max(1, -(-path.stat().st_size // size)))
    needed: list[list[str]] = [[] for _ in range(count)]
    for patent in patents:
        if wanted(patent):
            needed[hash(patent) % count].append(patent)
    header, rows = read_spilled(path)
    if "this" not in header:
        path.unlink()
        for bucket in needed:
            yield from ((patent, []) for patent in bucket)
        return
    this = header.index("this")
    if count == 1:
        yield from _grouped(header, this, rows, needed[0], wanted)
        path.unlink()
        return
    parts = [path.with_name(f"{path.name}.{i}") for i in range(count)]
    handles = [part.open("w", newline="", encoding="utf-8") for part in parts]
    try:
        writers = [csv.writer(handle) for handle in handles]
        for row in rows:
            if wanted(row[this]):
                writers[hash(row[this]) % count].writerow(row)
    finally:
        for handle in handles:
            handle.close()
        path.unlink()
    for part, bucket in zip(parts, needed, strict=True):
        with part.open(newline="", encoding="utf-8") as handle:
            yield from _grouped(header, this, csv.reader(handle), bucket, wanted)
        part.unlink()


def _grouped(header: list[str], this: int, rows: Iterable[list[str]], patents: list[str],
             wanted: Callable[[str], bool]) -> Iterator[tuple[str, list[Row]]]:
    found: dict[str, list[Row]] = {}
    for row in rows:
        if wanted(row[this]):
            found.setdefault(row[this], []).append(dict(zip(header, row, strict=True)))
    for patent in patents:
        yield patent, ordered(found.pop(patent, []))
