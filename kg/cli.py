"""The ``hvp`` command line.

Exit codes: 0 success; 1 findings (the data does not conform); 2 usage or input error.
"""

from __future__ import annotations

import errno
import io
import json
import math
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox
from rich.console import Console
from rich.table import Table
from rich.text import Text

import kg
from kg import (
    MEMORY,
    POPULATION_SOURCES,
    PREFIXES,
    EndpointStore,
    InputError,
    KGError,
    LinkEndpoint,
    LocalStore,
    Store,
    TextReport,
    TurtleReport,
    apply_review,
    check_endpoint,
    check_federation,
    check_review_writable,
    classification_csv,
    classification_json,
    classify_patents,
    compare_population,
    compiled_results,
    compute_indicators,
    data_graph,
    endpoint_data_copy,
    ensure_reference,
    ensure_search_index,
    explain_patent,
    federation_allowed,
    generate_demo,
    ingest_files,
    ingest_into_endpoint,
    link_software,
    list_queries,
    load_profile,
    load_settings,
    load_shapes,
    materialize_cube,
    open_store,
    parse_date,
    parse_years,
    population_graph,
    progress_reporter,
    progress_step,
    read_dataset,
    read_review,
    recover_store,
    reference_loaded,
    remove_store,
    require_probes,
    resolve_profile,
    resolve_store,
    run_doctor,
    run_query,
    run_sparql,
    search_index,
    search_index_path,
    shipped_profiles,
    store_counts,
    store_setting,
    validate_graph,
    write_indicators,
    write_review,
)

EXIT_FINDINGS = 1
EXIT_INPUT = 2
# No markup by default: messages hold user text (paths, cells, arguments) to print as it is.
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)


def say(label: str, style: str, message: str) -> None:
    """``label: message`` on standard error, the label styled and the message literal."""
    err.print(Text.assemble((f"{label}:", style), " ", message))


PROFILE_HELP = ("Criteria profile: a name under shapes/profiles/ or a Turtle file [default: the "
                "profile setting (--config file, HVP_PROFILE), else cnipa-2021].")

EXPORT_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "ttl": ox.RdfFormat.TURTLE,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


class App:
    """What every command gets: resolved settings and the store, opened on first use."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.settings = values
        self._store: Store | None = None

    @property
    def base(self) -> str:
        return str(self.settings["base"])

    def close(self) -> None:
        if isinstance(self._store, LocalStore):
            self._store.close()
        self._store = None

    def store(self, *, create: bool = False) -> Store:
        """The remote endpoint (``endpoint`` setting) or the embedded store, opened once; an
        embedded store gets the reference data on first use, an endpoint must already hold it.
        A missing on-disk store is an input error unless ``create`` (``hvp ingest``)."""
        if self._store is None:
            store = open_store(self.settings, create=create, beside=not create)
            if isinstance(store, LocalStore) and store.read_only:
                say("note", "yellow", f"store held by {store.held_by or 'another process'}: "
                    "read only")
            elif isinstance(store, LocalStore):
                ensure_reference(store, self.base)
            elif not _probed(store) or not reference_loaded(store):
                raise InputError(
                    "%(store)r has no hvp-kg reference data: `hvp --endpoint URL ingest "
                    "FOLDER` loads it with the data", store=store)
            self._store = store
        return self._store

    def local_store(self, command: str, *, create: bool = False) -> LocalStore:
        """The embedded store, for a command that only works on it."""
        if self.settings.get("endpoint"):
            raise InputError(
                "hvp %(command)s works on the embedded store only; unset --endpoint / "
                "HVP_ENDPOINT", command=command)
        store = self.store(create=create)
        assert isinstance(store, LocalStore)
        return store


def _read_only(store: Store) -> bool:
    """Whether the store is open read only beside the process that holds it (`hvp serve`)."""
    return isinstance(store, LocalStore) and store.read_only


def _probed(store: Store) -> bool:
    """Run the `hvp doctor` probes that the current command depends on (raises if one fails)."""
    if isinstance(store, EndpointStore):
        require_probes(store, click.get_current_context().info_name or "")
    return True


class HvpGroup(click.Group):
    """Turns hvp-kg's own errors into a message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KGError as exc:
            say("error", "bold red", str(exc))
            sys.exit(EXIT_INPUT)


@click.group(cls=HvpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="HVP_STORE", help="Store directory, or :memory: "
              "[default: hvp-store].")
