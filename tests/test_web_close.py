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


def _open_under(folder: Path) -> list[str]:
    names = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith(str(folder.resolve())):
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
