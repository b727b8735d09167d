"""Search: patents, owners, regions and SEI industries found by what a person types.

A text index kept beside the store, in SQLite's FTS5 with its ``trigram`` tokenizer (SQLite
from Python's standard library), one table per kind: every run of three characters of a name,
in any script, is a term, so ``洗衣机`` finds ``一种洗衣机排水装置`` and ``pharma`` finds
``Anti-tumour pharmaceutical composition`` without a word segmenter (docs/decisions.md 56). A
query of one or two characters, which has no trigram, is matched with ``LIKE`` on the same
tables (a scan that stops at ``limit`` hits, or after :data:`SCAN_SECONDS` with what it found),
patent titles only when patents alone are asked for.

One row per thing: its kind, IRI, key (patent number, owner id, region or industry code: in a
B-tree table of their own, found by their start), its labels in English and Chinese (shown), and
the text searched: ``name`` (titles, names, labels) and ``words`` (an owner's name normalized as
linking does, :func:`kg.link.names.key`: simplified, full-width folded, the legal form
dropped; so ``廣東信源`` finds ``广东信源科技有限公司``). The query is normalized the same way
and either form may match.

**Ranking**: a thing whose key is the query comes first, then those whose key starts with it,
then FTS5's BM25 with a name match
weighted over a words match, and at equal relevance regions, industries, owners, patents. Only
the first :data:`WINDOW` matches of a kind are ranked, so that a query matching half the titles
costs no more than one matching a window's worth; only the best ``limit`` of them have their
columns read (at 1,000,000 patents a common title word took 90-190 ms with 2,000 matches ranked
and read, 25-80 ms with 500 ranked and 20 read).

**Where**: an on-disk store's index is the file ``search-N`` in the store's home beside its
generation ``gen-N`` (:mod:`kg.generations`), written by the ingest that made the generation
before its switch, so the store and its index change together; it goes with its generation, and
a data write outside an ingest removes it (:func:`kg.generations.forget_base`). An ingest whose
changed things can be named (tables, not RDF files) starts from a copy of the last generation's
index and writes only those things' rows again (:func:`update`: seconds for a 10,000-row delta,
where building it whole grows with the store); their rows then come last in the index's order.
A missing index is built again by ``hvp search --rebuild`` (or by the web app on its first
search). Files are written to a temporary name and renamed, so a reader never sees half an
index.
"""

from __future__ import annotations

import heapq
import os
import shutil
import sqlite3
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import generations
from kg.errors import InputError
from kg.link.names import is_chinese
from kg.link.names import key as name_key
from kg.progress import Progress
from kg.store import LocalStore, Store

KINDS = ("region", "industry", "owner", "patent")
#: Longest query accepted, in characters.
LONGEST = 200
MAX_LIMIT = 100
#: One FTS5 table per kind (``things_patent``...): a kind is searched, or scanned, alone.
_SCHEMA = """CREATE VIRTUAL TABLE things_{kind} USING fts5(
  iri UNINDEXED, key UNINDEXED, label_en UNINDEXED, label_zh UNINDEXED, name, words,
  tokenize = 'trigram case_sensitive 0')"""
#: Every thing's key (patent number, owner id, region or industry code) in a B-tree: found by
#: its start at once (in the trigram index, the trigrams every number shares, ``CN2``, ``201``,
#: would each list every patent).
_KEYS = """CREATE TABLE keys (key TEXT NOT NULL COLLATE NOCASE, kind TEXT NOT NULL,
  iri TEXT NOT NULL, label_en TEXT, label_zh TEXT)"""
#: Matches ranked per kind: a query as common as a word of every other title ranks the first
#: this many (the index's order: the store's) instead of all of them (BM25 of a long phrase
#: costs about 0.1 ms a match on a loaded machine).
WINDOW = 500
#: How long a scan for a query of one or two characters may run; it answers what it found (a
#: scan of a million patents' owners reaches it: the search's slowest answers).
SCAN_SECONDS = 0.1
_BATCH = 5000


@dataclass(frozen=True)
class Entry:
    """A thing as the index holds it."""

    kind: str
    iri: str
    key: str
    label_en: str
    label_zh: str
    name: str
    words: str


