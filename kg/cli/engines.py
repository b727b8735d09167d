"""``hvp doctor``: probe a remote SPARQL engine."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from kg import EndpointStore, InputError, check_endpoint, run_doctor
from kg.cli.app import EXIT_FINDINGS, App, pass_app, say


@click.command()
@click.option("--endpoint", "url", help="The engine's query URL [default: the endpoint "
              "setting]; the update and graph store URLs and credentials come from the "
              "settings.")
@pass_app
def doctor(app: App, url: str | None) -> None:
    """Probe a remote SPARQL engine with queries and updates of known answers (in a scratch
    graph it drops afterwards) and print what works; exit 1 if a probe fails (a fault that
    hvp-kg's queries avoid is shown, and does not fail)."""
    values = {**app.settings, **({"endpoint": url} if url else {})}
    if not values.get("endpoint"):
        raise InputError("hvp doctor probes a remote engine: give --endpoint URL (or the "
                         "endpoint setting, HVP_ENDPOINT)")
    check_endpoint(str(values["endpoint"]))
    store = EndpointStore.from_settings(values)
    verdicts = run_doctor(store)
    table = Table(title=f"hvp doctor {store.query_url}", show_lines=True)
    for column in ("probe", "result", "what it asks / what failed", "what a failure means",
                   "fix"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        if v.passed:
            table.add_row(v.probe.name, "pass", v.probe.asks, "", "")
        elif v.avoided:  # a fault of the engine that hvp-kg's queries write around
            table.add_row(v.probe.name, "avoided", v.detail, v.probe.meaning,
                          f"avoided: {v.probe.avoided}")
        else:
            table.add_row(v.probe.name, "FAIL", v.detail, v.probe.meaning, v.probe.fix)
    Console(markup=False, highlight=False, width=160).print(table)
    failed = [v.probe.name for v in verdicts if not v.passed and not v.avoided]
    if failed:
        say("failed", "bold red", f"{len(failed)} of {len(verdicts)} probes: "
            f"{', '.join(failed)}")
        sys.exit(EXIT_FINDINGS)
    say("passed", "green", f"all {len(verdicts)} probes")
