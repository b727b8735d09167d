"""``hvp link``: link the store's things to open-data graphs (Wikidata)."""

from __future__ import annotations

from pathlib import Path

import click

import kg
from kg import (
    LinkEndpoint,
    apply_review,
    check_review_writable,
    compare_population,
    link_software,
    population_graph,
    read_review,
    write_review,
)
from kg.cli.app import App, pass_app, say, working


@click.group()
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
