"""Ingestion: sources → raw messages → records (in parallel) → the Parquet store.

This is the edge where files, worker processes and the store meet: it plans what to
read, reads or hands out the reading, and passes what comes back to the one store
writer (:mod:`analyzer.store_writer`). The work per message happens in
:mod:`analyzer.sources.mbox` and :mod:`analyzer.extract` (its hot path,
:mod:`analyzer.extract.batch`). Progress goes to an optional callback so that the CLI
can draw a bar and a notebook need not.

A plain (uncompressed) mbox goes to the workers as byte ranges that they read and
split themselves, so that no message passes through this process; here the ranges are
joined in order (:meth:`_Reader.join`), and the digest that resuming needs is taken
of the file as they are. Compressed mboxes and one-message files are read here and
sent as batches of header blocks, as they are to a Dask cluster named by its scheduler,
whose workers may not see this machine's files. IMAP folders are fetched here, after the
files, and sent the same way (:mod:`analyzer.sources.imap`: headers, structure and the
few parts extraction reads, never a whole body).

A run is a series of commits (see :mod:`analyzer.store`): every few thousand messages
the new rows are written and the manifest records how far each source was read, so a
run killed at any point is continued, not redone, by the next. Before reading, each
source file the store knows is checked against a digest of everything read of it: an
unchanged file is skipped, a grown mbox is read on from where it ended (its last
message again, in case it was still being written), and a changed or truncated file
has its rows replaced. Files gone from a folder that was read before lose theirs. An
IMAP folder is read on after the last UID read while its UIDVALIDITY stays the same.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from analyzer.engines import ENGINES, in_order
from analyzer.errors import SourceError, UsageError
from analyzer.extract.batch import (
    BODY_PEEK,
    ExtractedBatch,
    FolderExtract,
    RangeExtract,
    extract_batch,
    extract_range,
    extract_work,
)
from analyzer.extract.headers import header_block_end
from analyzer.records import Quarantined, RawMessage
from analyzer.sources import (
    READ_ERRORS,
    Skipped,
    SourceFile,
    SourceReader,
    discover_sources,
    is_compressed,
    mbox_resume,
    mbox_state,
)
from analyzer.sources.imap import ImapOptions, close_folders, open_folders
from analyzer.sources.imap_address import ImapAddress, is_imap_address, parse_imap_address
from analyzer.sources.imap_folder import FolderChunk, FolderReader
from analyzer.sources.mbox import JoinedRanges, MboxRange, is_cr_only
from analyzer.store import Store
from analyzer.store_writer import StoreWriter
from analyzer.vocabulary import QuarantineCode

__all__ = ["IngestResult", "ProgressCallback", "ingest"]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(bytes_done, bytes_total)`` while sources are read."""

_BATCH_MESSAGES = 400
_BATCH_BYTES = 8 << 20
# A plain mbox goes to the workers as byte ranges of at most this size, which they read
# themselves; a small file is cut finer (not below _RANGE_MIN) so that every worker
# gets some.
_RANGE_BYTES = 8 << 20
_RANGE_MIN = 1 << 20
# An IMAP folder goes to local workers in chunks of this many messages, which each
# fetches over its own connection.
_FOLDER_CHUNK = 500


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
    messages_read: int = 0
    parsed: int = 0
    quarantined: int = 0
    duplicates: int = 0  # parsed messages already stored (or twice in this run)
    quarantine_repeats: int = 0  # quarantined messages already listed in the store
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
            "files_new": self.files_new,
            "files_changed": self.files_changed,
            "files_removed": self.files_removed,
            "rows_removed": self.rows_removed,
            "skipped_files": len(self.skipped_files),
            "messages_read": self.parsed + self.quarantined,
            "parsed": self.parsed,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "quarantine_repeats": self.quarantine_repeats,
            "stored": self.stored,
        }


# -- what to do with each file ---------------------------------------------------------
@dataclass
class _Plan:
    """How one file is read this run."""

    source_file: SourceFile
    stat: os.stat_result | None
    start: int | None  # None: unchanged, not read
    cr_only: bool = False
    digest: Any = None  # of the bytes before ``start``
    earlier: int = 0  # messages read of it by earlier runs
    compressed: bool | None = None


def _stat_key(stat: os.stat_result) -> dict[str, int]:
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "inode": stat.st_ino,
    }


