"""What runs on the engine: one function from a unit of work to its Arrow tables.

A worker process (or a Dask worker, or the ingesting process itself) runs
:func:`extract_work` on each unit it is given (:mod:`analyzer.ingest.units`): a batch of
raw messages (:func:`extract_batch`), a byte range of a plain mbox that it reads and
splits itself (:func:`extract_range`), a chunk of a PST's folder that it opens the file
for (:func:`extract_pst_chunk`), or a chunk of an IMAP folder that it fetches over its
own connection (:func:`extract_folder_chunk`). Each message goes through
:func:`analyzer.extract.extract_message`, bytes to a record; the records become Arrow
tables here, and only those travel back. A message whose extraction takes longer than
:data:`MESSAGE_SECONDS` is quarantined, where a timer can be set. Where the workers run
(local processes, Dask) is :mod:`analyzer.engines`'.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.extract import extract_message
from analyzer.extract.headers import header_block_end
from analyzer.frames import hops_table, keys_table, messages_table, participants_table
from analyzer.ingest.units import BODY_PEEK, Work
from analyzer.ingest.writer import ExtractedBatch, kept_folder_role
from analyzer.records import MessageRecord, Quarantined, RawMessage
from analyzer.sources import READ_ERRORS
from analyzer.sources.container import ContainerProblem
from analyzer.sources.imap import fetch_chunk
from analyzer.sources.imap_folder import FetchedChunk, FolderChunk
from analyzer.sources.mbox import MboxRange, RangeReader
from analyzer.sources.outlook_pst import PstChunk, read_chunk
from analyzer.vocabulary import QuarantineCode

__all__ = [
    "MESSAGE_SECONDS",
    "FolderExtract",
    "PstExtract",
    "RangeExtract",
    "extract_batch",
    "extract_folder_chunk",
    "extract_pst_chunk",
    "extract_range",
    "extract_work",
    "follow_parent",
]

# A message whose extraction takes longer is quarantined (where the clock can be set).
MESSAGE_SECONDS = 10.0


class _OverBudget(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _OverBudget


@contextlib.contextmanager
def _alarm_raises_over_budget() -> Iterator[bool]:
    """While in this block, SIGALRM raises :class:`_OverBudget`; yields whether a timer
    can be set here at all.

    Signals reach only a process's main thread; elsewhere (a notebook's worker thread)
    messages are extracted without a budget. The handler is set once per batch: setting
    it costs as much as a date's parsing.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield False
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield True
    finally:
        signal.signal(signal.SIGALRM, previous)


def _extract_within_budget(item: RawMessage, timed: bool) -> MessageRecord | Quarantined:
    try:
        if not timed:
            return extract_message(item)
        signal.setitimer(signal.ITIMER_REAL, MESSAGE_SECONDS)
        try:
            return extract_message(item)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _OverBudget:
        reason = f"over the time budget: extraction took more than {MESSAGE_SECONDS:g} s"
        return Quarantined(item.source, item.offset, reason, QuarantineCode.OVER_TIME)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is extracted and tabled.

    A batch holds thousands of records of tuples and strings, none of them in a cycle;
    the collector, triggered by their allocation, walked them over and over: a fifth of
    a worker's time. It runs again, as usual, once the batch is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract_batch(batch: list[RawMessage | Quarantined]) -> ExtractedBatch:
    """Extract a batch and build its tables; the unit of work of a worker process."""
    records: list[MessageRecord] = []
    quarantined: list[Quarantined] = []
    kept: dict[str, int] = {}  # message key → its record's place
    duplicates = 0
    with _collector_paused():
        with _alarm_raises_over_budget() as timed:
            for item in batch:
                extracted = (
                    _extract_within_budget(item, timed) if isinstance(item, RawMessage) else item
                )
                if isinstance(extracted, Quarantined):
                    quarantined.append(extracted)
                elif (place := kept.get(extracted.message_key)) is not None:
                    duplicates += 1
                    first = records[place]  # kept, with the role of both copies
                    role = kept_folder_role(first.folder_role, extracted.folder_role)
                    if role != first.folder_role:
                        records[place] = first._replace(folder_role=role)
                else:
                    kept[extracted.message_key] = len(records)
                    records.append(extracted)
        return ExtractedBatch(
            messages_table(records),
            participants_table(records),
            hops_table(records),
            keys_table(records),
            quarantined,
            duplicates,
        )


@dataclass
class RangeExtract:
    """What a worker made of an :class:`~analyzer.sources.mbox.MboxRange`: the batch, and
    where the range's messages began and ended (see
    :class:`~analyzer.sources.mbox.RangeReader`)."""

    batch: ExtractedBatch
    first: int | None
    last: int | None
    end: int
    messages: int  # read, whether parsed or quarantined
    error: str | None = None  # the file could not be read on: "OSError: ..."


def extract_range(part: MboxRange) -> RangeExtract:
    """Read a byte range of an mbox and extract its messages: no message bytes travel."""
    heads: list[RawMessage | Quarantined] = []
    reader = RangeReader(part)
    error = None
    with _collector_paused():
        try:
            for raw in reader:
                _, body_start = header_block_end(raw.data)
                heads.append(raw.head(body_start + BODY_PEEK))
        except READ_ERRORS as problem:
            error = f"{type(problem).__name__}: {problem}"
        batch = extract_batch(heads)
    return RangeExtract(batch, reader.first, reader.last, reader.end, len(heads), error)


@dataclass
class PstExtract:
    """What a worker made of a :class:`~analyzer.sources.outlook_pst.PstChunk`: the batch,
    the items read (parsed or quarantined) and those that were not mail, or why the file
    could not be read."""

    batch: ExtractedBatch
    messages: int
    not_mail: int
    problem: Quarantined | None = None


def extract_pst_chunk(chunk: PstChunk) -> PstExtract:
    """Read a chunk of a PST's items in this process and extract them."""
    with _collector_paused():
        try:
            read = read_chunk(chunk)
        except ContainerProblem as problem:
            stopped = Quarantined(chunk.source, chunk.path, problem.reason, problem.code)
            return PstExtract(extract_batch([]), 0, 0, stopped)
        heads: list[RawMessage | Quarantined] = []
        for item in read.items:
            if isinstance(item, RawMessage):
                _, body_start = header_block_end(item.data)
                item = item.head(body_start + BODY_PEEK)
            heads.append(item)
        return PstExtract(extract_batch(heads), len(heads), read.not_mail)


@dataclass
class FolderExtract:
    """What a worker made of a :class:`~analyzer.sources.imap_folder.FolderChunk`: the batch, and
    how far fetching came (:class:`~analyzer.sources.imap_folder.FetchedChunk`, messages taken
    out)."""

    batch: ExtractedBatch
    fetched: FetchedChunk
    messages: int  # fetched, whether parsed or quarantined


def extract_folder_chunk(chunk: FolderChunk) -> FolderExtract:
    """Fetch a chunk of an IMAP folder over this process's connection and extract it."""
    with _collector_paused():
        fetched = fetch_chunk(chunk)
        heads: list[RawMessage | Quarantined] = list(fetched.messages)
        fetched.messages = []
        return FolderExtract(extract_batch(heads), fetched, len(heads))


def extract_work(item: Work) -> Any:
    """A worker's unit of work: a batch of messages, a byte range to read, or a chunk of
    an IMAP folder to fetch."""
    if isinstance(item, MboxRange):
        return extract_range(item)
    if isinstance(item, FolderChunk):
        return extract_folder_chunk(item)
    if isinstance(item, PstChunk):
        return extract_pst_chunk(item)
    return extract_batch(item)


def follow_parent(parent: int) -> None:
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