@dataclass(frozen=True)
class Hit:
    kind: str
    iri: str
    key: str
    label_en: str
    label_zh: str
    score: float

    def label(self, language: str = "en") -> str:
        first, second = (self.label_zh, self.label_en) if language == "zh" \
            else (self.label_en, self.label_zh)
        return first or second or self.key

    def to_dict(self, language: str = "en") -> dict[str, object]:
        return {"type": self.kind, "iri": self.iri, "id": self.key,
                "label": self.label(language), "label_en": self.label_en,
                "label_zh": self.label_zh, "score": round(self.score, 4)}


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_HVP, _DCTERMS = "https://w3id.org/hvp/def#", "http://purl.org/dc/terms/"
_FOAF, _SKOS = "http://xmlns.com/foaf/0.1/", "http://www.w3.org/2004/02/skos/core#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_PREFIXES = """PREFIX hvp: <https://w3id.org/hvp/def#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
QUERIES = {
    "patent": "SELECT ?s ?key ?title WHERE { ?s a hvp:Patent ; dcterms:identifier ?key "
              "OPTIONAL { ?s dcterms:title ?title } }",
    "owner": "SELECT ?s ?key ?title WHERE { ?s a hvp:Owner ; dcterms:identifier ?key "
             "OPTIONAL { ?s foaf:name ?title } }",
    "region": "SELECT ?s ?key ?title WHERE { ?s a hvp:Region ; skos:notation ?key "
              "OPTIONAL { ?s rdfs:label ?title } }",
    "industry": "SELECT ?s ?key ?title WHERE { ?s skos:inScheme <https://w3id.org/hvp/sei/> ; "
                "skos:notation ?key OPTIONAL { ?s skos:prefLabel ?title } }",
}


#: Per kind, what the query of :data:`QUERIES` reads, for a lookup of given things in the
#: store's indexes: (the type's predicate and object, the key's predicate, the title's).
_LOOKUP = {
    "patent": (_RDF_TYPE, _HVP + "Patent", _DCTERMS + "identifier", _DCTERMS + "title"),
    "owner": (_RDF_TYPE, _HVP + "Owner", _DCTERMS + "identifier", _FOAF + "name"),
    "region": (_RDF_TYPE, _HVP + "Region", _SKOS + "notation", _RDFS + "label"),
    "industry": (_SKOS + "inScheme", "https://w3id.org/hvp/sei/", _SKOS + "notation",
                 _SKOS + "prefLabel"),
}


def entries(store: Store, iris: Collection[str] | None = None) -> Iterator[Entry]:
    """Every thing of the store to index, kind by kind (a thing's labels in several languages
    are gathered); or only those of ``iris`` that it holds, looked up one by one in the
    store's indexes (a VALUES of them joined with the kind's pattern may make the engine read
    every thing of the kind)."""
    for kind in KINDS:
        things: dict[str, dict[str, str]] = {}
        rows = _rows(store, _PREFIXES + QUERIES[kind]) if iris is None else \
            _looked_up(store, kind, sorted(iris))
        for row in rows:
            thing = things.setdefault(row["s"].value, {"key": row["key"].value})
            title = row["title"]
            if isinstance(title, ox.Literal):
                chinese = (title.language or "").startswith("zh") or is_chinese(title.value)
                thing.setdefault("zh" if chinese else "en", title.value)
        for iri, thing in things.items():
            yield entry(kind, iri, thing["key"], thing.get("en", ""), thing.get("zh", ""))


def _looked_up(store: Store, kind: str, iris: list[str]) -> Iterator[dict[str, Any]]:
    """The rows :data:`QUERIES` gives for the things of ``iris`` of ``kind``, from the quads."""
    assert isinstance(store, LocalStore)
    kind_of, cls, key, title = (ox.NamedNode(i) for i in _LOOKUP[kind])
    default = ox.DefaultGraph()
    for iri in iris:
        s = ox.NamedNode(iri)
        if not any(True for _ in store.quads(s, kind_of, cls, default)):
            continue
        titles: list[object] = [q.object for q in store.quads(s, title, None, default)] or [None]
        for k in store.quads(s, key, None, default):
            for t in titles:
                yield {"s": s, "key": k.object, "title": t}


def entry(kind: str, iri: str, key: str, en: str, zh: str) -> Entry:
    """The index row of one thing (an owner's names also normalized, :func:`name_key`)."""
    words: list[str] = []
    if kind == "owner":
        words += sorted({name_key(n) for n in (en, zh) if n} - {""})
    return Entry(kind, iri, key, en, zh, " / ".join(n for n in (en, zh) if n), " ".join(words))


