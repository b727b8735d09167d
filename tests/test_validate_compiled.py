"""`hvp validate` compiled to SPARQL equals pySHACL's report (the reference engine).

Differential tests on a real on-disk store: demo data plus planted violations of every
constraint of every shape in shapes/data/ (tests/planted.py), and seeded-random mixes of them.
"Equal" is :func:`kg.validate.report.canonical`: the same set of (focus node, path, value,
source shape, component, severity, source constraint, messages) — docs/compiler.md.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef

from kg import reference
from kg.cli import cli
from kg.compile.results import compile_results, shapes_with_targets
from kg.demo import generate
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from kg.validate import data_graph, load_shapes, validate
from kg.validate.compiled import results
from kg.validate.report import canonical, canonical_term
from kg.vocab import SH
from tests.planted import plant
from tests.shacl_results import results_of
from tests.test_endpoint import server  # noqa: F401 - the `oxigraph serve` fixture

SHAPES = load_shapes()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store of 300 demo patents (conforming data); copy it before writing."""
    root = tmp_path_factory.mktemp("validate")
    generate(root / "demo", patents=300)
    store = LocalStore(root / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [root / "demo"], base=DEFAULT_BASE)
    store.flush()
    store.close()  # released now, not when a reference cycle is collected
    return root / "store"


def store_with(demo_dir: Path, tmp_path: Path, planted: Graph) -> LocalStore:
    import shutil

    shutil.copytree(demo_dir, tmp_path / "store")
    store = LocalStore(tmp_path / "store")
    store.load(planted.serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES)
    return store


def both(store: LocalStore) -> tuple[set, set, bool]:
    """The compiled report's and pySHACL's, as canonical sets, and pySHACL's conforms."""
    mine = canonical(results(store, SHAPES), SHAPES)
    reference_report = validate(data_graph(store), SHAPES)
    theirs = canonical(results_of(reference_report.graph), reference_report.graph)
    return mine, theirs, reference_report.conforms


def all_constraints() -> set[tuple[object, URIRef]]:
    """(source shape, component) of every constraint of every data shape, canonical."""
    return {(canonical_term(SHAPES, q.source_shape), q.component)
            for shape in shapes_with_targets(SHAPES) for q in compile_results(SHAPES, shape)}


def test_demo_data_conforms_for_both(demo_dir: Path) -> None:
    store = LocalStore(demo_dir, read_only=True)
    mine, theirs, conforms = both(store)
    assert mine == theirs == set() and conforms


def test_every_constraint_of_every_shape_planted(demo_dir: Path, tmp_path: Path) -> None:
    store = store_with(demo_dir, tmp_path, plant(SHAPES))
    mine, theirs, conforms = both(store)
    assert not conforms
    assert mine == theirs, (sorted(map(str, mine - theirs)), sorted(map(str, theirs - mine)))
    reported = {(r[3], r[4]) for r in mine}
    missing = all_constraints() - reported
    assert not missing, f"constraints with no planted violation: {missing}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_mixes_of_violations(demo_dir: Path, tmp_path: Path, seed: int) -> None:
    store = store_with(demo_dir, tmp_path, plant(SHAPES, random.Random(seed), nodes=60))
    mine, theirs, _ = both(store)
    assert mine and mine == theirs, (sorted(map(str, mine - theirs)),
                                      sorted(map(str, theirs - mine)))


def test_only_targets_reported(demo_dir: Path, tmp_path: Path) -> None:
    planted = plant(SHAPES)
    untyped = Graph()
    for s, p, o in planted:  # the same data, but no node is of a target class
        if str(p) != "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":
            untyped.add((s, p, o))
    store = store_with(demo_dir, tmp_path, untyped)
    mine, theirs, conforms = both(store)
    assert mine == theirs == set() and conforms


SEVERAL = """
@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix patent: <http://data.epo.org/linked-data/def/patent/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix t: <https://w3id.org/hvp/test/several/> .
t:o a hvp:Owner ; dcterms:identifier "o" ; foaf:name "O" .
t:none a hvp:Patent ; dcterms:identifier "none" ; hvp:owner t:o ; hvp:firstOwner t:o .
t:one a hvp:Patent , hvp:UtilityModel ; dcterms:identifier "one" ; hvp:owner t:o ;
    hvp:firstOwner t:o .
t:two a hvp:Patent , hvp:UtilityModel , hvp:DesignPatent ; dcterms:identifier "two" ;
    hvp:owner t:o ; hvp:firstOwner t:o .
t:three a hvp:InventionPatent , hvp:UtilityModel , hvp:DesignPatent ;
    dcterms:identifier "three" ; patent:filingDate "2020-01-01"^^xsd:date ;
    hvp:owner t:o ; hvp:firstOwner t:o .
t:many a hvp:InventionPatent , hvp:DesignPatent ;
    dcterms:identifier "a" , "b" ;
    patent:filingDate "2020-01-01"^^xsd:date , "2020-02-30" , "2021-01-01"^^xsd:date ;
    hvp:grantDate "2019-01-01"^^xsd:date ;
    hvp:ipcCode "g06n 3/04" , "G06N3/04" , 7 ;
    hvp:firstOwner t:o , t:notAnOwner ;
    hvp:family t:o .
"""


