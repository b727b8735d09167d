"""hvp-kg: a knowledge graph of high-value invention patents.

The public API: what the ``hvp`` command, the web app and the benchmarks use, and all a program
needs. Import it from here (``from kg import LocalStore, classify_patents``); the submodules are
the implementation and may change. ``tests/test_public_api.py`` holds ``web/``, ``bench/`` and
``kg/cli/`` to it.

Names (docs/decisions.md, entry 58): a submodule is named after its noun or its step
(``kg.classify``, ``kg.ingest``, ``kg.explain``, ``kg.validate``, ``kg.indicators``), so the
verbs are exported with their object — ``classify_patents``, ``ingest_files``,
``explain_patent``, ``validate_graph``, ``compute_indicators`` — and never shadow a submodule;
a generic name of a submodule (``load``, ``parse``, ``ensure``, ``run``, ``to_csv``) is
exported with its noun (``load_profile``, ``parse_date``, ``ensure_reference``, ``run_query``,
``classification_csv``). Types and constants keep their names.

A typical session::

    from datetime import date
    from kg import DEFAULT_BASE, LocalStore, classify_patents, ensure_reference, ingest_files

    store = LocalStore("hvp-store")            # or LocalStore() in memory
    ensure_reference(store)                    # ontology, regions, population, concordance
    ingest_files(store, ["build/demo"], base=DEFAULT_BASE)  # CSV folders or RDF files
    result = classify_patents(store, date(2024, 12, 31))
    high_value = [row.patent_id for row in result.rows if row.high_value]

Errors derive from :class:`KGError`: :class:`InputError` (bad input, with file, line and column
where there is one), :class:`QueryError`, :class:`StoreError`, ... (``kg/errors.py``); each
carries its message as a template and values, :func:`fill` puts them together.
"""

# Every name below is imported eagerly: the web app and most commands use nearly all of them.
# `import kg.cli` takes 0.52 s of CPU with them against 0.33 s without (`/usr/bin/time`, best of
# 5); pySHACL, another 0.3 s, stays a local import where validation by pySHACL runs
# (kg.validate.validate, kg.classify.engines.pyshacl_sets).

