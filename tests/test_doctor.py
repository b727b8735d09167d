"""`hvp doctor` and the probes every remote command runs first, on a real `oxigraph serve`
(which passes them all); the Virtuoso runs, where probes fail, are in test_virtuoso.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.endpoint import EndpointStore
from kg.engines import doctor
from kg.errors import StoreError

sys.path.insert(0, str(Path(__file__).parent))
from engines import oxigraph_served  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph_served(tmp_path_factory.mktemp("oxigraph")) as engine:
        yield engine.url


def graphs(store: EndpointStore) -> set[str]:
    return {row["g"].value for row in store.select("SELECT DISTINCT ?g { GRAPH ?g { } }")}


def test_oxigraph_passes_every_probe_and_keeps_no_scratch_graph(server: str) -> None:
    store = EndpointStore(server)
    before = graphs(store)
    verdicts = doctor.run(store)
    assert [v.probe.name for v in verdicts] == [p.name for p in doctor.PROBES]
    assert all(v.passed for v in verdicts), [(v.probe.name, v.detail) for v in verdicts]
    assert graphs(store) == before
    named = ox.NamedNode(f"{doctor.E}named")
    store.update(f"INSERT DATA {{ GRAPH {named} {{ {named} {named} {named} }} }}")
    try:
        assert doctor.run(store, ["default-graph"])[0].passed
    finally:
        store.clear_graph(named)


def test_doctor_command_exit_codes(server: str) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["doctor", "--endpoint", server])
    assert ok.exit_code == 0, ok.output
    assert "row-limit" in ok.stdout and "FAIL" not in ok.stdout
    port = server.split(":")[2].split("/")[0]
    wrong = f"http://127.0.0.1:{port}/nothing-here"
    bad = runner.invoke(cli, ["--update-endpoint", wrong, "doctor", "--endpoint", server])
    assert bad.exit_code == 1
    assert "update" in bad.stderr and "graph-store" in bad.stderr
    assert "not run" in bad.stdout and "query " not in bad.stderr
    none = runner.invoke(cli, ["--store", ":memory:", "doctor"])
    assert none.exit_code == 2 and "--endpoint URL" in none.stderr


def test_probes_fail_on_wrong_answers(server: str) -> None:
    """Each answer probe fails when the engine's answer differs: shown by comparing against
    data it does not hold (the probe's checker, not only its happy path)."""
    store = EndpointStore(server)
    scratch = doctor.Scratch(store, ox.NamedNode(f"{doctor.E}empty"))
    for name in ("dates-in-filter", "unbound-comparison", "values-with-bind",
                 "distinct-union"):
        assert doctor.BY_NAME[name].run(scratch) is not None, name
    capped = doctor.Scratch(EndpointStore(server, row_limit=doctor.ROWS), scratch.graph)
    with pytest.raises(StoreError, match="ResultSetMaxRows"):
        doctor.BY_NAME["row-limit"].run(capped)


def test_commands_refuse_an_engine_failing_a_probe_they_need(server: str) -> None:
    """classify needs updates; stats does not: the one is refused (exit 2, the probe and its
    fix named), the other runs."""
    runner = CliRunner()
    port = server.split(":")[2].split("/")[0]
    wrong = f"http://127.0.0.1:{port}/nothing-here"
    refused = runner.invoke(cli, ["--endpoint", server, "--update-endpoint", wrong,
                                  "classify", "--as-of", "2024-12-31"])
    assert refused.exit_code == 2
    assert "hvp classify refused" in refused.stderr and "'update'" in refused.stderr
    assert "--update-endpoint" in refused.stderr
    stats = runner.invoke(cli, ["--endpoint", server, "--update-endpoint", wrong, "stats"])
    assert "refused" not in stats.stderr


def test_verdicts_are_kept_per_endpoint(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = doctor.run

    def counting(store: EndpointStore, names: list[str] | None = None) -> list[doctor.Verdict]:
        calls.append(list(names or []))
        return real(store, names)

    monkeypatch.setattr(doctor, "run", counting)
    monkeypatch.setattr(doctor, "_CACHE", {})
    store = EndpointStore(server)
    doctor.require(store, "stats")
    doctor.require(store, "stats")
    doctor.require(store, "export")
    assert calls == [list(doctor.NEEDS["stats"]), ["graph-store"]]
