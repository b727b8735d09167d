"""Ingest: a CSV folder in the exchange format, or RDF files, into a store, all or nothing.

Every row and every RDF file is checked first, the rows converted to N-Triples in a temporary
file (memory does not grow with the input); only when every file has passed are the writes made
(stale descriptions cleared, the files bulk-loaded, derived graphs dropped), all inside
:func:`kg.store.staged`: they reach the store together or not at all, whatever happens (an error,
a full disk, a killed process). The temporary file is removed on every exit path; on disk it
lives in the store's home (:mod:`kg.generations`), emptied by the next command if a run was
killed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, TypeVar

import pyoxigraph as ox

from kg import dataset, generations, search
from kg.classify import timeline
from kg.errors import InputError, RowError, StoreError
from kg.ingest import files, google_patents, rdf
from kg.ingest.tabular import TABLES, Cells, Context, Table, read_rows
from kg.ingest.tally import Tally
from kg.iri import derived_prefix, mint
from kg.progress import Progress, reading, step
from kg.store import LocalStore, staged
from kg.vocab import HVP, RDF

__all__ = ["IngestReport", "ingest"]


MAX_ERRORS = 20
#: The most things (rows' subjects) an ingest traces to the patents they change, keeping the
#: timelines (kg.classify.timeline); beyond, those are computed again for every patent.
MAX_TRACED = 200_000
T = TypeVar("T")


#: What a row of each table of the exchange format is, in words (one, many).
TABLE_NOUNS = {"owners": ("owner", "owners"), "patents": ("patent", "patents"),
          "family_members": ("family member", "family members"),
          "pledges": ("pledge", "pledges"), "awards": ("award", "awards"),
          "population": ("population figure", "population figures"),
          "sei_concordance": ("concordance row", "concordance rows")}


@dataclass
class IngestReport:
    rows: dict[str, int] = field(default_factory=dict)
    """Rows read per table of the exchange format (``patents``, ``family_members``...)."""
    files: dict[str, int] = field(default_factory=dict)
    """Triples (or quads) read per RDF file."""
    triples: int = 0
    """Triples read from the tables (each once: a family that several rows name counts once)
    and from the RDF files."""
    dropped: list[str] = field(default_factory=list)
    """The derived graphs (classifications, indicator cubes) dropped as out of date."""

    def __str__(self) -> str:
        """``6,840 owners, 42,181 patents, ... (537,334 triples)``, or for RDF files alone
        ``539,780 triples from big.nt``."""
        parts = [table_rows(self.rows)] if self.rows else []
        parts += [f"{_counted(n, 'triple', 'triples')} from {name}"
                  for name, n in self.files.items()]
        text = ", ".join(parts) or "nothing"
        if self.rows or len(self.files) > 1:
            text += f" ({_counted(self.triples, 'triple', 'triples')})"
        return text

    def dropped_note(self) -> str:
        """What :attr:`dropped` means, for people (empty if nothing was dropped)."""
        if not self.dropped:
            return ""
        kinds: dict[str, int] = {}
        for graph in self.dropped:
            kind = graph.rstrip("/").split("/graph/", 1)[-1].split("/", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        nouns = {"classification": ("classification", "classifications"),
                 "indicators": ("indicator cube", "indicator cubes")}
        what = " and ".join(_counted(n, *nouns.get(k, (f"{k} graph", f"{k} graphs")))
                            for k, n in kinds.items())
        return (f"the data changed, so {what} derived from it were dropped; they are "
                "computed again when next needed")


def _counted(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def table_rows(rows: dict[str, int]) -> str:
    """``6,840 owners, 42,181 patents, ...``: rows per table of the exchange format, in words."""
    return ", ".join(_counted(n, *TABLE_NOUNS.get(name, (name, name)))
                     for name, n in rows.items())


def ingest(store: LocalStore, paths: Iterable[Path], *, base: str,
           progress: Progress | None = None, source: str = "user-supplied file",
           fmt: str | None = None, complete: Path | None = None) -> IngestReport:
    """Ingest CSV folders and RDF files; on bad input raise InputError and write nothing.
    ``fmt="google-patents"``: the paths are Google Patents JSON lines
    (:mod:`kg.ingest.google_patents`), completed by the CSV ``complete``."""
    paths = [Path(p) for p in paths]
    report = IngestReport()
    with _scratch(store) as tmp:
        try:
            with tmp.open("w", encoding="utf-8") as out:
                if fmt == google_patents.FORMAT:
                    plan = _check_google(store, paths, base, out, report, source, complete,
                                         progress)
                else:
                    plan = _check_all(store, paths, base, out, report, progress, source)
        except OSError as exc:  # nothing was written to the store
            if exc.filename and exc.filename != str(tmp):
                raise InputError("%(filename)s: cannot read: %(value)s",
                                 filename=exc.filename, value=exc.strerror or exc) from None
            raise StoreError("cannot write the temporary file %(tmp)s: %(value)s; the store is "
                             "left as it was", tmp=tmp, value=exc.strerror or exc) from None
        stale = [graph.value for graph in derived_graphs(store, base)]
        graphs = timeline.keepable(store, base) if store.path is not None else []
        previous = search.index_path(store)
        if previous is not None and not previous.is_file():
            previous = None
        # what changed is read only when something kept from the last generation needs it
        changed = _changed(plan, Path(tmp)) if graphs or previous else ([], "nothing kept")
        carry, _ = _carried(plan, graphs, changed, progress)
        index = (previous, changed[0]) if previous and not changed[1] else None
        with staged(store, data=True, kept=carry) as target:
            _write(target, plan, report, Path(tmp), base, progress, index)
        report.dropped = [graph for graph in stale if store.path is None
                          or not timeline.is_timeline(base, graph)]
    return report


#: What an ingest changed: the things it wrote or replaced (IRIs), or why they cannot be named.
Changed = tuple[list[str], str]


def _changed(plan: _Plan, tmp: Path) -> Changed:
    """The subjects of what the ingest writes and of the rows it replaces; none, with the
    reason, for RDF files (any triple about anything) or more than :data:`MAX_TRACED` things
    (computing everything again costs about as much)."""
    if plan.rdf_files:
        return [], "RDF files name no table of things"
    subjects = {subject.value for subject, _ in plan.replace}
    for triple in ox.parse(path=tmp, format=ox.RdfFormat.N_TRIPLES):
        if isinstance(triple.subject, ox.NamedNode):
            subjects.add(triple.subject.value)
            if len(subjects) > MAX_TRACED:
                return [], f"more than {MAX_TRACED:,} things changed"
    return sorted(subjects), ""


def _carried(plan: _Plan, graphs: list[str], changed: Changed, progress: Progress | None
             ) -> tuple[Callable[[LocalStore, LocalStore], None] | None, list[str]]:
    """What carries the timeline ``graphs`` that hold for the store's data
    (:func:`kg.classify.timeline.keepable`) into the ingest's generation
    (:func:`kg.classify.timeline.carry_over`), and their names; (None, []) when there is none,
    or when the patents the ingest changes cannot all be named (see :func:`_changed`; a new
    concordance changes every patent's sei)."""
    if not graphs:
        return None, []
    subjects, why = changed
    why = why or ("a new concordance changes every patent's sei" if plan.clear_concordance
                  else "")
    if why:
        with step(progress, f"timelines not brought up to date ({why}): the next "
                            "indicators compute them again for every patent (kept, stale)"):
            return None, []
    return partial(timeline.carry_over, graphs, subjects, progress), graphs


def _write(store: LocalStore, plan: _Plan, report: IngestReport, tmp: Path, base: str,
           progress: Progress | None, index: tuple[Path, list[str]] | None = None) -> None:
    """The writes of an ingest, made to a staged store (all or nothing); ``index``: the last
    generation's search index and the things whose rows to write again in its copy."""
    tabular = report.triples - sum(report.files.values())
    tally = None if plan.rdf_files or plan.clear_concordance else \
        Tally.start(store, base, tabular)
    _clear_stale(store, plan, progress, tally)
    if tabular:
        if tally is not None:
            with reading(progress, f"counting the new of {tabular:,} triples", tmp):
                tally.added(store, tmp)
        with reading(progress, f"loading {tabular:,} triples", tmp):
            store.load(tmp, ox.RdfFormat.N_TRIPLES)
    for path, fmt, _ in plan.rdf_files:
        with reading(progress, f"loading {path}", path):
            store.load(path, fmt, base_iri=rdf.base_of(path))
    drop_derived(store, base, progress)  # the base keeps only timelines
    with step(progress, "describing the dataset"):
        dataset.write(store, base, plan.metadata, plan.sources,
                      tally.scale() if tally is not None else None)
    if store.path is not None and store.staging:  # the index goes with the generation
        if index is not None:
            search.update(index[0], store, generations.search_for(store.path), index[1],
                          progress)
        else:
            search.build_for(store, generations.search_for(store.path), progress)
    if store.path is not None:
        with step(progress, "writing to disk"):
            store.flush()


@contextmanager
def _scratch(store: LocalStore) -> Iterator[Path]:
    """A temporary N-Triples file, removed on every exit path: in the store's home on disk
    (where the next command removes it if this process is killed), else in the system's."""
    if store.path is not None:
        with generations.temporary(store.path, ".nt") as path:
            yield path
        return
    fd, name = tempfile.mkstemp(suffix=".nt", prefix="hvp-ingest-")
    os.close(fd)
    try:
        yield Path(name)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(name)


def _each(progress: Progress | None, label: str, items: list[T], every: int = 1
          ) -> Iterator[T]:
    """The items of a step of writing the store, its progress told as they are done (every
    ``every`` items; nothing for no items)."""
    total = len(items)
    if progress and total:
        progress(label, 0, total, None)
    for i, item in enumerate(items, start=1):
        yield item
        if progress and i % every == 0 and i < total:
            progress(label, i, total, None)
    if progress and total:
        progress(label, total, total, None)


@dataclass
class _Plan:
    replace: list[tuple[ox.NamedNode, Table]] = field(default_factory=list)
    clear_concordance: bool = False
    rdf_files: list[tuple[Path, ox.RdfFormat, rdf.Checked]] = field(default_factory=list)
    #: What the ingested folders say about their data (``dataset.json``), and the names of
    #: what was read, for the dataset description (:mod:`kg.dataset`).
    metadata: list[dataset.Metadata] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _check_all(store: LocalStore, paths: list[Path], base: str, out: IO[str],
               report: IngestReport, progress: Progress | None, source: str) -> _Plan:
    plan = _Plan()
    ctx = Context(base=base, known=_known_in(store, base), source=source)
    errors: list[RowError] = []
    for path in paths:
        files.check_kind(path)
        plan.sources.append(path.name if source == Context.source else source)
        if path.is_dir():
            _check_folder(store, path, ctx, out, report, plan, progress, errors)
        else:
            fmt = rdf.format_of(path)
            try:
                checked = rdf.check(path, fmt, store, base, progress)
                report.files[str(path)] = report.files.get(str(path), 0) + checked.quads
                report.triples += checked.quads
                plan.rdf_files.append((path, fmt, checked))
                plan.clear_concordance |= checked.concordance
            except RowError as exc:
                errors.append(exc)
    if errors:
        raise _bundle(errors)
    return plan


def _check_google(store: LocalStore, paths: list[Path], base: str, out: IO[str],
                  report: IngestReport, source: str, complete: Path | None,
                  progress: Progress | None = None) -> _Plan:
    """Google Patents JSON lines, converted to the exchange format's rows and checked and
    converted as a CSV folder's are (errors name the source's file, line and field)."""
    plan = _Plan()
    ctx = Context(base=base, known=_known_in(store, base), source=source)
    errors: list[RowError] = []
    tables = {t.name: t for t in TABLES}
    columns = {name: t.columns for name, t in tables.items()}
    for path in paths:
        files.check_kind(path)
        if path.is_dir():
            raise InputError("%(path)s: a folder, not a file of JSON lines (--format "
                             "google-patents reads .jsonl or .jsonl.gz files)", path=path)
    existing = {name: _has_any(store, t, base) for name, t in tables.items()}
    sheets: dict[tuple[Path, str], Cells] = {}
    label, done = f"{paths[0]}" + (f" (+{len(paths) - 1} files)" if len(paths) > 1 else ""), 0
    if progress:
        progress(label, 0, None, 0)
    for item in google_patents.rows(paths, columns, complete):
        done += 1
        if progress and done % 5000 == 0:
            progress(label, done, None, done)
        if isinstance(item, RowError):
            errors.append(item)
        else:
            path, name, row, line = item
            sheet = sheets.get((path, name))
            if sheet is None:
                columns_of = tables[name].columns
                sheet = sheets[path, name] = Cells(str(path), list(columns_of), columns_of)
            try:
                ctx.subject = ""
                sheet.check_text(row, line)
                triples = list(tables[name].convert(ctx, sheet, row, line))
            except RowError as exc:
                errors.append(google_patents.located(exc, name))
            else:
                report.triples += len(triples)
                out.writelines(triples)
                report.rows[name] = report.rows.get(name, 0) + 1
                subject = ox.NamedNode(ctx.subject[1:-1]) if ctx.subject else None
                if existing[name] and subject is not None and _exists(store, subject):
                    plan.replace.append((subject, tables[name]))
        if len(errors) >= MAX_ERRORS:
            raise _bundle(errors)
    if errors:
        raise _bundle(errors)
    if progress:
        progress(label, done, done, done)
    report.rows = {t.name: report.rows[t.name] for t in TABLES if t.name in report.rows}
    if not report.rows.get("patents"):
        raise InputError("%(map)s: no CN invention grant (country_code CN, kind_code B or C) "
                         "among the publications: nothing to ingest",
                         map=', '.join(map(str, paths)))
    return plan


def _check_folder(store: LocalStore, folder: Path, ctx: Context, out: IO[str],
                  report: IngestReport, plan: _Plan, progress: Progress | None,
                  errors: list[RowError]) -> None:
    for table in TABLES:
        files.check_kind(folder / table.file, missing_ok=True, file_only=True)
    present = [t for t in TABLES if (folder / t.file).is_file()]
    if (folder / dataset.FILE).is_file():
        plan.metadata.append(dataset.read_metadata(folder / dataset.FILE))
    if not present:
        names = ", ".join(t.file for t in TABLES)
        raise InputError("%(folder)s: no exchange-format files; expected some of %(names)s",
                         folder=folder, names=names)
    for table in present:
        path = folder / table.file
        existing = _has_any(store, table, ctx.base)
        rows = 0
        for triples, subject in _convert(table, path, ctx, errors, progress):
            rows += 1
            report.triples += len(triples)
            out.writelines(triples)
            if existing and subject:
                node = ox.NamedNode(subject)
                if _exists(store, node):
                    plan.replace.append((node, table))
        report.rows[table.name] = report.rows.get(table.name, 0) + rows
        if table.name == "sei_concordance":
            plan.clear_concordance = True


def _convert(table: Table, path: Path, ctx: Context, errors: list[RowError],
             progress: Progress | None) -> Iterator[tuple[list[str], str]]:
    """Each good row's N-Triples lines and the IRI of the thing it describes ("" if none);
    a bad row's error is kept in ``errors``."""
    label = f"{path.parent.name}/{path.name}"
    done = 0
    size = path.stat().st_size
    if progress:
        progress(label, 0, size, 0)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            counted = _Counting(f)
            rows = read_rows(counted, str(path))
            header, _ = next(rows, ([], 1))
            c = Cells(str(path), [h.strip() for h in header], table.columns)
            for row, line in rows:
                try:
                    ctx.subject = ""
                    c.check_width(row, line)
                    c.check_text(row, line)
                    triples = list(table.convert(ctx, c, row, line))
                except RowError as exc:
                    errors.append(c.placed(exc, row, line))
                    if len(errors) >= MAX_ERRORS:
                        raise _bundle(errors) from None
                    continue
                done += 1
                if progress and done % 5000 == 0:
                    progress(label, min(counted.position, size - 1), size, done)
                yield triples, ctx.subject[1:-1]
    except RowError as exc:
        errors.append(exc)
    except UnicodeDecodeError:
        errors.append(files.not_utf8(path))
    if progress:
        progress(label, size, size, done)


class _Counting:
    """Iterates the lines of a text file, telling how far into the file it has read."""

    def __init__(self, f: IO[str]) -> None:
        self.f = f

    def __iter__(self) -> Iterator[str]:
        return iter(self.f)

    @property
    def position(self) -> int:
        """Bytes of the file decoded so far (ahead of the line being read by at most one
        chunk of the text reader); the characters read would fall short of the file's size in
        bytes wherever the text is not ASCII."""
        return self.f.buffer.tell()  # type: ignore[attr-defined]


def _has_any(store: LocalStore, table: Table, base: str) -> bool:
    return any(True for _ in _first_of_kind(store, table, base))


def _first_of_kind(store: LocalStore, table: Table, base: str) -> Iterator[ox.Quad]:
    cls = {"owner": HVP.Owner, "patent": HVP.Patent, "publication": HVP.FamilyMember,
           "pledge": HVP.Pledge, "award": HVP.Award, "population": HVP.PopulationObservation,
           "concordance": HVP.ConcordanceRow}[table.kind]
    for quad in store.quads(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(cls))):
        yield quad
        return


