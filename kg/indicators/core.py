"""Per-capita indicators: high-value counts per region and year, divided by population.

Every year asked is counted at ``Y-12-31`` from the profile's timeline (each patent's high-value
interval, :mod:`kg.classify.timeline`): read from its year tally when it is kept
(:mod:`kg.classify.year_tally`, brought up to date by the patents a delta reached), else by one
GROUP BY over the intervals joined with the year-end dates: valid, domestic, high-value
patents; the nation (``CN``) counts all of them, including those with an unknown region; a
province counts those attributed to it (docs/rules.md §1-§2). A region gets a
row only when it has a population observation for ``Y`` in the chosen source
(:mod:`kg.indicators.population`: the official table, or Wikidata's figures); a region with
high-value patents but no population gets a warning instead, and with Wikidata's figures so does
a region the official table has but Wikidata has not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from kg import answers, classify
from kg.classify import graph_iri, materialize, timeline, year_tally
from kg.errors import InputError
from kg.indicators import population as sources
from kg.iri import DEFAULT_BASE
from kg.profiles import load, resolve
from kg.progress import Progress, step
from kg.store import LocalStore, Store

NATION = "CN"
#: ``--by`` choices: ``all`` = the nation and every province, ``nation`` = CN only,
#: ``province`` = provinces only (CN excluded).
SCOPES = ("all", "nation", "province")
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Indicator:
    """One region and year: the count, the population and the unrounded value per 10,000."""

    region: str
    year: int
    high_value_count: int
    population: int
    as_of: date
    population_observation: str
    population_reference: str  # the observation's own dcterms:source (a file, a statement)

    @property
    def per_10k(self) -> float:
        """Exactly ``high_value_count / population * 10000`` (a float, never rounded)."""
        return self.high_value_count / self.population * 10000


@dataclass
class IndicatorSet:
    """Rows (year, then CN first, then provinces by code) and warnings of one computation;
    ``population_source``: where every row's population comes from
    (:data:`kg.indicators.population.SOURCES`)."""

    profile: str
    rows: list[Indicator] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    population_source: str = sources.OFFICIAL

    def select(self, by: str, name: str = "--by") -> IndicatorSet:
        """Only the rows and warnings of a scope (see :data:`SCOPES`); ``name``: the option or
        parameter that gave it, for the error."""
        if by not in SCOPES:
            raise InputError("%(name)s must be one of %(scopes)s, got %(by)r",
                             name=name, scopes=', '.join(SCOPES), by=by)
        def kept(region: str) -> bool:
            return by == "all" or (region == NATION) == (by == "nation")

        # a warning is about the region it begins with ("CN-XZ 2024: ..."): only the scope's
        return IndicatorSet(self.profile, [r for r in self.rows if kept(r.region)],
                            [w for w in self.warnings if kept(w.partition(" ")[0])],
                            self.population_source)

    def warnings_in(self, year: int) -> list[str]:
        """The warnings about ``year`` (each begins ``REGION YEAR:``, see :func:`compute`)."""
        return [w for w in self.warnings if w.partition(":")[0].endswith(f" {year}")]


@cache
def query_text(name: str) -> str:
    """The text of one of this package's internal ``.rq`` files."""
    return (HERE / f"{name}.rq").read_text(encoding="utf-8")


def profile_name(profile: str) -> str:
    """The name a profile is known by in IRIs (a Turtle file's stem, as ``kg.profiles``)."""
    return resolve(profile).stem


def parse_years(text: str, name: str = "--years") -> list[int]:
    """``"2024"`` -> [2024]; ``"2020-2024"`` -> [2020, ..., 2024]; a bad range is an InputError
    (``name``: the option or parameter that gave it)."""
    first, sep, last = text.strip().partition("-")
    try:
        start, end = int(first), int(last) if sep else int(first)
    except ValueError:
        raise InputError("%(name)s must be YEAR or FIRST-LAST (e.g. 2020-2024), got %(text)r",
                         name=name, text=text) from None
    if not 1900 <= start <= end <= 2200:
        raise InputError("%(name)s %(text)r: need 1900 <= FIRST <= LAST <= 2200",
                         name=name, text=text)
    return list(range(start, end + 1))


