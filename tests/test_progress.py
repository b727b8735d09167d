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


def test_dropping_derived_graphs_moves_by_quads(tmp_path) -> None:
    """An ingest that must drop derived graphs quad by quad (a store without its base) tells
    how many quads are gone, batch by batch: the bar stayed at 0% for minutes at 250,000
    patents when it moved by graph."""
    import pyoxigraph as ox

    from kg import DEFAULT_BASE, LocalStore
    from kg.ingest import drop_derived
    from kg.iri import mint
    from kg.store import REMOVED_AT_ONCE

    store = LocalStore(tmp_path / "store")
    graph = ox.NamedNode(mint(DEFAULT_BASE, "graph", "classification", "cnipa-2021"))
    other = ox.NamedNode("https://example.org/data-graph")
    size = 2 * REMOVED_AT_ONCE + 7
    node = ox.NamedNode("https://example.org/p")
    store.add([ox.Quad(ox.NamedNode(f"https://example.org/s{i}"), node, ox.Literal(str(i)), g)
               for i in range(size) for g in (graph, other)])
    told: list[tuple[str, int, int | None]] = []
    dropped = drop_derived(store, DEFAULT_BASE,
                           lambda label, done, total, rows: told.append((label, done, total)))
    assert dropped == [graph.value]
    assert [(done, total) for _, done, total in told] == [
        (0, size), (REMOVED_AT_ONCE, size), (2 * REMOVED_AT_ONCE, size), (size, size)]
    assert told[0][0] == "dropping 1 derived graph"
    assert store.graph_size(graph) == 0 and graph not in list(store.oxigraph.named_graphs())
    assert store.graph_size(other) == size  # data left alone


def test_the_search_index_bar_has_a_total_and_ends_once(tmp_path) -> None:
    """Building the text index tells a percentage of the things to index, and says it is done
    once, at the end (each batch said "done in 0:00:00" when the total was unknown)."""
    from kg import DEFAULT_BASE, LocalStore, generate_demo, ingest_files, search

    demo = tmp_path / "demo"
    generate_demo(demo, patents=12_000)  # about 14,000 things: batches of 5,000
    store = LocalStore()
    ingest_files(store, [demo], base=DEFAULT_BASE)
    console, out = _console()
    told: list[tuple[int, int | None]] = []
    with reporter(console, every=60) as update:
        def both(label: str, done: int, total: int | None, rows: int | None) -> None:
            told.append((done, total))
            update(label, done, total, rows)
        count = search.build_for(store, tmp_path / "index", both)
    assert count > 10_000 and len(told) >= 3 and told[-1] == (count, count)
    assert all(total is not None and count <= total <= count + 50 for _, total in told[:-1])
    assert [line for line in out.getvalue().splitlines() if "done in" in line] \
        == [f"search index index: done in 0:00:00, {count:,} rows"]


def test_a_bulk_load_tells_how_far_it_has_read(tmp_path) -> None:
    """Regression: the ingest's bulk load (half the ingest at 5,000,000 patents, 20 minutes)
    said only "running for ...": the engine does not tell how far it is. It is measured by
    where the process's descriptor on the file is: a percentage of the file's bytes, under
    100% until the load has ended, then 100%."""
    import pyoxigraph as ox

    from kg import LocalStore
    from kg.progress import reading

    source = tmp_path / "data.nt"
    with source.open("w") as out:
        for i in range(400_000):
            out.write(f"<https://example.org/s{i}> <https://example.org/p> \"{i}\" .\n")
    size = source.stat().st_size
    store = LocalStore(tmp_path / "store")
    told: list[tuple[int, int | None]] = []
    with reading(lambda label, done, total, rows: told.append((done, total)), "loading",
                 source, every=0.01):
        store.load(source, ox.RdfFormat.N_TRIPLES)
    assert len(store) == 400_000
    assert told[0] == (0, size) and told[-1] == (size, size)
    between = [done for done, total in told[1:-1]]
    assert between and all(0 < done < size for done in between), told[:5]
    assert between == sorted(between)


def test_reading_a_file_by_hand_is_measured_too(tmp_path) -> None:
    """The measure is the descriptor's offset, whoever reads: a file read in ten pieces."""
    from kg.progress import reading

    source = tmp_path / "data.bin"
    source.write_bytes(b"x" * 10_000)
    told: list[int] = []
    with reading(lambda label, done, total, rows: told.append(done), "reading", source,
                 every=0.005), source.open("rb", buffering=0) as f:
        for _ in range(10):
            f.read(1_000)
            time.sleep(0.05)
    assert told[0] == 0 and told[-1] == 10_000
    assert {1_000, 5_000, 9_000} <= set(told), told


