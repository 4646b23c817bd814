"""What a reader of a one-message or many-message container (Outlook, Apple Mail) says
when a file of its format holds no message it can read.

The format is known (the file is accounted for), but what it holds cannot be parsed: a
corrupt PST, a truncated ``.emlx``, an Outlook message saved without its transport
headers. Ingestion quarantines the file (or the item) with the code and the one-line
reason, and reads on.
"""

from __future__ import annotations

from analyzer.vocabulary import QuarantineCode

__all__ = ["ContainerProblem"]


class ContainerProblem(Exception):
    """A file (or an item in it) of a known mail format that yields no message."""

    def __init__(self, code: QuarantineCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
