"""Read-only commands beside a running `hvp serve` (a real server process holding the store):
they open the store read only and say so; a command that writes is refused, naming the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import cli
from tests.conftest import SMALL, free_port, open_ready

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, small_store_dir: Path
           ) -> Iterator[tuple[Path, subprocess.Popen[bytes], str]]:
    """`hvp serve` (granian) on a copy of the small store, with the classification at
    2024-12-31 computed by one of its pages."""
    import shutil

    store = tmp_path_factory.mktemp("served") / "store"
    shutil.copytree(small_store_dir, store)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from kg.cli import main; main()", "--store", str(store),
         "serve", "--port", str(port), "--threads", "4"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("hvp serve did not start") from None
            time.sleep(0.2)
    # a page that materializes the classification at 2024-12-31 (the server writes it)
    with open_ready(url + "/queries/criteria-count?date=2024-12-31&format=json") as answer:
        assert answer.status == 200
    yield store, process, url
    process.terminate()
    process.wait(30)


def hvp(store: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store), *args], input=stdin)


def read_only_note(result: Result, server: subprocess.Popen[bytes]) -> None:
    assert result.exit_code == 0, result.output
    assert "store held by hvp serve (pid " in result.stderr and ": read only" in result.stderr
    pid = int(result.stderr.split("(pid ", 1)[1].split(")", 1)[0])
    assert pid == server.pid or _parent(pid) == server.pid


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_reading_commands_work_beside_the_server(served) -> None:
    store, server, url = served
    stats = hvp(store, "stats")
    read_only_note(stats, server)
    assert "patents" in stats.stdout
    exported = hvp(store, "export", "--format", "nt", "--graph", "default")
    read_only_note(exported, server)
    assert exported.stdout.count("\n") > 100
    answer = hvp(store, "sparql", "--format", "csv", "-",
                 stdin="SELECT (COUNT(*) AS ?n) WHERE { ?p a <https://w3id.org/hvp/def#Patent> }")
    read_only_note(answer, server)
    assert answer.stdout.splitlines() == ["n", "10"]
    # the derived graph the server wrote is read, not computed again
    canned = hvp(store, "query", "criteria-count", "-p", "date=2024-12-31", "--format", "json")
    read_only_note(canned, server)
    assert json.loads(canned.stdout)["rows"]
    explained = hvp(store, "explain", "CN-T01", "--as-of", "2024-12-31")
    read_only_note(explained, server)
    assert "CN-T01" in explained.stdout
    checked = hvp(store, "validate", "-q")
    assert checked.exit_code in (0, 1) and "read only" in checked.stderr


def test_classify_and_indicators_compute_without_storing(served) -> None:
    store, server, _ = served
    before = _graphs(store, server)
    classified = hvp(store, "classify", "--as-of", "2023-06-30")
    read_only_note(classified, server)
    assert classified.stdout.startswith("patent_id,valid,domestic,region,high_value,criteria")
    assert "not stored (the store is read only)" in classified.stderr
    figures = hvp(store, "indicators", "--year", "2024", "--by", "nation")
    read_only_note(figures, server)
    assert figures.stdout.startswith("region,year,high_value_count,population,per_10k")
    assert _graphs(store, server) == before  # nothing was written beside the server


def test_a_writing_command_names_the_server(served) -> None:
    store, server, url = served
    for args in (["ingest", str(SMALL)], ["classify", "--as-of", "2023-06-30", "--format", "ttl"]):
        refused = hvp(store, *args)
        assert refused.exit_code == 2, refused.output
        assert "hvp serve (pid " in refused.stderr and "Traceback" not in refused.output
    refused = hvp(store, "classify", "--as-of", "2023-06-30", "--format", "ttl").stderr
    assert "is open read only here: this command writes to it. Stop hvp serve (pid " in refused
    with urllib.request.urlopen(url + "/healthz", timeout=5) as answer:  # still serving
        assert answer.status == 200


def _graphs(store: Path, server: subprocess.Popen[bytes]) -> list[str]:
    result = hvp(store, "sparql", "--format", "csv", "-",
                 stdin="SELECT DISTINCT ?g WHERE { GRAPH ?g {} } ORDER BY ?g")
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_the_serving_lock_refuses_writes_while_the_stores_own_lock_is_free(
        tmp_path: Path, small_store_dir: Path) -> None:
    """Between the server's writer process closing a new generation and the server opening it,
    RocksDB's lock is free: the serving lock (kg.serve_lock) the server holds for its whole life
    still keeps a writing command off, and a reading one read only."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(small_store_dir, store)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from kg import serve_lock; serve_lock(Path(sys.argv[1])); print('held', flush=True); "
         "time.sleep(60)", str(store)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        refused = hvp(store, "ingest", str(SMALL))
        assert refused.exit_code == 2 and f"process {holder.pid}" in refused.stderr, \
            refused.output
        stats = hvp(store, "stats")
        assert stats.exit_code == 0 and f"store held by process {holder.pid}" in stats.stderr
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert hvp(store, "ingest", str(SMALL)).exit_code == 0  # the lock went with its process
