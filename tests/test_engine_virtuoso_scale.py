"""Classification on Virtuoso 7.2 (its dialect) at 5,000 demo patents, against the embedded
store: the same CSV, byte for byte (docs/engines.md has the 50,000-patent figure from
bench/engines.py). Virtuoso's joins were seen to lose rows in other query forms; this checks
that the classification's do not at a size where the small fixtures cannot tell."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.demo import generate
from kg.store import LocalStore

sys.path.insert(0, str(Path(__file__).parent))
from engines import ISQL, VIRTUOSO, Virtuoso  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (VIRTUOSO and ISQL), reason="virtuoso-opensource is not "
                                 "installed (apt-get install virtuoso-opensource; CI does)")]
PATENTS = 5_000


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], list[str]]]:
    """The `hvp` options of an on-disk store and of a Virtuoso holding the same data."""
    root = tmp_path_factory.mktemp("virtuoso-scale")
    generate(root / "demo", patents=PATENTS)
    here = ["--store", str(root / "store")]
    loaded = CliRunner().invoke(cli, [*here, "ingest", "-q", str(root / "demo")])
    assert loaded.exit_code == 0, loaded.output
    store = LocalStore(root / "store", read_only=True)
    buffer = io.BytesIO()
    store.dump(buffer, ox.RdfFormat.N_QUADS)
    store.close()
    (root / "virtuoso").mkdir()
    engine = Virtuoso(root / "virtuoso", configured=True)
    try:
        engine.load_nquads(buffer.getvalue(), "urn:hvp:data")
        yield here, ["--endpoint", engine.url]
    finally:
        engine.stop()


@pytest.mark.parametrize("args", [["classify", "--as-of", "2024-12-31"],
                                  ["indicators", "--year", "2023"]])
def test_virtuoso_equals_the_embedded_store(stores: tuple[list[str], list[str]],
                                            args: list[str]) -> None:
    here, there = stores
    runner = CliRunner(env={"HVP_ENDPOINT_ENGINE": "virtuoso"})
    want = runner.invoke(cli, [*here, *args])
    got = runner.invoke(cli, [*there, *args])
    assert want.exit_code == got.exit_code == 0, got.output
    assert len(want.stdout.splitlines()) > (1_000 if args[0] == "classify" else 30)
    assert got.stdout == want.stdout
