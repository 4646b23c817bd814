"""Mail files as a kind of source: mboxes, one-message files (``.eml``, Maildirs,
Outlook's ``.msg``, Apple Mail's ``.emlx``) and Outlook's PSTs.

Planned file by file (:func:`analyzer.ingest.plan.plan_file`). A plain (uncompressed)
mbox goes to the workers as byte ranges that they read and split themselves, so that
no message passes through this process; here the ranges are joined in order
(:meth:`MailFiles.join_range`), and the digest that resuming needs is taken of the file
as they are. Compressed mboxes and one-message files are read here and sent as batches
of header blocks, as they are to a Dask cluster named by its scheduler, whose workers
may not see this machine's files. A PST goes out the same way, as chunks of a folder's
items (:class:`~analyzer.sources.outlook_pst.PstChunk`), joined in order: a stopped run
goes on from the chunk it came to.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from analyzer.ingest.plan import (
    FilePlan,
    Removals,
    plan_file,
    removed_files,
    stat_key,
)
from analyzer.ingest.result import IngestResult
from analyzer.ingest.units import Unit
from analyzer.ingest.workers import PstExtract, RangeExtract, extract_batch, extract_range
from analyzer.ingest.writer import ExtractedBatch, Reached
from analyzer.records import Quarantined, RawMessage
from analyzer.sources import (
    READ_ERRORS,
    SourceFile,
    SourceReader,
    is_compressed,
    mbox_state,
)
from analyzer.sources.container import ContainerProblem
from analyzer.sources.mbox import JoinedRanges, MboxRange, is_cr_only
from analyzer.sources.outlook_pst import file_digest, pst_chunks, read_chunk
from analyzer.store import Store
from analyzer.vocabulary import QuarantineCode

__all__ = ["RANGE_BYTES", "RANGE_MIN", "MailFiles"]

# A plain mbox goes to the workers as byte ranges of at most this size, which they read
# themselves; a small file is cut finer (not below RANGE_MIN) so that every worker gets
# some.
RANGE_BYTES = 8 << 20
RANGE_MIN = 1 << 20


class MailFiles:
    """The files under the paths a user named, read in order; at any point it tells how
    far it has come (a :class:`~analyzer.ingest.units.SourceKind`).

    ``in_ranges``: plain mboxes go out as byte ranges, for ``jobs`` workers that see
    this machine's files.
    """

    def __init__(
        self,
        files: list[SourceFile],
        paths: Sequence[str | os.PathLike[str]],
        *,
        in_ranges: bool = True,
        jobs: int = 1,
    ) -> None:
        self.files = files
        self.paths = paths
        self.in_ranges = in_ranges
        self.jobs = jobs
        self.plans: list[FilePlan] = []
        self.read: dict[str, int] = {}  # messages read of each file this run
        self.done_bytes = 0  # of files finished
        self._current: tuple[FilePlan, SourceReader] | None = None
        self._ranged_within = 0  # how far the ranges of the file being joined reach
        self._finished: list[Reached] = []
        self._pst_read: tuple[FilePlan, int, int] | None = None  # chunks read here, of all
        self.not_mail_items: dict[str, int] = {}  # PST items that are not mail, by file

    # -- the plan ----------------------------------------------------------------------
    def plan(self, store: Store, result: IngestResult, removals: Removals) -> None:
        for key, state in removed_files(self.files, self.paths, store):
            removals.add(SourceFile(state["source"], Path(key), state.get("kind", "message"), 0))
            store.set_file_state(key, None)
            result.files_removed += 1
        self.plans = [plan_file(f, store, result, removals) for f in self.files]

    def reread(self) -> set[tuple[str, str]]:
        """The mbox messages read again, as ``(source, offset)``: the last one of each
        grown file, which may have been half written when it was stored."""
        return {
            (p.source_file.source, str(p.start))
            for p in self.plans
            if p.start and p.source_file.kind == "mbox"
        }

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    # -- where reading has come to -------------------------------------------------------
    def position(self) -> int:
        within = self._current[1].position() if self._current else 0
        return self.done_bytes + within + self._ranged_within

    def reached(self) -> list[Reached]:
        changes, self._finished = self._finished, []
        if self._current is not None:
            plan, reader = self._current
            changes.append((plan.source_file.path, self._state(plan, reader, complete=False)))
        if self._pst_read is not None:
            plan, done, total = self._pst_read
            changes.append((plan.source_file.path, self._pst_state(plan, done, total)))
        return changes

    def _count(self, path: str, messages: int = 1) -> None:
        self.read[path] = self.read.get(path, 0) + messages

    def _state(
        self, plan: FilePlan, reader: SourceReader | JoinedRanges, complete: bool
    ) -> dict[str, Any]:
        source_file = plan.source_file
        state: dict[str, Any] = {
            "kind": source_file.kind,
            "source": source_file.source,
            **stat_key(plan.stat),  # type: ignore[arg-type]
            "complete": complete,
            "compressed": plan.compressed,
            "messages_read": plan.earlier + self.read.get(str(source_file.path), 0),
        }
        if source_file.kind == "mbox":
            state.update(mbox_state(reader))
        return state

    # -- reading -----------------------------------------------------------------------
    def units(self) -> Iterator[RawMessage | Quarantined | Unit]:
        for plan in self.plans:
            source_file = plan.source_file
            path = source_file.path
            if plan.stat is None or source_file.kind == "unreadable":
                problem = source_file.problem or "the file is gone or cannot be opened"
                yield Quarantined(
                    source_file.source, str(path), f"unreadable: {problem}"[:300],
                    QuarantineCode.UNREADABLE,
                )  # fmt: skip
                self.done_bytes += source_file.size
                continue
            if plan.start is None:
                self.done_bytes += source_file.size
                continue
            try:
                plan.compressed = is_compressed(path)
            except OSError:
                plan.compressed = False
            if source_file.kind == "pst":
                yield from self._pst(plan)
                continue
            if self.in_ranges and self._rangeable(plan):
                yield from self._ranges(plan)
                continue
            reader = SourceReader(source_file, plan.start, plan.cr_only, plan.digest)
            self._current = (plan, reader)
            try:
                for raw in reader:
                    self._count(str(path))
                    yield raw
            except READ_ERRORS as error:
                # A damaged or exploding compressed stream, a file that vanished: keep
                # what was read, say where reading stopped, and read it again next time.
                where = str(reader.end_offset) if source_file.kind == "mbox" else str(path)
                reason = f"unreadable from here on: {type(error).__name__}: {error}"
                yield Quarantined(
                    source_file.source, where, reason[:300], QuarantineCode.UNREADABLE_FROM_HERE
                )
                self._finished.append((path, None))
            else:
                self._finished.append((path, self._state(plan, reader, complete=True)))
            self._current = None
            self.done_bytes += source_file.size

    # -- plain mboxes, read by the workers in byte ranges ---------------------------------
    def _rangeable(self, plan: FilePlan) -> bool:
        """A plain mbox whose lines end in LF or CRLF: the workers can seek in it."""
        if plan.source_file.kind != "mbox" or plan.compressed:
            return False
        if plan.start:
            return not plan.cr_only
        try:
            with open(plan.source_file.path, "rb") as stream:
                head = stream.read(64 << 10)
        except OSError:
            return False  # the sequential reader says what is wrong
        return b"\n" in head and not is_cr_only(head)

    def _ranges(self, plan: FilePlan) -> Iterator[Unit]:
        assert plan.stat is not None and plan.start is not None
        joined = JoinedRanges(str(plan.source_file.path), plan.start, plan.digest)
        step = min(RANGE_BYTES, max(RANGE_MIN, plan.stat.st_size // (4 * self.jobs)))
        starts = range(plan.start, max(plan.stat.st_size, plan.start + 1), step)
        path = str(plan.source_file.path)
        for index, start in enumerate(starts):
            stop = start + step if index + 1 < len(starts) else None
            part = MboxRange(plan.source_file.source, path, start, stop, exact=index == 0)
            yield Unit(part, functools.partial(self.join_range, part, joined, plan))

    def join_range(
        self, part: MboxRange, joined: JoinedRanges, plan: FilePlan, done: RangeExtract
    ) -> tuple[ExtractedBatch, list[Reached]]:
        """Take a range's messages if it starts where the one before ended.

        Otherwise its first separator was a guess that a message before it overruns
        (Content-Length, say): the range is read again here from where that message
        ends. A range wholly inside an earlier message has nothing of its own.
        """
        path = plan.source_file.path
        reached: list[Reached] = []
        if joined.failed:
            return extract_batch([]), reached
        overrun = part.stop is not None and joined.end_offset >= part.stop
        if overrun:
            done = RangeExtract(extract_batch([]), None, None, joined.end_offset, 0)
        elif not part.exact and done.first != joined.end_offset:
            done = extract_range(replace(part, start=joined.end_offset, exact=True))
        self._count(str(path), done.messages)
        joined.accept(done.end, done.last)
        self._ranged_within = joined.end_offset
        if done.error:
            reason = f"unreadable from here on: {done.error}"[:300]
            done.batch.quarantined.append(
                Quarantined(plan.source_file.source, str(done.end), reason,
                            QuarantineCode.UNREADABLE_FROM_HERE)
            )  # fmt: skip
            joined.failed = True
            reached.append((path, None))
        else:
            finished = part.stop is None
            reached.append((path, self._state(plan, joined, complete=finished)))
            if not finished:
                return done.batch, reached
        self._ranged_within = 0
        self.done_bytes += plan.source_file.size
        return done.batch, reached

    # -- Outlook's PST files, read in chunks of a folder's items --------------------------
    def _pst_state(self, plan: FilePlan, done: int, total: int) -> dict[str, Any]:
        return {
            "kind": "pst",
            "source": plan.source_file.source,
            **stat_key(plan.stat),  # type: ignore[arg-type]
            "complete": done == total,
            "compressed": False,
            "messages_read": plan.earlier + self.read.get(str(plan.source_file.path), 0),
            "digest": plan.digest,
            "chunks_done": done,
            "chunks": total,
        }

    def _pst(self, plan: FilePlan) -> Iterator[RawMessage | Quarantined | Unit]:
        """The file's chunks from the one a stopped run came to: as units the workers read
        themselves, or read here for a cluster that may not see the file."""
        source_file = plan.source_file
        path = source_file.path
        try:
            plan.digest = plan.digest or file_digest(path)
            chunks = pst_chunks(source_file.source, path)
        except ContainerProblem as problem:
            yield Quarantined(source_file.source, str(path), problem.reason[:300], problem.code)
            self._finished.append((path, None))
            self.done_bytes += source_file.size
            return
        start = plan.start or 0
        total = len(chunks)
        if start >= total:
            self._finished.append((path, self._pst_state(plan, total, total)))
            self.done_bytes += source_file.size
            return
        if self.in_ranges:
            failed: set[str] = set()
            for index in range(start, total):
                join = functools.partial(self.join_pst, plan, index, total, failed)
                yield Unit(chunks[index], join)
            return
        for index in range(start, total):
            self._pst_read = (plan, index, total)
            try:
                read = read_chunk(chunks[index])
            except ContainerProblem as problem:
                yield Quarantined(source_file.source, str(path), problem.reason, problem.code)
                self._finished.append((path, None))
                break
            self._count_not_mail(str(path), read.not_mail)
            for item in read.items:  # counted as it goes out, so a stop counts what it read
                self._count(str(path))
                yield item
        else:
            self._finished.append((path, self._pst_state(plan, total, total)))
        self._pst_read = None
        self.done_bytes += source_file.size

    def _count_not_mail(self, path: str, items: int) -> None:
        if items:
            self.not_mail_items[path] = self.not_mail_items.get(path, 0) + items

    def join_pst(
        self, plan: FilePlan, index: int, total: int, failed: set[str], done: PstExtract
    ) -> tuple[ExtractedBatch, list[Reached]]:
        """Take a chunk's items, in order; after a chunk that found the file unreadable,
        the rest have nothing to give (the file is read again next run)."""
        path = plan.source_file.path
        if failed:
            return extract_batch([]), []
        self._count(str(path), done.messages)
        self._count_not_mail(str(path), done.not_mail)
        finished = index + 1 == total
        if done.problem is not None:
            done.batch.quarantined.append(done.problem)
            failed.add(str(path))
            finished = True
            reached: list[Reached] = [(path, None)]
        else:
            reached = [(path, self._pst_state(plan, index + 1, total))]
        self._ranged_within = 0 if finished else plan.source_file.size * (index + 1) // total
        if finished:
            self.done_bytes += plan.source_file.size
        return done.batch, reached
