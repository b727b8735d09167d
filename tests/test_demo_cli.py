"""``hvp demo`` and ``hvp ingest`` as a user runs them: parameters, folders, summaries, progress."""

from __future__ import annotations

import csv
import importlib
import io
import pkgutil
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import kg.cli
from kg import dataset
from kg.cli import cli
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

SMALL = Path(__file__).parent / "data" / "small"


def hvp(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"hvp {' '.join(args)} raised {result.exception!r}:\n{result.output}")
    return result.exit_code, result.output


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demo3k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo folder of 3,000 patents (more than 1,000 of several kinds of row)."""
    out = tmp_path_factory.mktemp("demo3k") / "demo"
    code, output = hvp("demo", "--out", str(out), "--patents", "3000", "-q")
    assert code == 0, output
    return out


# --- 1. the demo always writes data that ingest accepts --------------------------------------
@pytest.mark.parametrize("size", [["--patents", "1"], ["--patents", "7"], ["--scale", "1e9"],
                                  ["--scale", "1e15"]])
def test_smallest_and_huge_scales_ingest_cleanly(tmp_path: Path, size: list[str]) -> None:
    out = tmp_path / "demo"
    code, output = hvp("demo", "--out", str(out), "-q", *size)
    assert code == 0, output
    population = csv_rows(out / "population.csv")
    assert len(population) == 161
    assert all(int(r["population"]) >= 1 for r in population)
    if size[0] == "--patents":
        assert len(csv_rows(out / "patents.csv")) == int(size[1])
    code, output = hvp("--store", str(tmp_path / "st"), "ingest", "-q", str(out))
    assert code == 0, output
    code, output = hvp("--store", str(tmp_path / "st"), "stats")
    assert code == 0, output


# --- 2, 3. bad parameters are usage errors, never tracebacks ---------------------------------
@pytest.mark.parametrize("args", [
    ["--scale", "0"], ["--scale", "-5"], ["--scale", "nan"], ["--scale", "inf"],
    ["--patents", "0"], ["--patents", "-3"], ["--scale", "100", "--patents", "1000"],
])
def test_bad_parameters_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "demo"
    code, output = hvp("demo", "--out", str(out), "-q", *args)
    assert code == 2, output
    assert "Traceback" not in output
    assert re.search(r"(?i)error:", output), output
    assert args[0] in output  # names the option at fault
    assert not out.exists()  # nothing written


def test_scale_and_patents_together_name_both(tmp_path: Path) -> None:
    code, output = hvp("demo", "--out", str(tmp_path / "d"), "--scale", "100",
                       "--patents", "1000")
    assert code == 2
    assert "--scale" in output and "--patents" in output


@pytest.mark.parametrize("target", ["/proc/nope", "file/sub"])
def test_unwritable_folder_is_an_error_message(tmp_path: Path, target: str) -> None:
    (tmp_path / "file").write_text("x")
    out = target if target.startswith("/") else str(tmp_path / target)
    code, output = hvp("demo", "--out", out, "-q", "--patents", "10")
    assert code == 2, output
    assert output.startswith("error:") and "Traceback" not in output, output
    assert out in output


# --- 4. existing folders -------------------------------------------------------------------
def test_non_empty_folder_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "patents.csv").write_text("my own data\n")
    code, output = hvp("demo", "--out", str(out), "-q", "--patents", "10")
    assert code == 2, output
    assert "--force" in output and "not empty" in output
    assert (out / "patents.csv").read_text() == "my own data\n"
    assert sorted(p.name for p in out.iterdir()) == ["patents.csv"]
    code, output = hvp("demo", "--out", str(out), "-q", "--patents", "10", "--force")
    assert code == 0, output
    assert len(csv_rows(out / "patents.csv")) == 10


def test_empty_existing_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, output = hvp("demo", "--out", str(tmp_path / "empty"), "-q", "--patents", "10")
    assert code == 0, output


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_never_writes_into_a_store(tmp_path: Path, force: list[str]) -> None:
    store = tmp_path / "st"
    assert hvp("--store", str(store), "ingest", "-q", str(SMALL))[0] == 0
    before = sorted(p.name for p in store.iterdir())
    for out in (store, store / "sub"):
        code, output = hvp("demo", "--out", str(out), "-q", "--patents", "10", *force)
        assert code == 2, output
        assert "store" in output
    assert sorted(p.name for p in store.iterdir()) == before
    code, output = hvp("--store", str(store), "stats")
    assert code == 0 and re.search(r"invention patents\s+8\n", output), output


# --- 5, 7. readable summaries --------------------------------------------------------------
def test_demo_summary_is_readable(tmp_path: Path) -> None:
    out = tmp_path / "demo1"
    code, output = hvp("demo", "--out", str(out), "-q", "--patents", "3000")
    assert code == 0, output
    line = " ".join(output.split())
    assert "DemoSummary" not in line and "PosixPath" not in line
    owners = len(csv_rows(out / "owners.csv"))
    members = len(csv_rows(out / "family_members.csv"))
    assert line.startswith(f"wrote {out}/: 3,000 patents, {owners:,} owners, "
                           f"{members:,} family members, "), line
    assert "(scale 3,500)" in line, line


def test_ingest_summary_is_readable(tmp_path: Path, demo3k: Path) -> None:
    store = tmp_path / "st1"
    code, output = hvp("--store", str(store), "ingest", "-q", str(demo3k))
    assert code == 0, output
    line = " ".join(output.split())
    assert "LocalStore(" not in line and "family_members" not in line
    patents = len(csv_rows(demo3k / "patents.csv"))
    owners = len(csv_rows(demo3k / "owners.csv"))
    assert f"{patents:,} patents" in line and f"{owners:,} owners" in line
    assert "family members" in line
    assert line.endswith(f"into {store}"), line
    triples = re.search(r"([\d,]+) triples", line)
    assert triples and "," in triples.group(1)  # thousands separators
    assert "dropped" not in line  # nothing derived yet

    code, output = hvp("--store", str(store), "indicators", "--years", "2023-2024")
    assert code == 0, output
    for day in ("2023-12-31", "2024-12-31"):
        code, output = hvp("--store", str(store), "classify", "--as-of", day,
                           "-o", str(tmp_path / "rows.csv"))
        assert code == 0, output
    code, output = hvp("--store", str(store), "ingest", "-q", str(demo3k))
    assert code == 0, output
    line = " ".join(output.split())
    # the timeline the indicators keep is carried over, not dropped (kg.classify.timeline)
    assert re.search(r"2 classifications and 1 indicator cube", line), line
    assert "timeline" not in line
    assert "changed" in line


def test_rdf_file_triples_are_counted(tmp_path: Path) -> None:
    first = tmp_path / "a"
    assert hvp("--store", str(first), "ingest", "-q", str(SMALL))[0] == 0
    exported = tmp_path / "big.nt"
    code, output = hvp("--store", str(first), "export", "--format", "nt", "--output",
                       str(exported))
    assert code == 0, output
    lines = len(exported.read_bytes().splitlines())
    assert lines > 1000
    code, output = hvp("--store", str(tmp_path / "b"), "ingest", "-q", str(exported))
    assert code == 0, output
    line = " ".join(output.split())
    assert f"ingested {lines:,} triples from {exported} into {tmp_path / 'b'}" == line, line


# --- 6, 8. progress ------------------------------------------------------------------------
def test_ingest_progress_covers_each_file_from_start_to_end(tmp_path: Path,
                                                            demo3k: Path) -> None:
    calls: list[tuple[str, int, int | None, int | None]] = []
    store = LocalStore(tmp_path / "st")

    def record(label: str, done: int, total: int | None, rows: int | None) -> None:
        calls.append((label, done, total, rows))

    report = ingest(store, [demo3k], base=DEFAULT_BASE, progress=record)
    for name, rows in report.rows.items():
        path = demo3k / f"{name}.csv"
        label = f"{demo3k.name}/{path.name}"
        mine = [c for c in calls if c[0] == label]
        # the clock starts before the first row is read, the bar ends at the file's size
        assert mine[0] == (label, 0, path.stat().st_size, 0), mine[0]
        assert mine[-1] == (label, path.stat().st_size, path.stat().st_size, rows), mine[-1]
        assert rows == len(csv_rows(path))
        assert all(c[1] < c[2] for c in mine[:-1])  # done reaches total only at the end
    # what happens after reading is shown too, each step started and ended
    steps = [c for c in calls if c[3] is None]
    labels = list(dict.fromkeys(c[0] for c in steps))
    assert any("loading" in s for s in labels), labels
    for label in labels:
        mine = [c for c in steps if c[0] == label]
        assert mine[0][1] == 0 and mine[-1][1] == mine[-1][2], mine
        # a step measured (the bulk load: the bytes the engine has read) has a total at once
        assert (mine[0][2] is not None) == label.startswith("loading "), mine


def _stderr_to(monkeypatch: pytest.MonkeyPatch, console: Console) -> None:
    """Send the command line's standard error to ``console`` (in every module of kg/cli/ that
    writes to it)."""
    for info in pkgutil.iter_modules(kg.cli.__path__):
        module = importlib.import_module(f"kg.cli.{info.name}")
        if info.name != "__main__" and hasattr(module, "err"):
            monkeypatch.setattr(module, "err", console)


def test_ingest_progress_in_a_log(tmp_path: Path, demo3k: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard error that is not a terminal gets a line per file and step as it ends."""
    screen = io.StringIO()
    _stderr_to(monkeypatch, Console(file=screen, width=160, soft_wrap=True))
    store = tmp_path / "st"
    for _ in range(2):  # again, over data with derived graphs
        assert hvp("--store", str(store), "ingest", str(demo3k))[0] == 0
        assert hvp("--store", str(store), "indicators", "--year", "2024")[0] == 0
    text = screen.getvalue()
    for name in ("owners", "patents", "family_members", "population"):
        rows = len(csv_rows(demo3k / f"{name}.csv"))
        done = [ln for ln in text.splitlines() if ln.startswith(f"{demo3k.name}/{name}.csv")]
        assert len(done) == 2, text
        for ln in done:
            assert re.fullmatch(rf".*: done in \d:\d\d:\d\d, {rows:,} rows", ln), ln
    assert re.search(r"^loading [\d,]+ triples: done in ", text, re.M), text
    # the second ingest starts from the store's base: nothing to drop quad by quad, but said
    assert "dropping" not in text, text
    assert "indicator cube derived from it were dropped" in text, text


def test_ingest_bars_on_a_terminal_end_at_100_percent(tmp_path: Path, demo3k: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    _stderr_to(monkeypatch, Console(file=screen, width=160, soft_wrap=True,
                                    force_terminal=True, color_system=None))
    assert hvp("--store", str(tmp_path / "st"), "ingest", str(demo3k))[0] == 0
    text = screen.getvalue()
    rows = len(csv_rows(demo3k / "patents.csv"))
    assert re.search(rf"{demo3k.name}/patents.csv\s.*100%\s+{rows:,} rows\s+[\d,]+ rows/s",
                     text), text
    assert re.search(r"loading [\d,]+ triples.*100%", text), text


def test_triples_counted_are_the_triples_stored(demo3k: Path) -> None:
    store = LocalStore()  # no reference data: every triple stored comes from the folder
    report = ingest(store, [demo3k], base=DEFAULT_BASE)
    stored = len(store) - len(dataset.quads(store, DEFAULT_BASE))  # and the ingest's description
    assert report.triples == stored
    assert f"({stored:,} triples)" in str(report)
