"""An app closed lets go of what it opened: its on-disk store's files, not left to the garbage
collector (a program that makes and closes apps, or a long test run, would hold every store's
files open: over 1,023 descriptors broke ``select``, and such files keep a removed generation's
disk space)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from tests.conftest import waiting
from web.app import create_app


def _open_under(folder: Path | str, pid: int | str = "self") -> list[str]:
    """The files under ``folder`` (resolved) that process ``pid`` holds open."""
    inside = os.path.realpath(folder)
    names = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target == inside or target.startswith(inside + "/"):
            names.append(target)
    return names


def test_a_closed_app_holds_none_of_its_stores_files(disk_store_dir: Path):
    app = waiting(create_app({"store": str(disk_store_dir), "workers": 1, "page_workers": 0}))
    page = app.test_client().get("/patent/CN-T01", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.data[:300]
    assert _open_under(disk_store_dir), "the app should read its store"
    app.extensions["hvp"].close()
    gc.collect()  # what is left to the collector is not counted as let go
    assert not _open_under(disk_store_dir), _open_under(disk_store_dir)[:5]
    # asked again after close, the store is opened again
    service = app.extensions["hvp"]
    assert len(service.store()) > 0
    service.close()


def test_idle_workers_let_go_of_a_generation_switched_out(disk_store_dir: Path):
    """Regression: a query or page worker kept its view of the generation it last read until
    its next request, which may come hours later: the generation a computation switched out
    (its files, gigabytes at millions of patents) stayed on disk meanwhile. Told of the switch,
    an idle worker lets go at once, and the old generation is removed."""
    import time

    app = waiting(create_app({"store": str(disk_store_dir), "workers": 2, "page_workers": 2}))
    service = app.extensions["hvp"]
    try:
        old = os.path.realpath(disk_store_dir)
        workers = service.pool.pids() + service.renderer.pids()
        assert all(_open_under(old, pid) for pid in workers), "each worker reads the store"
        page = app.test_client().get("/patent/CN-T01?as_of=2016-05-17")  # queued, then served
        assert page.status_code == 200, page.data[:300]
        assert os.path.realpath(disk_store_dir) != old, "the computation switched a generation"
        deadline = time.monotonic() + 10
        while Path(old).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        held = {pid: _open_under(old, pid) for pid in workers}
        assert not any(held.values()), held
        assert not Path(old).exists(), "the old generation is still on disk"
    finally:
        service.close()
