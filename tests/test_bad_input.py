"""The bad-input corpus: every case folder under tests/bad/csv/ and tests/bad/rdf/ is ingested by
the real CLI into a copy of a real on-disk store; each must exit 2 with its exact error, no
traceback, the store unchanged (a checksum of `hvp export`) and no file left behind.
tests/bad/README.md gives the layout of a case."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import generations
from kg.cli import cli

BAD = Path(__file__).parent / "bad"
SMALL = Path(__file__).parent / "data" / "small"
CASES = sorted(p for kind in ("csv", "rdf") for p in (BAD / kind).iterdir() if p.is_dir())


def hvp(store: Path, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args])
    return result.exit_code, result.output, result.exception


def checksum(store: Path) -> str:
    result = CliRunner().invoke(cli, ["--store", str(store), "export", "--format", "nq"])
    assert result.exit_code == 0, result.output
    lines = sorted(result.stdout_bytes.splitlines(keepends=True))
    return hashlib.sha256(b"".join(lines)).hexdigest()


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A folder with an on-disk store holding the small data set, and its checksum."""
    folder = tmp_path_factory.mktemp("master")
    code, out, _ = hvp(folder / "store", "ingest", "-q", str(SMALL))
    assert code == 0, out
    return folder, checksum(folder / "store")


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_bad_input(case: Path, master: tuple[Path, str], tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder, before = master
    store = shutil.copytree(folder, tmp_path / "store-copy", symlinks=True) / "store"
    work = shutil.copytree(case, tmp_path / "case", symlinks=True)
    fifos = work / "fifos.txt"
    if fifos.exists():
        for name in fifos.read_text(encoding="utf-8").split():
            os.mkfifo(work / name)
    monkeypatch.chdir(work)  # inputs are named relative to the case: errors print the same
    inputs = sorted(p.name for p in work.iterdir() if p.name.startswith("input"))
    code, out, exc = hvp(store, "ingest", "-q", *inputs)
    expected = (case / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    if expected.startswith("contains: "):
        assert expected.removeprefix("contains: ") in out
    else:
        assert out.rstrip("\n") == expected
    assert code == 2 and isinstance(exc, SystemExit), out
    assert "Traceback" not in out
    assert checksum(store) == before
    current = generations.current(store)
    assert current is not None
    base = generations.base(store)
    index = generations.search(store)
    number = current.name.split("-")[1]
    ident, lease = (generations.home(store) / f"{kind}-{number}" for kind in ("ident", "lease"))
    assert sorted(p.name for p in generations.home(store).iterdir()) == sorted(
        [generations.LOCK, current.name, *([base.name] if base else []),
         *([index.name] if index and index.is_file() else []),
         *([ident.name] if ident.is_file() else []), *([lease.name] if lease.is_file() else [])])
