"""The plan: what to read of each source this run, from what the store keeps of it.

Each source file the store knows is checked against a digest of everything read of it:
an unchanged file is skipped, a grown mbox is read on from where it ended (its last
message again, in case it was still being written), and a changed or truncated file has
its rows replaced. Files gone from a folder that was read before lose theirs. An IMAP
folder is read on after the last UID read while its UIDVALIDITY stays the same; one
renumbered is read again, and one gone from a server read whole loses its rows.
Rows to replace are gathered in :class:`Removals` and removed in one pass before reading.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from analyzer.sources import SourceFile, mbox_resume
from analyzer.sources.container import ContainerProblem
from analyzer.sources.imap_address import ImapAddress
from analyzer.sources.imap_folder import FolderReader
from analyzer.sources.outlook_pst import file_digest
from analyzer.store import Store

if TYPE_CHECKING:
    from analyzer.ingest.result import IngestResult

__all__ = [
    "FilePlan",
    "Removals",
    "plan_file",
    "plan_folder",
    "removed_files",
    "removed_folders",
    "stat_key",
]


@dataclass
class FilePlan:
    """How one file is read this run."""

    source_file: SourceFile
    stat: os.stat_result | None
    start: int | None  # None: unchanged, not read; of a PST: the chunk to read on from
    cr_only: bool = False
    digest: Any = None  # of the bytes before ``start``; of a PST: of the whole file
    earlier: int = 0  # messages read of it by earlier runs
    compressed: bool | None = None


def stat_key(stat: os.stat_result) -> dict[str, int]:
    """What of a file's status tells that it has not changed since it was read."""
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "inode": stat.st_ino,
    }


@dataclass
class Removals:
    """Rows to remove before reading: whole files, and mboxes from an offset on."""

    mbox_from: dict[str, int] = field(default_factory=dict)  # source → first offset to go
    files: set[str] = field(default_factory=set)  # one-message files, by path
    sources: set[str] = field(default_factory=set)  # every row of these (IMAP folders)
    # every row of these and of their folders (a PST's items: "archive.pst/Inbox")
    containers: set[str] = field(default_factory=set)

    def add(self, source_file: SourceFile, from_offset: int = 0) -> None:
        if source_file.kind == "mbox":
            self.mbox_from[source_file.source] = from_offset
        elif source_file.kind == "pst":
            self.containers.add(source_file.source)
        else:
            self.files.add(str(source_file.path))

    def apply(self, store: Store) -> int:
        """Remove the rows in one pass over the store; how many messages went."""
        if not (self.mbox_from or self.files or self.sources or self.containers):
            return 0
        mbox_from, files, whole = self.mbox_from, self.files, self.sources
        within = tuple(f"{container}/" for container in self.containers)

        def doomed(table: pa.Table) -> pa.Array:
            sources = table["source"].to_pylist()
            offsets = table["offset"].to_pylist()
            return pa.array(
                [o in files or s in whole or s in self.containers
                 or (bool(within) and s.startswith(within))
                 or (s in mbox_from and _at_or_after(o, mbox_from[s]))
                 for s, o in zip(sources, offsets, strict=True)],
                pa.bool_(),
            )  # fmt: skip

        return store.remove_rows(doomed, doomed)


def _at_or_after(offset: str | None, start: int) -> bool:
    try:
        return int(offset or "") >= start
    except ValueError:
        return True  # "unreadable from here on" entries name no offset of a message


def plan_file(
    source_file: SourceFile, store: Store, result: IngestResult, removals: Removals
) -> FilePlan:
    """Unchanged, new, grown (read on), or changed (rows replaced, read again)."""
    path = source_file.path
    try:
        stat = path.stat()
    except OSError:
        return FilePlan(source_file, None, 0)  # reading will say what is wrong
    state = store.file_state(path)
    if source_file.kind == "unreadable" or state is None:
        result.files_new += source_file.kind != "unreadable"
        return FilePlan(source_file, stat, 0)
    same = all(state.get(k) == v for k, v in stat_key(stat).items())
    if same and state.get("complete"):
        result.files_unchanged += 1
        return FilePlan(source_file, stat, None)
    if source_file.kind == "pst":
        return _plan_pst(source_file, stat, state, store, result, removals)
    earlier = int(state.get("messages_read", 0))
    resume = mbox_resume(path, state) if source_file.kind == "mbox" else None
    if resume is not None:
        result.files_resumed += 1
        return FilePlan(source_file, stat, resume.offset, resume.cr_only, resume.digest, earlier)
    result.files_changed += 1
    removals.add(source_file)
    return FilePlan(source_file, stat, 0)


def _plan_pst(
    source_file: SourceFile,
    stat: os.stat_result,
    state: dict[str, Any],
    store: Store,
    result: IngestResult,
    removals: Removals,
) -> FilePlan:
    """A PST whose status changed: the same bytes (copied, touched) are not read again,
    or read on from the chunk a stopped run came to; changed bytes have their rows
    replaced, as Outlook rewrites the file in place."""
    try:
        digest = file_digest(source_file.path)
    except ContainerProblem:
        return FilePlan(source_file, stat, 0)  # reading will say what is wrong
    if digest == state.get("digest"):
        if state.get("complete"):
            store.set_file_state(str(source_file.path), {**state, **stat_key(stat)})
            result.files_unchanged += 1
            return FilePlan(source_file, stat, None)
        result.files_resumed += 1
        earlier = int(state.get("messages_read", 0))
        chunks = int(state.get("chunks_done", 0))
        return FilePlan(source_file, stat, chunks, digest=digest, earlier=earlier)
    result.files_changed += 1
    removals.add(source_file)
    return FilePlan(source_file, stat, 0, digest=digest)


def removed_files(
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


def plan_folder(
    folder: FolderReader, store: Store, result: IngestResult, removals: Removals
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


def removed_folders(
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
