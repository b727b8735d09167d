"""Commands on classification: ``hvp classify``, ``explain``, ``indicators``, ``profiles``."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from kg import (
    POPULATION_SOURCES,
    InputError,
    LocalStore,
    Store,
    classification_csv,
    classification_json,
    classify_patents,
    compute_indicators,
    explain_patent,
    load_profile,
    materialize_cube,
    parse_date,
    parse_years,
    progress_step,
    resolve_profile,
    shipped_profiles,
    write_indicators,
)
from kg.cli.app import App, pass_app, progress_bar, say
from kg.cli.output import check_output, write_stream, write_text

PROFILE_HELP = ("Criteria profile: a name under shapes/profiles/ or a Turtle file [default: the "
                "profile setting (--config file, HVP_PROFILE), else cnipa-2021].")


def _read_only(store: Store) -> bool:
    """Whether the store is open read only beside the process that holds it (`hvp serve`)."""
    return isinstance(store, LocalStore) and store.read_only


@click.command()
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
    check_output(output)
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
    write_stream(output, lambda out: write_indicators(result, fmt, out, app.base))


def _as_of(ctx: click.Context, param: click.Parameter, value: str) -> date:
    """Parse ``--as-of`` (an ISO date) or fail with exit code 2."""
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
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
    check_output(output)
    store = app.store()
    keep = not _read_only(store)  # beside a running server: computed, not stored
    if not keep and fmt == "ttl" and isinstance(store, LocalStore):
        store.refuse_writes()
    label = f"classifying at {as_of} ({criteria.name}, {engine})"
    with progress_bar() as update, progress_step(update, label):
        result = classify_patents(store, as_of, profile=criteria, engine=engine, base=app.base,
                                  store_graph=keep, progress=update)
    high = sum(1 for r in result.rows if r.valid and r.domestic and r.high_value)
    say("classified", "green", f"{len(result.rows):,} invention patents at {as_of}: {high:,} "
        "valid, domestic and high-value; " + (f"stored in <{result.graph}>" if keep else
                                              "not stored (the store is read only)"))
    if fmt == "csv":
        write_text(classification_csv(result.rows), output)
    elif fmt == "json":
        write_text(classification_json(result), output)
    else:
        buffer = io.BytesIO()
        store.dump(buffer, ox.RdfFormat.TURTLE, ox.NamedNode(result.graph))
        write_text(buffer.getvalue().decode("utf-8"), output)


@click.command()
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


@click.command()
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
