"""The terminal: where output goes and how one line, a JSON document or a progress bar is shown.

Text from mail is always shown as text, never as rich markup, with its controls made visible
(:func:`analyzer.safe_output.printable`).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
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


class Phases:
    """Progress on stderr, gone when done: the bytes of mail read, then each later phase by
    name with its counts ("comparing 102,000 addresses"), so a long analysis never sits
    under a finished bar."""

    def __init__(self, reading: bool = True) -> None:
        self._bytes: Progress | None = progress_bar() if reading else None
        self._steps = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=error_console,
            transient=True,
        )
        self._read_task = None
        self._step_task = None

    def __enter__(self) -> Phases:
        if self._bytes is not None:
            self._bytes.start()
            self._read_task = self._bytes.add_task("reading mail", total=None)
        return self

    def read(self, done: int, total: int) -> None:
        if self._bytes is not None:
            self._bytes.update(self._read_task, completed=done, total=total)

    def phase(self, description: str) -> None:
        if self._bytes is not None:  # reading is over
            self._bytes.stop()
            self._bytes = None
        if self._step_task is None:
            self._steps.start()
            self._step_task = self._steps.add_task(description, total=None)
        else:
            self._steps.update(self._step_task, description=description)

    def __exit__(self, *exc: object) -> None:
        if self._bytes is not None:
            self._bytes.stop()
        if self._step_task is not None:
            self._steps.stop()
