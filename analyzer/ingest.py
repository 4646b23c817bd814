"""Ingestion: sources → raw messages → records (in parallel) → the Parquet store.

This is the edge where files, worker processes and the store meet; the pure work
happens in :mod:`analyzer.sources.mbox` and :mod:`analyzer.extract`. Progress goes
to an optional callback so that the CLI can draw a bar and a notebook need not.
"""

from __future__ import annotations

import lzma
import os
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from analyzer.errors import SourceError
from analyzer.extract import extract_message
from analyzer.extract.headers import header_block_end
from analyzer.frames import (
    hops_table,
    keys_table,
    messages_table,
    participants_table,
    quarantine_table,
)
from analyzer.records import MessageRecord, Quarantined, RawMessage
from analyzer.sources import SourceFile, SourceReader, discover_sources, is_compressed
from analyzer.store import FRAMES, Store, file_fingerprint

__all__ = ["ExtractedBatch", "IngestResult", "ProgressCallback", "extract_batch", "ingest"]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(bytes_done, bytes_total)`` while sources are read."""

_BATCH_MESSAGES = 400
_BATCH_BYTES = 8 << 20
_WRITE_EVERY = 50_000
# Extraction reads the header block and at most this much of the body.
_BODY_PEEK = 256 * 1024


@dataclass
class IngestResult:
    """What one ``ingest`` run did; ``messages_read == parsed + quarantined``."""

    sources: list[str]
    store: str
    files: int = 0
    files_unchanged: int = 0
    files_resumed: int = 0
    skipped_files: list[str] = field(default_factory=list)
    messages_read: int = 0
    parsed: int = 0
    quarantined: int = 0
    duplicates: int = 0
    stored: int = 0
    quarantine: list[Quarantined] = field(default_factory=list)
    messages_per_file: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "files": self.files,
            "files_unchanged": self.files_unchanged,
            "files_resumed": self.files_resumed,
            "skipped_files": len(self.skipped_files),
            "messages_read": self.messages_read,
            "parsed": self.parsed,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "stored": self.stored,
        }


class _Reader:
    """Walks the source files, resuming grown mboxes and skipping unchanged files."""

    def __init__(self, files: list[SourceFile], store: Store, result: IngestResult) -> None:
        self.files = files
        self.store = store
        self.result = result
        self.total_bytes = sum(f.size for f in files) or 1
        self.done_bytes = 0  # of files finished
        self.within_file = 0  # of the file being read
        self.file_states: list[tuple[Path, dict[str, Any]]] = []

    def _start_offset(self, source_file: SourceFile, stat: os.stat_result) -> int | None:
        """Where to start reading; None when the file is unchanged since last time.

        A grown mbox resumes at the start of the last message read before, not at the
        old end: that message may have been half written then. It is read again and
        counted as a duplicate.
        """
        state = self.store.file_state(source_file.path)
        if state is None:
            return 0
        if state.get("size") == stat.st_size and state.get("mtime_ns") == stat.st_mtime_ns:
            return None
        if source_file.kind == "message" or state.get("compressed"):
            return 0
        end = state.get("end_offset", 0)
        resume = state.get("resume_offset", end)
        if not end or stat.st_size < end or resume is None:
            return 0
        if file_fingerprint(source_file.path, end) != state.get("fingerprint"):
            return 0  # rewritten, not appended to: read it all again
        with open(source_file.path, "rb") as stream:
            stream.seek(resume)
            if stream.read(5) != b"From ":
                return 0
        return resume

    def __iter__(self) -> Iterator[RawMessage | Quarantined]:
        for source_file in self.files:
            path = source_file.path
            stat = path.stat()
            if source_file.kind == "unreadable":
                reason = f"unreadable: {source_file.problem}"[:300]
                yield Quarantined(source_file.source, str(path), reason)
                self.done_bytes += source_file.size
                continue
            start = self._start_offset(source_file, stat)
            if start is None:
                self.result.files_unchanged += 1
                self.done_bytes += source_file.size
                continue
            state_before = self.store.file_state(path)
            if start:
                self.result.files_resumed += 1
            cr_only = bool(state_before and state_before.get("cr_only")) if start else False
            reader = SourceReader(source_file, start=start, cr_only=cr_only)
            counts = self.result.messages_per_file
            try:
                for raw in reader:
                    if source_file.kind == "mbox":
                        self.within_file = min(int(raw.offset), source_file.size)
                    counts[str(path)] = counts.get(str(path), 0) + 1
                    yield raw
            except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as error:
                # A damaged compressed stream or a vanished file: keep what was read,
                # and say where reading stopped.
                yield Quarantined(
                    source_file.source,
                    str(reader.end_offset) if source_file.kind == "mbox" else str(path),
                    f"unreadable from here on: {type(error).__name__}: {error}"[:300],
                )
                continue
            self.done_bytes += source_file.size
            self.within_file = 0
            compressed = is_compressed(path)
            state: dict[str, Any] = {
                "kind": source_file.kind,
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "end_offset": reader.end_offset,
                "resume_offset": reader.last_message_offset,
                "cr_only": reader.cr_only,
                "compressed": compressed,
                "messages_read": counts.get(str(path), 0)
                + (state_before or {}).get("messages_read", 0)
                if start
                else counts.get(str(path), 0),
            }
            if source_file.kind == "mbox" and not compressed:
                state["fingerprint"] = file_fingerprint(path, reader.end_offset)
            self.store.set_file_state(path, state)


def _batches(
    stream: Iterator[RawMessage | Quarantined],
) -> Iterator[list[RawMessage | Quarantined]]:
    batch: list[RawMessage | Quarantined] = []
    size = 0
    for item in stream:
        if isinstance(item, RawMessage):
            _, body_start = header_block_end(item.data)
            item = item.head(body_start + _BODY_PEEK)
            size += len(item.data)
        batch.append(item)
        if len(batch) >= _BATCH_MESSAGES or size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@dataclass
class ExtractedBatch:
    """A batch's frames, built where it was extracted so only Arrow buffers travel."""

    messages: pa.Table
    participants: pa.Table
    hops: pa.Table
    keys: pa.Table
    quarantined: list[Quarantined]
    duplicates: int = 0  # repeated within the batch, already dropped