def _exists(store: LocalStore, subject: ox.NamedNode) -> bool:
    return any(True for _ in store.quads(subject, None, None, ox.DefaultGraph()))


def _known_in(store: LocalStore, base: str) -> Callable[[str, str], bool]:
    rdf_type = ox.NamedNode(str(RDF.type))
    kinds = {"owners": ("owner", HVP.Owner), "patents": ("patent", HVP.Patent)}

    def known(table: str, key: str) -> bool:
        kind, cls = kinds[table]
        subject = ox.NamedNode(mint(base, kind, key))
        return any(True for _ in store.quads(subject, rdf_type, ox.NamedNode(str(cls))))

    return known


def _clear_stale(store: LocalStore, plan: _Plan, progress: Progress | None = None,
                 tally: Tally | None = None) -> None:
    """Remove what re-ingested things said before, so that new rows replace old ones (counted
    by ``tally`` when given: the tabular rows' replacements are all it is given for)."""
    label = f"replacing {len(plan.replace):,} old rows"
    for subject, table in _each(progress, label, plan.replace, every=2000):
        old = [quad for predicate in table.owned for quad in store.quads(
            subject, ox.NamedNode(predicate), None, ox.DefaultGraph())]
        old += [quad for predicate in table.inbound for quad in store.quads(
            None, ox.NamedNode(predicate), subject, ox.DefaultGraph())]
        store.remove(tally.removed(old) if tally is not None else old)
    if any(checked.replaced for _, _, checked in plan.rdf_files):
        with step(progress, "replacing restated values"):
            for _, _, checked in plan.rdf_files:
                rdf.clear(store, checked)
    if plan.clear_concordance:
        rows = [q.subject for q in store.quads(None, ox.NamedNode(str(RDF.type)),
                                               ox.NamedNode(str(HVP.ConcordanceRow)))]
        for row in rows:
            store.remove(store.quads(row, None, None, ox.DefaultGraph()))


