"""Queued computations (web.computations), over HTTP against granian as `hvp serve` runs it: the
first dashboard, canned query and patent page at a new date answer "being computed" at once
(503, Retry-After, Refresh) without holding a request thread; later requests get the answer;
lookups and /healthz answer meanwhile."""

from __future__ import annotations

import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from kg import Queued
from tests.conftest import ServedApp
from web.computations import Computations


@pytest.fixture()
def server(small_store_dir, tmp_path) -> Iterator[ServedApp]:
    target = tmp_path / "store"
    shutil.copytree(small_store_dir, target)
    served = ServedApp({"store": str(target), "workers": 1, "page_workers": 1,
                        "timeout": 10.0})
    yield served
    served.close()


def _get(server: ServedApp, path: str, accept: str = "text/html"
         ) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(server.url + path, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _names(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, _names(exc.headers), exc.read().decode()


def _names(headers: object) -> dict[str, str]:
    """Header names as HTTP/1.1 spells them (granian sends them in lower case)."""
    return {k.title(): v for k, v in headers.items()}  # type: ignore[attr-defined]


def _until_ready(server: ServedApp, path: str, accept: str = "text/html"
                 ) -> tuple[int, dict[str, str], str]:
    deadline = time.monotonic() + 120
    while True:
        status, headers, body = _get(server, path, accept)
        if status != 503 or time.monotonic() > deadline:
            return status, headers, body
        time.sleep(min(2, int(headers["Retry-After"])))


@pytest.mark.parametrize("path", ["/indicators?year=2024", "/queries/criteria-count",
                                  "/patent/CN-T01?as_of=2018-09-30"])
def test_a_first_computation_is_queued_and_the_page_says_so(server, path):
    began = time.monotonic()
    status, headers, body = _get(server, path)
    assert time.monotonic() - began < 5  # answered at once, not after the computation
    assert status == 503, body
    wait = int(headers["Retry-After"])
    assert 1 <= wait <= 30 and headers["Refresh"] == str(wait)
    assert "being computed" in body and "ready in about" in body
    # meanwhile (the computation runs in the app's background thread) cheap requests answer
    assert _get(server, "/healthz", "application/json")[0] == 200
    status, _, body = _until_ready(server, path)
    assert status == 200, body
    assert "being computed" not in body
    assert _get(server, path)[0] == 200  # read from what was stored or kept


def test_a_download_waiting_for_its_computation_gets_problem_json(server):
    status, headers, body = _get(server, "/queries/top-owners?format=json", "application/json")
    assert status == 503 and headers["Content-Type"].startswith("application/problem+json")
    assert '"title": "Being computed"' in body and int(headers["Retry-After"]) >= 1
    status, _, body = _until_ready(server, "/queries/top-owners?format=json", "application/json")
    assert status == 200 and '"rows"' in body


def test_a_bad_parameter_is_400_at_once_not_queued(server):
    status, _, body = _get(server, "/queries/region-series?region=XX-YY&format=json",
                           "application/json")
    assert status == 400, body


def test_a_request_waits_at_most_wait_for_its_job_and_a_kept_value_is_given_again():
    """Computations.result: the value at once when the job ends within ``wait``; 503 Being
    computed after ``wait`` otherwise, the job going on; with ``keep`` the value given to
    every request until forget(), the work run once."""
    computations = Computations()
    runs: list[int] = []
    release = threading.Event()

    def slow() -> int:
        runs.append(1)
        release.wait(30)
        return 42

    began = time.monotonic()
    with pytest.raises(Queued):
        computations.result("k", "test", slow, keep=True, wait=0.3)
    assert 0.3 <= time.monotonic() - began < 5
    release.set()
    assert computations.result("k", "test", slow, keep=True, wait=30) == 42
    assert computations.result("k", "test", slow, keep=True) == 42  # kept: not run again
    assert runs == [1]
    computations.forget()
    assert computations.result("k", "test", lambda: 7, wait=30) == 7  # asked again: new work
