"""The terminal: where output goes and how one line, a JSON document or a progress bar is shown.

Text from mail is always shown as text, never as rich markup, with its controls made visible
(:func:`analyzer.safe_output.printable`).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from analyzer.safe_output import json_text, printable

console = Console()
error_console = Console(stderr=True)


def print_json(payload: object) -> None:
    """Straight to stdout: rich would wrap a long text."""
    typer.echo(json_text(payload))


def line(*parts: str | Text, style: str = "") -> None:
    """One line that is never wrapped: piped output and narrow terminals keep addresses whole.

    Every part is shown as text, never as markup, and with its controls made visible.
    """
    safe = [
        Text(printable(part.plain), style=part.style) if isinstance(part, Text) else printable(part)
        for part in parts
    ]
    console.print(Text.assemble(*safe, style=style), soft_wrap=True, highlight=False)


def print_written(paths: list[Path]) -> None:
    for path in paths:
        line(f"wrote {path}")


def progress_bar() -> Progress:
    """On stderr, and gone when done: stdout keeps only the results."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=error_console,
        transient=True,
    )
