"""How the ``mxa`` command fails: a library error is one line on stderr and exit code 2.

Every command is wrapped in :func:`reports_errors`, so none of them catches
:class:`~analyzer.errors.MxaError` itself. Bad mail is never an error: it is counted and listed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.text import Text

from analyzer.cli.printing import error_console
from analyzer.errors import MxaError
from analyzer.safe_output import printable

EXIT_LIBRARY_ERROR = 2

P = ParamSpec("P")
R = TypeVar("R")


def fail(error: MxaError) -> typer.Exit:
    """Say what went wrong in one line on stderr; the caller raises the exit this returns."""
    message = Text.assemble(("error:", "bold red"), " ", printable(error))
    error_console.print(message, highlight=False, soft_wrap=True)
    return typer.Exit(code=EXIT_LIBRARY_ERROR)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A command whose library errors end the run with :func:`fail` instead of a traceback.

    The wrapper keeps the command's signature and docstring: typer reads its options and
    help text from them.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MxaError as error:
            raise fail(error) from None

    return run
