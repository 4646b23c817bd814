"""What one ingest run did: the counts the CLI prints and each commit records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.ingest.writer import WriteCounts
from analyzer.records import Quarantined
from analyzer.sources import Skipped

__all__ = ["IngestResult", "ProgressCallback"]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(bytes_done, bytes_total)`` while sources are read."""


@dataclass
class IngestResult:
    """What one ``ingest`` run did; ``messages_read == parsed + quarantined``."""

    sources: list[str]
    store: str
    files: int = 0
    files_unchanged: int = 0
    files_resumed: int = 0  # grown, or left part-read by a run that was stopped
    files_new: int = 0
    files_changed: int = 0  # rewritten or truncated: their rows were replaced
    files_removed: int = 0  # gone from a folder read before: their rows were removed
    rows_removed: int = 0
    skipped_files: list[Skipped] = field(default_factory=list)  # each with its reason
    items_not_mail: int = 0  # in Outlook's files: calendar items, contacts, tasks, notes
    messages_read: int = 0
    parsed: int = 0
    quarantined: int = 0
    duplicates: int = 0  # parsed messages already stored (or twice in this run)
    quarantine_repeats: int = 0  # quarantined messages already listed in the store
    stored: int = 0
    quarantine: list[Quarantined] = field(default_factory=list)
    messages_per_file: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def with_written(self, written: WriteCounts) -> IngestResult:
        """This result with what the store writer did added: the planning's counts (and
        the rows it removed) stay, the writer's come in."""
        return replace(
            self,
            rows_removed=self.rows_removed + written.rows_removed,
            messages_read=written.parsed + written.quarantined,
            parsed=written.parsed,
            quarantined=written.quarantined,
            duplicates=written.duplicates,
            quarantine_repeats=written.quarantine_repeats,
            stored=written.stored,
            quarantine=written.quarantine,
        )

    def summary(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "files": self.files,
            "files_unchanged": self.files_unchanged,
            "files_resumed": self.files_resumed,
            "files_new": self.files_new,
            "files_changed": self.files_changed,
            "files_removed": self.files_removed,
            "rows_removed": self.rows_removed,
            "skipped_files": len(self.skipped_files),
            "items_not_mail": self.items_not_mail,
            "messages_read": self.parsed + self.quarantined,
            "parsed": self.parsed,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "quarantine_repeats": self.quarantine_repeats,
            "stored": self.stored,
        }
