"""The command line's errors: literal text, clear messages with exit code 2, never a traceback;
read-only commands never create a store; a locked store is named as such."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import cli
from kg.errors import StoreError
from kg.store import LocalStore
from tests.conftest import SMALL, free_port

ROOT = Path(__file__).resolve().parents[1]

AS_OF = ("--as-of", "2024-12-31")


def hvp(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def refused(result: Result, *needles: str) -> str:
    """Exit code 2 with an ``error:`` message holding every needle, and no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception, result.output)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error:" in result.stderr.lower(), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    return result.stderr


def named_graphs(store_dir: Path) -> int:
    store = LocalStore(store_dir)
    try:
        return len(list(store.oxigraph.named_graphs()))
    finally:
        store.close()


# --- 1. user text is printed literally, never as Rich markup ------------------------------
def test_markup_in_an_argument_is_printed_literally(disk_store_dir: Path) -> None:
    refused(hvp("--store", str(disk_store_dir), "explain", "[/x]", *AS_OF), "[/x]")


def test_markup_in_a_csv_cell_is_printed_literally(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(SMALL, folder)
    path = folder / "patents.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[1][rows[0].index("kind")] = "[red]inv[/red]"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    refused(hvp("--store", ":memory:", "ingest", "-q", str(folder)), "'[red]inv[/red]'")


# --- 2. clear messages instead of tracebacks ----------------------------------------------
@pytest.mark.parametrize("command", [
    ["classify", *AS_OF], ["indicators", "--year", "2024"], ["export"]])
def test_output_in_a_missing_folder(disk_store_dir: Path, tmp_path: Path,
                                    command: list[str]) -> None:
    before = named_graphs(disk_store_dir)
    target = tmp_path / "nodir" / "x.out"
    message = refused(hvp("--store", str(disk_store_dir), *command, "-o", str(target)),
                      str(target), "does not exist")
    assert "--output" in message
    assert named_graphs(disk_store_dir) == before  # checked before the work, not after
    assert not target.parent.exists()


def test_export_graph_not_an_iri(disk_store_dir: Path) -> None:
    refused(hvp("--store", str(disk_store_dir), "export", "--graph", "not an iri"),
            "--graph: not an IRI", "'not an iri'")


def test_export_graph_not_in_the_store(disk_store_dir: Path) -> None:
    refused(hvp("--store", str(disk_store_dir), "export", "--graph", "https://example.org/no"),
            "no graph <https://example.org/no>")


def test_shapes_file_without_shapes(disk_store_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "none.ttl"
    empty.write_text("<https://example.org/a> <https://example.org/b> 1 .\n")
    shapes = ROOT / "shapes" / "data"
    some = sorted(shapes.glob("*.ttl"))[0]
    refused(hvp("--store", str(disk_store_dir), "validate", "--shapes", str(some), "--shapes",
                str(empty)), f"{empty}: no SHACL shapes")


def test_a_closed_pipe_ends_export_quietly(tmp_path: Path) -> None:
    from kg.demo import generate

    generate(tmp_path / "demo", patents=2000)  # an export far larger than a pipe's buffer
    store = tmp_path / "store"
    assert hvp("--store", str(store), "ingest", "-q", str(tmp_path / "demo")).exit_code == 0
    done = subprocess.run(f"'{ROOT}/.venv/bin/hvp' --store '{store}' export | head -1; "
                          "echo ${PIPESTATUS[0]} >&2", shell=True, capture_output=True,
                          text=True, timeout=60, executable="/bin/bash")
    assert done.stdout.count("\n") == 1
    # ended by SIGPIPE, as `cat` or `grep` would be (128 + 13): not 1, which means findings
    assert done.stderr == "141\n"


def test_endpoint_not_a_url() -> None:
    refused(hvp("--endpoint", "notaurl", "stats"), "'notaurl'", "HVP_ENDPOINT", "http://")


def test_indicators_year_names_the_option_given(disk_store_dir: Path) -> None:
    message = refused(hvp("--store", str(disk_store_dir), "indicators", "--year", "1800"),
                      "--year", "1800")
    assert "--years" not in message


def test_serve_on_a_host_that_does_not_resolve(disk_store_dir: Path) -> None:
    message = refused(hvp("--store", str(disk_store_dir), "serve", "--host", "999.1.1.1",
                          "--port", "8617"), "999.1.1.1", "--host")
    assert "--port" not in message


# --- 3. only ingest (and serve) create a store --------------------------------------------
READERS = [["classify", *AS_OF], ["indicators", "--year", "2024"], ["validate"], ["stats"],
           ["query", "per10k-by-region", "-p", "year=2024"], ["explain", "CN-T01", *AS_OF],
           ["export"]]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_readers_do_not_create_a_store(tmp_path: Path, command: list[str]) -> None:
    target = tmp_path / "typo-store"
    refused(hvp("--store", str(target), *command),
            f"no store at {target}", "hvp ingest", "--store")
    assert not target.exists()


def test_readers_do_not_take_an_empty_folder_for_a_store(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    refused(hvp("--store", str(target), "stats"), "no store at")
    assert list(target.iterdir()) == []


def test_ingest_still_creates_a_store(tmp_path: Path) -> None:
    target = tmp_path / "new"
    result = hvp("--store", str(target), "ingest", "-q", str(SMALL))
    assert result.exit_code == 0, result.output
    assert (target / "CURRENT").is_file()
    assert hvp("--store", str(target), "stats").exit_code == 0


@pytest.mark.parametrize("command", [["stats"], ["ingest", "-q", str(SMALL)]],
                         ids=lambda c: c[0])
def test_a_folder_that_is_not_a_store_is_refused(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(SMALL, folder)
    before = sorted(p.name for p in folder.iterdir())
    refused(hvp("--store", str(folder), *command), str(folder), "CURRENT")
    assert sorted(p.name for p in folder.iterdir()) == before


def test_serve_refuses_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    """In a process of its own, stopped after a while: unfixed, it would serve."""
    folder = tmp_path / "csv"
    shutil.copytree(SMALL, folder)
    before = sorted(p.name for p in folder.iterdir())
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "--store", str(folder), "serve", "--port",
         str(free_port())], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("hvp serve served a folder that is not a store")
    assert process.returncode == 2, stderr
    assert "error:" in stderr and str(folder) in stderr and "CURRENT" in stderr, stderr
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_file_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    refused(hvp("--store", str(path), "stats"), str(path), "not a directory")


def test_an_empty_store_setting_is_refused(tmp_path: Path) -> None:
    refused(hvp("--store", "", "stats"), ":memory:")
    refused(hvp("stats", env={"HVP_STORE": ""}), ":memory:")
    refused(hvp("--store", "", "serve", "--port", str(free_port())), ":memory:")


def test_the_web_app_refuses_an_empty_store_setting(tmp_path: Path, monkeypatch) -> None:
    from kg.errors import InputError
    from web.app import create_app

    monkeypatch.chdir(tmp_path)
    for store in ("", "."):
        with pytest.raises(InputError, match=":memory:"):
            create_app({"store": store})
    assert list(tmp_path.iterdir()) == []  # no store made in the current folder


def test_an_interrupted_export_leaves_no_part_file(disk_store_dir: Path, tmp_path: Path,
                                                   monkeypatch) -> None:
    from kg.store import LocalStore

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalStore, "dump", interrupted)
    out = tmp_path / "out"
    out.mkdir()
    result = hvp("--store", str(disk_store_dir), "export", "-o", str(out / "x.nq"))
    assert result.exit_code != 0 and list(out.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_an_export_killed_while_it_writes_leaves_nothing(tmp_path: Path, sig: int) -> None:
    """Regression: `hvp export -o FILE` killed by a signal Python does not turn into an
    exception (SIGTERM, SIGKILL) left FILE.part behind, as large as what it had written. The
    file is now written without a name and named only when complete."""
    demo, store = tmp_path / "demo", tmp_path / "store"
    assert hvp("demo", "--out", str(demo), "--patents", "3000").exit_code == 0
    assert hvp("--store", str(store), "ingest", "-q", str(demo)).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen([sys.executable, "-m", "kg.cli", "--store", str(store), "export",
                                "--format", "nq", "-o", str(out / "x.nq")], env=env)
    try:
        deadline = time.monotonic() + 120
        while not _writes_into(process.pid, out):  # the moment it writes its output
            assert process.poll() is None and time.monotonic() < deadline, "never wrote"
            time.sleep(0.001)
        process.send_signal(sig)
        assert process.wait(30) != 0
    finally:
        process.kill()
    assert list(out.iterdir()) == []


def _writes_into(pid: int, folder: Path) -> bool:
    """Whether process ``pid`` has a file of ``folder`` open (named or not)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        targets = [os.readlink(fd) for fd in fds.iterdir()]
    except OSError:
        return False
    return any(t.startswith(f"{folder}/") for t in targets)


# --- 4. a store another process holds -----------------------------------------------------
def test_a_locked_store_is_named_as_such(disk_store_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]);"
         " print('open', flush=True); time.sleep(60)", str(disk_store_dir)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        # a command that writes is refused, naming the holder; one that reads works read only
        refused(hvp("--store", str(disk_store_dir), "ingest", str(SMALL)),
                f"the store {disk_store_dir} is in use by process {holder.pid}")
        read = hvp("--store", str(disk_store_dir), "stats")
        assert read.exit_code == 0 and f"store held by process {holder.pid}" in read.stderr
        with pytest.raises(StoreError, match=f"in use by process {holder.pid}"):  # the web app's
            LocalStore(disk_store_dir)
    finally:
        holder.kill()
        holder.communicate(timeout=20)
    time.sleep(0.1)
    assert hvp("--store", str(disk_store_dir), "stats").exit_code == 0


# --- 5. help names the real default -------------------------------------------------------
@pytest.mark.parametrize("command", ["classify", "explain", "indicators"])
def test_profile_help_names_the_setting(command: str) -> None:
    text = " ".join(hvp(command, "--help").output.split())
    assert "[default: the profile setting" in text
    assert "[default: cnipa-2021]" not in text


# --- 6. triple formats say what they leave out ---------------------------------------------
@pytest.mark.parametrize("fmt", ["nt", "ttl", "rdfxml"])
def test_export_to_a_triple_format_names_the_graphs_left_out(disk_store_dir: Path,
                                                            fmt: str) -> None:
    store = str(disk_store_dir)
    assert hvp("--store", store, "classify", *AS_OF).exit_code == 0
    count = named_graphs(disk_store_dir)
    assert count > 0
    result = hvp("--store", store, "export", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert f"{count} named graph" in result.stderr
    assert "--format nq" in result.stderr and "--graph" in result.stderr
    whole = hvp("--store", store, "export", "--format", "nq")
    assert whole.exit_code == 0 and "named graph" not in whole.stderr



def test_output_to_a_device_writes_it_and_leaves_it_a_device(tmp_path: Path) -> None:
    """``-o /dev/null`` writes to the device: an atomic rename would replace /dev/null by a
    regular file (found by bench/scale.py)."""
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    store = tmp_path / "st"
    assert hvp("--store", str(store), "ingest", "-q", str(SMALL)).exit_code == 0
    assert hvp("--store", str(store), "classify", *AS_OF, "-o", str(fifo)).exit_code == 0
    reader.join(30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got and got[0].startswith(b"patent_id,valid,domestic,region,high_value,criteria")
    assert hvp("--store", str(store), "classify", *AS_OF, "-o", os.devnull).exit_code == 0
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)


def test_a_store_in_a_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    store = tmp_path / "no" / "such" / "store"
    refused(hvp("--store", str(store), "ingest", str(SMALL)),
            f"the folder {store.parent} does not exist")
    assert not (tmp_path / "no").exists()