def test_several_constraints_of_one_shape_and_xone_of_0_1_2_3(demo_dir: Path,
                                                              tmp_path: Path) -> None:
    """A focus node that violates many constraints of one shape (its one query reports each
    once, with each value), and sh:xone with no, one, two and three members met."""
    data = Graph().parse(data="@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n" + SEVERAL,
                         format="turtle")
    store = store_with(demo_dir, tmp_path, data)
    mine, theirs, conforms = both(store)
    assert not conforms
    assert mine == theirs, (sorted(map(str, mine - theirs)), sorted(map(str, theirs - mine)))
    several = "https://w3id.org/hvp/test/several/"
    xone = {r[0] for r in mine if r[4] == SH.XoneConstraintComponent}
    assert xone == {URIRef(several + n) for n in ("none", "two", "three", "many")}
    many = {r[4] for r in mine if r[0] == URIRef(several + "many")}
    assert len(many) >= 8, many  # xone, max/min count, datatype, pattern, class, equals, ...


# --- the command ------------------------------------------------------------------------------

def hvp(store: Path, *args: str):
    return CliRunner().invoke(cli, ["--store", str(store), "validate", *args])


@pytest.fixture(scope="module")
def planted_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("planted")
    store = store_with(demo_dir, tmp, plant(SHAPES))
    store.flush()
    store.close()  # released now, not when a reference cycle is collected
    return tmp / "store"


def test_queries_at_once_give_the_same_results_in_the_same_order(planted_dir: Path) -> None:
    """Constraint queries run in worker threads, answers read back as TSV: every result (blank
    nodes, typed and tagged literals included) as one query at a time gives, in its order."""
    store = LocalStore(planted_dir, read_only=True)
    one = list(results(store, SHAPES, workers=1))
    assert len(one) > 50
    for workers in (2, 5):
        assert list(results(store, SHAPES, workers=workers)) == one
    first = next(results(store, SHAPES, workers=3))  # a generator left early cancels the rest
    assert first == one[0]


def test_cli_exit_codes_and_capped_text(demo_dir: Path, planted_dir: Path) -> None:
    ok = hvp(demo_dir, "-q")
    assert ok.exit_code == 0, ok.output
    assert "Conforms: True" in ok.stdout and "Results: 0" in ok.stdout
    bad = hvp(planted_dir, "-q", "--max-results", "3")
    assert bad.exit_code == 1, bad.output
    assert bad.stdout.count("Violation (") == 3
    total = len(list(results(LocalStore(planted_dir, read_only=True), SHAPES)))
    assert f"Results: {total:,} (3 shown, {total - 3:,} more" in bad.stdout
    every = hvp(planted_dir, "-q", "--max-results", "0")
    assert every.stdout.count("Violation (") == total


def test_cli_turtle_report_equals_pyshacl(planted_dir: Path) -> None:
    out = hvp(planted_dir, "-q", "--format", "ttl")
    assert out.exit_code == 1
    report = Graph().parse(data=out.stdout, format="turtle")
    assert (None, SH.conforms, None) in report
    ref = hvp(planted_dir, "-q", "--format", "ttl", "--engine", "pyshacl")
    assert ref.exit_code == 1
    reference_report = Graph().parse(data=ref.stdout, format="turtle")
    assert canonical(results_of(report), report) == \
        canonical(results_of(reference_report), reference_report)


def test_cli_progress_as_log_lines(planted_dir: Path) -> None:
    out = hvp(planted_dir, "--max-results", "1")
    assert "shape hvpq:PatentShape: done in " in out.stderr  # stderr is not a terminal here
    quiet = hvp(planted_dir, "-q", "--max-results", "1")
    assert "shape hvpq:" not in quiet.stderr


def test_cli_refuses_uncompilable_shape_by_name(demo_dir: Path, tmp_path: Path) -> None:
    shapes = tmp_path / "closed.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                      "<http://example.org/Closed> a sh:NodeShape ; sh:targetClass "
                      "<https://w3id.org/hvp/def#Patent> ; sh:closed true .\n")
    out = hvp(demo_dir, "-q", "--shapes", str(shapes))
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert "http://example.org/Closed" in out.stderr and "--engine pyshacl" in out.stderr
    assert out.stdout == ""


def test_same_report_on_a_remote_engine(planted_dir: Path, server: str) -> None:  # noqa: F811
    """The compiled queries run on `oxigraph serve` through the SPARQL protocol give the same
    report as on the embedded store."""
    import io

    from kg.endpoint import EndpointStore

    local = LocalStore(planted_dir, read_only=True)
    buffer = io.BytesIO()
    local.dump(buffer, ox.RdfFormat.N_QUADS)
    remote = EndpointStore(f"{server}/query")
    remote.update("DROP ALL")
    remote.load(buffer.getvalue(), ox.RdfFormat.N_QUADS)
    here = canonical(results(local, SHAPES), SHAPES)
    assert here and canonical(results(remote, SHAPES), SHAPES) == here


def test_progress_log_lines_say_percentage_and_time_left() -> None:
    """Validation reports its shapes through kg.progress: in a log, a shape a quarter done
    says its rows and the time left, and its end the rows found."""
    import io
    import time

    from rich.console import Console

    from kg.progress import reporter

    out = io.StringIO()
    with reporter(Console(file=out, force_terminal=False, width=200), every=0.05) as update:
        update("shape hvpq:PatentShape", 0, 4, 0)
        update("shape hvpq:PatentShape", 1, 4, 7)
        time.sleep(0.3)
        update("shape hvpq:PatentShape", 4, 4, 9)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("shape hvpq:PatentShape: 25% (7 rows, ")
               and line.endswith(" left") for line in lines), lines
    assert lines[-1] == "shape hvpq:PatentShape: done in 0:00:00, 9 rows"
