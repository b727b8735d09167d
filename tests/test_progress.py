"""Progress shown to people: log lines when standard error is not a terminal (kg.progress)."""

from __future__ import annotations

import io
import time

from rich.console import Console

from kg.progress import clock, reporter


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=200), out


def test_log_lines_tell_percentage_rate_and_time_left() -> None:
    console, out = _console()
    with reporter(console, every=0.05) as update:
        update("patents.csv", 0, 1000, 0)
        update("patents.csv", 250, 1000, 5000)
        time.sleep(0.3)  # ticks while a quarter is done
        update("patents.csv", 1000, 1000, 20000)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("patents.csv: 25% (5,000 rows, ") and line.endswith(" left")
               for line in lines), lines
    assert lines[-1].startswith("patents.csv: done in 0:00:00, 20,000 rows")


def test_a_step_without_intermediate_reports_still_says_it_runs() -> None:
    console, out = _console()
    with reporter(console, every=0.05) as update:
        update("loading 9 triples", 0, None, None)
        time.sleep(0.3)
        update("loading 9 triples", 1, 1, None)
    lines = out.getvalue().splitlines()
    assert "loading 9 triples: running for 0:00:00" in lines
    assert lines[-1] == "loading 9 triples: done in 0:00:00"


def test_no_line_after_the_end_and_none_when_quiet() -> None:
    console, out = _console()
    with reporter(console, every=0.05) as update:
        update("step", 1, 1, None)
        time.sleep(0.15)
    assert out.getvalue().splitlines() == ["step: done in 0:00:00"]
    console, out = _console()
    with reporter(console, enabled=False) as update:
        update("step", 0, None, None)
        update("step", 1, 1, None)
    assert out.getvalue() == ""


def test_clock() -> None:
    assert clock(70.4) == "0:01:10"
    assert clock(-3) == "0:00:00"
