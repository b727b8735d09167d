"""``hvp serve``: granian (default) or waitress on a loopback port over an on-disk store; errors
before serving; settings documented."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.settings import SETTINGS
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
HVP = Path(sys.executable).parent / "hvp"


def _get(url: str, accept: str, timeout: float = 10) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.headers["Server"], response.read()


def _computed(url: str, timeout: float = 60) -> tuple[int, bytes]:
    """A page whose computation is queued (503 with Refresh), asked again until it is ready."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, _, body = _get(url, "text/html", timeout)
            return status, body
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or not exc.headers.get("Refresh") \
                    or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _healthy(proc: subprocess.Popen[bytes], base: str) -> tuple[int, str, bytes]:
    """`/healthz`'s answer once the `hvp serve` in ``proc`` answers it (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return _get(base + "/healthz", "application/json")
        except OSError:
            stderr = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
            assert proc.poll() is None, stderr
            assert time.monotonic() < deadline, "hvp serve did not start"
            time.sleep(0.2)


@pytest.mark.parametrize(("server", "header"), [(None, "granian"), ("waitress", "hvp-kg")])
def test_hvp_serve(disk_store_dir, server, header):
    port = free_port()
    choice = ["--server", server] if server else []
    proc = subprocess.Popen([str(HVP), "--store", str(disk_store_dir), "serve", "--port",
                             str(port), *choice], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        status, server, body = _healthy(proc, base)
        assert status == 200 and server == header  # not Flask's development server
        assert json.loads(body)["workers"] == 2
        q = quote("ASK { ?s a <https://w3id.org/hvp/def#InventionPatent> }")
        status, _, body = _get(f"{base}/sparql?query={q}", "application/sparql-results+json")
        assert json.loads(body)["boolean"] is True
        # Years never computed: the app writes and flushes their graphs (in granian's forked
        # worker this waited forever on RocksDB threads while `hvp serve` had opened the store);
        # the computation is queued, the page asked again until it is ready
        status, body = _computed(f"{base}/indicators?years=2010-2011")
        assert status == 200 and b"2011" in body
        status, _ = _computed(f"{base}/queries/region-series?region=CN-GD&from=2008&to=2009")
        assert status == 200
    finally:
        proc.terminate()
        proc.wait(10)
        log = proc.stderr.read().decode()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    # the access log (web.access_log), to standard error by default
    line = next(x for x in log.splitlines() if " GET /sparql?query=" in x)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z GET /sparql\?query=ASK\S+ 200 "
                        r"\d+ \d+\.\dms", line), line
    assert re.search(r" GET /healthz 200 \d+ ", log), log


def test_the_access_log_names_each_request_and_hides_secrets(disk_store_dir, tmp_path):
    """`hvp serve` with access_log = a file: one line per request, with its status, its body's
    bytes and its time; a token in the URL is not written; HEAD sends no bytes."""
    import os
    import urllib.error

    port, path = free_port(), tmp_path / "access.log"
    proc = subprocess.Popen([str(HVP), "--store", str(disk_store_dir), "serve", "--port",
                             str(port)], env={**os.environ, "HVP_ACCESS_LOG": str(path)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _healthy(proc, base)
        _, _, body = _get(base + "/sparql?query=ASK%7B%7D&token=s3cret&x=%0Ay",
                          "application/sparql-results+json")
        with pytest.raises(urllib.error.HTTPError):
            _get(base + "/patent/%E4%B8%AD", "application/json")
        head = urllib.request.Request(base + "/healthz", method="HEAD")
        urllib.request.urlopen(head, timeout=10).close()
    finally:
        proc.terminate()
        proc.wait(10)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "s3cret" not in "".join(lines)
    fields = [line.split(" ") for line in lines]
    assert all(len(f) == 6 and f[5].endswith("ms") for f in fields), lines
    query = next(f for f in fields if f[2].startswith("/sparql"))
    assert query[1:5] == ["GET", "/sparql?query=ASK%7B%7D&token=***&x=%0Ay", "200",
                          str(len(body))]
    assert ["GET", "/patent/%E4%B8%AD", "404"] in [f[1:4] for f in fields]
    assert ["HEAD", "/healthz", "200", "0"] in [f[1:5] for f in fields]


def test_a_port_in_use_is_refused_with_a_message(disk_store_dir):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([str(HVP), "--store", str(disk_store_dir), "serve", "--port",
                               str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_store_that_cannot_open_is_refused_before_serving(tmp_path):
    not_a_directory = tmp_path / "store"
    not_a_directory.write_text("x")
    done = subprocess.run([str(HVP), "--store", str(not_a_directory), "serve", "--port",
                           str(free_port())], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "cannot open store" in done.stderr
    assert "Traceback" not in done.stderr and "serving" not in done.stderr


def test_every_setting_is_documented_in_docs_web():
    text = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in text, setting.name
        assert f"HVP_{setting.name.upper()}" in text, setting.name


@pytest.mark.parametrize(("variable", "message"), [
    ("HVP_READ_ONLY=false", "read_only = false needs a write_token"),
    ("HVP_ACCESS_LOG=/no/such/folder/access.log", "access_log: cannot write"),
    ("HVP_ENDPOINT=http://127.0.0.1:1/query",
     "hvp serve refused: http://127.0.0.1:1/query fails the probe 'query'"),
])
def test_settings_the_app_cannot_honour_are_refused_before_serving(disk_store_dir, variable,
                                                                   message):
    import os

    name, value = variable.split("=", 1)
    done = subprocess.run([str(HVP), "--store", str(disk_store_dir), "serve", "--port",
                           str(free_port())], capture_output=True, text=True, timeout=60,
                          env={**os.environ, name: value})
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "serving" not in done.stderr


@pytest.mark.slow
def test_sigterm_stops_hvp_serve_in_seconds_while_queries_run(disk_store_dir):
    """Two runaway queries under a 60 s limit and a page: SIGTERM stops `hvp serve`, its
    granian worker and the query workers within a few seconds (kg.cli.server.STOP_SECONDS)."""
    import contextlib
    import os
    import signal
    import threading

    import psutil

    port = free_port()
    proc = subprocess.Popen([str(HVP), "--store", str(disk_store_dir), "serve", "--port",
                             str(port)], env={**os.environ, "HVP_TIMEOUT": "60"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _healthy(proc, base)
        runaway = quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                        "?j ?k ?l }")

        def fetch() -> None:
            with contextlib.suppress(OSError):  # cut by the stop
                _get(f"{base}/sparql?query={runaway}", "application/json", timeout=90)

        for _ in range(2):
            threading.Thread(target=fetch, daemon=True).start()
        time.sleep(1.0)
        family = psutil.Process(proc.pid).children(recursive=True)
        assert len(family) >= 3  # granian's worker and two query workers
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        stopped = time.monotonic() - started
        gone, alive = psutil.wait_procs(family, timeout=5)
        assert not alive, alive
        assert stopped < 8, f"hvp serve took {stopped:.1f} s to stop"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
