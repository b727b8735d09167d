"""The indicators as an RDF Data Cube, materialized in ``{base}graph/indicators/{profile}``.

One ``qb:DataSet`` per profile (``{base}indicators/{profile}``) with its
``qb:DataStructureDefinition`` (``{base}indicators/{profile}/structure``), and one per profile
computed from Wikidata's populations (``hvp indicators --population wikidata``): the same IRIs
with ``/wikidata`` after the profile (graph, data set, observations), so that the two never mix:

* dimensions ``sdmx-dimension:refArea`` (the region IRI) and ``sdmx-dimension:refPeriod``
  (a ``http://reference.data.gov.uk/id/year/YYYY`` year IRI);
* measures ``hvp:highValueCount`` (patents), ``hvp:population`` (persons), ``hvp:per10k``
  (``xsd:decimal``, the same digits as the CSV);
* attributes ``sdmx-attribute:unitMeasure``, ``hvp:profile`` and ``hvp:populationSeries``
  (``hvp:OfficialPopulation`` or ``hvp:WikidataPopulation``; attached to the data set),
  ``hvp:asOf`` and ``hvp:populationSource`` (on each observation; the population observation's
  ``dcterms:source`` is copied into the graph, so the cube names where each figure comes from).

One observation per region and year: ``{base}observation/{profile}/{region}/{year}``. The
Wikidata data set also names the graph of its figures (``dcterms:source``,
``prov:wasDerivedFrom`` ``{base}links/wikidata-population``).

Every cube is written in the Recommendation's normalized form (W3C Data Cube §10): each component
specification states ``qb:componentProperty`` beside ``qb:dimension``/``qb:measure``/
``qb:attribute``, each component property its type, each observation its ``rdf:type`` and
``qb:dataSet``, and the values of the attributes attached to the data set are repeated on every
observation. The integrity constraints IC-1 to IC-21 (:mod:`kg.indicators.integrity`) hold on the
file, the stored graph and the web download as written.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pyoxigraph as ox

from kg.indicators import population as sources
from kg.indicators.core import IndicatorSet, compute, profile_name, query_text
from kg.iri import DEFAULT_BASE, PROFILE_NS, mint
from kg.store import Store, derived_replaced, derived_writes
from kg.vocab import DCTERMS, HVP, PREFIXES, QB, RDF, RDFS, SDMX_DIMENSION, XSD

YEAR = "http://reference.data.gov.uk/id/year/"
SDMX_ATTRIBUTE = "http://purl.org/linked-data/sdmx/2009/attribute#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"


def _n(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


A, DIMENSION, MEASURE, ATTRIBUTE = _n(RDF.type), _n(QB.dimension), _n(QB.measure), \
    _n(QB.attribute)
REF_AREA, REF_PERIOD = _n(SDMX_DIMENSION.refArea), _n(SDMX_DIMENSION.refPeriod)
UNIT = ox.NamedNode(SDMX_ATTRIBUTE + "unitMeasure")
#: (spec name, kind, component property, attached to the data set?)
COMPONENTS = (
    ("refArea", DIMENSION, REF_AREA, False),
    ("refPeriod", DIMENSION, REF_PERIOD, False),
    ("highValueCount", MEASURE, _n(HVP.highValueCount), False),
    ("population", MEASURE, _n(HVP.population), False),
    ("per10k", MEASURE, _n(HVP.per10k), False),
    ("unitMeasure", ATTRIBUTE, UNIT, True),
    ("profile", ATTRIBUTE, _n(HVP.profile), True),
    ("populationSeries", ATTRIBUTE, _n(HVP.populationSeries), True),
    ("asOf", ATTRIBUTE, _n(HVP.asOf), False),
    ("populationSource", ATTRIBUTE, _n(HVP.populationSource), False),
)
_CLASS = {DIMENSION: QB.DimensionProperty, MEASURE: QB.MeasureProperty,
          ATTRIBUTE: QB.AttributeProperty}


def _apart(population: str) -> tuple[str, ...]:
    """The IRI segment after the profile's name that keeps a source's cube apart (none for
    the official one: its IRIs are those of the cube before there was a choice)."""
    return () if sources.check(population) == sources.OFFICIAL else (population,)


def graph_iri(profile: str, base: str = DEFAULT_BASE,
              population: str = sources.OFFICIAL) -> ox.NamedNode:
    return ox.NamedNode(mint(base, "graph", "indicators", profile_name(profile),
                             *_apart(population)))


def dataset_iri(profile: str, base: str = DEFAULT_BASE,
                population: str = sources.OFFICIAL) -> ox.NamedNode:
    return ox.NamedNode(mint(base, "indicators", profile_name(profile), *_apart(population)))


def period_iri(year: int) -> ox.NamedNode:
    return ox.NamedNode(f"{YEAR}{year}")


#: docs/rules.md §4: per_10k unrounded, with at least this many significant digits.
SIGNIFICANT = 6


def decimal_text(value: float) -> str:
    """The float's shortest repr as an ``xsd:decimal`` lexical form: never an exponent, and
    at least 6 significant digits (docs/rules.md §4), zeros added to a short exact value:
    ``20.0`` -> ``20.0000``, ``1.42e-05`` -> ``0.0000142000``."""
    number = Decimal(repr(value))
    if len(number.as_tuple().digits) < SIGNIFICANT:
        number = number.quantize(Decimal(1).scaleb(number.adjusted() - SIGNIFICANT + 1))
    return format(number, "f")


def dataset_attributes(profile: str, population: str = sources.OFFICIAL
                       ) -> list[tuple[ox.NamedNode, ox.NamedNode]]:
    """The values of the attributes attached to the data set (``qb:componentAttachment
    qb:DataSet``), which the normalized form repeats on every observation."""
    values = {UNIT: _n(HVP.PatentsPer10000People),
              _n(HVP.profile): ox.NamedNode(PROFILE_NS + profile_name(profile)),
              _n(HVP.populationSeries): sources.series(population)}
    return [(prop, values[prop]) for _, _, prop, on_dataset in COMPONENTS if on_dataset]


def structure(profile: str, base: str = DEFAULT_BASE,
              population: str = sources.OFFICIAL) -> Iterator[ox.Triple]:
    """The data set, its structure definition and the declared component properties."""
    ds, name = dataset_iri(profile, base, population), profile_name(profile)
    dsd = ox.NamedNode(ds.value + "/structure")
    yield ox.Triple(ds, A, _n(QB.DataSet))
    yield ox.Triple(ds, _n(QB.structure), dsd)
    en, zh = ("", "") if population == sources.OFFICIAL else (", Wikidata population",
                                                               "，维基数据人口")
    yield ox.Triple(ds, _n(RDFS.label), ox.Literal(
        f"High-value invention patents per 10,000 people ({name}{en})", language="en"))
    yield ox.Triple(ds, _n(RDFS.label), ox.Literal(f"每万人口高价值发明专利拥有量（{name}{zh}）",
                                                   language="zh"))
    for prop, value in dataset_attributes(profile, population):
        yield ox.Triple(ds, prop, value)
    figures = sources.graph(population, base)
    for source in (DCTERMS.source, PROV_DERIVED):  # the data it is computed from (kg.dataset)
        yield ox.Triple(ds, _n(source), ox.NamedNode(f"{base}dataset"))
        if figures is not None:  # and the population graph it divides by
            yield ox.Triple(ds, _n(source), figures)
    yield ox.Triple(dsd, A, _n(QB.DataStructureDefinition))
    for order, (spec_name, kind, prop, on_dataset) in enumerate(COMPONENTS, start=1):
        spec = ox.NamedNode(f"{dsd.value}/{spec_name}")
        yield ox.Triple(dsd, _n(QB.component), spec)
        yield ox.Triple(spec, A, _n(QB.ComponentSpecification))
        yield ox.Triple(spec, kind, prop)
        yield ox.Triple(spec, _n(QB.componentProperty), prop)  # normalized (W3C cube §10.3)
        yield ox.Triple(prop, A, _n(_CLASS[kind]))
        if kind == DIMENSION:
            yield ox.Triple(spec, _n(QB.order), ox.Literal(order))
            # as the SDMX-RDF vocabulary declares them
            yield ox.Triple(prop, _n(RDFS.range), _n(RDFS.Resource))
        if kind == ATTRIBUTE:
            yield ox.Triple(spec, _n(QB.componentRequired), ox.Literal(True))
        if on_dataset:
            yield ox.Triple(spec, _n(QB.componentAttachment), _n(QB.DataSet))


def observations(result: IndicatorSet, base: str = DEFAULT_BASE) -> Iterator[ox.Triple]:
    """One ``qb:Observation`` per row, plus the source of each population figure."""
    population = result.population_source
    ds = dataset_iri(result.profile, base, population)
    attached = dataset_attributes(result.profile, population)
    for row in result.rows:
        obs = ox.NamedNode(mint(base, "observation", result.profile, *_apart(population),
                                row.region, str(row.year)))
        pop = ox.NamedNode(row.population_observation)
        yield ox.Triple(obs, A, _n(QB.Observation))
        yield ox.Triple(obs, _n(QB.dataSet), ds)
        yield ox.Triple(obs, REF_AREA, ox.NamedNode(mint(base, "region", row.region)))
        yield ox.Triple(obs, REF_PERIOD, period_iri(row.year))
        yield ox.Triple(obs, _n(HVP.highValueCount), ox.Literal(row.high_value_count))
        yield ox.Triple(obs, _n(HVP.population), ox.Literal(row.population))
        yield ox.Triple(obs, _n(HVP.per10k),
                        ox.Literal(decimal_text(row.per_10k), datatype=_n(XSD.decimal)))
        yield ox.Triple(obs, _n(HVP.asOf), ox.Literal(row.as_of.isoformat(),
                                                      datatype=_n(XSD.date)))
        yield ox.Triple(obs, _n(HVP.populationSource), pop)
        for prop, value in attached:  # normalized form (W3C Data Cube §10.2, phase 2)
            yield ox.Triple(obs, prop, value)
        if row.population_reference and population == sources.WIKIDATA:  # the statement
            yield ox.Triple(pop, _n(DCTERMS.source), ox.NamedNode(row.population_reference))
        elif row.population_reference:
            yield ox.Triple(pop, _n(DCTERMS.source), ox.Literal(row.population_reference))


def triples(result: IndicatorSet, base: str = DEFAULT_BASE) -> list[ox.Triple]:
    """The whole cube of a result: structure and observations."""
    return [*structure(result.profile, base, result.population_source),
            *observations(result, base)]


def to_turtle(result: IndicatorSet, base: str = DEFAULT_BASE) -> bytes:
    """The indicators as an RDF Data Cube in Turtle (what ``/indicators.ttl`` answers)."""
    prefixes = dict(PREFIXES, **{"sdmx-attribute": SDMX_ATTRIBUTE, "year": YEAR})
    ordered = sorted(triples(result, base), key=lambda t: str(t.subject))  # groups subjects
    return ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""


def materialize(store: Store, result: IndicatorSet, base: str = DEFAULT_BASE) -> ox.NamedNode:
    """Write (or replace) the result's years in the profile's cube graph; returns the graph."""
    population = result.population_source
    graph = graph_iri(result.profile, base, population)
    if {r.year for r in result.rows} & present_years(store, result.profile, base, population):
        derived_replaced(store)  # answers may have read the observations it replaces
    with derived_writes():
        for year in sorted({r.year for r in result.rows}):
            store.update(f"DELETE {{ GRAPH {graph} {{ ?obs ?p ?o }} }} WHERE {{ GRAPH {graph} {{ "
                         f"?obs {REF_PERIOD} {period_iri(year)} ; ?p ?o }} }}")
        store.add(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples(result, base))
        store.update(f"DELETE WHERE {{ GRAPH {graph} {{ {graph} {_n(DCTERMS.modified)} ?t }} }}")
        store.add(ox.Quad(t.subject, t.predicate, t.object, graph)
                  for t in graph_node(graph, result.profile, population))
    store.flush()
    return graph


def graph_node(graph: ox.NamedNode, profile: str,
               population: str = sources.OFFICIAL) -> Iterator[ox.Triple]:
    """What the cube graph says about itself (its IRI dereferences like any other)."""
    name = profile_name(profile)
    en = "" if population == sources.OFFICIAL else ", Wikidata population"
    yield ox.Triple(graph, _n(RDFS.label), ox.Literal(
        f"Indicator cube graph ({name}{en})", language="en"))
    yield ox.Triple(graph, _n(HVP.profile), ox.NamedNode(PROFILE_NS + name))
    yield ox.Triple(graph, _n(HVP.populationSeries), sources.series(population))
    yield ox.Triple(graph, _n(DCTERMS.modified), ox.Literal(
        datetime.now(UTC).replace(microsecond=0).isoformat(), datatype=_n(XSD.dateTime)))


def present_years(store: Store, profile: str, base: str = DEFAULT_BASE,
                  population: str = sources.OFFICIAL) -> set[int]:
    """Years that already have observations in the cube graph."""
    rows = store.select(query_text("years"), {"graph": graph_iri(profile, base, population)})
    return {int(r["period"].value.rpartition("/")[2]) for r in rows}


def ensure(store: Store, years: Iterable[int], profile: str = "cnipa-2021",
           base: str = DEFAULT_BASE, population: str = sources.OFFICIAL) -> ox.NamedNode:
    """The cube graph, after computing the years it does not hold yet."""
    missing = sorted(set(years) - present_years(store, profile, base, population))
    if missing:
        materialize(store, compute(store, missing, profile=profile, base=base,
                                   population=population), base)
    return graph_iri(profile, base, population)


def stored(store: Store, profile: str, base: str = DEFAULT_BASE,
           population: str = sources.OFFICIAL) -> list[ox.Triple]:
    """The triples of the profile's materialized cube graph."""
    buffer = io.BytesIO()
    store.dump(buffer, ox.RdfFormat.N_TRIPLES, graph_iri(profile, base, population))
    return [q.triple for q in ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_TRIPLES)]