@click.option("--endpoint", envvar="HVP_ENDPOINT", help="Remote SPARQL endpoint URL.")
@click.option("--update-endpoint", envvar="HVP_UPDATE_ENDPOINT",
              help="The remote engine's SPARQL Update URL [default: endpoint folder + /update].")
@click.option("--gsp-endpoint", envvar="HVP_GSP_ENDPOINT", help="The remote engine's Graph "
              "Store Protocol URL [default: endpoint folder + /store].")
@click.option("--base", envvar="HVP_BASE", help="Base IRI of minted things.")
@click.option("--config", "config_file", envvar="HVP_CONFIG", type=click.Path(dir_okay=False),
              help="TOML settings file.")
@click.version_option(package_name="hvp-kg")
@click.pass_context
def cli(ctx: click.Context, store: str | None, endpoint: str | None,
        update_endpoint: str | None, gsp_endpoint: str | None, base: str | None,
        config_file: str | None) -> None:
    """hvp: a knowledge graph of high-value invention patents."""
    explicit = {"store": store, "endpoint": endpoint, "update_endpoint": update_endpoint,
                "gsp_endpoint": gsp_endpoint, "base": base}
    ctx.obj = App(load_settings(explicit, config_file=config_file))
    ctx.call_on_close(ctx.obj.close)


pass_app = click.make_pass_decorator(App)


@contextmanager
def progress_bar(enabled: bool = True
                 ) -> Iterator[Callable[[str, int, int | None, int | None], None]]:
    """A progress callback ``(label, done, total, rows)`` (:data:`kg.progress.Progress`): bars
    on a terminal, log lines on standard error otherwise, nothing when not ``enabled``
    (:func:`kg.progress.reporter`)."""
    with progress_reporter(err, enabled) as update:
        yield update


@contextmanager
def working(label: str) -> Iterator[Callable[[int, int], None]]:
    """One bar for a long step of a command (a log line at its start and end when standard
    error is not a terminal): moving until the step reports ``(done, total)`` through the
    callback yielded (if it can), always with the time taken."""
    with progress_bar() as update, progress_step(update, label):
        yield lambda done, total: update(label, done, total, None)


@cli.command()
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


@cli.command()
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


@cli.command()
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
    _check_output(output)
    store = app.store()
    if isinstance(target, ox.NamedNode) and not store.ask(
            f"ASK {{ GRAPH {target} {{ ?s ?p ?o }} }}"):
        raise InputError("--graph: the store has no graph %(target)s; `hvp stats` lists what "
                         "it holds, or give 'default' for the default graph", target=target)
    _write_stream(output, lambda out: store.dump(out, rdf_format, target))
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


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Refuse ``nan`` and ``inf`` (FloatRange lets them through)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number")
    return value


@cli.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the CSV files into: new or empty (see --force); never a "
              "store's folder.")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), callback=_finite,
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


@cli.command()
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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port.")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1, 1024),
              help="Python threads that run requests (queries wait for a query worker and "
              "pages for a page worker there; keep it well above workers + page_workers + "
              "computing).")
@click.option("--server", type=click.Choice(["granian", "waitress"]), default="granian",
              show_default=True, help="WSGI server: granian (HTTP in Rust, the faster) or "
              "waitress (pure Python).")
@pass_app
def serve(app: App, host: str, port: int, threads: int, server: str) -> None:
    """Serve the web app (SPARQL endpoint, editor, pages) on a production WSGI server;
    read-only."""
    from web.access_log import check as check_access_log  # (tests/test_imports.py lists it)

    _check_port(host, port)
    check_access_log(str(app.settings["access_log"]))
    _preflight_elsewhere(dict(app.settings))
    served = app.settings.get("endpoint") or app.settings["store"]
    err.print(f"serving {served} on http://{host}:{port}/ ({server})")
    # Local imports (tests/test_imports.py lists them): the web app and the servers are loaded
    # only to serve; kg never imports Flask for its other commands (Flask and granian: about
    # 0.3 s of CPU at every start).
    if server == "waitress":
        from waitress import serve as waitress_serve

        from web.wsgi import serving

        waitress_serve(serving(dict(app.settings)), host=host, port=port, threads=threads,
                       ident="hvp-kg")
        return
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    from web.wsgi import loader

    # The app is built in granian's worker process, from the settings resolved here (handed
    # to the worker, never through this process's environment). On SIGTERM granian lets
    # requests finish for STOP_SECONDS, then kills its worker (and the query workers go with
    # it: web.pool), so a runaway query cannot hold a stop for minutes.
    Granian("web.wsgi:application", interface=Interfaces.WSGI, address=host,
            port=port, workers=1, blocking_threads=threads, websockets=False,
            workers_kill_timeout=STOP_SECONDS, log_level=LogLevels.error).serve(
        target_loader=loader(dict(app.settings)), wrap_loader=False)


