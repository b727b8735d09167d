"""Pages rendered in worker processes (web.renderer): the same answers as the app's own, the
work done in the page worker, pages that compute left to the app, refreshed views after it
writes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import waiting
from web.renderer import is_page

PATENT = "/patent/CN-T01"


@pytest.fixture()
def apps(small_store_dir, tmp_path):
    """An app with one page worker and one without, each over its own copy of the store."""
    from web.app import create_app

    made = []
    for name, workers in (("rendered", 1), ("inline", 0)):
        target = tmp_path / name
        shutil.copytree(small_store_dir, target)
        made.append(waiting(create_app({"store": str(target), "workers": 1,
                                        "page_workers": workers})))
    yield made
    for app in made:
        app.extensions["hvp"].close()


def test_pages_are_what_the_app_renders_and_rendered_in_the_worker(apps):
    rendered, inline = (app.test_client() for app in apps)
    renderer = apps[0].extensions["hvp"].renderer
    for path in (PATENT, "/owner/O1", "/region/CN-GD", "/queries/criteria-count?format=json",
                 PATENT + ".ttl"):
        inline.get(path)  # derived graphs computed (in both: each has its own store)
        rendered.get(path)
        ours, theirs = rendered.get(path), inline.get(path)
        assert ours.status_code == theirs.status_code == 200, path
        assert ours.data == theirs.data, path
        assert ours.headers.get("Content-Type") == theirs.headers.get("Content-Type")
        assert "X-Hvp-Elsewhere" not in ours.headers
        before = renderer.answered
        for _ in range(3):
            rendered.get(path)
        # the summary pages and the canned answer are left to the app on this store (a first
        # layout: answers are kept in the app's memory, not on disk for the workers to read)
        if path.startswith(PATENT):
            assert renderer.answered == before + 3, f"{path} was not rendered by a page worker"


def test_the_home_page_the_dataset_and_a_list_are_rendered_in_the_worker(apps):
    """``/``, ``/dataset`` and a list of ``/patents`` once its date is classified; the list's
    download, streamed, is left to the app (decision 76)."""
    rendered, inline = (app.test_client() for app in apps)
    renderer = apps[0].extensions["hvp"].renderer
    listed = "/patents?region=CN-GD&year=2024&lang=en"
    for client in (rendered, inline):  # the classification at 2024-12-31, computed by the app
        assert client.get(listed).status_code == 200
    for path in ("/?lang=en", "/dataset?lang=en", listed, "/patents?year=2024&sort=-filing"):
        ours, theirs = rendered.get(path), inline.get(path)
        assert ours.status_code == theirs.status_code == 200, path
        assert ours.data == theirs.data, path
        before = renderer.answered
        rendered.get(path)
        assert renderer.answered == before + 1, f"{path} was not rendered by a page worker"
    before = renderer.answered
    download = rendered.get(listed + "&format=csv")
    assert download.status_code == 200 and download.data == inline.get(listed + "&format=csv").data
    assert download.text.count("\n") > 1
    assert renderer.answered == before, "a download is the app's (streamed)"


def test_a_page_that_computes_is_left_to_the_app_and_the_worker_sees_its_graph(apps):
    client = apps[0].test_client()
    svc = apps[0].extensions["hvp"]
    page = client.get(PATENT + "?as_of=2019-06-30")  # no classification at that date yet
    assert page.status_code == 200 and "2019-06-30" in page.text
    assert "X-Hvp-Elsewhere" not in page.headers
    before = svc.renderer.answered
    for _ in range(3):  # stored now: the worker renders it, and sees the new graph
        again = client.get(PATENT + "?as_of=2019-06-30")
        assert again.status_code == 200 and "X-Hvp-Elsewhere" not in again.headers
        assert "/classification/cnipa-2021/2019-06-30/CN-T01" in again.text
    assert svc.renderer.answered == before + 3


def test_a_missing_resource_is_the_apps_404(apps):
    ours, theirs = (app.test_client().get("/patent/NOPE") for app in apps)
    assert ours.status_code == theirs.status_code == 404
    assert ours.data == theirs.data


@pytest.mark.parametrize(("method", "path", "page"), [
    ("GET", "/patent/CN-T01", True), ("HEAD", "/owner/O1.ttl", True),
    ("GET", "/indicators", True), ("GET", "/indicators.csv", True),
    ("GET", "/queries/top-owners", True), ("GET", "/sei/", True),
    ("GET", "/healthz", False), ("GET", "/sparql", False), ("GET", "/queries", False),
    ("POST", "/queries/top-owners/graphs", False), ("GET", "/static/app.css", False),
    ("POST", "/patent/CN-T01", False), ("GET", "/editor", False),
    ("GET", "/", True), ("GET", "/patents", True), ("GET", "/dataset", True),
    ("GET", "/dataset.ttl", True), ("GET", "/.well-known/void", True),
    ("GET", "/patentsx", False), ("POST", "/patents", False), ("GET", "/search", False),
])
def test_which_requests_are_pages(method, path, page):
    assert is_page({"REQUEST_METHOD": method, "PATH_INFO": path}) is page


def test_page_workers_get_the_apps_configuration(small_store_dir, tmp_path):
    """Regression: a page worker's app was built from the settings only, so a canned query of
    the app's ``queries_dir`` was 404 there."""
    from pathlib import Path

    from web.app import create_app

    queries = Path(__file__).resolve().parent / "data" / "queries"
    target = tmp_path / "store"
    shutil.copytree(small_store_dir, target)
    app = waiting(create_app({"store": str(target), "workers": 1, "page_workers": 1,
                              "queries_dir": str(queries)}))
    try:
        name = sorted(queries.glob("*.rq"))[0].stem
        client = app.test_client()
        first = client.get(f"/queries/{name}?format=json")
        assert first.status_code == 200, first.get_data(as_text=True)
        assert client.get(f"/queries/{name}?format=json").data == first.data
    finally:
        app.extensions["hvp"].close()