@dataclass
class _Removals:
    """Rows to remove before reading: whole files, and mboxes from an offset on."""

    mbox_from: dict[str, int] = field(default_factory=dict)  # source → first offset to go
    files: set[str] = field(default_factory=set)  # one-message files, by path
    sources: set[str] = field(default_factory=set)  # every row of these (IMAP folders)

    def add(self, source_file: SourceFile, from_offset: int = 0) -> None:
        if source_file.kind == "mbox":
            self.mbox_from[source_file.source] = from_offset
        else:
            self.files.add(str(source_file.path))

    def apply(self, store: Store) -> int:
        """Remove the rows in one pass over the store; how many messages went."""
        if not self.mbox_from and not self.files and not self.sources:
            return 0
        mbox_from, files, whole = self.mbox_from, self.files, self.sources

        def doomed(table: pa.Table) -> pa.Array:
            sources = table["source"].to_pylist()
            offsets = table["offset"].to_pylist()
            return pa.array(
                [o in files or s in whole or (s in mbox_from and _at_or_after(o, mbox_from[s]))
                 for s, o in zip(sources, offsets, strict=True)],
                pa.bool_(),
            )  # fmt: skip

        return store.remove_rows(doomed, doomed)


def _at_or_after(offset: str | None, start: int) -> bool:
    try:
        return int(offset or "") >= start
    except ValueError:
        return True  # "unreadable from here on" entries name no offset of a message


def _plan_file(
    source_file: SourceFile, store: Store, result: IngestResult, removals: _Removals
) -> _Plan:
    """Unchanged, new, grown (read on), or changed (rows replaced, read again)."""
    path = source_file.path
    try:
        stat = path.stat()
    except OSError:
        return _Plan(source_file, None, 0)  # reading will say what is wrong
    state = store.file_state(path)
    if source_file.kind == "unreadable" or state is None:
        result.files_new += source_file.kind != "unreadable"
        return _Plan(source_file, stat, 0)
    same = all(state.get(k) == v for k, v in _stat_key(stat).items())
    if same and state.get("complete"):
        result.files_unchanged += 1
        return _Plan(source_file, stat, None)
    earlier = int(state.get("messages_read", 0))
    resume = mbox_resume(path, state) if source_file.kind == "mbox" else None
    if resume is not None:
        result.files_resumed += 1
        return _Plan(source_file, stat, resume.offset, resume.cr_only, resume.digest, earlier)
    result.files_changed += 1
    removals.add(source_file)
    return _Plan(source_file, stat, 0)


def _plan_folder(
    folder: FolderReader, store: Store, result: IngestResult, removals: _Removals
) -> None:
    """New, grown (read on after its last UID), unchanged, or renumbered (a new
    UIDVALIDITY: its rows replaced, read again)."""
    state = store.file_state(folder.source)
    result.files += 1
    kept = folder.open(state)
    if state is None:
        result.files_new += 1
    elif not kept:
        result.files_changed += 1
        removals.sources.add(folder.source)
    elif folder.uids:
        result.files_resumed += 1
    else:
        result.files_unchanged += 1


def _removed_folders(
    addresses: list[ImapAddress], folders: list[FolderReader], store: Store
) -> list[str]:
    """Folders read before from a server read whole (no folder named) that it no longer has."""
    servers = {f"{a.server}/" for a in addresses if a.folder is None}
    present = {folder.source for folder in folders}
    return [
        key
        for key, state in store.file_states().items()
        if state.get("kind") == "imap"
        and key not in present
        and any(key.startswith(server) for server in servers)
    ]


def _removed_files(
    files: list[SourceFile], sources: Sequence[str | os.PathLike[str]], store: Store
) -> list[tuple[str, dict[str, Any]]]:
    """Files read before under one of these folders that are gone now."""
    roots = [Path(s).resolve() for s in sources if Path(s).is_dir()]
    present = {str(f.path.resolve()) for f in files}
    gone = []
    for key, state in store.file_states().items():
        if key in present or "source" not in state:
            continue
        path = Path(key)
        if any(path.is_relative_to(root) for root in roots) and not path.exists():
            gone.append((key, state))
    return gone