def compute(store: Store, years: Iterable[int], *, profile: str = "cnipa-2021",
            base: str = DEFAULT_BASE, keep_classifications: bool = True,
            progress: Callable[[int, int], None] | None = None,
            steps: Progress | None = None, population: str = sources.OFFICIAL) -> IndicatorSet:
    """The indicator rows of every region with a population in the source ``population``
    (:data:`kg.indicators.population.SOURCES`; ``wikidata`` needs `hvp link population` to
    have run: an InputError otherwise), for each year: computed now, or read back from the
    answers kept beside an on-disk store for its current data, each source's apart
    (:mod:`kg.answers`; the second dashboard of a server, or the web's after `hvp
    indicators`, reads what the first computed).
    """
    years = list(years)
    sources.require(store, sources.check(population), base)
    parts = [answers.profile_key(profile), base, population, *map(str, years)]
    name = "indicators-" + hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    computed: list[IndicatorSet] = []

    def run() -> bytes:
        computed.append(_compute(store, years, profile=profile, base=base,
                                 keep_classifications=keep_classifications, progress=progress,
                                 steps=steps, population=population))
        return _to_json(computed[0])

    data = answers.kept_bytes(store, f"{name}.json", run)
    if computed:
        return computed[0]
    if progress:
        progress(len(years), len(years))
    return _from_json(data)


def _to_json(result: IndicatorSet) -> bytes:
    rows = [[r.region, r.year, r.high_value_count, r.population, r.as_of.isoformat(),
             r.population_observation, r.population_reference] for r in result.rows]
    return json.dumps({"profile": result.profile, "rows": rows, "warnings": result.warnings,
                       "population_source": result.population_source},
                      ensure_ascii=False).encode("utf-8")


def _from_json(data: bytes) -> IndicatorSet:
    kept = json.loads(data)
    rows = [Indicator(region, year, count, people, date.fromisoformat(as_of), obs, source)
            for region, year, count, people, as_of, obs, source in kept["rows"]]
    return IndicatorSet(kept["profile"], rows, list(kept["warnings"]), kept["population_source"])


def _compute(store: Store, years: Iterable[int], *, profile: str = "cnipa-2021",
             base: str = DEFAULT_BASE, keep_classifications: bool = True,
             progress: Callable[[int, int], None] | None = None,
             steps: Progress | None = None, population: str = sources.OFFICIAL) -> IndicatorSet:
    """The indicator rows of every region with a population, for each year, computed.

    Every year is counted by one GROUP BY over the profile's timeline (each patent's
    high-value interval, :mod:`kg.classify.timeline`), joined with the year-end dates: no
    classification per year. The timeline is kept as a graph and brought up to date
    (``keep_classifications``, the default), or nested in the counting query and nothing
    written (an in-memory store never gives memory back). A profile with a criterion that
    has no onset query is counted from a classification at each year's end instead.
    ``progress(years_done, years)`` is called before the years and after each; ``steps``
    (:data:`kg.progress.Progress`) hears about the timeline's work.
    """
    result = IndicatorSet(profile_name(profile), population_source=population)
    years = list(years)
    if progress:
        progress(0, len(years))
    by_year = _year_counts(store, years, profile, base, keep_classifications, steps)
    for done, year in enumerate(years, start=1):
        as_of = date(year, 12, 31)
        counts = by_year[year]
        figures = sources.figures(store, year, population, base)
        result.warnings += _missing(store, year, counts, figures, population, base)
        for region in sorted(figures, key=lambda r: (r != NATION, r)):
            obs, people, reference = figures[region]
            result.rows.append(Indicator(region, year, counts.get(region, 0), people, as_of,
                                         obs, reference))
        if progress:
            progress(done, len(years))
    return result


def _missing(store: Store, year: int, counts: dict[str, int],
             figures: dict[str, tuple[str, int, str]], population: str,
             base: str) -> list[str]:
    """The warnings of one year: each region with high-value patents but no population in the
    source; with Wikidata's figures also each region the official table has and Wikidata has
    not (its row would otherwise vanish without a word)."""
    if population == sources.OFFICIAL:
        return [f"{region} {year}: {counts[region]} high-value patents but no population "
                f"row; no indicator (add {region},{year},N to a population.csv)"
                for region in sorted(set(counts) - set(figures))]
    expected = set(counts) | set(sources.figures(store, year, sources.OFFICIAL, base))
    return [f"{region} {year}: {counts.get(region, 0)} high-value patents but no Wikidata "
            f"population for {year}; no indicator (`hvp link population` prints the years "
            "Wikidata has)" for region in sorted(expected - set(figures),
                                                 key=lambda r: (r != NATION, r))]


