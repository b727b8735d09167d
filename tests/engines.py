"""Real SPARQL engines started for tests: ``oxigraph serve`` and Virtuoso Open Source 7, each on
loopback, on free ports and in a folder of its own, stopped by the caller (fixtures do it).

Virtuoso runs from a private virtuoso.ini written from the packaged one: its own database
files, SQL and HTTP ports, and ``DirsAllowed`` for bulk loads. ``configured=True`` applies what
hvp-kg needs (``[SPARQL] ResultSetMaxRows`` raised, ``GRANT SPARQL_UPDATE TO "SPARQL"``);
``configured=False`` is the engine as Debian packages it.
"""

from __future__ import annotations

import base64
import configparser
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
PACKAGED_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Poll ``url`` until it answers; the process dying or the time running out fails."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the engine exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"no answer from {url} in {seconds:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class Oxigraph:
    """``oxigraph serve`` on a RocksDB folder; ``url`` is its query endpoint."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [OXIGRAPH, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/query"
        wait_for(f"{self.url}?query=ASK%7B%7D", self.process)

    def stop(self) -> None:
        stop(self.process)


@contextmanager
def oxigraph_served(folder: Path) -> Iterator[Oxigraph]:
    """A real `oxigraph serve` on loopback for the block (the test is skipped without it)."""
    import pytest

    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server binary (PyPI package 'oxigraph') is not installed")
    engine = Oxigraph(folder)
    try:
        yield engine
    finally:
        engine.stop()


class Virtuoso:
    """A private Virtuoso: ``url`` is ``/sparql``, ``gsp`` is ``/sparql-graph-crud``."""

    def __init__(self, folder: Path, *, configured: bool, max_rows: int = 1_000_000) -> None:
        assert VIRTUOSO and ISQL, "virtuoso-opensource is not installed"
        self.folder = folder
        self.sql_port, self.http_port = free_port(), free_port()
        ini = configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";",))
        ini.optionxform = str  # type: ignore[assignment,method-assign]
        ini.read(PACKAGED_INI)
        for section, stem in (("Database", "virtuoso"), ("TempDatabase", "virtuoso-temp")):
            for key, suffix in (("DatabaseFile", "db"), ("ErrorLogFile", "log"),
                                ("LockFile", "lck"), ("TransactionFile", "trx"),
                                ("xa_persistent_file", "pxa")):
                if ini.has_option(section, key):
                    ini.set(section, key, str(folder / f"{stem}.{suffix}"))
        ini.set("Parameters", "ServerPort", f"127.0.0.1:{self.sql_port}")
        ini.set("Parameters", "DirsAllowed", f"., {folder}, /usr/share/virtuoso-opensource-7/vad")
        ini.set("Parameters", "NumberOfBuffers", "20000")
        ini.set("Parameters", "MaxDirtyBuffers", "15000")
        ini.set("HTTPServer", "ServerPort", f"127.0.0.1:{self.http_port}")
        ini.set("HTTPServer", "ServerRoot", "/var/lib/virtuoso-opensource-7/vsp")
        ini.remove_section("Plugins")
        if configured:
            ini.set("SPARQL", "ResultSetMaxRows", str(max_rows))
        self.ini = folder / "virtuoso.ini"
        with self.ini.open("w") as out:
            ini.write(out)
        self.process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(self.ini)],
                                        cwd=folder, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{self.http_port}"
        self.url, self.gsp = f"{base}/sparql", f"{base}/sparql-graph-crud"
        wait_for(f"{self.url}?query=ASK%7B%7D", self.process, 120)
        if configured:
            self.isql('GRANT SPARQL_UPDATE TO "SPARQL";')

    def isql(self, sql: str) -> str:
        """Run SQL through isql as dba (the packaged password); its output, or an error."""
        done = subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba",
                               "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF",
                               "ERRORS=STDOUT", f"EXEC={sql}"],
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql: {sql}: {done.stdout}{done.stderr}")
        return done.stdout

    def load_nquads(self, data: bytes, default_graph: str) -> None:
        """Bulk-load N-Quads (``ld_dir``); default-graph triples go to ``default_graph``."""
        folder = self.folder / "load"
        folder.mkdir(exist_ok=True)
        (folder / "data.nq").write_bytes(data)
        self.isql(f"ld_dir('{folder}', 'data.nq', '{default_graph}');")
        self.isql("rdf_loader_run();")
        self.isql("checkpoint;")
        errors = self.isql("SELECT ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
        if errors.strip():
            raise RuntimeError(f"Virtuoso's loader: {errors}")
        self.isql("DELETE FROM DB.DBA.LOAD_LIST;")

    def stop(self) -> None:
        stop(self.process)


class AuthFront:
    """A small HTTP front (werkzeug, threaded) that forwards every request to ``target`` (an
    engine's root URL) when it carries accepted credentials: HTTP basic ``user``/``password``
    or ``Authorization: Bearer token``; 401 (with a ``WWW-Authenticate`` challenge) otherwise.
    A token in ``readers`` may read (GET, and POST to ``/query``) but anything else answers
    403. ``url`` is its root; ``seen`` the Authorization headers it received."""

    def __init__(self, target: str, *, user: str, password: str, token: str,
                 readers: tuple[str, ...] = ()) -> None:
        basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.seen: list[str] = []

        @Request.application  # type: ignore[arg-type]
        def app(request: Request) -> Response:
            given = request.headers.get("Authorization", "")
            self.seen.append(given)
            reader = given in {f"Bearer {r}" for r in readers}
            if given not in (basic, f"Bearer {token}") and not reader:
                return Response("who are you?", 401,
                                {"WWW-Authenticate": 'Basic realm="hvp-test"'})
            if reader and not (request.method == "GET" or request.path == "/query"):
                return Response("readers may not write", 403)
            url = target + request.full_path.rstrip("?")
            headers = {k: v for k, v in request.headers.items()
                       if k.lower() in ("content-type", "accept")}
            forwarded = urllib.request.Request(url, data=request.get_data() or None,
                                               method=request.method, headers=headers)
            try:
                with urllib.request.urlopen(forwarded, timeout=120) as answer:
                    return Response(answer.read(), answer.status,
                                    {"Content-Type": answer.headers.get("Content-Type", "")})
            except urllib.error.HTTPError as exc:
                with exc:
                    return Response(exc.read(), exc.code)

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
