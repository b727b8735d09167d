"""The HTTP bad-input corpus: ``tests/bad/{http,sparql,shacl}/<case>/`` (tests/bad/HTTP.md).

Each case is sent to the app as ``hvp serve`` runs it (granian on loopback) over a copy of the
on-disk small store; the answer must have the expected status and problem, the server must
still answer ``/healthz``, and the store must be unchanged (a checksum of every quad, read
through the server).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest

from tests.conftest import ServedApp

BAD = Path(__file__).resolve().parent / "bad"
CASES = sorted(p.parent for group in ("http", "sparql", "shacl")
               for p in (BAD / group).glob("*/request.json"))
TOKEN = "bad-corpus-token"
#: Every quad of the store, in a stable order (through a query worker).
QUADS = ("SELECT ?g ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } "
         "ORDER BY ?g ?s ?p ?o")

pytestmark = pytest.mark.slow


def served_copy(tmp_path_factory: pytest.TempPathFactory, small_store_dir: Path,
                name: str) -> ServedApp:
    """The app served over a copy of the small store, writes open to :data:`TOKEN`, with
    small body and query limits (the corpus's cases over them)."""
    target = tmp_path_factory.mktemp(name) / "store"
    shutil.copytree(small_store_dir, target)
    return ServedApp({"store": str(target), "workers": 2, "timeout": 3.0, "write_token": TOKEN,
                      "read_only": False, "max_body": 100_000, "max_query": 20_000})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, small_store_dir: Path):
    live = served_copy(tmp_path_factory, small_store_dir, "bad")
    yield live
    live.close()


def _value(spec: Any, folder: Path) -> bytes:
    """A body or field: text, a file of the case, or a repeated text (a large upload)."""
    if isinstance(spec, str):
        return spec.encode()
    if "file" in spec:
        return (folder / spec["file"]).read_bytes()
    if "text" in spec:
        return str(spec["text"]).encode()
    return (spec.get("prefix", "") + spec["repeat"] * spec["times"]).encode()


def _request(folder: Path) -> tuple[str, str, dict[str, str], bytes | None]:
    spec = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    path, headers = spec["path"], dict(spec.get("headers", {}))
    if spec.get("auth"):
        headers["Authorization"] = f"Bearer {TOKEN}"
    if "params" in spec:
        path += "?" + "&".join(f"{k}={quote(_value(v, folder))}"
                               for k, v in spec["params"].items())
    body = None
    if "body" in spec:
        body = _value(spec["body"], folder)
    elif "form" in spec:
        body = urlencode({k: _value(v, folder) for k, v in spec["form"].items()}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers.setdefault("Accept", "application/json")
    return spec["method"], path, headers, body


def _send(url: str, method: str, path: str, headers: dict[str, str], body: bytes | None,
          timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=timeout)
    try:
        # the server may answer (413) before it reads the whole body: read the answer then
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, \
            response.read()
    finally:
        conn.close()


def _checksum(url: str) -> str:
    status, _, body = _send(url, "GET", "/sparql?query=" + quote(QUADS),
                            {"Accept": "text/tab-separated-values"}, None)
    assert status == 200, body[:500]
    return hashlib.sha256(body).hexdigest()


def test_the_corpus_has_at_least_30_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("folder", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_bad_request(server: ServedApp, folder: Path):
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    before = _checksum(server.url)
    status, headers, body = _send(server.url, *_request(folder))
    assert status == expected["status"], body[:1000]
    if status != 405 or body:
        assert headers.get("content-type", "").startswith("application/problem+json"), headers
        problem = json.loads(body)
        assert problem["status"] == status
        assert "Traceback" not in body.decode("utf-8", errors="replace")
        for key in ("title", "line"):
            if key in expected:
                assert problem[key] == expected[key], problem
        if "detail" in expected:
            assert expected["detail"] in problem["detail"], problem
    if "absent" in expected:
        assert expected["absent"].encode() not in body
    for name, start in expected.get("header", {}).items():
        assert headers.get(name.lower(), "").startswith(start), headers
    assert _send(server.url, "GET", "/healthz", {}, None)[0] == 200
    assert _checksum(server.url) == before, "the store changed"