def derived_graphs(store: LocalStore, base: str) -> list[ox.NamedNode]:
    """The graphs computed from the data (classifications, indicators)."""
    prefix = derived_prefix(base)
    return [graph for graph in store.oxigraph.named_graphs()
            if isinstance(graph, ox.NamedNode) and graph.value.startswith(prefix)]


def drop_derived(store: LocalStore, base: str, progress: Progress | None = None) -> list[str]:
    """Drop graphs computed from the data (classifications, indicators): they are stale now.
    Returns their IRIs. The profiles' timelines stay: each says the data it was computed for
    (``hvp:sourceState``), so one not brought up to the new data (:func:`_carried`) is
    computed again for every patent when next needed, and only its entries that changed are
    rewritten (:func:`kg.classify.timeline.write_all`), never the whole graph deleted quad by
    quad (minutes at millions of patents). In memory every derived graph is dropped."""
    dropped = [graph for graph in derived_graphs(store, base)
               if store.path is None or not timeline.is_timeline(base, graph.value)]
    label = f"dropping {len(dropped)} derived graph{'s' if len(dropped) != 1 else ''}"
    total = sum(store.graph_size(graph) for graph in dropped) if progress else 0
    removed = 0

    def done(count: int) -> None:  # the bar moves by quads, not by graphs (minutes each)
        nonlocal removed
        removed += count
        if progress is not None:
            progress(label, min(removed, total), total, None)

    if progress and total:
        progress(label, 0, total, None)
    for graph in dropped:
        store.clear_graph(graph, done)
    if progress and total and removed < total:  # in memory: no batches told
        progress(label, total, total, None)
    return [graph.value for graph in dropped]


def _bundle(errors: list[RowError]) -> InputError:
    if len(errors) == 1:
        return errors[0]
    more = " (stopped after the first 20)" if len(errors) >= MAX_ERRORS else ""
    exc = InputError("%(count)s errors%(more)s:\n%(errors)s", count=len(errors), more=more,
                     errors="\n".join(str(e) for e in errors))
    exc.errors = errors  # type: ignore[attr-defined]
    return exc