def _year_counts(store: Store, years: list[int], profile: str, base: str, keep: bool,
                 steps: Progress | None) -> dict[int, dict[str, int]]:
    """Year -> region code -> high-value count (the nation's under ``CN``)."""
    prof = load(profile)
    if not years:
        return {}
    if not isinstance(store, LocalStore):  # a remote engine: a classification at each year's
        # end, the queries its `hvp doctor` probes vouch for (the timeline's date arithmetic
        # is not probed yet: Virtuoso refuses its IF over dates)
        return {y: _per_date_counts(store, date(y, 12, 31), profile, base, keep) for y in years}
    try:
        text = timeline.select_text(prof, prof.instantiate(date(years[0], 12, 31)))
    except InputError as exc:  # a criterion without an onset query: per-date classification
        if steps:
            steps(f"no timeline ({exc}): classifying at each year's end", 0, None, None)
        return {y: _per_date_counts(store, date(y, 12, 31), profile, base, keep) for y in years}
    if keep and getattr(store, "read_only", False):  # a view beside the store's holder reads
        keep = timeline.current(store, prof, profile, base)  # a timeline kept, or writes none
    if keep:  # the timeline's year tally, kept up to date by the delta: no query
        counted = year_tally.read(store, timeline.ensure(store, prof, profile, base, steps))
        assert counted is not None
        by_year: dict[int, dict[str, int]] = {y: {} for y in years}
        for when, found in year_tally.counts(counted, years).items():
            for key, n in found.items():
                code = NATION if key == year_tally.NATION else sources.region_code(key)
                by_year[when][code] = by_year[when].get(code, 0) + n
        return by_year
    prologue, select = timeline.split(text)
    source = (f"{{ SELECT (?this AS ?patent) ?from ?until WHERE {{ {{ {select} }} "
              "FILTER(BOUND(?domestic)) } }")
    ends = " ".join(f'({y} "{y:04d}-12-31"^^<http://www.w3.org/2001/XMLSchema#date>)'
                    for y in years)
    where = (f"{{ {source}\n  VALUES (?year ?asOf) {{ {ends} }}\n"
             "  FILTER(?from <= ?asOf && (!BOUND(?until) || ?asOf < ?until))\n")
    head = prologue + "PREFIX hvp: <https://w3id.org/hvp/def#>\n"
    counts: dict[int, dict[str, int]] = {y: {} for y in years}
    with step(steps, f"counting {len(years)} year{'s' if len(years) != 1 else ''}"):
        for row in store.select(f"{head}SELECT ?year ?region (COUNT(DISTINCT ?patent) AS ?n) "
                                f"WHERE {where}  OPTIONAL {{ ?patent hvp:firstOwner/hvp:region "
                                "?region }\n} GROUP BY ?year ?region"):
            if "region" in row:
                code = sources.region_code(row["region"].value)
                year = counts[int(row["year"].value)]
                year[code] = year.get(code, 0) + int(row["n"].value)
        for row in store.select(f"{head}SELECT ?year (COUNT(DISTINCT ?patent) AS ?n) "
                                f"WHERE {where}}} GROUP BY ?year"):
            counts[int(row["year"].value)][NATION] = int(row["n"].value)
    return counts


def _per_date_counts(store: Store, as_of: date, profile: str, base: str,
                     keep: bool) -> dict[str, int]:
    """The counts at one date from its classification (kept as a graph, or rows counted)."""
    if keep or _has_graph(store, as_of, profile_name(profile), base):
        return _counts(store, classification_graph(store, as_of, profile, base))
    return _row_counts(store, as_of, profile, base)


def classification_graph(store: Store, as_of: date, profile: str = "cnipa-2021",
                         base: str = DEFAULT_BASE) -> ox.NamedNode:
    """The classification graph at ``as_of``, computed by ``kg.classify.ensure`` if missing."""
    graph = classify.ensure(store, as_of, profile, base)
    return graph if isinstance(graph, ox.NamedNode) else ox.NamedNode(str(graph))


def _has_graph(store: Store, as_of: date, name: str, base: str) -> bool:
    return materialize.is_complete(store, graph_iri(base, name, as_of))


def _row_counts(store: Store, as_of: date, profile: str, base: str) -> dict[str, int]:
    """Like :func:`_counts`, from a classification that is not written to the store."""
    counts: dict[str, int] = {}
    for row in classify.classify(store, as_of, profile=profile, base=base,
                                 store_graph=False).rows:
        if row.valid and row.domestic and row.high_value:
            counts[NATION] = counts.get(NATION, 0) + 1
            if row.region:
                counts[row.region] = counts.get(row.region, 0) + 1
    return counts


def _counts(store: Store, graph: ox.NamedNode) -> dict[str, int]:
    """High-value count per region code in a classification graph; the nation's under
    ``CN``."""
    bind = {"graph": graph}
    counts: dict[str, int] = {}
    for row in store.select(query_text("counts"), bind):
        if "region" in row:
            code = sources.region_code(row["region"].value)
            counts[code] = counts.get(code, 0) + int(row["n"].value)
    nation = store.select(query_text("national"), bind)
    if nation:
        counts[NATION] = int(nation[0]["n"].value)
    return counts


def with_population(store: Store, years: Iterable[int], population: str = sources.OFFICIAL,
                    base: str = DEFAULT_BASE) -> list[int]:
    """The ``years`` that have a population row (of any region) in the source ``population``:
    the only ones with an indicator. The web pages compute these alone; a visitor's
    ``2000-2030`` would otherwise classify, and store, 31 years for the five that have
    figures."""
    known = sources.years(store, population, base)
    return [y for y in years if y in known]
