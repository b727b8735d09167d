"""``/indicators``: the dashboard of high-value invention patents per 10,000 people.

A bar chart and a sortable table of the provinces for a chosen year (each one's share of the
nation's high-value patents, and how many of them meet the SEI criterion; the nation's row at the
foot), the nation's patents by criterion met, the national series with the official values beside
the computed ones, a province's series, and downloads (CSV with names and the official column,
JSON, the Data Cube as Turtle). Every count links to the patents behind it (:mod:`web.listing`).
The populations are the official ones, or with ``?population=wikidata`` (offered only when the
store has them: ``hvp link population``) Wikidata's; the page says which.
Numbers come from :func:`kg.indicators.compute`, which materializes the classification of each
year-end on first use (then cached until the store changes), and the counts by criterion from
:func:`kg.indicators.patents.criterion_counts` over the same graph.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from kg import (
    POPULATION_SOURCES,
    InputError,
    Word,
    classification_complete,
    classification_iri,
    compute_indicators,
    criterion_counts,
    cube_turtle,
    indicators_csv,
    indicators_json,
    official_per_10k,
    parse_years,
    population_sources,
    profile_name,
    with_population,
)
from web import labels, negotiate, spreadsheet
from web.echo import clip
from web.errors import Problem
from web.i18n import gettext, ngettext
from web.service import service

bp = Blueprint("indicators", __name__)

YEARS = "2020-2025"
DOWNLOADS = {"csv": "text/csv", "json": "application/json", "ttl": "text/turtle"}
#: What ``/indicators`` answers by ``Accept`` or ``?format=`` besides its page: the downloads,
#: and Turtle asked for as N3 (``text/n3``, which Turtle is a subset of, as ``/sparql`` does).
NEGOTIATED = {**DOWNLOADS, "n3": "text/n3"}


def _years() -> list[int]:
    """The years asked for (``years=A-B``; default :data:`YEARS`)."""
    return parse_years(request.args.get("years", YEARS), Word("parameter 'years'"))


def _sources() -> list[str]:
    """The population sources the store has figures of (official always; wikidata after
    ``hvp link population``)."""
    svc = service()
    return population_sources(svc.store(), svc.base)  # type: ignore[no-any-return]


def _population(sources: list[str]) -> str:
    """The population source asked for (``population=``; default official), if it has
    figures in the store."""
    asked = request.args.get("population") or "official"
    if asked not in POPULATION_SOURCES:
        raise InputError("parameter 'population' must be one of %(population_sources)s, got "
                         "%(asked)s",
                         population_sources=', '.join(POPULATION_SOURCES), asked=clip(asked))
    if asked not in sources:
        raise InputError("parameter 'population': the store has no %(asked)s population "
                         "figures (run `hvp link population` to read Wikidata's)", asked=asked)
    return asked


def _compute(years: list[int], population: str) -> Any:
    svc = service()
    key = ("indicators", str(svc.settings["profile"]), tuple(years), population)
    result = svc.cache.get(key)  # one read: another page may clear the cache at any time
    if result is None:
        # only the years with figures: see with_population
        result = svc.computed(key, Word("indicators"), lambda store: compute_indicators(
            store, with_population(store, years, population, svc.base),
            profile=str(svc.settings["profile"]), base=svc.base, population=population))
        svc.cache[key] = result
    return result


def _year(result: Any, asked: list[int]) -> int:
    """The chosen year; by default the last with province rows (a year with only a national
    population, such as the latest official one, would show an empty map of provinces), or
    the last year asked for when none has a population (the page then says that none has)."""
    present = sorted({r.year for r in result.rows})
    provincial = sorted({r.year for r in result.rows if r.region != "CN"}) or present or asked
    raw = request.args.get("year") or str(provincial[-1])
    try:
        year = int(raw)
    except ValueError:
        raise InputError("parameter 'year': %(raw)s is not a year", raw=clip(raw)) from None
    if present and year not in present:
        raise InputError("parameter 'year': no indicator for %(year)s; years with a "
                         "population: %(present)s", year=year,
                         present=", ".join(map(str, present)))
    return year


@bp.route("/indicators")
def dashboard() -> Response:
    """The dashboard; a download for a client that asks for one (``Accept`` or ``format=``)."""
    asked = _years()
    sources = _sources()
    population = _population(sources)
    fmt = negotiate.download(request.args.get("format"), request.accept_mimetypes, NEGOTIATED)
    if fmt is not None:
        return download("ttl" if fmt == "n3" else fmt)
    result = _compute(asked, population)
    year = _year(result, asked)
    names = labels.regions()
    rows = [{**_row(r), "name": names.get(r.region, r.region)} for r in result.rows]
    nation = next((r for r in rows if r["region"] == "CN" and r["year"] == year), None)
    criteria = _criterion_counts(year) if any(r["year"] == year for r in rows) else {}
    provinces = sorted((_shares(r, nation, criteria) for r in rows
                        if r["region"] != "CN" and r["year"] == year),
                       key=lambda r: -r["per_10k"])
    national = [r for r in rows if r["region"] == "CN"]
    series = {"national": [{"year": r["year"], "computed": r["per_10k"],
                            "count": r["high_value_count"],
                            "official": official_per_10k().get(r["year"])} for r in national],
              "provinces": provinces, "all": rows, "year": year,
              "labels": {"per10k": gettext("per 10,000 people, %(year)s", year=year),
                         "computed": gettext("computed"), "official": gettext("official"),
                         "nation": gettext("China (computed)")}}
    chosen: dict[str, Any] = {} if population == "official" else {"population": population}
    links = {f: url_for("indicators.download", fmt=f, years=request.args.get("years", YEARS),
                        **chosen) for f in DOWNLOADS}
    every_province = sorted({r["region"]: r for r in rows if r["region"] != "CN"}.values(),
                            key=lambda r: r["name"])  # any year's: the province series
    # the years with province figures: a year with the nation's alone (the latest official
    # population) has no table to show; its national figure is in the series
    years = sorted({r["year"] for r in rows if r["region"] != "CN"}) \
        or sorted({r["year"] for r in rows}) or asked
    html = render_template("indicators.html", year=year, provinces=provinces,
                           every_province=every_province,
                           nation=nation and _shares(nation, nation, criteria),
                           national=series["national"],
                           criteria=_criteria_rows(criteria, nation),
                           warnings=[_warning(w, names) for w in result.warnings_in(year)],
                           years=years,
                           downloads=links, data=series, profile=result.profile,
                           population=population, sources=sources,
                           source_names=_source_names())
    return Response(html, mimetype="text/html")


def _source_names() -> dict[str, str]:
    """Each population source's name in the reader's language."""
    return {"official": gettext("official year-end resident population (NBS, or the store's "
                                "population.csv)"),
            "wikidata": gettext("Wikidata (population P1082 at a point in time P585 in the "
                                "year)")}


#: The warnings of kg.indicators about a region without a population (its figures read back).
_NO_POPULATION = re.compile(r"(CN(?:-\w+)?) (\d{4}): (\d+) high-value patents but no population")
_NO_WIKIDATA = re.compile(r"(CN(?:-\w+)?) (\d{4}): (\d+) high-value patents but no Wikidata "
                          r"population")


def _warning(text: str, names: dict[str, str]) -> str:
    """A warning of the computation in the reader's language (as it came, if not known)."""
    wikidata = _NO_WIKIDATA.match(text)
    if wikidata is not None:
        code, year, count = wikidata.groups()
        return ngettext("%(region)s (%(code)s): %(num)s high-value patent in %(year)s but no "
                        "Wikidata population for that year; no indicator (`hvp link "
                        "population` prints the years Wikidata has)",
                        "%(region)s (%(code)s): %(num)s high-value patents in %(year)s but no "
                        "Wikidata population for that year; no indicator (`hvp link "
                        "population` prints the years Wikidata has)",
                        int(count), region=names.get(code, code), code=code, year=year)
    found = _NO_POPULATION.match(text)
    if found is None:
        return text
    code, year, count = found.groups()
    return ngettext("%(region)s (%(code)s): %(num)s high-value patent in %(year)s but no "
                    "population; no indicator (add %(row)s to a population.csv)",
                    "%(region)s (%(code)s): %(num)s high-value patents in %(year)s but no "
                    "population; no indicator (add %(row)s to a population.csv)",
                    int(count), region=names.get(code, code), code=code, year=year,
                    row=",".join((code, year, "N")))