#: Seconds `hvp serve` lets in-flight requests finish after SIGTERM before it cuts them.
STOP_SECONDS = 3


def _preflight_elsewhere(settings: dict[str, Any]) -> None:
    """The server's start-up checks (:func:`web.service.preflight`), in a spawned process.

    Opening the store here would start RocksDB's background threads in this process, and
    granian forks its worker from it: the worker inherits a thread pool without threads, and
    its first flush of written data (the dashboard computing a new year) waits forever."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        message = pool.apply(_preflight, (settings,))
    if message:
        raise InputError(message)


def _preflight(settings: dict[str, Any]) -> str:
    """:func:`web.service.preflight`'s error message, or ``""``."""
    from web.service import preflight  # local: see serve

    try:
        preflight(settings)
    except KGError as exc:
        return str(exc)
    return ""


def _check_port(host: str, port: int) -> None:
    """Refuse a port another process listens on (granian would share it silently), and a host
    that is not a name or address of this machine."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError("cannot listen on %(host)s:%(port)s: the host %(host)r cannot be "
                         "resolved (%(strerror)s); choose another --host, e.g. 127.0.0.1 (this "
                         "machine only) or 0.0.0.0 (every interface)",
                         host=host, port=port, strerror=exc.strerror) from None
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InputError("cannot listen on %(host)s:%(port)s: %(reason)s (%(host)s is not "
                             "an address of this machine); choose another --host, e.g. "
                             "127.0.0.1 or 0.0.0.0", host=host, port=port, reason=reason) from None
        raise InputError("cannot listen on %(host)s:%(port)s: %(reason)s; choose another "
                         "--port or stop what uses it",
                         host=host, port=port, reason=reason) from None


@cli.command()
@click.option("--year", type=click.IntRange(1900, 2200),  # the years parse_years accepts
              help="One year (uses the classification at YEAR-12-31).")
@click.option("--years", "year_range", help="A range of years, e.g. 2020-2024.")
@click.option("--by", type=click.Choice(["all", "nation", "province"]), default="all",
              show_default=True, help="all = CN and provinces; nation = CN; province = "
              "provinces only.")
@click.option("--profile", help=PROFILE_HELP)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ttl"]), default="csv",
              show_default=True, help="ttl = an RDF Data Cube.")
@click.option("--population", type=click.Choice(POPULATION_SOURCES), default="official",
              show_default=True, help="The denominators: the official year-end table, or the "
              "figures `hvp link population` read from Wikidata (each year's own; a region "
              "without one gets a warning).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write [default: standard output].")
@pass_app
def indicators(app: App, year: int | None, year_range: str | None, by: str, profile: str | None,
               fmt: str, population: str, output: Path | None) -> None:
    """High-value invention patents per 10,000 people, by region and year (docs/rules.md §4).

    Classifies at each YEAR-12-31 as needed and materializes the Data Cube graph
    {base}graph/indicators/{profile} ({profile}/wikidata with --population wikidata). Regions
    with high-value patents but no population for a year get no row and a warning on standard
    error.
    """
    if (year is None) == (year_range is None):
        raise InputError("give exactly one of --year YEAR or --years FIRST-LAST")

    years = parse_years(str(year) if year is not None else str(year_range))
    criteria = profile or str(app.settings["profile"])
    resolve_profile(criteria)  # an unknown profile is named before any work
    _check_output(output)
    store = app.store()
    span = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    label = f"years {span}: each patent's high-value interval as needed, counting"
    with progress_bar() as update, progress_step(update, label):
        result = compute_indicators(store, years, profile=criteria, base=app.base, steps=update,
                                    progress=lambda done, total: update(label, done, total, None),
                                    population=population)
    if not _read_only(store):  # beside a running server the figures are printed only
        materialize_cube(store, result, app.base)
    result = result.select(by)  # the warnings of the regions asked for only
    for warning in result.warnings:
        say("warning", "yellow", str(warning))
    _write_stream(output, lambda out: write_indicators(result, fmt, out, app.base))


@cli.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value (repeatable).")
@click.option("--list", "list_only", is_flag=True, help="List the canned queries.")
@click.option("--profile", help="Criteria profile [default: the profile setting].")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="CSV with a header row, or JSON (columns and rows).")
@pass_app
def query(app: App, name: str | None, params: tuple[str, ...], list_only: bool,
          profile: str | None, fmt: str) -> None:
    """Run a canned query (kg/queries/NAME.rq) with typed parameters, or --list them."""
    if list_only or not name:
        for q in list_queries():
            args = " ".join(f"{p.name}={p.default or '…'}:{p.type}" for p in q.params)
            click.echo(f"{q.name:<28}{q.title}  [{args}]")
        return
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError("--param %(item)r: expected NAME=VALUE", item=item)
        values[key.strip()] = value
    result = run_query(app.store(), name, values, base=app.base,  # type: ignore[arg-type]
                       profile=profile or str(app.settings["profile"]),
                       allow=federation_allowed(app.settings.get("federation_allow")))
    click.echo(result.to_csv() if fmt == "csv" else result.to_json(), nl=False)


@cli.command()
@click.argument("query_file", metavar="QUERY_FILE|-")
@click.option("--format", "fmt", type=click.Choice(["json", "xml", "csv", "tsv", "turtle",
              "ntriples", "jsonld", "rdfxml"]), help="json, xml, csv or tsv for SELECT and "
              "ASK; turtle, ntriples, jsonld or rdfxml for CONSTRUCT and DESCRIBE [default: "
              "json, or turtle for a graph].")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (replaced only when the query is complete) [default: "
              "standard output, streamed].")
@click.option("--timeout", type=click.FloatRange(min=0), callback=_finite,
              help="Time limit in seconds, a federated query's SERVICE calls included; 0: "
              "none [default: the timeout setting].")
@pass_app
def sparql(app: App, query_file: str, fmt: str | None, output: Path | None,
           timeout: float | None) -> None:
    """Run an ad-hoc SPARQL query (a file, or - for standard input) on the store or endpoint.

    SERVICE may call only the endpoints of the federation_allow setting."""
    source = "<stdin>" if query_file == "-" else query_file
    text = _query_text(query_file, source)
    limit = float(app.settings["timeout"]) if timeout is None else timeout
    allow = federation_allowed(app.settings.get("federation_allow"))
    check_federation(text, allow)  # refused before the store is opened
    _check_output(output)
    store = app.store()
    _write_stream(output, lambda out: run_sparql(store, text, out, fmt=fmt, timeout=limit,
                                                 allow=allow, source=source,
                                                 prefixes=dict(PREFIXES)))


def _query_text(query_file: str, source: str) -> str:
    """The query from a file or standard input, as UTF-8 text; an empty one is refused."""
    try:
        data = sys.stdin.buffer.read() if query_file == "-" else Path(query_file).read_bytes()
    except OSError as exc:
        raise InputError("%(source)s: cannot read the query: %(value)s",
                         source=source, value=exc.strerror or exc) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError("%(source)s:%(line_)s: not UTF-8: byte 0x%(data)s at byte %(start)s "
                         "(SPARQL queries are UTF-8)",
                         source=source, line_=line, data=f"{data[exc.start]:02X}",
                         start=exc.start) from None
    if not text.strip():
        raise InputError("%(source)s: the query is empty", source=source)
    return text.removeprefix("\ufeff")


@cli.command("search")
@click.argument("text", required=False)
@click.option("--type", "kinds", multiple=True, type=click.Choice(["region", "industry", "owner",
              "patent"]), help="Only things of this kind (repeatable) [default: all].")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100),
              help="At most this many things.")
@click.option("--rebuild", is_flag=True, help="Build the store's text index again first.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A line per thing, or JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_app
def search_command(app: App, text: str | None, kinds: tuple[str, ...], limit: int,
                   rebuild: bool, fmt: str, quiet: bool) -> None:
    """Find patents (number, title words), owners (name), regions and SEI industries."""
    if not text and not rebuild:
        raise click.UsageError("give the TEXT to search for, or --rebuild")
    store = app.local_store("search")
    path = search_index_path(store)
    with tempfile.TemporaryDirectory(prefix="hvp-search-") as scratch:
        if path is None:  # a store without generations: an index for this command only
            path = Path(scratch) / "search"
        with progress_bar(not quiet) as update:
            built = ensure_search_index(store, path, update, rebuild=rebuild)
        if built and rebuild:
            err.print(f"built the search index {path}")
        if not text:
            return
        hits = search_index(path, text, kinds or None, limit)
    if fmt == "json":
        click.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    for hit in hits:
        click.echo(f"{hit.kind:<10}{hit.key:<18}{hit.label()}")


def _part(output: Path) -> Path:
    """The file written first, renamed to ``output`` when complete."""
    return output.with_name(output.name + ".part")


def _special(output: Path) -> bool:
    """Whether ``output`` is a device, a pipe or a socket (``-o /dev/null``): written as it
    is, never replaced by a renamed file."""
    return output.exists() and not output.is_file() and not output.is_dir()


def _check_output(output: Path | None) -> None:
    """Refuse, before any work, an ``--output`` file that cannot be written."""
    if output is None:
        return
    if _special(output):
        if not os.access(output, os.W_OK):
            raise InputError("--output %(output)s: cannot write there: permission denied",
                             output=output)
        return
    folder = output.parent
    if not folder.exists():
        raise InputError("--output %(output)s: the folder %(folder)s does not exist; create it "
                         "first", output=output, folder=folder)
    if not folder.is_dir():
        raise InputError("--output %(output)s: %(folder)s is not a folder",
                         output=output, folder=folder)
    tmp = _part(output)
    try:
        with tmp.open("ab"):
            pass
        tmp.unlink()
    except OSError as exc:
        raise InputError("--output %(output)s: cannot write there: %(value)s",
                         output=output, value=exc.strerror or exc) from None


def _write_stream(output: Path | None, write: Callable[[Any], object]) -> None:
    """Write to standard output, or to a file replaced only when complete (a device or a pipe
    is written as it is)."""
    if output is None:
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    if _special(output):
        with output.open("wb") as out:
            write(out)
        return
    tmp = _part(output)
    try:
        with tmp.open("wb") as out:
            write(out)
        tmp.replace(output)
    except BaseException as exc:  # a failed or interrupted write leaves no part file behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError("--output %(output)s: cannot write it: %(value)s",
                             output=output, value=exc.strerror or exc) from None
        raise


def _as_of(ctx: click.Context, param: click.Parameter, value: str) -> date:
    """Parse ``--as-of`` (an ISO date) or fail with exit code 2."""
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _write(text: str, output: Path | None) -> None:
    """Write to a file (atomically) or to standard output."""
    if output is None:
        click.echo(text, nl=False)
        return
    _write_stream(output, lambda out: out.write(text.encode("utf-8")))


@cli.command()
@click.option("--as-of", "as_of", required=True, callback=_as_of, metavar="YYYY-MM-DD",
              help="The as-of date D.")
@click.option("--profile", help=PROFILE_HELP)
@click.option("--engine", type=click.Choice(["sparql", "pyshacl"]), default="sparql",
              show_default=True, help="Compiled set-based SPARQL, or pySHACL (slow).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ttl"]), default="csv",
              show_default=True, help="CSV (docs/rules.md §4 columns), JSON (the same rows, with "
              "the profile, date and graph), or the classification graph with its evidence as "
              "Turtle.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write [default: standard output].")
@pass_app
def classify(app: App, as_of: date, profile: str | None, engine: str, fmt: str,
             output: Path | None) -> None:
    """Classify every invention patent at an as-of date (docs/rules.md §4) and store the results."""
    criteria = load_profile(profile or str(app.settings["profile"]))  # input errors before any work
    _check_output(output)
    store = app.store()
    keep = not _read_only(store)  # beside a running server: computed, not stored
    if not keep and fmt == "ttl" and isinstance(store, LocalStore):
        store.refuse_writes()
    with working(f"classifying at {as_of} ({criteria.name}, {engine})"):
        result = classify_patents(store, as_of, profile=criteria, engine=engine, base=app.base,
                                  store_graph=keep)
    high = sum(1 for r in result.rows if r.valid and r.domestic and r.high_value)
    say("classified", "green", f"{len(result.rows):,} invention patents at {as_of}: {high:,} "
        "valid, domestic and high-value; " + (f"stored in <{result.graph}>" if keep else
                                              "not stored (the store is read only)"))
    if fmt == "csv":
        _write(classification_csv(result.rows), output)
    elif fmt == "json":
        _write(classification_json(result), output)
    else:
        buffer = io.BytesIO()
        store.dump(buffer, ox.RdfFormat.TURTLE, ox.NamedNode(result.graph))
        _write(buffer.getvalue().decode("utf-8"), output)


@cli.command()
@click.argument("patent_id")
@click.option("--as-of", "as_of", required=True, callback=_as_of, metavar="YYYY-MM-DD",
              help="The as-of date D.")
@click.option("--profile", help=PROFILE_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Readable text, or JSON with every piece of evidence.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The language of the labels and reasons (English or Simplified Chinese).")
@pass_app
def explain(app: App, patent_id: str, as_of: date, profile: str | None, fmt: str,
            lang: str) -> None:
    """Why a patent is (or is not) high-value at an as-of date, criterion by criterion."""
    criteria = load_profile(profile or str(app.settings["profile"]))
    result = explain_patent(app.store(), patent_id, as_of, criteria, app.base, lang)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(result.to_text())


@cli.command()
@click.argument("profiles", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Readable text, or JSON.")
def profiles(profiles: tuple[str, ...], fmt: str) -> None:
    """List criteria profiles (the shipped ones, or the names or .ttl files given): their
    criteria in order and every parameter's value."""
    summaries = [load_profile(name).summary() for name in profiles or shipped_profiles()]
    if fmt == "json":
        click.echo(json.dumps(summaries, ensure_ascii=False, indent=1))
        return
    for summary in summaries:
        click.echo(profile_text(summary))


