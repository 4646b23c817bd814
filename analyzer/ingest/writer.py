"""The one writer of a store while mail is ingested: dedupe, counts and commits.

Batches come in from the engines in order. Their rows are kept until a commit writes
them as new Parquet parts, together with how far each source was read, so that a run
killed at any point is continued, not redone, by the next (see :mod:`analyzer.store`).
A message already stored, or twice in the run, is counted as a duplicate and not
written again; the row kept takes the folder role of both copies
(:func:`kept_folder_role`). The writer keeps its own counts (:class:`WriteCounts`) and
returns them; it knows nothing of the run around it, which says what each commit's
summary is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from analyzer.frames import quarantine_table
from analyzer.records import Quarantined
from analyzer.store import FRAMES, Store
from analyzer.vocabulary import SENT

__all__ = [
    "COMMIT_MESSAGES",
    "COMMIT_SECONDS",
    "ExtractedBatch",
    "Reached",
    "StoreWriter",
    "WriteCounts",
    "kept_folder_role",
]

Reached = tuple[Path | str, dict[str, Any] | None]
"""A source (a file's path, an IMAP folder's address) and the state its reading reached:
what the store keeps of it once the rows before are written; None forgets it."""

# Commit every this many messages (MXA_COMMIT_MESSAGES overrides it) and at least this
# often, so a run that is killed keeps its work.
COMMIT_MESSAGES = 5_000
COMMIT_SECONDS = 20.0


def kept_folder_role(kept: str | None, copy: str | None) -> str | None:
    """The folder role of a message stored once for two identical copies: ``"sent"`` when
    either copy was filed in a sent folder, else the kept copy's. Which copy is read first
    (INBOX or Sent, Gmail's "All Mail" before its "Sent Mail") must not decide whether
    the mailbox sent the message."""
    return SENT if SENT in (kept, copy) else kept


@dataclass
class ExtractedBatch:
    """A batch's frames, built where it was extracted so only Arrow buffers travel: what
    the writer takes."""

    messages: pa.Table
    participants: pa.Table
    hops: pa.Table
    keys: pa.Table
    quarantined: list[Quarantined]
    duplicates: int = 0  # repeated within the batch, already dropped


@dataclass
class WriteCounts:
    """What the writer did with the batches it was given (the run's result takes them)."""

    parsed: int = 0
    duplicates: int = 0  # parsed messages already stored (or twice in this run)
    stored: int = 0
    quarantined: int = 0
    quarantine_repeats: int = 0  # quarantined messages already listed in the store
    rows_removed: int = 0  # old rows of messages read again that changed
    quarantine: list[Quarantined] = field(default_factory=list)


class StoreWriter:
    """New rows waiting to be committed, deduplicated against the store by key, counted
    in :attr:`counts`.

    A grown mbox is read again from its last message, which may have been half written
    last time: when what is read at that offset now differs from what was stored, the
    old row (or quarantine entry) is replaced. ``summary`` gives, from the counts so far,
    the run summary each commit records in the manifest.
    """

    def __init__(
        self,
        store: Store,
        reread: set[tuple[str, str]],
        summary: Callable[[WriteCounts], dict[str, Any]],
    ) -> None:
        self.store = store
        self.counts = WriteCounts()
        self.summary = summary
        self.seen = store.existing_keys()
        self.quarantined_before = store.existing_quarantine()
        self.reread = reread  # (source, offset) read again
        self.stale_keys: set[str] = set()
        self.stale_quarantine: set[tuple[str, str, str]] = set()
        self.filed_sent: set[str] = set()  # kept messages a later copy of was filed as sent
        if reread:
            stored = store.read_table("messages", ["message_key", "source", "offset"])
            self.stored_at = {
                (s, o): k
                for k, s, o in zip(*(stored[c].to_pylist() for c in stored.column_names),
                                   strict=True)
                if (s, o) in reread
            }  # fmt: skip
        else:
            self.stored_at = {}
        self.tables: dict[str, list[pa.Table]] = {name: [] for name in FRAMES}
        self.states: list[Reached] = []
        self.rows = 0
        self.committed_at = time.monotonic()
        self.commit_every = int(os.environ.get("MXA_COMMIT_MESSAGES") or COMMIT_MESSAGES)

    def _note_rereads(self, batch: ExtractedBatch) -> None:
        messages = batch.messages
        read_now: dict[tuple[str, str], str] = {}
        for key, source, offset in zip(*(messages[c].to_pylist()
                                         for c in ("message_key", "source", "offset")),
                                       strict=True):  # fmt: skip
            if (source, offset) in self.reread:
                read_now[(source, offset)] = key
        for q in batch.quarantined:
            if (q.source, q.offset) in self.reread:
                read_now[(q.source, q.offset)] = ""
        for place, key in read_now.items():
            old = self.stored_at.get(place)
            if old is not None and old != key:
                self.stale_keys.add(old)
                self.seen.discard(old)
            for entry in self.quarantined_before:
                if entry[:2] == place and key:  # parsed now: the old entry goes
                    self.stale_quarantine.add(entry)

    def add(self, batch: ExtractedBatch, reached: list[Reached]) -> None:
        """Take a batch, and the states its sources reach once it is stored; commit when
        enough is pending."""
        counts = self.counts
        if self.reread:
            self._note_rereads(batch)
        keys = batch.messages.column("message_key").to_pylist()
        fresh = []
        for key in keys:
            is_new = key not in self.seen
            fresh.append(is_new)
            if is_new:
                self.seen.add(key)
        if not all(fresh):  # a copy filed as sent makes the row kept sent: kept_folder_role
            roles = batch.messages.column("folder_role").to_pylist()
            self.filed_sent.update(
                key for key, is_new, role in zip(keys, fresh, roles, strict=True)
                if not is_new and role == SENT
            )  # fmt: skip
        counts.parsed += len(keys) + batch.duplicates
        counts.duplicates += len(keys) - sum(fresh) + batch.duplicates
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
        self.rows += messages.num_rows + len(batch.quarantined)
        counts.stored += messages.num_rows
        counts.quarantined += len(batch.quarantined)
        counts.quarantine.extend(batch.quarantined)
        new_quarantine = []
        for q in batch.quarantined:
            entry = (q.source, q.offset, q.reason)
            if entry in self.quarantined_before:
                counts.quarantine_repeats += 1
            else:
                self.quarantined_before.add(entry)
                new_quarantine.append(q)
        if new_quarantine:
            self.tables["quarantine"].append(quarantine_table(new_quarantine))
        self.states.extend(reached)
        if self.rows >= self.commit_every or time.monotonic() - self.committed_at >= COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        """Write what is pending and record how far each file was read, atomically."""
        if self.stale_keys or self.stale_quarantine:
            stale = pa.array(sorted(self.stale_keys), pa.string())
            gone = self.stale_quarantine
            self.counts.rows_removed += self.store.remove_rows(
                lambda t: pc.is_in(t["message_key"], value_set=stale),
                lambda t: pa.array(
                    [e in gone for e in zip(*(t[c].to_pylist()
                                              for c in ("source", "offset", "reason")),
                                            strict=True)],
                    pa.bool_(),
                ),
            )  # fmt: skip
            self.quarantined_before -= gone
            self.stale_keys, self.stale_quarantine = set(), set()
        if self.filed_sent:
            filed = pa.array(sorted(self.filed_sent), pa.string())
            self.store.set_folder_role(filed, SENT)
            self.tables["messages"] = [_filed_as(t, filed, SENT) for t in self.tables["messages"]]
            self.filed_sent = set()
        tables = {name: pa.concat_tables(parts) for name, parts in self.tables.items() if parts}
        if tables:
            self.store.write(tables)
        for path, state in self.states:
            self.store.set_file_state(path, state)
        self.store.commit(self.summary(self.counts))
        self.tables = {name: [] for name in FRAMES}
        self.states = []
        self.rows = 0
        self.committed_at = time.monotonic()

    def finish(self) -> WriteCounts:
        """Commit what is pending; what was written, in all."""
        self.commit()
        return self.counts


def _filed_as(messages: pa.Table, keys: pa.Array, role: str) -> pa.Table:
    """Rows waiting to be written, those of ``keys`` with the folder role ``role``."""
    column = messages.schema.get_field_index("folder_role")
    mask = pc.is_in(messages.column("message_key"), value_set=keys)
    if not pc.any(mask).as_py():
        return messages
    roles = pc.if_else(mask, pa.scalar(role, pa.string()), messages.column(column))
    return messages.set_column(column, "folder_role", roles)
