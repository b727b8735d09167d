"""Ingest is all or nothing whatever happens: an exception in any step, a killed process, a full
disk. After each fault the store opens and holds either its old or its new state (compared by a
checksum of `hvp export`), and no temporary file is left once the next command has run."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg.ingest
from kg import dataset, generations, reference
from kg.cli import cli
from kg.errors import InputError, StoreError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "small"
HVP = [sys.executable, "-m", "kg.cli"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def hvp(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HVP, *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout, check=False)


def checksum(store: Path) -> str:
    """The store's content, whatever order the engine writes it in (`hvp export`, which opens
    the store as every command does: the next command after a fault)."""
    result = CliRunner().invoke(cli, ["--store", str(store), "export", "--format", "nq"])
    assert result.exit_code == 0, result.output
    lines = sorted(line for line in result.stdout_bytes.splitlines(keepends=True)
                   if not _ingest_time(line))
    return hashlib.sha256(b"".join(lines)).hexdigest()


def _ingest_time(line: bytes) -> bool:
    """A time of the dataset description (kg.dataset): when the ingest that wrote it ran."""
    return line.rstrip().endswith(f"<{dataset.graph_iri(DEFAULT_BASE)}> .".encode()) \
        and b"XMLSchema#dateTime" in line


def leftovers(store: Path) -> list[str]:
    """Files a write left beside the store: anything in its home but the current generation,
    its base, its search index, the identity of its data, its readers' lease file and the lock,
    and temporary files in its folder."""
    home = generations.home(store)
    now = generations.current(store)
    number = now.name.split("-")[1] if now else ""
    keep = {generations.LOCK, *([now.name, f"ident-{number}", f"lease-{number}"] if now else []),
            *([base.name] if (base := generations.base(store)) else []),
            *([index.name] if (index := generations.search(store)) else [])}
    stray = [p.name for p in home.iterdir() if p.name not in keep] if home.is_dir() else []
    return stray + [p.name for p in store.parent.iterdir()
                    if p.name.startswith(("hvp-ingest-", "ingest-"))]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    done = hvp("demo", "--patents", "3000", "--out", str(out), "-q")
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def old_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a store with the small data set (in the generations layout)."""
    folder = tmp_path_factory.mktemp("old")
    done = hvp("--store", str(folder / "store"), "ingest", "-q", str(SMALL))
    assert done.returncode == 0, done.stderr
    return folder


def copy_of(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target, symlinks=True)
    return target / "store"


def first_layout(store: Path, data: Path | None = None) -> None:
    """A store as hvp-kg wrote it before generations: the path is RocksDB's folder."""
    memory = LocalStore()
    reference.ensure(memory)
    if data is not None:
        ingest(memory, [data], base=DEFAULT_BASE)
    engine = ox.Store(str(store))
    engine.extend(memory.oxigraph)
    engine.flush()


