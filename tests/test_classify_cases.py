"""Golden cases: tests/cases/classify/<case>/{input/, as_of.txt, expected.csv[, profile.txt]}.

Each expected.csv was checked by hand against docs/rules.md §2; ``hvp classify`` must print it byte
for byte with both engines, and the independent oracle (tests/oracle.py) must agree.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli

CASES = sorted(p for p in (Path(__file__).parent / "cases" / "classify").iterdir() if p.is_dir())
sys.path.insert(0, str(Path(__file__).parent))
import oracle  # noqa: E402


def _profile(case: Path) -> str:
    path = case / "profile.txt"
    return path.read_text().strip() if path.exists() else "cnipa-2021"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One on-disk store per case, ingested once through the CLI."""
    out = {}
    for case in CASES:
        path = tmp_path_factory.mktemp("classify") / case.name
        result = CliRunner().invoke(cli, ["--store", str(path), "ingest", "-q",
                                          str(case / "input")])
        assert result.exit_code == 0, result.output
        out[case.name] = path
    return out


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_output_matches_expected(case: Path, engine: str, stores: dict[str, Path]) -> None:
    as_of = (case / "as_of.txt").read_text().strip()
    args = ["--store", str(stores[case.name]), "classify", "--as-of", as_of,
            "--profile", _profile(case), "--engine", engine]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == (case / "expected.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", [c for c in CASES if _profile(c) == "cnipa-2021"],
                         ids=lambda c: c.name)
def test_oracle_agrees_with_expected(case: Path) -> None:
    as_of = date.fromisoformat((case / "as_of.txt").read_text().strip())
    concordance = oracle.load_concordance(case / "input" / "sei_concordance.csv")
    got = oracle.classify_folder(case / "input", as_of, concordance)
    lines = (case / "expected.csv").read_text(encoding="utf-8").splitlines()[1:]
    expected = {}
    for line in lines:
        pid, valid, domestic, region, high, criteria = line.split(",")
        expected[pid] = oracle.Result(valid == "true", domestic == "true", region,
                                      high == "true", tuple(filter(None, criteria.split(";"))))
    assert got == expected


def test_at_least_ten_cases() -> None:
    assert len(CASES) >= 10