from kg.adhoc import run as run_sparql
from kg.answers import is_kept, kept_text
from kg.canned import QUERY_DIR, list_queries
from kg.canned import Result as QueryResult
from kg.canned import ensure_graphs as ensure_query_graphs
from kg.canned import graph_iris as query_graph_iris
from kg.canned import load as load_query
from kg.canned import run as run_query
from kg.classify import Classification, ClassRow
from kg.classify import classify as classify_patents
from kg.classify import ensure as ensure_classification
from kg.classify.intervals import entries as timeline_entries
from kg.classify.materialize import graph_iri as classification_iri
from kg.classify.materialize import is_complete as classification_complete
from kg.classify.materialize import prune as prune_classifications
from kg.classify.output import to_csv as classification_csv
from kg.classify.output import to_json as classification_json
from kg.classify.timeline import composed as composed_timeline_entries
from kg.classify.timeline import ensure as ensure_timeline
from kg.classify.timeline import graph_iri as timeline_iri
from kg.classify.year_tally import Counter as YearTallyCounter
from kg.classify.year_tally import full as count_year_tally
from kg.classify.year_tally import literal as year_tally_literal
from kg.dataset import PREFIXES as DATASET_PREFIXES
from kg.dataset import VOID, dataset_iri
from kg.dataset import Description as DatasetDescription
from kg.dataset import graph_iri as dataset_graph_iri
from kg.dataset import quads as dataset_quads
from kg.dataset import read as read_dataset
from kg.dates import DEFAULT_AS_OF
from kg.dates import parse as parse_date
from kg.demo import DemoSummary
from kg.demo import generate as generate_demo
from kg.endpoint import EndpointStore
from kg.engines.copy import data_copy as endpoint_data_copy
from kg.engines.doctor import Verdict
from kg.engines.doctor import require as require_probes
from kg.engines.doctor import run as run_doctor
from kg.engines.load import ingest_remote as ingest_into_endpoint
from kg.errors import (
    Busy,
    CompileError,
    InputError,
    KGError,
    LimitExceeded,
    NotFound,
    QueryError,
    QueryTimeout,
    Queued,
    Refused,
    RowError,
    ServiceFailed,
    StoreError,
    StoreInUse,
    TooLarge,
    Word,
    fill,
)
from kg.evaluation import failure as evaluation_error
from kg.explain import CriterionCheck, Explanation
from kg.explain import explain as explain_patent
from kg.federation import IRI as SPARQL_IRI
from kg.federation import TOKENS as SPARQL_TOKENS
from kg.federation import allowed as federation_allowed
from kg.federation import check as check_federation
from kg.federation import federated as is_federated
from kg.folders import ONTOLOGY as ONTOLOGY_DIR
from kg.generations import forget_base, serve_lock
from kg.generations import home as store_home
from kg.generations import ident as data_ident
from kg.indicators import (
    NATION,
    Indicator,
    IndicatorSet,
    parse_years,
    profile_name,
    with_population,
)
from kg.indicators import compute as compute_indicators
from kg.indicators import to_csv as indicators_csv
from kg.indicators import to_json as indicators_json
from kg.indicators import write as write_indicators
from kg.indicators.cube import materialize as materialize_cube
from kg.indicators.cube import to_turtle as cube_turtle
from kg.indicators.patents import check as check_patent_filters
from kg.indicators.patents import criterion_counts
from kg.indicators.patents import find as find_patents
from kg.indicators.patents import key as patents_key
from kg.indicators.patents import page as patents_page
from kg.indicators.patents import rows as patents_rows
from kg.indicators.population import SOURCES as POPULATION_SOURCES
from kg.indicators.population import available as population_sources
from kg.ingest import IngestReport, drop_derived
from kg.ingest import ingest as ingest_files
from kg.ingest.changes import update_checked
from kg.iri import DEFAULT_BASE, PROFILE_NS, derived_prefix, mint
from kg.iri import KINDS as IRI_KINDS
from kg.iri import parse as parse_iri
from kg.iri import segment as iri_segment
from kg.link.client import Endpoint as LinkEndpoint
from kg.link.graph import links_graph
from kg.link.index import OwnerEntry, OwnerIndex
from kg.link.names import core as name_core
from kg.link.names import key as name_key
from kg.link.names import simplified as simplified_name
from kg.link.owners import link as link_owners
from kg.link.owners import software as link_software
from kg.link.population import compare as compare_population
from kg.link.population import link as link_population
from kg.link.population import population_graph
from kg.link.review import apply as apply_review
from kg.link.review import check_writable as check_review_writable
from kg.link.review import read as read_review
from kg.link.review import write as write_review
from kg.official import per_10k as official_per_10k
from kg.parser_lock import SPARQL_PARSER
from kg.permalinks import LENGTH as PERMALINK_LENGTH
from kg.permalinks import Permalinks
from kg.permalinks import file_for as permalinks_file
from kg.profiles import Profile
from kg.profiles import load as load_profile
from kg.profiles import resolve as resolve_profile
from kg.profiles import shipped as shipped_profiles
from kg.progress import Progress
from kg.progress import reporter as progress_reporter
from kg.progress import step as progress_step
from kg.protocol import Row, Store, Term
from kg.reference import GENID
from kg.reference import ensure as ensure_reference
from kg.reference import is_loaded as reference_loaded
from kg.search import KINDS as SEARCH_KINDS
from kg.search import MAX_LIMIT as SEARCH_MAX_LIMIT
from kg.search import checked as search_checked
from kg.search import ensure as ensure_search_index
from kg.search import index_path as search_index_path
from kg.search import search as search_index
from kg.settings import SETTINGS
from kg.settings import load as load_settings
from kg.stats import counts as store_counts
from kg.store import (
    MEMORY,
    LocalStore,
    check_endpoint,
    derived_writes,
    open_store,
    recover_store,
    remove_store,
    resolve_store,
    staged,
    staged_beside,
    store_setting,
)
from kg.units import NAMESPACES as UNIT_NAMESPACES
from kg.units import Unit
from kg.units import unit as load_unit
from kg.validate import data_graph, load_shapes
from kg.validate import validate as validate_graph
from kg.validate.compiled import results as compiled_results
from kg.validate.report import TextReport, TurtleReport
from kg.vocab import (
    AWARD_KIND,
    DCTERMS,
    HVP,
    HVP_NS,
    OWL,
    PREFIXES,
    RDF,
    RDFS,
    SEI,
    SH,
    SKOS,
)

