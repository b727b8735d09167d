"""``/indicators``: the dashboard of high-value invention patents per 10,000 people.

A bar chart and a sortable table of the provinces for a chosen year, the national series with the
official values beside the computed ones, a province's series, and downloads (CSV, JSON, the Data
Cube as Turtle). Numbers come from :func:`kg.indicators.compute`, which materializes the
classification of each year-end on first use (then cached until the store changes).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from kg import official
from kg.errors import InputError
from web import spreadsheet
from web.errors import Problem, clip
from web.service import service

bp = Blueprint("indicators", __name__)

YEARS = "2020-2025"
DOWNLOADS = {"csv": "text/csv", "json": "application/json", "ttl": "text/turtle"}


def _years() -> list[int]:
    """The years asked for (``years=A-B``; default :data:`YEARS`)."""
    from kg import indicators

    return indicators.parse_years(request.args.get("years", YEARS), "parameter 'years'")


def _compute(years: list[int]) -> Any:
    from kg import indicators

    svc = service()
    key = ("indicators", str(svc.settings["profile"]), tuple(years))
    result = svc.cache.get(key)  # one read: another page may clear the cache at any time
    if result is None:
        # only the years with figures: see with_population
        result = svc.computed(key, "indicators", lambda store: indicators.compute(
            store, indicators.with_population(store, years),
            profile=str(svc.settings["profile"]), base=svc.base))
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
        raise InputError(f"parameter 'year': {clip(raw)} is not a year") from None
    if present and year not in present:
        raise InputError(f"parameter 'year': no indicator for {year}; years with a population: "
                         + ", ".join(map(str, present)))
    return year


@bp.route("/indicators")
def dashboard() -> Response:
    asked = _years()
    result = _compute(asked)
    year = _year(result, asked)
    names = _names()
    rows = [{**_row(r), "name": names.get(r.region, r.region)} for r in result.rows]
    provinces = sorted((r for r in rows if r["region"] != "CN" and r["year"] == year),
                       key=lambda r: -r["per_10k"])
    national = [r for r in rows if r["region"] == "CN"]
    series = {"national": [{"year": r["year"], "computed": r["per_10k"],
                            "official": official.per_10k().get(r["year"])} for r in national],
              "provinces": provinces, "all": rows, "year": year}
    links = {f: url_for("indicators.download", fmt=f, years=request.args.get("years", YEARS))
             for f in DOWNLOADS}
    every_province = sorted({r["region"]: r for r in rows if r["region"] != "CN"}.values(),
                            key=lambda r: r["name"])  # any year's: the province series
    html = render_template("indicators.html", year=year, provinces=provinces,
                           every_province=every_province,
                           national=series["national"],
                           warnings=result.warnings_in(year),
                           years=sorted({r["year"] for r in rows}) or asked,
                           downloads=links,
                           data=series, profile=result.profile)
    return Response(html, mimetype="text/html")


#: Region names in English (rdfs:label of the regions, reference data).
NAMES = """SELECT ?code ?name WHERE { ?region a <https://w3id.org/hvp/def#Region> ;
  <http://www.w3.org/2004/02/skos/core#notation> ?code ;
  <http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(LANGMATCHES(LANG(?name), "en")) }"""


def _names() -> dict[str, str]:
    svc = service()
    names: dict[str, str] | None = svc.cache.get("region names")  # one read (see _compute)
    if names is None:
        names = {r["code"].value: r["name"].value for r in svc.store().select(NAMES)}
        svc.cache["region names"] = names
    return names


def _row(r: Any) -> dict[str, Any]:
    return {"region": r.region, "year": r.year, "high_value_count": r.high_value_count,
            "population": r.population, "per_10k": r.per_10k}


@bp.route("/indicators.<fmt>")
def download(fmt: str) -> Response:
    if fmt not in DOWNLOADS:
        raise Problem(406, "Not Acceptable", f"indicators.{fmt}: available "
                      + ", ".join(f"indicators.{f}" for f in DOWNLOADS), available=list(DOWNLOADS))
    from kg import indicators

    result = _compute(_years())
    by = request.args.get("by", "all")
    result = result.select(by, "parameter 'by'")
    if fmt == "ttl":
        body: str | bytes = indicators.cube.to_turtle(result, service().base)
    else:
        body = spreadsheet.safe(indicators.to_csv(result)) if fmt == "csv" \
            else indicators.to_json(result)
    response = Response(body, mimetype=DOWNLOADS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="indicators.{fmt}"'
    return response