def build(source: Iterable[Entry], path: Path, progress: Progress | None = None,
          total: int | None = None) -> int:
    """Write the index of ``source`` to ``path`` (replaced whole, atomically); the count."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        with closing(_connect(tmp, write=True)) as db, db:
            for kind in KINDS:
                db.execute(_SCHEMA.format(kind=kind))
            db.execute(_KEYS)
            done = _fill(db, source, f"search index {path.name}", progress, total)
            for kind in KINDS:
                db.execute(f"INSERT INTO things_{kind}(things_{kind}) VALUES ('optimize')")
            db.execute("CREATE INDEX keys_key ON keys (key)")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return done


def update(previous: Path, store: Store, path: Path, iris: Collection[str],
           progress: Progress | None = None) -> int:
    """Write to ``path`` the index at ``previous`` with the rows of ``iris`` replaced by what
    ``store`` holds of them now (none for a thing it no longer holds); atomically, like
    :func:`build`. The count of rows written."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        shutil.copyfile(previous, tmp)
        with closing(_connect(tmp, write=True)) as db, db:
            db.execute("CREATE TEMP TABLE changed (iri TEXT PRIMARY KEY) WITHOUT ROWID")
            db.executemany("INSERT OR IGNORE INTO changed VALUES (?)", ((i,) for i in iris))
            for table in ("keys", *(f"things_{kind}" for kind in KINDS)):
                db.execute(f"DELETE FROM {table} WHERE iri IN (SELECT iri FROM changed)")
            done = _fill(db, entries(store, iris), f"search index {path.name} ({len(iris):,} "
                         "changed things)", progress, len(iris))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return done


def _fill(db: sqlite3.Connection, source: Iterable[Entry], label: str,
          progress: Progress | None, total: int | None) -> int:
    """Insert the rows of ``source`` in batches, the progress told per batch; the count."""
    done = 0
    batch: list[Entry] = []
    for item in source:
        batch.append(item)
        if len(batch) >= _BATCH:
            _insert(db, batch)
            done += len(batch)
            batch.clear()
            if progress:  # a total passed is not the end: unknown, the rows and rate only
                progress(label, done, total if total and done < total else None, done)
    _insert(db, batch)
    done += len(batch)
    if progress:
        progress(label, done, done, done)
    return done


def _insert(db: sqlite3.Connection, batch: list[Entry]) -> None:
    db.executemany("INSERT INTO keys VALUES (?, ?, ?, ?, ?)",
                   [(e.key, e.kind, e.iri, e.label_en, e.label_zh) for e in batch])
    for kind in KINDS:
        rows = [(e.iri, e.key, e.label_en, e.label_zh, e.name, e.words) for e in batch
                if e.kind == kind]
        if rows:
            db.executemany(f"INSERT INTO things_{kind} VALUES (?, ?, ?, ?, ?, ?)", rows)


def build_for(store: Store, path: Path, progress: Progress | None = None) -> int:
    """Index what ``store`` holds into ``path``."""
    return build(entries(store), path, progress, _things(store) if progress else None)


def _things(store: Store) -> int:
    """How many things :func:`entries` will give at most (the bar's 100%)."""
    return sum(int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{kind_of}> <{cls}> }}"
                                )[0]["n"].value)
               for kind_of, cls, _, _ in _LOOKUP.values())


def index_path(store: LocalStore) -> Path | None:
    """Where the index of an on-disk store's current generation is (the file may be missing);
    None for a store in memory or of the first layout (no generations: the caller keeps one)."""
    return generations.search(store.path) if store.path is not None else None


def ensure(store: LocalStore, path: Path, progress: Progress | None = None,
           rebuild: bool = False) -> bool:
    """Build the index at ``path`` if it is missing (or ``rebuild``); True when built now."""
    if path.is_file() and not rebuild:
        return False
    build_for(store, path, progress)
    return True


def checked(query: str, kinds: Iterable[str] | None = None, limit: int = 20
            ) -> tuple[str, tuple[str, ...]]:
    """A search's words (spaces folded) and kinds, or :class:`InputError` naming the parameter
    that is wrong: checked before anything is read (or an index built) for it."""
    text = " ".join(query.split())
    if not text:
        raise InputError("parameter 'q': type something to search for")
    if len(text) > LONGEST:
        raise InputError("parameter 'q': at most %(longest)s characters", longest=LONGEST)
    chosen = tuple(kinds or KINDS)
    for kind in chosen:
        if kind not in KINDS:
            raise InputError("parameter 'type': %(kind)r is not one of %(kinds)s",
                             kind=kind[:40], kinds=', '.join(KINDS))
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError("parameter 'limit': from 1 to %(max_limit)s", max_limit=MAX_LIMIT)
    return text, chosen