def test_the_store_layout_and_a_first_layout_store_still_opens(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first_layout(store)
    before = checksum(store)
    assert (store / "CURRENT").is_file() and not store.is_symlink()
    assert hvp("--store", str(store), "ingest", "-q", str(SMALL)).returncode == 0
    assert store.is_symlink() and generations.current(store) is not None
    assert checksum(store) != before and leftovers(store) == []


def test_an_exception_in_any_step_leaves_the_store_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_dir = copy_of(_small_store(tmp_path / "seed"), tmp_path / "copy")
    before = checksum(store_dir)
    folder = tmp_path / "in"
    shutil.copytree(SMALL, folder)
    (folder / "patents.csv").write_text((folder / "patents.csv").read_text().replace(
        "Neural", "Changed"), encoding="utf-8")
    for name in ("_clear_stale", "drop_derived"):
        def boom(*args: object, **kwargs: object) -> None:
            raise RuntimeError("injected")
        with monkeypatch.context() as m:
            m.setattr(kg.ingest, name, boom)
            store = LocalStore(store_dir)
            with pytest.raises(RuntimeError, match="injected"):
                ingest(store, [folder], base=DEFAULT_BASE)
            store.close()
        assert checksum(store_dir) == before, name
        assert leftovers(store_dir) == [], name
    with monkeypatch.context() as m:  # the switch itself fails: nothing changes either
        m.setattr(generations, "_link", _failing_link)
        store = LocalStore(store_dir)
        with pytest.raises(StoreError, match="injected.* left as it was"):
            ingest(store, [folder], base=DEFAULT_BASE)
        store.close()
    assert checksum(store_dir) == before and leftovers(store_dir) == []


def _failing_link(*args: object) -> None:
    raise OSError(28, "injected")


def _small_store(folder: Path) -> Path:
    folder.mkdir()
    assert hvp("--store", str(folder / "store"), "ingest", "-q", str(SMALL)).returncode == 0
    return folder


def test_an_in_memory_store_is_left_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore()
    ingest(store, [SMALL], base=DEFAULT_BASE)
    before = sorted(map(str, store.oxigraph))
    monkeypatch.setattr(kg.ingest, "drop_derived", _failing_link)
    with pytest.raises(OSError, match="injected"):
        ingest(store, [SMALL], base=DEFAULT_BASE)
    assert sorted(map(str, store.oxigraph)) == before


def test_recover_links_a_first_layout_store_moved_by_a_killed_switch(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first_layout(store)
    before = checksum(store)
    home = generations.scratch(store)
    os.rename(store, home / "gen-0")  # killed between the move and the link
    (home / "gen-1").mkdir()  # its staging generation, complete or not
    (home / "ingest-x.nt").write_text("")
    assert checksum(store) == before
    assert leftovers(store) == [] and generations.current(store) == home / "gen-0"


def test_recover_leaves_a_store_being_written_alone(tmp_path: Path) -> None:
    store = copy_of(_small_store(tmp_path / "seed"), tmp_path / "copy")
    with generations.writing(store) as staging:
        staging.mkdir()
        generations.recover(store)  # another command opening the store meanwhile
        assert staging.is_dir()
    generations.recover(store)
    assert not staging.exists()


@pytest.mark.slow
def test_killed_at_any_moment_the_store_is_old_or_new(tmp_path: Path, demo: Path,
                                                      old_store: Path) -> None:
    old = checksum(old_store / "store")
    full = copy_of(old_store, tmp_path / "full")
    start = time.monotonic()
    done = hvp("--store", str(full), "ingest", "-q", str(demo))
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    new = checksum(full)
    assert new != old
    seen = {old: 0, new: 0}
    # 8 moments over the whole run, 8 more over its last quarter (staging, switch, clean-up)
    moments = [took * (i + 0.5) / 8 for i in range(8)]
    moments += [took * (0.75 + 0.3 * (i + 0.5) / 8) for i in range(8)]
    for i, moment in enumerate(moments):
        store = copy_of(old_store, tmp_path / f"kill-{i}")
        process = subprocess.Popen([*HVP, "--store", str(store), "ingest", "-q", str(demo)],
                                   env=ENV, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = checksum(store)  # the next command: opens the store, cleans up
        assert state in seen, f"killed at {moment:.2f} s of {took:.2f} s: neither state"
        seen[state] += 1
        assert leftovers(store) == [], f"killed at {moment:.2f} s of {took:.2f} s"
        shutil.rmtree(store.parent)
    assert seen[old] > 0, seen  # the moments did reach inside the run


def _mount_tmpfs(target: Path, size: str) -> bool:
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("size", ["3m", "9m"])  # full while checking / while loading
def test_a_full_disk_leaves_the_store_as_it_was(tmp_path: Path, demo: Path, old_store: Path,
                                                 size: str) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, size):
        pytest.skip("cannot mount a tmpfs here (not root, or no mount namespace)")
    try:
        store = copy_of(old_store, disk / "copy")
        before = checksum(store)
        done = hvp("--store", str(store), "ingest", "-q", str(demo))
        assert done.returncode == 2, done.stderr
        assert "No space left on device" in done.stderr and "left as it was" in done.stderr
        assert "Traceback" not in done.stderr
        assert checksum(store) == before and leftovers(store) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


OWNERS = "owner_id,name,country,region\nO1,A,CN,CN-GD\nO2,B,US,\n"
CELL = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
ROW = st.lists(st.one_of(CELL, st.sampled_from(
    ["P1", "invention", "design", "2015-01-01", "2016-02-30", "G06N3/063", "O1", "O2;O1",
     "F1", '"', "", ";", "\x00", "\u202e"])), min_size=0, max_size=11)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=4))
