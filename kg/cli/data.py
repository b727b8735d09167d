"""Commands on the data: ``hvp ingest``, ``validate``, ``export``, ``demo``, ``stats``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from kg import (
    MEMORY,
    EndpointStore,
    InputError,
    Store,
    TextReport,
    TurtleReport,
    compiled_results,
    data_graph,
    endpoint_data_copy,
    generate_demo,
    ingest_files,
    ingest_into_endpoint,
    load_shapes,
    open_store,
    read_dataset,
    recover_store,
    remove_store,
    require_probes,
    resolve_store,
    store_counts,
    store_setting,
    validate_graph,
)
from kg.cli.app import EXIT_FINDINGS, App, err, finite, pass_app, progress_bar, say, working
from kg.cli.output import check_output, write_stream

EXPORT_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "ttl": ox.RdfFormat.TURTLE,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--format", "fmt", type=click.Choice(["auto", "google-patents"]), default="auto",
              show_default=True, help="auto: CSV folders (exchange format) and RDF files by "
              "their suffix; google-patents: Google Patents Public Data publications as JSON "
              "lines (.jsonl, .jsonl.gz), see docs/import.md.")
@click.option("--complete", type=click.Path(dir_okay=False, path_type=Path),
              help="With --format google-patents: a CSV of patent_id, lapse_date, region "
              "(the first owner's) merged by patent id.")
@pass_app
def ingest(app: App, paths: tuple[Path, ...], quiet: bool, fmt: str,
           complete: Path | None) -> None:
    """Load CSV folders (exchange format) and RDF files into the store, all or nothing; or
    Google Patents JSON lines (--format google-patents)."""
    if complete is not None and fmt != "google-patents":
        raise click.UsageError("--complete goes with --format google-patents")

    reading: dict[str, Any] = {"fmt": None if fmt == "auto" else fmt, "complete": complete}
    if app.settings.get("endpoint"):
        _ingest_remote(app, paths, quiet, reading)
        return
    target = store_setting(app.settings)
    folder = Path(target)
    if target not in ("", MEMORY):
        folder = resolve_store(folder)  # a link the user made: the store it leads to
        recover_store(folder)  # a killed write's store linked back before it is looked at
    fresh = target not in ("", MEMORY) and not os.path.lexists(folder)
    emptied = target not in ("", MEMORY) and folder.is_dir() and not any(folder.iterdir())
    store = app.local_store("ingest", create=True)
    try:
        with progress_bar(not quiet) as update:
            report = ingest_files(store, paths, base=app.base, progress=update, **reading)
    except BaseException:
        if fresh or emptied:  # the store did not exist before the command: nor after it
            app.close()
            remove_store(folder)
            if emptied:
                folder.mkdir(exist_ok=True)
        raise
    err.print(f"ingested {report} into {store.path or MEMORY}")
    if report.dropped:
        err.print(report.dropped_note())


def _ingest_remote(app: App, paths: tuple[Path, ...], quiet: bool,
                   reading: dict[str, Any]) -> None:
    """`hvp ingest` into the remote engine (kg.engines.load)."""
    store = open_store(app.settings)
    assert isinstance(store, EndpointStore)
    require_probes(store, "ingest")
    with progress_bar(not quiet) as update:
        report = ingest_into_endpoint(store, paths, base=app.base, progress=update, **reading)
    err.print(f"ingested {report} into {store.query_url}")
    if report.dropped:
        err.print(report.dropped_note())


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "ttl"]), default="text",
              show_default=True, help="Report as text or as a Turtle sh:ValidationReport.")
@click.option("--shapes", "shape_files", multiple=True, type=click.Path(exists=True,
              dir_okay=False, path_type=Path), help="Shapes file(s) instead of shapes/data/.")
@click.option("--engine", type=click.Choice(["sparql", "pyshacl"]), default="sparql",
              show_default=True, help="sparql: the shapes compiled to SPARQL and run in the "
              "store; pyshacl: the reference engine on a copy of the data in memory.")
@click.option("--max-results", type=click.IntRange(min=0), default=100, show_default=True,
              help="Results printed in text (sparql engine; the rest are counted); 0: all. "
              "--format ttl writes all.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or log lines.")
@pass_app
def validate(app: App, fmt: str, shape_files: tuple[Path, ...], engine: str,
             max_results: int, quiet: bool) -> None:
    """Check the store's data against the data-quality SHACL shapes (exit 1 if it fails)."""
    shapes = load_shapes(list(shape_files) or None)
    if engine == "pyshacl":
        conforms = _validate_pyshacl(app, shapes, fmt)
    else:
        out = sys.stdout
        writer = TurtleReport(out, shapes) if fmt == "ttl" else \
            TextReport(out, shapes, max_results or None)
        store = app.store()
        with progress_bar(not quiet) as update, _validated_in(store, update) as target:
            for result in compiled_results(target, shapes, update):
                writer.write(result)
        conforms = writer.close()
    if not conforms:
        sys.exit(EXIT_FINDINGS)


