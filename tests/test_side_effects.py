"""Effects beyond a call's own result are scoped: the garbage collector's pause (kg.collector),
the web app's exit hooks and query workers, and `hvp serve`'s environment."""

from __future__ import annotations

import atexit
import gc
import json
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from kg import collector
from kg.classify import classify
from kg.store import LocalStore
from tests.conftest import copy_of, free_port


@pytest.fixture()
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_pause_restores_the_collector_on_an_exception(collector_on) -> None:
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled() and collector.depth() == 0


def test_a_collector_switched_off_by_the_program_stays_off(collector_on) -> None:
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_in_threads_end_with_the_last(collector_on) -> None:
    """Thread A starts a pause, thread B starts one, A ends: the collector stays off until B
    ends, then it is on again (never left off, never switched on under B)."""
    a_in, b_in, a_out, b_release = (threading.Event() for _ in range(4))
    seen: dict[str, bool] = {}

    def a() -> None:
        with collector.paused():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b() -> None:
        a_in.wait(10)
        with collector.paused():
            b_in.set()
            a_out.wait(10)
            seen["under b after a ended"] = gc.isenabled()
            b_release.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_out.wait(10)
    b_release.set()
    for t in threads:
        t.join(10)
    assert seen == {"under b after a ended": False}
    assert gc.isenabled() and collector.depth() == 0


def test_classify_leaves_the_collector_as_it_was(small_store: LocalStore, collector_on) -> None:
    store = copy_of(small_store)
    classify(store, date(2024, 12, 31))
    assert gc.isenabled()
    with pytest.raises(Exception):  # noqa: B017,PT011 - any failure: the collector is back on
        classify(store, date(2024, 12, 31), profile=Path("/nonexistent/profile.ttl"))
    assert gc.isenabled() and collector.depth() == 0


def test_apps_register_no_exit_hook_each(small_store: LocalStore) -> None:
    from web.app import create_app

    first = create_app({"store": copy_of(small_store)})  # the one finalize hook, if not yet
    before = atexit._ncallbacks()
    apps = [create_app({"store": copy_of(small_store)}) for _ in range(5)]
    assert atexit._ncallbacks() == before
    for app in [first, *apps]:
        app.extensions["hvp"].close()


def test_an_app_that_is_dropped_ends_its_query_workers(disk_store_dir: Path) -> None:
    from web.app import create_app

    app = create_app({"store": str(disk_store_dir), "workers": 1, "timeout": 5.0})
    pids = app.extensions["hvp"].pool.pids()
    assert pids and all(Path(f"/proc/{pid}").exists() for pid in pids)
    del app
    gc.collect()
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


_SERVE = """
import json, os, signal, sys, threading, time, urllib.request
from kg.cli import cli

store, port = sys.argv[1], sys.argv[2]
before = dict(os.environ)

def watch():
    body = b""
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                body = r.read()
            break
        except OSError:
            time.sleep(0.2)
    print(json.dumps({"environ_same": dict(os.environ) == before,
                      "added": sorted(set(os.environ) - set(before)),
                      "health": json.loads(body or b"{}")}), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=watch, daemon=True).start()
cli(["--store", store, "serve", "--port", port], standalone_mode=False)
"""


@pytest.mark.slow
def test_hvp_serve_hands_settings_to_the_app_not_the_environment(disk_store_dir: Path) -> None:
    """The served app has the store given on the command line, and `hvp serve`'s own
    environment is unchanged while it serves (it used to set HVP_SERVE_SETTINGS)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HVP_")}
    done = subprocess.run([sys.executable, "-c", _SERVE, str(disk_store_dir), str(free_port())],
                          capture_output=True, text=True, timeout=120, env=env,
                          cwd=Path(__file__).resolve().parent.parent)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr
    seen = json.loads(lines[-1])
    assert seen["health"]["store"] == str(disk_store_dir), done.stderr
    assert seen["added"] == [] and seen["environ_same"], seen