def search(path: Path, query: str, kinds: Iterable[str] | None = None, limit: int = 20
           ) -> list[Hit]:
    """The things of the index at ``path`` that match ``query``, best first."""
    text, chosen = checked(query, kinds, limit)
    normal = name_key(text)
    # the normalized form too, unless normalizing left too little to search for ("1.5" -> "15")
    forms = [text] + ([normal] if normal != text and len(normal) >= min(3, len(text)) else [])
    with closing(_connect(path)) as db:
        rows = _keyed(db, text, chosen, limit)
        if all(len(f) >= 3 for f in forms):
            rows += _matched(db, forms, chosen, limit)
        else:
            rows += _scanned(db, forms, chosen, limit)
    best: dict[str, Hit] = {}
    for kind, iri, key, en, zh, rank in rows:
        hit = Hit(kind, iri, key, en, zh, -rank)
        if iri not in best or hit.score > best[iri].score:
            best[iri] = hit
    hits = sorted(best.values(), key=lambda h: (-h.score, KINDS.index(h.kind), h.key))
    return hits[:limit]


def _keyed(db: sqlite3.Connection, text: str, kinds: tuple[str, ...], limit: int
           ) -> list[tuple[str, str, str, str, str, float]]:
    """Things whose key is the text (first) or starts with it, through the keys' B-tree."""
    marks = ", ".join("?" for _ in kinds)
    rows = db.execute(
        f"SELECT kind, iri, key, label_en, label_zh FROM keys WHERE key LIKE ? ESCAPE '\\' "
        f"AND kind IN ({marks}) LIMIT ?", (_like(text)[1:], *kinds, limit)).fetchall()
    return [(kind, iri, key, en, zh, -2000.0 if key.casefold() == text.casefold() else -1000.0)
            for kind, iri, key, en, zh in rows]


def _matched(db: sqlite3.Connection, forms: list[str], kinds: tuple[str, ...], limit: int
             ) -> list[tuple[str, str, str, str, str, float]]:
    """Through the trigram index, per kind: the first :data:`WINDOW` matches ranked by BM25 (a
    name match weighs twice a words match), the columns read of the best ``limit`` alone (at a
    million patents, reading them for every match of a common word was half the time)."""
    match = " OR ".join('"' + f.replace('"', '""') + '"' for f in forms)
    found: list[tuple[str, str, str, str, str, float]] = []
    for kind in kinds:
        ranked = db.execute(
            f"SELECT rowid, bm25(things_{kind}, 0, 0, 0, 0, 2.0, 1.0) "
            f"FROM things_{kind} WHERE things_{kind} MATCH ? LIMIT ?", (match, WINDOW))
        best = heapq.nsmallest(limit, ranked, key=lambda row: (row[1], row[0]))
        marks = ", ".join("?" for _ in best)
        columns = {row[0]: row[1:] for row in db.execute(
            f"SELECT rowid, iri, key, label_en, label_zh FROM things_{kind} "
            f"WHERE rowid IN ({marks})", [rowid for rowid, _ in best])} if best else {}
        found += [(kind, *columns[rowid], rank) for rowid, rank in best]
    return found


def _scanned(db: sqlite3.Connection, forms: list[str], kinds: tuple[str, ...], limit: int
             ) -> list[tuple[str, str, str, str, str, float]]:
    """One or two characters: a substring scan per kind, regions first, stopped at ``limit``
    hits or after :data:`SCAN_SECONDS` (then what was found)."""
    found: list[tuple[str, str, str, str, str, float]] = []
    # instr(), not LIKE: FTS5's trigram tokenizer (SQLite 3.40) answers a LIKE of two Chinese
    # characters from its index, which has no term that short, and so finds nothing
    found_in = " OR ".join("instr(lower(name), lower(?)) OR instr(lower(words), lower(?))"
                           for _ in forms)
    patterns = [p for f in forms for p in (f, f)]
    deadline = time.monotonic() + SCAN_SECONDS
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 2000)
    try:
        # patent titles only when patents alone are asked for: one or two characters are in
        # most titles, and a scan of a million of them is seconds
        for kind in [k for k in kinds if k != "patent" or kinds == ("patent",)]:
            rank = len(KINDS) - KINDS.index(kind)  # a kind's rank over the others', then length
            rows = db.execute(
                f"SELECT iri, key, label_en, label_zh, -? - 1.0 / (1 + length(name)) "
                f"FROM things_{kind} WHERE {found_in} LIMIT ?", (rank, *patterns, limit))
            for row in rows:
                found.append((kind, *row))
            if len(found) >= limit:
                break
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
    finally:
        db.set_progress_handler(None, 0)
    return found


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _connect(path: Path, write: bool = False) -> sqlite3.Connection:
    if write:
        return sqlite3.connect(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _rows(store: Store, text: str) -> Iterator[Any]:
    """The solutions of a SELECT (unbound: None), streamed from an embedded store (a million
    rows are never held in a list)."""
    if isinstance(store, LocalStore):
        result = store.query(text)
        assert isinstance(result, ox.QuerySolutions)
        yield from result
    else:
        for row in store.select(text):
            yield defaultdict(lambda: None, row)  # type: ignore[arg-type]

