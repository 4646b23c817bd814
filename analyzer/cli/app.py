"""The typer application: its global options, its commands in the order ``mxa --help`` lists
them, and the console-script entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from analyzer import __version__
from analyzer.cli.analysis_commands import (
    aliases_command,
    audit_command,
    demo_command,
    graph_command,
    links_command,
    report_command,
)
from analyzer.cli.diff_command import diff_command
from analyzer.cli.help_format import PlainHelpCommand, PlainHelpGroup
from analyzer.cli.printing import console
from analyzer.cli.store_commands import export_command, ingest_command, stats_command

app = typer.Typer(
    name="mxa",
    cls=PlainHelpGroup,
    help="mxa, the metadata exposure analyzer: what a mail archive's envelope gives away.",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# registered here, in this order, which is the order of `mxa --help`
COMMANDS = (
    ("ingest", ingest_command),
    ("stats", stats_command),
    ("audit", audit_command),
    ("links", links_command),
    ("aliases", aliases_command),
    ("graph", graph_command),
    ("report", report_command),
    ("diff", diff_command),
    ("export", export_command),
    ("demo", demo_command),
)
for _name, _command in COMMANDS:
    app.command(_name, cls=PlainHelpCommand)(_command)


def _version(value: bool) -> None:
    if value:
        console.print(f"mxa {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """mxa reads mail archives (mbox, .eml, Maildir) header-only and shows what they expose."""
    import pyarrow as pa

    # Arrow's default allocator keeps the memory it freed; reading the frames of a million
    # messages would hold on to gigabytes the analysis needs. The system's hands it back.
    pa.set_memory_pool(pa.system_memory_pool())


def main() -> None:
    """Console-script entry point: Ctrl-C exits 130 without a traceback."""
    from analyzer.interrupt import stop_quietly_on_ctrl_c

    stop_quietly_on_ctrl_c()
    app()