def extract_batch(batch: list[RawMessage | Quarantined]) -> ExtractedBatch:
    """Extract a batch and build its tables; the unit of work of a worker process."""
    records: list[MessageRecord] = []
    quarantined: list[Quarantined] = []
    keys_in_batch: set[str] = set()
    duplicates = 0
    for item in batch:
        extracted = extract_message(item) if isinstance(item, RawMessage) else item
        if isinstance(extracted, Quarantined):
            quarantined.append(extracted)
        elif extracted.message_key in keys_in_batch:
            duplicates += 1
        else:
            keys_in_batch.add(extracted.message_key)
            records.append(extracted)
    return ExtractedBatch(
        messages_table(records),
        participants_table(records),
        hops_table(records),
        keys_table(records),
        quarantined,
        duplicates,
    )


def _extracted(stream: Iterator[RawMessage | Quarantined], jobs: int) -> Iterator[ExtractedBatch]:
    """Extract in order, on ``jobs`` processes, with a bounded number in flight."""
    if jobs <= 1:
        for batch in _batches(stream):
            yield extract_batch(batch)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[ExtractedBatch]] = deque()
        for batch in _batches(stream):
            pending.append(pool.submit(extract_batch, batch))
            if len(pending) >= jobs * 3:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class _PendingFrames:
    """New rows waiting to be written, deduplicated against the store by key."""

    def __init__(self, store: Store, seen: set[str], quarantined_before: set) -> None:
        self.store = store
        self.seen = seen
        self.quarantined_before = quarantined_before
        self.tables: dict[str, list[pa.Table]] = {name: [] for name in FRAMES}
        self.rows = 0

    def add(self, batch: ExtractedBatch, result: IngestResult) -> None:
        keys = batch.messages.column("message_key").to_pylist()
        fresh = []
        for key in keys:
            is_new = key not in self.seen
            fresh.append(is_new)
            if is_new:
                self.seen.add(key)
        result.parsed += len(keys) + batch.duplicates
        result.duplicates += len(keys) - sum(fresh) + batch.duplicates
        tables = {
            "messages": batch.messages,
            "participants": batch.participants,
            "hops": batch.hops,
            "keys": batch.keys,
        }
        if not all(fresh):
            new_keys = pa.array([k for k, f in zip(keys, fresh, strict=True) if f], pa.string())
            tables = {
                name: table.filter(pc.is_in(table["message_key"], value_set=new_keys))
                for name, table in tables.items()
            }
        for name, table in tables.items():
            self.tables[name].append(table)
        messages = tables["messages"]
        self.rows += messages.num_rows
        result.stored += messages.num_rows
        result.quarantined += len(batch.quarantined)
        result.quarantine.extend(batch.quarantined)
        new_quarantine = [
            q
            for q in batch.quarantined
            if (q.source, q.offset, q.reason) not in self.quarantined_before
        ]
        if new_quarantine:
            self.tables["quarantine"].append(quarantine_table(new_quarantine))
        if self.rows >= _WRITE_EVERY:
            self.flush()

    def flush(self) -> None:
        tables = {name: pa.concat_tables(parts) for name, parts in self.tables.items() if parts}
        if tables:
            self.store.write(tables)
        self.tables = {name: [] for name in FRAMES}
        self.rows = 0


def ingest(
    sources: Sequence[str | os.PathLike[str]],
    store: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> IngestResult:
    """Parse ``sources`` into the Parquet store at ``store``; return the counts.

    Re-running on the same store adds only what is new: unchanged files are
    skipped, a grown mbox is read from where the last run stopped, and a message
    already stored (same header bytes, so same Message-ID) counts as a duplicate.
    Raises :class:`~analyzer.errors.MxaError` for unusable paths, never for bad mail.
    """
    started = time.perf_counter()
    files, skipped = discover_sources(sources)
    if not files:
        shown = ", ".join(map(str, sources))
        raise SourceError(f"no mail found in {shown} ({len(skipped)} files skipped as not mail)")
    opened = Store.open(store)
    result = IngestResult(
        sources=[str(s) for s in sources],
        store=str(store),
        files=len(files),
        skipped_files=skipped,
    )
    if jobs is None:
        jobs = os.cpu_count() or 1
    pending = _PendingFrames(opened, opened.existing_keys(), opened.existing_quarantine())
    reader = _Reader(files, opened, result)
    last_report = 0.0
    for batch in _extracted(iter(reader), jobs):
        pending.add(batch, result)
        if progress is not None:
            now = time.perf_counter()
            if now - last_report > 0.1:
                last_report = now
                done = min(reader.done_bytes + reader.within_file, reader.total_bytes)
                progress(done, reader.total_bytes)
    pending.flush()
    result.messages_read = result.parsed + result.quarantined
    if progress is not None:
        progress(reader.total_bytes, reader.total_bytes)
    result.seconds = time.perf_counter() - started
    opened.commit(result.summary())
    return result