__all__ = [
    # stores
    "EndpointStore", "LocalStore", "MEMORY", "Row", "Store", "Term", "check_endpoint",
    "forget_base", "open_store", "recover_store", "remove_store", "require_probes",
    "serve_lock", "data_ident",
    "resolve_store", "run_doctor", "staged", "staged_beside", "store_counts", "store_home",
    "store_setting", "derived_writes", "SPARQL_PARSER",
    "Verdict",
    # settings, errors, names
    "SETTINGS", "load_settings",
    "Busy", "CompileError", "InputError", "KGError", "LimitExceeded", "NotFound", "QueryError",
    "QueryTimeout", "Queued", "Refused", "RowError", "ServiceFailed", "StoreError",
    "StoreInUse", "TooLarge", "Word", "fill", "evaluation_error",
    "DEFAULT_BASE", "IRI_KINDS", "PROFILE_NS", "derived_prefix", "iri_segment", "mint",
    "parse_iri",
    "AWARD_KIND", "DCTERMS", "HVP", "HVP_NS", "OWL", "PREFIXES", "RDF", "RDFS", "SEI", "SH",
    "SKOS",
    "DEFAULT_AS_OF", "parse_date",
    "Progress", "progress_reporter", "progress_step",
    # reference data, profiles, criteria
    "GENID", "ONTOLOGY_DIR", "ensure_reference", "reference_loaded",
    "Profile", "load_profile", "resolve_profile", "shipped_profiles",
    "UNIT_NAMESPACES", "Unit", "load_unit", "official_per_10k",
    # the pipeline
    "IngestReport", "drop_derived", "endpoint_data_copy", "ingest_files", "ingest_into_endpoint",
    "update_checked",
    "ClassRow", "Classification", "classification_complete", "classification_csv",
    "classification_iri", "classification_json", "classify_patents", "ensure_classification",
    "prune_classifications",
    "YearTallyCounter", "composed_timeline_entries", "count_year_tally", "ensure_timeline",
    "timeline_entries", "timeline_iri", "year_tally_literal",
    "CriterionCheck", "Explanation", "explain_patent",
    "Indicator", "IndicatorSet", "compute_indicators", "cube_turtle", "indicators_csv",
    "indicators_json", "materialize_cube", "parse_years", "profile_name", "with_population",
    "write_indicators", "NATION", "criterion_counts", "check_patent_filters", "find_patents",
    "patents_page", "patents_rows", "patents_key", "kept_text", "is_kept",
    "POPULATION_SOURCES", "population_sources",
    "TextReport", "TurtleReport", "compiled_results", "data_graph", "load_shapes",
    "validate_graph",
    "ensure_query_graphs", "list_queries", "load_query", "query_graph_iris", "run_query",
    "QUERY_DIR", "QueryResult",
    # provenance and search
    "DATASET_PREFIXES", "DatasetDescription", "VOID", "dataset_graph_iri", "dataset_iri",
    "dataset_quads", "read_dataset",
    "SEARCH_KINDS", "SEARCH_MAX_LIMIT", "ensure_search_index", "search_checked", "search_index",
    "search_index_path",
    "PERMALINK_LENGTH", "Permalinks", "permalinks_file",
    "run_sparql", "federation_allowed", "check_federation", "is_federated", "SPARQL_IRI",
    "SPARQL_TOKENS",
    "DemoSummary", "generate_demo",
    # links to Wikidata
    "LinkEndpoint", "OwnerEntry", "OwnerIndex", "apply_review", "check_review_writable",
    "compare_population", "link_owners", "link_population", "link_software", "links_graph",
    "name_core", "name_key", "population_graph", "read_review", "simplified_name",
    "write_review",
]