def profile_text(summary: dict[str, Any]) -> str:
    """One profile's summary as readable text."""
    lines = [f"{summary['name']}: {summary['label']}", f"  <{summary['iri']}>"]
    lines += [f"  imports <{iri}>" for iri in summary["imports"]]
    lines.append("  criteria:")
    for c in summary["criteria"]:
        reads = f" [{', '.join(c['parameters'])}]" if c["parameters"] else ""
        lines.append(f"    {c['key']:<12} {c['label']}{reads}")
    lines.append("  parameters:")
    for name, value in summary["parameters"].items():
        shown = " ".join(map(str, value)) if isinstance(value, list) else \
            value if isinstance(value, str) else json.dumps(value)
        lines.append(f"    {name} = {shown}")
    return "\n".join(lines) + "\n"


@cli.command()
@click.option("--endpoint", "url", help="The engine's query URL [default: the endpoint "
              "setting]; the update and graph store URLs and credentials come from the "
              "settings.")
@pass_app
def doctor(app: App, url: str | None) -> None:
    """Probe a remote SPARQL engine with queries and updates of known answers (in a scratch
    graph it drops afterwards) and print what works; exit 1 if a probe fails (a fault that
    hvp-kg's queries avoid is shown, and does not fail)."""
    values = {**app.settings, **({"endpoint": url} if url else {})}
    if not values.get("endpoint"):
        raise InputError("hvp doctor probes a remote engine: give --endpoint URL (or the "
                         "endpoint setting, HVP_ENDPOINT)")
    check_endpoint(str(values["endpoint"]))
    store = EndpointStore.from_settings(values)
    verdicts = run_doctor(store)
    table = Table(title=f"hvp doctor {store.query_url}", show_lines=True)
    for column in ("probe", "result", "what it asks / what failed", "what a failure means",
                   "fix"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        if v.passed:
            table.add_row(v.probe.name, "pass", v.probe.asks, "", "")
        elif v.avoided:  # a fault of the engine that hvp-kg's queries write around
            table.add_row(v.probe.name, "avoided", v.detail, v.probe.meaning,
                          f"avoided: {v.probe.avoided}")
        else:
            table.add_row(v.probe.name, "FAIL", v.detail, v.probe.meaning, v.probe.fix)
    Console(markup=False, highlight=False, width=160).print(table)
    failed = [v.probe.name for v in verdicts if not v.passed and not v.avoided]
    if failed:
        say("failed", "bold red", f"{len(failed)} of {len(verdicts)} probes: "
            f"{', '.join(failed)}")
        sys.exit(EXIT_FINDINGS)
    say("passed", "green", f"all {len(verdicts)} probes")


# --- hvp link --------------------------------------------------------------------------------
@cli.group()
def link() -> None:
    """Link the store's things to open-data graphs (Wikidata); see docs/linking.md."""


@link.command("owners")
@click.option("--endpoint", "link_endpoint", metavar="URL",
              help="Wikidata-compatible SPARQL endpoint [default: the link_endpoint setting, "
                   "else the public Wikidata Query Service].")
@click.option("--review", "review_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a CSV of every owner's candidates, to review.")
@click.option("--accept", "accept_file", type=click.Path(dir_okay=False, exists=True,
                                                          path_type=Path),
              help="Apply a reviewed CSV instead (accept -> owl:sameAs, reject -> removed); "
                   "contacts no endpoint.")
@click.option("--threshold", type=click.FloatRange(0, 1),
              help="Score from which to write owl:sameAs [default: link_threshold setting].")
@click.option("--batch", type=click.IntRange(1, 1000),
              help="Owners per query [default: link_batch setting].")
@click.option("--rate", type=click.FloatRange(min=0),
              help="Most requests per second, 0 for no limit [default: link_rate setting].")
@pass_app
def link_owners(app: App, link_endpoint: str | None, review_file: Path | None,
                accept_file: Path | None, threshold: float | None, batch: int | None,
                rate: float | None) -> None:
    """Link owners to Wikidata items: owl:sameAs for a match, skos:closeMatch for the other
    candidates, with scores and provenance, in the graph {base}links/wikidata (replaced)."""
    s = app.settings
    if accept_file is not None and (review_file or link_endpoint or threshold is not None
                                    or batch is not None or rate is not None):
        raise click.UsageError("--accept applies a reviewed file and contacts no endpoint: "
                               "give it alone")
    store = app.local_store("link owners")
    if accept_file is not None:
        rows = read_review(accept_file, app.base)
        counts = apply_review(store, app.base, rows, accept_file.name, link_software())
        say("done", "bold green", f"{counts['accepted']} accepted (owl:sameAs), "
            f"{counts['rejected']} rejected (removed) from {accept_file}")
        return
    if review_file is not None:
        check_review_writable(review_file)
    url = link_endpoint or str(s["link_endpoint"])
    endpoint = LinkEndpoint(url, rate=float(s["link_rate"] if rate is None else rate),
                            timeout=float(s["link_timeout"]))
    with working(f"linking owners at {url}"):
        # kg.link_owners: the command's own name is link_owners
        report = kg.link_owners(store, app.base, endpoint,
                                threshold=float(s["link_threshold"] if threshold is None
                                                else threshold),
                                batch=int(s["link_batch"] if batch is None else batch))
    if review_file is not None:
        written = write_review(report.decisions, review_file)
        say("review", "bold", f"{written} rows written to {review_file}")
    say("done", "bold green", f"{report}; {endpoint.requests} requests"
        + (f" ({endpoint.retried} retried)" if endpoint.retried else ""))



@link.command("population")
@click.option("--endpoint", "link_endpoint", metavar="URL",
              help="Wikidata-compatible SPARQL endpoint [default: the link_endpoint setting].")
@click.option("--rate", type=click.FloatRange(min=0),
              help="Most requests per second, 0 for no limit [default: link_rate setting].")
@pass_app
def link_population(app: App, link_endpoint: str | None, rate: float | None) -> None:
    """Regions' population from Wikidata (P1082 at P585) into {base}links/wikidata-population,
    beside the official table; prints both, side by side, as CSV."""
    s = app.settings
    url = link_endpoint or str(s["link_endpoint"])
    endpoint = LinkEndpoint(url, rate=float(s["link_rate"] if rate is None else rate),
                            timeout=float(s["link_timeout"]))
    figures = kg.link_population(app.local_store("link population"), app.base, endpoint)
    click.echo("region,year,wikidata,official,difference")
    for region, year, wd, known, diff in compare_population(figures):
        click.echo(f"{region},{year},{wd},{'' if known is None else known},"
                   f"{'' if diff is None else f'{diff:.6f}'}")
    say("done", "bold green", f"{len(figures)} region-years from {url} written to "
        f"{population_graph(app.base).value}")

def main() -> None:
    # `hvp export | head`: end quietly when the reader goes, as other Unix tools do
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli(prog_name="hvp")


if __name__ == "__main__":
    main()

