"""The files an ingest reads: what a path is (refused before it is opened if it is not a
regular file or folder) and where a CSV file stops being UTF-8."""

from __future__ import annotations

import csv
import errno
import os
import stat
from pathlib import Path

from kg.errors import InputError, RowError
from kg.ingest.tabular import column_name


def check_kind(path: Path, *, missing_ok: bool = False, file_only: bool = False) -> None:
    """Refuse what is not a regular file or folder (before opening it: a FIFO would hang);
    with ``file_only``, a folder too (a file of the exchange format)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("%(path)s: a symbolic link that loops (it leads back to itself); "
                             "point it at a file or folder", path=path) from None
        if path.is_symlink():
            raise InputError("%(path)s: a symbolic link to %(readlink)s, which does not exist",
                             path=path, readlink=os.readlink(path)) from None
        if missing_ok and exc.errno == errno.ENOENT:
            return
        raise InputError("%(path)s: no such file or folder", path=path) from None
    if stat.S_ISFIFO(mode):
        raise InputError("%(path)s: a named pipe (FIFO), not a file; ingest reads files and "
                         "folders only (save the data to a file first)", path=path)
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError("%(path)s: not a regular file or folder (a device or a socket); "
                         "ingest reads files and folders only", path=path)
    if file_only and stat.S_ISDIR(mode):
        raise InputError("%(path)s: a folder, not a CSV file", path=path)


def not_utf8(path: Path) -> RowError:
    """Where a file stops being UTF-8: the line, the CSV column and the byte of the file.
    (The decoder's own position counts from the start of the chunk it was decoding.)"""
    offset, header = 0, []
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8")
                if number == 1:
                    header = [h.strip() for h in next(csv.reader([text.lstrip("\ufeff")]), [])]
            except UnicodeDecodeError as exc:  # a multi-byte character never holds a newline
                before = raw[:exc.start].decode("utf-8").lstrip("\ufeff")
                cell = len(next(csv.reader([before]), [""])) - 1 if before else 0
                return RowError(str(path), number, column_name(header, cell),
                                "not UTF-8 text (%(reason)s at byte %(value)s of the file, "
                                "character %(value2)s of the line): save the file as UTF-8",
                                reason=exc.reason, value=offset + exc.start, value2=len(before) + 1)
            offset += len(raw)
    return RowError(str(path), 1, "*", "not UTF-8 text: save the file as UTF-8")