def test_the_ingests_load_has_a_total(tmp_path) -> None:
    """The ingest's bulk load reports the bytes of the file it loads as its total (a
    percentage and time left), not a step without one."""
    from kg import DEFAULT_BASE, LocalStore, generate_demo
    from kg.ingest import ingest

    demo = tmp_path / "demo"
    generate_demo(demo, patents=2_000)
    told: list[tuple[str, int, int | None]] = []
    ingest(LocalStore(tmp_path / "store"), [demo], base=DEFAULT_BASE,
           progress=lambda label, done, total, rows: told.append((label, done, total)))
    loads = [(done, total) for label, done, total in told if label.startswith("loading ")]
    assert loads and loads[0][0] == 0 and loads[0][1], loads
    assert loads[-1][0] == loads[-1][1] == loads[0][1], loads


def _ended(told: list[tuple[str, int, int | None]]) -> dict[str, list[tuple[int, int | None]]]:
    """The calls of each label, checked against the protocol (kg.progress.Progress): the first
    at 0, ``done`` never going back, the last with ``done == total``."""
    calls: dict[str, list[tuple[int, int | None]]] = {}
    for label, done, total in told:
        calls.setdefault(label, []).append((done, total))
    for label, seen in calls.items():
        assert seen[0][0] == 0, (label, seen)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen), (label, seen)
        assert seen[-1][1] is not None and seen[-1][0] == seen[-1][1], (label, seen)
    return calls


def _demo_store(tmp_path):
    """An on-disk store of 2,000 demo patents."""
    from kg import DEFAULT_BASE, LocalStore, ensure_reference, generate_demo, ingest_files

    demo = tmp_path / "demo"
    generate_demo(demo, patents=2_000)
    store = LocalStore(tmp_path / "store")
    ensure_reference(store, DEFAULT_BASE)
    ingest_files(store, [demo], base=DEFAULT_BASE)
    return store


def test_a_classification_moves_three_bars_that_end(tmp_path) -> None:
    """A classification says how far it is: the criteria's queries answered, the patents
    written, the evidence's units; each with a total, each ended."""
    from datetime import date

    from kg import DEFAULT_BASE, classify_patents

    told: list[tuple[str, int, int | None]] = []
    result = classify_patents(_demo_store(tmp_path), date(2024, 12, 31), base=DEFAULT_BASE,
                              progress=lambda label, done, total, rows:
                              told.append((label, done, total)))
    calls = _ended(told)
    at = "classifying at 2024-12-31: "
    assert set(calls) == {at + "the criteria's queries", at + "the rows and the graph",
                          at + "the evidence, unit by unit"}, set(calls)
    queries = calls[at + "the criteria's queries"]
    assert queries[-1][0] > 5 and len(queries) == queries[-1][0] + 1  # told one by one
    assert calls[at + "the rows and the graph"][-1][0] == len(result.rows)


def test_every_bar_of_a_timeline_ends(tmp_path) -> None:
    """Each label a timeline's computation reports ends (a label left running was printed
    again every 10 s for the rest of the command, its rate falling)."""
    from kg import DEFAULT_BASE, ensure_timeline, load_profile

    told: list[tuple[str, int, int | None]] = []

    def heard(label: str, done: int, total: int | None, rows: int | None) -> None:
        told.append((label, done, total))

    ensure_timeline(_demo_store(tmp_path), load_profile("cnipa-2021"), "cnipa-2021",
                    DEFAULT_BASE, heard)
    calls = _ended(told)
    assert "timeline of cnipa-2021: its unit queries" in calls
    assert "writing the timeline of cnipa-2021" in calls
    loads = [seen for label, seen in calls.items()
             if label.startswith("writing the timeline of cnipa-2021: loading ")]
    assert loads and all(seen[0][1] for seen in loads), calls  # the bulk loads have a total
    labels = [label for label, _, _ in told]  # one bar after the other, not both at once
    assert labels.index("writing the timeline of cnipa-2021") > \
        len(labels) - 1 - labels[::-1].index("timeline of cnipa-2021: its unit queries")
