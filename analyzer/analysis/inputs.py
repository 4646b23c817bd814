"""What the analysis read: the messages parsed, quarantined and held twice, and how many
of them each kind of encryption covered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from analyzer.extract.folders import is_sent_folder
from analyzer.readable import text_or_empty
from analyzer.vocabulary import ENCRYPTION_CLASSES, QuarantineCode

__all__ = ["InputCounts", "Quarantined", "encryption_counts", "input_counts"]

_QUARANTINE_COLUMNS = ("source", "offset", "code", "reason")


@dataclass(frozen=True)
class Quarantined:
    """A message that could not be parsed: where it is and why."""

    source: str
    offset: str
    code: str
    reason: str


@dataclass(frozen=True)
class InputCounts:
    """The distinct messages a store holds: ``read = parsed + quarantined``; a message
    read again on a later run, or held twice, is a duplicate."""

    sources: tuple[str, ...]
    read: int
    parsed: int
    quarantined: int
    duplicates: int
    stored: int
    quarantine: tuple[Quarantined, ...] = field(default_factory=tuple)

    @property
    def sent_without_headers(self) -> int:
        """Messages of a sent folder quarantined for want of a header block: Outlook keeps
        none on what its user sends, so its sent folder cannot say whose mailbox it is."""
        return sum(
            entry.code == QuarantineCode.NO_TRANSPORT_HEADERS and is_sent_folder(entry.source)
            for entry in self.quarantine
        )


def encryption_counts(encryption: pd.Series) -> dict[str, int]:
    """Messages per encryption class (``messages.encryption``), every class listed."""
    counts = encryption.value_counts()
    return {str(name): int(counts.get(name, 0)) for name in ENCRYPTION_CLASSES}


def _count(value: object) -> int:
    """A count from the store's manifest: a whole number of at least 0, else 0 (a hand
    edit can leave anything there)."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def input_counts(
    parsed: int,
    sources: Sequence[str] = (),
    totals: Mapping[str, object] | None = None,
    quarantine: pd.DataFrame | None = None,
) -> InputCounts:
    """The input accounting of a store: ``parsed`` messages in its frames, its manifest's
    ``sources`` and ``totals``, and its ``quarantine`` table."""
    totals = totals or {}
    listed: tuple[Quarantined, ...] = ()
    if quarantine is not None and len(quarantine):
        columns = (quarantine[name].map(text_or_empty) for name in _QUARANTINE_COLUMNS)
        listed = tuple(Quarantined(*row) for row in sorted(zip(*columns, strict=True)))
    duplicates = _count(totals.get("duplicates")) + _count(totals.get("quarantine_repeats"))
    return InputCounts(
        tuple(sources), parsed + len(listed), parsed, len(listed), duplicates, parsed, listed
    )