# -- reading ---------------------------------------------------------------------------
class _Reader:
    """Reads the planned files in order and tells, at any point, how far it has come."""

    def __init__(
        self,
        plans: list[_Plan],
        result: IngestResult,
        in_ranges: bool = True,
        jobs: int = 1,
        folders: Sequence[FolderReader] = (),
    ) -> None:
        self.plans = plans
        self.folders = folders  # IMAP folders, read after the files
        self.result = result
        self.in_ranges = in_ranges  # plain mboxes go out as byte ranges
        self.jobs = jobs
        self.total_bytes = (
            sum(p.source_file.size for p in plans) + sum(f.total_bytes for f in folders) or 1
        )
        self.done_bytes = 0  # of files finished
        self._current: tuple[_Plan, SourceReader] | None = None
        self._folder: FolderReader | None = None
        self._folder_within = 0  # how far the chunks of the folder being joined reach
        self._ranged_within = 0  # how far the ranges of the file being joined reach
        self._finished: list[tuple[Path | str, dict[str, Any] | None]] = []

    def position(self) -> int:
        within = self._current[1].position() if self._current else 0
        within += self._folder.bytes_read if self._folder else self._folder_within
        return min(self.done_bytes + within + self._ranged_within, self.total_bytes)

    def checkpoint(self) -> list[tuple[Path | str, dict[str, Any] | None]]:
        """File states reached since the last checkpoint: finished files, and the one being
        read as far as its last message."""
        changes, self._finished = self._finished, []
        if self._current is not None:
            plan, reader = self._current
            changes.append((plan.source_file.path, self._state(plan, reader, complete=False)))
        if self._folder is not None:
            changes.append((self._folder.source, self._folder.state(complete=False)))
        return changes

    def _state(
        self, plan: _Plan, reader: SourceReader | JoinedRanges, complete: bool
    ) -> dict[str, Any]:
        source_file = plan.source_file
        counts = self.result.messages_per_file
        state: dict[str, Any] = {
            "kind": source_file.kind,
            "source": source_file.source,
            **_stat_key(plan.stat),  # type: ignore[arg-type]
            "complete": complete,
            "compressed": plan.compressed,
            "messages_read": plan.earlier + counts.get(str(source_file.path), 0),
        }
        if source_file.kind == "mbox":
            state.update(mbox_state(reader))
        return state

    def __iter__(self) -> Iterator[RawMessage | Quarantined]:
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
            if self.in_ranges and self._rangeable(plan):
                yield from self._ranges(plan)
                continue
            reader = SourceReader(source_file, plan.start, plan.cr_only, plan.digest)
            self._current = (plan, reader)
            counts = self.result.messages_per_file
            try:
                for raw in reader:
                    counts[str(path)] = counts.get(str(path), 0) + 1
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
        for folder in self.folders:
            yield from self._read_folder(folder)

    def _read_folder(self, folder: FolderReader) -> Iterator[RawMessage | Quarantined | _Chunked]:
        """An IMAP folder's new messages; a connection lost for good costs the rest of the
        folder this run, and the next run goes on from the last message read. Local
        workers fetch chunks of it themselves, each over its own connection."""
        if self.in_ranges and folder.login is not None:
            chunks = list(folder.chunks(_FOLDER_CHUNK))
            if not chunks:
                self._finished.append((folder.source, folder.state(complete=True)))
            for index, chunk in enumerate(chunks):
                yield _Chunked(chunk, folder, last=index + 1 == len(chunks))
            return
        self._folder = folder
        counts = self.result.messages_per_file
        try:
            for raw in folder:
                counts[folder.source] = counts.get(folder.source, 0) + 1
                yield raw
        except SourceError as error:
            yield Quarantined(
                folder.source, folder.position, f"unreadable from here on: {error}"[:300],
                QuarantineCode.UNREADABLE_FROM_HERE,
            )  # fmt: skip
            self._finished.append((folder.source, folder.state(complete=False)))
        else:
            self._finished.append((folder.source, folder.state(complete=True)))
        self._folder = None
        self.done_bytes += folder.total_bytes

    def join_folder(self, chunked: _Chunked, done: FolderExtract) -> tuple[ExtractedBatch, list]:
        """Take a folder chunk's messages, in order; after a chunk that could not be
        fetched to its end, the folder's later chunks wait for the next run."""
        folder = chunked.folder
        if folder.failed:
            return extract_batch([]), []
        counts = self.result.messages_per_file
        counts[folder.source] = counts.get(folder.source, 0) + done.messages
        folder.accept(done.fetched, done.messages)
        self._folder_within = folder.bytes_read
        if done.fetched.error:
            reason = f"unreadable from here on: {done.fetched.error}"[:300]
            done.batch.quarantined.append(
                Quarantined(folder.source, folder.position, reason,
                            QuarantineCode.UNREADABLE_FROM_HERE)
            )  # fmt: skip
            folder.failed = True
        elif not chunked.last:
            return done.batch, [(folder.source, folder.state(complete=False))]
        self._folder_within = 0
        self.done_bytes += folder.total_bytes
        return done.batch, [(folder.source, folder.state(complete=not folder.failed))]

    # -- plain mboxes, read by the workers in byte ranges ---------------------------------
    def _rangeable(self, plan: _Plan) -> bool:
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

    def _ranges(self, plan: _Plan) -> Iterator[_Ranged]:
        assert plan.stat is not None and plan.start is not None
        joined = JoinedRanges(str(plan.source_file.path), plan.start, plan.digest)
        step = min(_RANGE_BYTES, max(_RANGE_MIN, plan.stat.st_size // (4 * self.jobs)))
        starts = range(plan.start, max(plan.stat.st_size, plan.start + 1), step)
        path = str(plan.source_file.path)
        for index, start in enumerate(starts):
            stop = start + step if index + 1 < len(starts) else None
            part = MboxRange(plan.source_file.source, path, start, stop, exact=index == 0)
            yield _Ranged(part, joined, plan)

    def join(self, ranged: _Ranged, done: RangeExtract) -> tuple[ExtractedBatch, list]:
        """Take a range's messages if it starts where the one before ended.

        Otherwise its first separator was a guess that a message before it overruns
        (Content-Length, say): the range is read again here from where that message
        ends. A range wholly inside an earlier message has nothing of its own.
        """
        joined, part, plan = ranged.file, ranged.part, ranged.plan
        path = plan.source_file.path
        reached: list[tuple[Path, dict[str, Any] | None]] = []
        if joined.failed:
            return extract_batch([]), reached
        overrun = part.stop is not None and joined.end_offset >= part.stop
        if overrun:
            done = RangeExtract(extract_batch([]), None, None, joined.end_offset, 0)
        elif not part.exact and done.first != joined.end_offset:
            done = extract_range(replace(part, start=joined.end_offset, exact=True))
        counts = self.result.messages_per_file
        counts[str(path)] = counts.get(str(path), 0) + done.messages
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


@dataclass(frozen=True)
class _Chunked:
    """A chunk of an IMAP folder on its way to a worker, and the folder it belongs to."""

    chunk: FolderChunk
    folder: FolderReader
    last: bool


@dataclass(frozen=True)
class _Ranged:
    """A range on its way to a worker, and the file it is joined into when it is back."""

    part: MboxRange
    file: JoinedRanges
    plan: _Plan


def _batches(
    reader: _Reader,
) -> Iterator[tuple[list[RawMessage | Quarantined] | MboxRange | FolderChunk, Any]]:
    """Batches of raw messages, each with the file states reached once it is stored; byte
    ranges, each with the file it is joined into; chunks of IMAP folders, each with its
    folder."""
    batch: list[RawMessage | Quarantined] = []
    size = 0
    for item in reader:
        if isinstance(item, _Ranged | _Chunked):
            if batch:
                yield batch, reader.checkpoint()
                batch, size = [], 0
            yield (item.part if isinstance(item, _Ranged) else item.chunk), item
            continue
        if isinstance(item, RawMessage):
            _, body_start = header_block_end(item.data)
            item = item.head(body_start + BODY_PEEK)
            size += len(item.data)
        batch.append(item)
        if len(batch) >= _BATCH_MESSAGES or size >= _BATCH_BYTES:
            yield batch, reader.checkpoint()
            batch, size = [], 0
    yield batch, reader.checkpoint()


def _follow_parent(parent: int) -> None:
    """In a worker: die with the parent, even when it is killed without a word.

    Ctrl-C at a terminal reaches the workers too: they leave it to the parent, which
    stops the run (and them with it), so that it is one line, not one traceback each.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # Linux: the kernel sends SIGKILL when the parent dies
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:  # elsewhere: notice being orphaned within a second
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="mxa-parent-watch").start()
    if os.getppid() != parent:
        os._exit(1)


def _extracted(
    batches: Iterator[tuple[list[RawMessage | Quarantined] | MboxRange | FolderChunk, Any]],
    jobs: int,
    engine: str = "local",
    scheduler: str | None = None,
) -> Iterator[tuple[Any, Any]]:
    """Extract in order on the engine (:mod:`analyzer.engines`), a bounded number in flight."""
    yield from in_order(extract_work, batches, engine=engine, jobs=jobs, scheduler=scheduler,
                        initializer=_follow_parent, initargs=(os.getpid(),))  # fmt: skip


def ingest(
    sources: Sequence[str | os.PathLike[str]],
    store: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    imap: ImapOptions | None = None,
) -> IngestResult:
    """Parse ``sources`` into the Parquet store at ``store``; return the counts.

    ``engine`` says where messages are extracted: ``local`` worker processes (``jobs``
    of them), or ``dask``, the cluster at ``scheduler`` or a local one of ``jobs``
    processes (:mod:`analyzer.engines`). Every engine writes the same store. A source
    may be an IMAP folder, ``imaps://USER@HOST[:PORT]/FOLDER`` (``imap://``: STARTTLS),
    read header-only as ``imap`` says (:mod:`analyzer.sources.imap`).

    Re-running on the same store adds only what is new and replaces what changed (see
    the module doc). Raises :class:`~analyzer.errors.MxaError` for unusable paths, a
    store that is not one or that another run is writing; never for bad mail.
    """
    started = time.perf_counter()
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}")
    addresses = [parse_imap_address(s) for s in sources if is_imap_address(s)]
    paths = [s for s in sources if not is_imap_address(s)]
    # a source with no mail in it is an error here, before the store is touched
    files, skipped = discover_sources(paths) if paths else ([], [])
    result = IngestResult(
        sources=[str(s) for s in sources],
        store=str(store),
        files=len(files),
        skipped_files=skipped,
    )
    if jobs is None:
        jobs = os.cpu_count() or 1
    with Store.open_for_writing(store) as opened, contextlib.ExitStack() as connections:
        folders: list[FolderReader] = []
        for address in addresses:
            server_folders = open_folders(address, imap or ImapOptions())
            connections.callback(close_folders, server_folders)
            named = {folder.source for folder in folders}  # a folder named twice is read once
            folders += [folder for folder in server_folders if folder.source not in named]
        removals = _Removals()
        for key, state in _removed_files(files, sources, opened):
            removals.add(SourceFile(state["source"], Path(key), state.get("kind", "message"), 0))
            opened.set_file_state(key, None)
            result.files_removed += 1
        for key in _removed_folders(addresses, folders, opened):
            removals.sources.add(key)
            opened.set_file_state(key, None)
            result.files_removed += 1
        plans = [_plan_file(f, opened, result, removals) for f in files]
        for folder in folders:
            _plan_folder(folder, opened, result, removals)
        result.rows_removed = removals.apply(opened)
        opened.commit(result.summary())  # removals first, so that keys are known again
        reread = {
            (p.source_file.source, str(p.start))
            for p in plans
            if p.start and p.source_file.kind == "mbox"
        }
        pending = StoreWriter(opened, result, reread)
        # Workers read plain mboxes themselves, except on a cluster that may not see them.
        reader = _Reader(plans, result, in_ranges=scheduler is None, jobs=jobs, folders=folders)
        last_report = 0.0
        for extracted, tag in _extracted(_batches(reader), jobs, engine, scheduler):
            if isinstance(tag, _Ranged):
                pending.add(*reader.join(tag, extracted))
            elif isinstance(tag, _Chunked):
                pending.add(*reader.join_folder(tag, extracted))
            else:
                pending.add(extracted, tag)
            if progress is not None:
                now = time.perf_counter()
                if now - last_report > 0.1:
                    last_report = now
                    progress(reader.position(), reader.total_bytes)
        pending.commit()
    result.messages_read = result.parsed + result.quarantined
    if progress is not None:
        progress(reader.total_bytes, reader.total_bytes)
    result.seconds = time.perf_counter() - started
    return result