def _get(url: str, accept: str, language: str = "en") -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Accept": accept,
                                                   "Accept-Language": language})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_beyond_page_queue_a_page_is_refused_at_once(small_store_dir, tmp_path):
    """With its one page worker stopped, one page is in the worker and one waits
    (``page_queue`` 1); the next is 503 with Retry-After at once, as problem+json or as the
    error page in the reader's language; /healthz answers; the two held pages are served once
    the worker goes on."""
    from werkzeug.serving import make_server

    from web.app import create_app

    target = tmp_path / "store"
    shutil.copytree(small_store_dir, target)
    app = create_app({"store": str(target), "workers": 1, "page_workers": 1, "page_queue": 1,
                      "timeout": 60.0})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}"
    try:
        deadline = time.monotonic() + 120  # their computations queued first
        for path in (PATENT, "/owner/O1"):
            while _get(url + path, "text/html")[0] == 503 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert _get(url + path, "text/html")[0] == 200
        worker = app.extensions["hvp"].renderer.pids()[0]
        os.kill(worker, signal.SIGSTOP)
        held: list[int] = []
        try:
            waiting_pages = [threading.Thread(
                target=lambda: held.append(_get(url + PATENT, "text/html")[0]))
                for _ in range(2)]
            for thread in waiting_pages:
                thread.start()
                time.sleep(0.5)
            began = time.monotonic()
            status, headers, body = _get(url + PATENT, "application/json")
            assert time.monotonic() - began < 1.0
            assert status == 503 and headers["Retry-After"] == "2"
            assert headers["Content-Type"].startswith("application/problem+json")
            assert "page_queue" in json.loads(body)["detail"]
            status, headers, body = _get(url + "/owner/O1", "text/html", "zh")
            assert status == 503 and headers["Retry-After"] == "2"
            assert headers["Content-Type"].startswith("text/html") and "服务繁忙" in body
            assert _get(url + "/healthz", "application/json")[0] == 200
            assert held == []  # still waiting
        finally:
            os.kill(worker, signal.SIGCONT)
        for thread in waiting_pages:
            thread.join(60)
        assert held == [200, 200]
    finally:
        server.shutdown()
        app.extensions["hvp"].close()
