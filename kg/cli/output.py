"""Where a command writes: standard output, or a file replaced only when complete."""

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
        with tmp.open("wb") as out:
            write(out)
        tmp.replace(output)
    except BaseException as exc:  # a failed or interrupted write leaves no part file behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError("--output %(output)s: cannot write it: %(value)s",
                             output=output, value=exc.strerror or exc) from None
        raise


def write_text(text: str, output: Path | None) -> None:
    """Write to a file (atomically) or to standard output."""
    if output is None:
        click.echo(text, nl=False)
        return
    write_stream(output, lambda out: out.write(text.encode("utf-8")))
