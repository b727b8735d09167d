"""Commands that query the store: ``hvp query`` (canned), ``sparql`` (ad hoc), ``search``."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from kg import (
    PREFIXES,
    InputError,
    check_federation,
    ensure_search_index,
    federation_allowed,
    list_queries,
    run_query,
    run_sparql,
    search_index,
    search_index_path,
)
from kg.cli.app import App, err, finite, pass_app, progress_bar
from kg.cli.output import check_output, write_stream


@click.command()
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


@click.command()
@click.argument("query_file", metavar="QUERY_FILE|-")
@click.option("--format", "fmt", type=click.Choice(["json", "xml", "csv", "tsv", "turtle",
              "ntriples", "jsonld", "rdfxml"]), help="json, xml, csv or tsv for SELECT and "
              "ASK; turtle, ntriples, jsonld or rdfxml for CONSTRUCT and DESCRIBE [default: "
              "json, or turtle for a graph].")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (replaced only when the query is complete) [default: "
              "standard output, streamed].")
@click.option("--timeout", type=click.FloatRange(min=0), callback=finite,
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
    check_output(output)
    store = app.store()
    write_stream(output, lambda out: run_sparql(store, text, out, fmt=fmt, timeout=limit,
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


@click.command("search")
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
