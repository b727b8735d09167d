"""Where a command writes: standard output, or a file replaced only when complete.

A file is written without a name (``O_TMPFILE``) and named ``OUTPUT.part`` only when complete,
then renamed over ``OUTPUT``: a command killed while it writes (SIGTERM, SIGKILL, out of disk)
leaves no part file (where the file system has no ``O_TMPFILE``, the part file is written
directly and removed on every exit that runs Python's clean-up).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kg import InputError


def _part(output: Path) -> Path:
    """The file written first, renamed to ``output`` when complete."""
    return output.with_name(output.name + ".part")


def _special(output: Path) -> bool:
    """Whether ``output`` is a device, a pipe or a socket (``-o /dev/null``): written as it
    is, never replaced by a renamed file."""
    return output.exists() and not output.is_file() and not output.is_dir()


def check_output(output: Path | None) -> None:
    """Refuse, before any work, an ``--output`` file that cannot be written."""
    if output is None:
        return
    if _special(output):
        if not os.access(output, os.W_OK):
            raise InputError("--output %(output)s: cannot write there: permission denied",
                             output=output)
        return
    folder = output.parent
    if not folder.exists():
        raise InputError("--output %(output)s: the folder %(folder)s does not exist; create it "
                         "first", output=output, folder=folder)
    if not folder.is_dir():
        raise InputError("--output %(output)s: %(folder)s is not a folder",
                         output=output, folder=folder)
    tmp = _part(output)
    try:
        unnamed = _unnamed(folder)  # a probe that leaves nothing behind if killed
        if unnamed is not None:
            os.close(unnamed)
        else:
            with tmp.open("ab"):
                pass
            tmp.unlink()
    except OSError as exc:
        raise InputError("--output %(output)s: cannot write there: %(value)s",
                         output=output, value=exc.strerror or exc) from None


def write_stream(output: Path | None, write: Callable[[Any], object]) -> None:
    """Write to standard output, or to a file replaced only when complete (a device or a pipe
    is written as it is)."""
    if output is None:
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    if _special(output):
        with output.open("wb") as out:
            write(out)
        return
    tmp = _part(output)
    try:
        unnamed = _unnamed(output.parent)
        with (os.fdopen(unnamed, "wb") if unnamed is not None else tmp.open("wb")) as out:
            write(out)
            if unnamed is not None:  # named only now that it is complete
                out.flush()
                tmp.unlink(missing_ok=True)
                _name(unnamed, tmp)
        tmp.replace(output)
    except BaseException as exc:  # a failed or interrupted write leaves no part file behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError("--output %(output)s: cannot write it: %(value)s",
                             output=output, value=exc.strerror or exc) from None
        raise


def _unnamed(folder: Path) -> int | None:
    """A new file without a name in ``folder`` (``O_TMPFILE``), or None where the file system
    has none: killed at any moment (SIGTERM, SIGKILL), a write leaves nothing behind, as the
    kernel frees a file that has no name when it is closed."""
    try:
        return os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o666)
    except (OSError, AttributeError):
        return None


def _name(fd: int, path: Path) -> None:
    """Give the unnamed file open as ``fd`` the name ``path`` (``linkat`` following
    ``/proc/self/fd/N``, as open(2) says; a plain ``link`` would link the symbolic link)."""
    folder = os.open("/proc/self/fd", os.O_RDONLY)
    try:
        os.link(str(fd), path, src_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def write_text(text: str, output: Path | None) -> None:
    """Write to a file (atomically) or to standard output."""
    if output is None:
        click.echo(text, nl=False)
        return
    write_stream(output, lambda out: out.write(text.encode("utf-8")))
