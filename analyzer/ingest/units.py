"""The units of work ingestion hands to an engine, and the small protocol each kind of
source implements to make them.

A unit is what one worker does at a time (:mod:`analyzer.ingest.workers`): a batch of
raw messages (header blocks, bodies cut short), a byte range of a plain mbox that the
worker reads itself (:class:`~analyzer.sources.mbox.MboxRange`), or a chunk of an IMAP
folder that it fetches over its own connection
(:class:`~analyzer.sources.imap_folder.FolderChunk`). Each goes out with how its result
is taken back, in order: a batch with the states its sources reach once it is stored, a
range or a chunk by joining it to the ones before it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from analyzer.extract.headers import header_block_end
from analyzer.ingest.plan import Removals
from analyzer.ingest.result import IngestResult
from analyzer.ingest.writer import ExtractedBatch, Reached
from analyzer.records import Quarantined, RawMessage
from analyzer.sources.imap_folder import FolderChunk
from analyzer.sources.mbox import MboxRange
from analyzer.sources.outlook_pst import PstChunk
from analyzer.store import Store

__all__ = ["BATCH_BYTES", "BATCH_MESSAGES", "BODY_PEEK", "SourceKind", "Unit", "Work", "batched"]

# Extraction reads the header block and at most this much of the body.
BODY_PEEK = 256 * 1024
# Raw messages go out in batches of at most this many messages, or bytes.
BATCH_MESSAGES = 400
BATCH_BYTES = 8 << 20

Work = list[RawMessage | Quarantined] | MboxRange | PstChunk | FolderChunk
"""What a worker is given: a batch of messages, a byte range or PST chunk to read, an IMAP
chunk to fetch."""


@dataclass(frozen=True)
class Unit:
    """One unit of work, and how what the worker made of it is taken back: ``join``
    turns that into the batch to store and the source states reached once it is."""

    work: Work
    join: Callable[[Any], tuple[ExtractedBatch, list[Reached]]]


class SourceKind(Protocol):
    """A kind of source (mail files, IMAP folders): planned from the states the store
    keeps of its sources, read as units, and telling the states its reading reaches."""

    def plan(self, store: Store, result: IngestResult, removals: Removals) -> None:
        """Decide what to read of each source from its state in the store (unchanged,
        new, grown, changed, gone), counting each in ``result``; rows to replace go to
        ``removals``."""
        ...

    def units(self) -> Iterator[RawMessage | Quarantined | Unit]:
        """What to read, in order: raw messages (:func:`batched` gathers them) or units."""
        ...

    def reached(self) -> list[Reached]:
        """The source states reached since the last call: finished sources, and the one
        being read as far as its last message."""
        ...

    def position(self) -> int:
        """Bytes of the sources read so far."""
        ...

    @property
    def total_bytes(self) -> int: ...


def batched(kinds: Sequence[SourceKind]) -> Iterator[Unit]:
    """Every kind's units in order, its raw messages gathered into batches; a batch
    carries the states its sources reach once it is stored."""

    def reached() -> list[Reached]:
        return [state for kind in kinds for state in kind.reached()]

    batch: list[RawMessage | Quarantined] = []
    size = 0
    for item in itertools.chain.from_iterable(kind.units() for kind in kinds):
        if isinstance(item, Unit):
            if batch:
                yield _batch(batch, reached())
                batch, size = [], 0
            yield item
            continue
        if isinstance(item, RawMessage):
            _, body_start = header_block_end(item.data)
            item = item.head(body_start + BODY_PEEK)
            size += len(item.data)
        batch.append(item)
        if len(batch) >= BATCH_MESSAGES or size >= BATCH_BYTES:
            yield _batch(batch, reached())
            batch, size = [], 0
    yield _batch(batch, reached())


def _batch(batch: list[RawMessage | Quarantined], reached: list[Reached]) -> Unit:
    return Unit(batch, functools.partial(_as_extracted, reached))


def _as_extracted(
    reached: list[Reached], extracted: ExtractedBatch
) -> tuple[ExtractedBatch, list[Reached]]:
    return extracted, reached
