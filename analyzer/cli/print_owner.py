"""What the terminal says of the owner before anything else: given addresses no header
names, with the addresses that look like them."""

from __future__ import annotations

from analyzer.cli.printing import error_console
from analyzer.owner import Owner
from analyzer.safe_output import printable


def warn_unseen(owner: Owner) -> None:
    """One warning line on stderr per ``--me`` address that appears in no header."""
    for address, closest in owner.unseen:
        hint = f"; did you mean {' or '.join(closest)}?" if closest else ""
        error_console.print(
            printable(f"warning: {address} (--me) appears in no header of this mail{hint}"),
            soft_wrap=True, highlight=False, markup=False,
        )  # fmt: skip