def _criterion_counts(year: int) -> dict[str, dict[str, int]]:
    """Region -> criterion key -> high-value patents meeting it at the year's end (cached)."""
    svc = service()
    profile = str(svc.settings["profile"])
    key = ("criterion counts", profile, year)
    counts = svc.cache.get(key)  # one read (see _compute)
    if counts is None:
        as_of = date(year, 12, 31)
        stored = classification_complete(svc.store(), classification_iri(
            svc.base, profile_name(profile), as_of))
        counts = svc.computed(key, Word("classification"), lambda store: criterion_counts(
            store, as_of, profile=svc.profile(), base=svc.base), computes=not stored)
        svc.cache[key] = counts
    return counts  # type: ignore[no-any-return]


def _shares(row: dict[str, Any], nation: dict[str, Any] | None,
            criteria: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A region's row with its share of the nation's high-value patents, and the count and
    share of its own high-value patents that meet the SEI criterion."""
    n = row["high_value_count"]
    sei = criteria.get(row["region"], {}).get("sei", 0)
    whole = nation["high_value_count"] if nation else 0
    return {**row, "share": n / whole if whole else None, "sei": sei,
            "sei_share": sei / n if n else None}


def _criteria_rows(criteria: dict[str, dict[str, int]],
                   nation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The nation's high-value patents by criterion met, in the profile's order, with the
    share of the nation's high-value patents that meets each."""
    if nation is None:
        return []
    names = labels.criteria()
    whole = nation["high_value_count"]
    counts = criteria.get("CN", {})
    return [{"key": c.key, "name": names.get(c.key, c.key), "count": counts.get(c.key, 0),
             "share": counts.get(c.key, 0) / whole if whole else None}
            for c in service().profile().criteria]


def _row(r: Any) -> dict[str, Any]:
    return {"region": r.region, "year": r.year, "high_value_count": r.high_value_count,
            "population": r.population, "per_10k": r.per_10k}


#: The columns the CSV download adds after those of docs/rules.md §4 (``hvp indicators``).
CSV_EXTRA = ("region_label", "official_per_10k")


def _csv(result: Any) -> str:
    """docs/rules.md §4's columns, then the region's name (the request's language) and, on the
    nation's rows, the official value (kg.official) to set beside the computed one."""
    names, published = labels.regions(), official_per_10k()
    lines = list(csv.reader(io.StringIO(indicators_csv(result))))
    rows = [[*lines[0], *CSV_EXTRA]] + [
        [*line, names.get(line[0], ""),
         str(published.get(int(line[1]), "")) if line[0] == "CN" else ""]
        for line in lines[1:]]
    return spreadsheet.write(rows)


@bp.route("/indicators.<fmt>")
def download(fmt: str) -> Response:
    if fmt not in DOWNLOADS:
        raise Problem(406, "Not Acceptable", "indicators.%(fmt)s: available %(names)s",
                      available=list(DOWNLOADS), params={
                          "fmt": fmt, "names": ", ".join(f"indicators.{f}" for f in DOWNLOADS)})

    result = _compute(_years(), _population(_sources()))
    by = request.args.get("by", "all")
    result = result.select(by, Word("parameter 'by'"))
    if fmt == "ttl":
        body: str | bytes = cube_turtle(result, service().base)
    else:
        body = _csv(result) if fmt == "csv" else indicators_json(result)
    response = Response(body, mimetype=DOWNLOADS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="indicators.{fmt}"'
    return response
