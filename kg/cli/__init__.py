"""The ``hvp`` command line.

Exit codes: 0 success; 1 findings (the data does not conform); 2 usage or input error.

One module per group of commands, each added to the group here: :mod:`kg.cli.data` (ingest,
validate, export, demo, stats); :mod:`kg.cli.server` (serve); :mod:`kg.cli.classification`
(indicators, classify, explain, profiles); :mod:`kg.cli.queries` (query, sparql, search);
:mod:`kg.cli.engines` (doctor); :mod:`kg.cli.linking` (link). :mod:`kg.cli.app` holds what they
share, :mod:`kg.cli.output` where they write.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from kg import KGError, load_settings
from kg.cli.app import EXIT_INPUT, App, say
from kg.cli.classification import classify, explain, indicators, profiles
from kg.cli.data import demo, export, ingest, stats, validate
from kg.cli.engines import doctor
from kg.cli.linking import link
from kg.cli.queries import query, search_command, sparql
from kg.cli.server import serve


class HvpGroup(click.Group):
    """Turns hvp-kg's own errors into a message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KGError as exc:
            say("error", "bold red", str(exc))
            sys.exit(EXIT_INPUT)


@click.group(cls=HvpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="HVP_STORE", help="Store directory, or :memory: "
              "[default: hvp-store].")
@click.option("--endpoint", envvar="HVP_ENDPOINT", help="Remote SPARQL endpoint URL.")
@click.option("--update-endpoint", envvar="HVP_UPDATE_ENDPOINT",
              help="The remote engine's SPARQL Update URL [default: endpoint folder + /update].")
@click.option("--gsp-endpoint", envvar="HVP_GSP_ENDPOINT", help="The remote engine's Graph "
              "Store Protocol URL [default: endpoint folder + /store].")
@click.option("--base", envvar="HVP_BASE", help="Base IRI of minted things.")
@click.option("--config", "config_file", envvar="HVP_CONFIG", type=click.Path(dir_okay=False),
              help="TOML settings file.")
@click.version_option(package_name="hvp-kg")
@click.pass_context
def cli(ctx: click.Context, store: str | None, endpoint: str | None,
        update_endpoint: str | None, gsp_endpoint: str | None, base: str | None,
        config_file: str | None) -> None:
    """hvp: a knowledge graph of high-value invention patents."""
    explicit = {"store": store, "endpoint": endpoint, "update_endpoint": update_endpoint,
                "gsp_endpoint": gsp_endpoint, "base": base}
    ctx.obj = App(load_settings(explicit, config_file=config_file))
    ctx.call_on_close(ctx.obj.close)


cli.add_command(classify)
cli.add_command(demo)
cli.add_command(doctor)
cli.add_command(explain)
cli.add_command(export)
cli.add_command(indicators)
cli.add_command(ingest)
cli.add_command(link)
cli.add_command(profiles)
cli.add_command(query)
cli.add_command(search_command)
cli.add_command(serve)
cli.add_command(sparql)
cli.add_command(stats)
cli.add_command(validate)


def main() -> None:
    # `hvp export | head`: end quietly when the reader goes, as other Unix tools do
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli(prog_name="hvp")