@contextmanager
def _validated_in(store: Store, update: Callable[[str, int, int | None, int | None], None]
                  ) -> Iterator[Store]:
    """Where compiled validation runs: the store, or a copy of an engine's data where its
    dialect cannot validate (Virtuoso: docs/engines.md)."""
    if isinstance(store, EndpointStore) and store.dialect.validates_on_copy:
        with endpoint_data_copy(store, update) as copy:
            yield copy
    else:
        yield store


def _validate_pyshacl(app: App, shapes: Any, fmt: str) -> bool:
    with working("validating the store against the shapes (pySHACL)"):
        report = validate_graph(data_graph(app.store()), shapes)
    if fmt == "ttl":
        click.echo(report.graph.serialize(format="turtle"))
    else:
        click.echo(report.text)
    return report.conforms


@click.command()
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="nq",
              show_default=True, help="RDF syntax: N-Quads, TriG and JSON-LD hold every "
              "graph; N-Triples, Turtle and RDF/XML one (see --graph).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write [default: standard output].")
@click.option("--graph", help="Only this named graph (IRI), or 'default'.")
@pass_app
def export(app: App, fmt: str, output: Path | None, graph: str | None) -> None:
    """Write the store's contents as RDF."""
    rdf_format = EXPORT_FORMATS[fmt]
    target: ox.NamedNode | ox.DefaultGraph | None = None
    if graph == "default":
        target = ox.DefaultGraph()
    elif graph:
        try:
            target = ox.NamedNode(graph)
        except ValueError as exc:
            raise InputError("--graph: not an IRI: %(graph)r (%(exc)s); give a named graph's "
                             "absolute IRI, or 'default' for the default graph",
                             graph=graph, exc=exc) from None
    check_output(output)
    store = app.store()
    if isinstance(target, ox.NamedNode) and not store.ask(
            f"ASK {{ GRAPH {target} {{ ?s ?p ?o }} }}"):
        raise InputError("--graph: the store has no graph %(target)s; `hvp stats` lists what "
                         "it holds, or give 'default' for the default graph", target=target)
    write_stream(output, lambda out: store.dump(out, rdf_format, target))
    if target is None and not rdf_format.supports_datasets:
        left_out = _named_graph_count(store)
        if left_out:
            say("note", "yellow",
                f"--format {fmt} holds one graph: only the default graph was written, not the "
                f"{left_out:,} named graph{'s' if left_out > 1 else ''} (classifications, "
                "indicators...); use --format nq or trig for all of them, or --graph IRI for "
                "one")


def _named_graph_count(store: Store) -> int:
    rows = store.select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g {} }")
    return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0


@click.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the CSV files into: new or empty (see --force); never a "
              "store's folder.")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), callback=finite,
              help="Divide real counts and populations by this [default: 250, about 42,000 "
              "patents]. Not with --patents.")
@click.option("--patents", type=click.IntRange(min=1),
              help="Number of patents (sets the scale). Not with --scale.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed: the same seed and scale give the same files.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty, replacing "
              "the demo's CSV files there.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def demo(out_dir: Path, scale: float | None, patents: int | None, seed: int, force: bool,
         quiet: bool) -> None:
    """Write a calibrated synthetic data set (a scaled-down China) in the exchange format."""
    if scale is not None and patents is not None:
        raise click.UsageError("give --scale or --patents, not both (--patents sets the scale)")
    kwargs: dict[str, Any] = {"seed": seed, "force": force}
    if scale is not None:
        kwargs["scale"] = scale
    if patents is not None:
        kwargs["patents"] = patents
    label = f"{out_dir / 'patents.csv'}"
    with progress_bar(not quiet) as update:
        summary = generate_demo(out_dir, progress=lambda n, total: update(label, n, total, n),
                           **kwargs)
    err.print(f"wrote {summary}")
    if (out_dir / "sei_concordance.csv").exists():
        say("warning", "yellow", f"{out_dir / 'sei_concordance.csv'} is not the demo's: "
            "`hvp ingest` reads it too")


@click.command()
@pass_app
def stats(app: App) -> None:
    """What the store holds: its dataset description and counts."""
    store = app.store()
    described = read_dataset(store, app.base)
    if described is not None:
        click.echo(f"{'dataset':<24}{described.title()}")
        kind = f"synthetic demo at 1/{described.scale_text()} scale: not official figures" \
            if described.synthetic else "real (not synthetic)"
        click.echo(f"{'data':<24}{kind}")
        for source in described.sources:
            click.echo(f"{'source':<24}{source}")
        if described.licence:
            click.echo(f"{'licence':<24}{described.licence}")
        click.echo(f"{'created':<24}{described.created}")
        click.echo(f"{'modified':<24}{described.modified}")
    for name, n in store_counts(store).items():
        click.echo(f"{name:<24}{n:>12,}")