def test_random_rows_never_crash_nor_write_part(tmp_path: Path, rows: list[list[str]]) -> None:
    import csv
    import io

    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    (folder / "owners.csv").write_text(OWNERS, encoding="utf-8")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["patent_id", "kind", "title", "filing_date", "grant_date", "lapse_date",
                     "ipc", "owners", "family_id"])
    writer.writerows(rows)
    (folder / "patents.csv").write_text(text.getvalue(), encoding="utf-8")
    store = LocalStore()
    ingest(store, [SMALL], base=DEFAULT_BASE)
    before = sorted(map(str, store.oxigraph))
    try:
        ingest(store, [folder], base=DEFAULT_BASE)
    except InputError:
        assert sorted(map(str, store.oxigraph)) == before


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=4))
def test_random_rows_on_disk_never_crash_nor_write_part(tmp_path: Path,
                                                        rows: list[list[str]]) -> None:
    """The same through the CLI into an on-disk store (staged: a generation and a switch)."""
    import csv
    import io

    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    (folder / "owners.csv").write_text(OWNERS, encoding="utf-8")
    text = io.StringIO()
    csv.writer(text).writerows([["patent_id", "kind", "title", "filing_date", "grant_date",
                                 "lapse_date", "ipc", "owners", "family_id"], *rows])
    (folder / "patents.csv").write_text(text.getvalue(), encoding="utf-8")
    store = tmp_path / "store"
    if not os.path.lexists(store):
        assert CliRunner().invoke(cli, ["--store", str(store), "ingest", "-q",
                                        str(SMALL)]).exit_code == 0
    before = checksum(store)
    result = CliRunner().invoke(cli, ["--store", str(store), "ingest", "-q", str(folder)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if result.exit_code == 2:
        assert checksum(store) == before and result.output.startswith("error: ")
    assert leftovers(store) == []


def test_cli_rejects_a_killed_runs_dangling_link(tmp_path: Path) -> None:
    store = tmp_path / "store"
    generations.scratch(store)
    os.symlink(os.path.join(generations.home(store).name, "gen-7"), store)
    result = CliRunner().invoke(cli, ["--store", str(store), "stats"])
    assert result.exit_code == 2 and "gen-7, which is missing" in result.output


def test_a_link_to_a_store_elsewhere_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "mine").symlink_to(tmp_path / "real" / "store")
    link = tmp_path / "mine"
    assert hvp("--store", str(link), "ingest", "-q", str(SMALL)).returncode == 0
    assert hvp("--store", str(link), "ingest", "-q", str(SMALL)).returncode == 0
    assert os.readlink(link) == str(tmp_path / "real" / "store")
    assert generations.current(tmp_path / "real" / "store") is not None


KILLER = """
import os, signal, sys
from pathlib import Path
import kg.generations, kg.ingest, kg.store
store, source, point = sys.argv[1:4]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def then_die(function):
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        die()
        return result
    return wrapped

if point == "checkpoint":  # the hard-link checkpoint made, not yet opened
    real = kg.store._open_oxigraph
    kg.store._open_oxigraph = lambda p, *a: die() if p.parent.name.endswith(".hvp") else real(p, *a)
elif point == "loaded":
    kg.store.LocalStore.load = then_die(kg.store.LocalStore.load)
elif point == "dropped":
    kg.ingest.drop_derived = then_die(kg.ingest.drop_derived)
elif point == "moved":  # a first-layout store moved to gen-0, the path not linked yet
    kg.generations._link = die
elif point == "linked":  # the commit point passed, the directory not yet synced
    kg.generations._sync = die
elif point == "switched":  # the old generation not yet removed
    kg.store.shutil.rmtree = die
from kg.cli import cli
cli(["--store", store, "ingest", "-q", source])
"""


@pytest.mark.slow
@pytest.mark.parametrize(("point", "first", "after"), [
    ("checkpoint", False, False), ("loaded", False, False), ("dropped", False, False),
    ("moved", True, False), ("linked", False, True), ("linked", True, True),
    ("switched", False, True), ("switched", True, True)])
def test_killed_at_each_step_the_store_is_old_or_new(tmp_path: Path, point: str, first: bool,
                                                     after: bool) -> None:
    """SIGKILL at each step of the write, the switch included, deterministically: the store is
    the old one before the commit point and the new one after it, with nothing left over; for
    a store of either layout."""
    source = tmp_path / "in"
    shutil.copytree(SMALL, source)
    (source / "patents.csv").write_text((source / "patents.csv").read_text().replace(
        "Neural", "Changed"), encoding="utf-8")
    store = tmp_path / "s" / "store"
    store.parent.mkdir()
    if first:
        first_layout(store, SMALL)
    else:
        assert hvp("--store", str(store), "ingest", "-q", str(SMALL)).returncode == 0
    old = checksum(store)
    twin = copy_of(store.parent, tmp_path / "twin")
    assert hvp("--store", str(twin), "ingest", "-q", str(source)).returncode == 0
    new = checksum(twin)
    assert new != old
    killed = subprocess.run([sys.executable, "-c", KILLER, str(store), str(source), point],
                            env=ENV, capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # the point was reached
    assert checksum(store) == (new if after else old)
    assert leftovers(store) == []


def test_a_command_run_during_an_ingest_leaves_its_temporary_file(tmp_path: Path) -> None:
    store = copy_of(_small_store(tmp_path / "seed"), tmp_path / "copy")
    with generations.temporary(store, ".nt") as tmp:
        generations.recover(store)  # e.g. `hvp stats` while an ingest checks its input
        assert tmp.exists()
    (generations.home(store) / "ingest-dead.nt").write_text("")  # a killed run's
    generations.recover(store)
    assert leftovers(store) == []


def test_a_generation_half_removed_is_never_linked_back(tmp_path: Path) -> None:
    store = tmp_path / "store"
    home = generations.scratch(store)
    first_layout(home / "gen-0")
    generations.discard(home / "gen-0")  # removed as after a switch: renamed out first
    assert not (home / "gen-0").exists()
    (home / "trash-gen-0").mkdir()  # as if killed while removing it
    generations.recover(store)  # the user removed the link meanwhile: no store, not gen-0's
    assert not os.path.lexists(store) and leftovers(store) == []
