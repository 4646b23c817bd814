"""Help that shows what to type, not Python types.

typer 0.29 puts a parameter's annotation in the help (``<bool>``, ``<list[str]>``,
``<path>``) wherever no metavar is given, even beside a flag, which takes no value, and
beside ``--help``. The options name their values (``--store DIR``, ``--me ADDRESS``); these
classes leave the type column empty for flags and for arguments, whose metavar is their name.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup


class _NamedArgument(TyperArgument):
    """An argument whose metavar (SOURCES) already says what it takes."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # a flag takes no value: nothing to show
        elif type(param) is TyperArgument and param.metavar:
            param.__class__ = _NamedArgument
    return params


class PlainHelpCommand(TyperCommand):
    """A command whose help shows metavars only."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class PlainHelpGroup(TyperGroup):
    """``mxa --help``: its --version and --help are flags too."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))
