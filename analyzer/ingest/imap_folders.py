"""IMAP folders as a kind of source, read after the files.

Logging in and listing happen before the plan (:func:`open_imap`); each folder is then
planned from its state in the store (:func:`analyzer.ingest.plan.plan_folder`). Local
workers fetch chunks of a folder themselves, each over its own connection
(:func:`analyzer.sources.imap.fetch_chunk`); for a Dask cluster named by its scheduler
the folder is fetched here and sent as batches, as the files are, so that the
credentials never leave this machine. Only headers, structure and the few parts
extraction reads are fetched, never a whole body (:mod:`analyzer.sources.imap_folder`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from analyzer.errors import SourceError
from analyzer.ingest.plan import Removals, plan_folder, removed_folders
from analyzer.ingest.result import IngestResult
from analyzer.ingest.units import Unit
from analyzer.ingest.workers import FolderExtract, extract_batch
from analyzer.ingest.writer import ExtractedBatch, Reached
from analyzer.records import Quarantined, RawMessage
from analyzer.sources.imap import close_folders, open_folders
from analyzer.sources.imap_address import ImapAddress
from analyzer.sources.imap_folder import FolderReader
from analyzer.sources.imap_options import ImapOptions
from analyzer.store import Store
from analyzer.vocabulary import QuarantineCode

__all__ = ["FOLDER_CHUNK", "ImapFolders", "open_imap"]

# An IMAP folder goes to local workers in chunks of this many messages, which each
# fetches over its own connection.
FOLDER_CHUNK = 500


def open_imap(
    addresses: list[ImapAddress], options: ImapOptions | None, connections: contextlib.ExitStack
) -> list[FolderReader]:
    """Log in to each server and make a reader for each folder named (each once); the
    servers are logged out of when ``connections`` closes."""
    folders: list[FolderReader] = []
    for address in addresses:
        server_folders = open_folders(address, options or ImapOptions())
        connections.callback(close_folders, server_folders)
        named = {folder.source for folder in folders}  # a folder named twice is read once
        folders += [folder for folder in server_folders if folder.source not in named]
    return folders


class ImapFolders:
    """The IMAP folders of a run, read in order (a
    :class:`~analyzer.ingest.units.SourceKind`).

    ``in_chunks``: local workers fetch the folders in chunks over their own connections.
    """

    def __init__(
        self, addresses: list[ImapAddress], folders: list[FolderReader], *, in_chunks: bool = True
    ) -> None:
        self.addresses = addresses
        self.folders = folders
        self.in_chunks = in_chunks
        self.read: dict[str, int] = {}  # messages read of each folder this run
        self.done_bytes = 0  # of folders finished
        self._folder: FolderReader | None = None  # being read here
        self._folder_within = 0  # how far the chunks of the folder being joined reach
        self._finished: list[Reached] = []

    # -- the plan ----------------------------------------------------------------------
    def plan(self, store: Store, result: IngestResult, removals: Removals) -> None:
        for key in removed_folders(self.addresses, self.folders, store):
            removals.sources.add(key)
            store.set_file_state(key, None)
            result.files_removed += 1
        for folder in self.folders:
            plan_folder(folder, store, result, removals)

    @property
    def total_bytes(self) -> int:
        return sum(f.total_bytes for f in self.folders)

    # -- where reading has come to -------------------------------------------------------
    def position(self) -> int:
        within = self._folder.bytes_read if self._folder else self._folder_within
        return self.done_bytes + within

    def reached(self) -> list[Reached]:
        changes, self._finished = self._finished, []
        if self._folder is not None:
            changes.append((self._folder.source, self._folder.state(complete=False)))
        return changes

    def _count(self, source: str, messages: int = 1) -> None:
        self.read[source] = self.read.get(source, 0) + messages

    # -- reading -----------------------------------------------------------------------
    def units(self) -> Iterator[RawMessage | Quarantined | Unit]:
        for folder in self.folders:
            yield from self._read_folder(folder)

    def _read_folder(self, folder: FolderReader) -> Iterator[RawMessage | Quarantined | Unit]:
        """A folder's new messages; a connection lost for good costs the rest of the
        folder this run, and the next run goes on from the last message read."""
        if self.in_chunks and folder.login is not None:
            chunks = list(folder.chunks(FOLDER_CHUNK))
            if not chunks:
                self._finished.append((folder.source, folder.state(complete=True)))
            for index, chunk in enumerate(chunks):
                last = index + 1 == len(chunks)
                yield Unit(chunk, functools.partial(self.join_chunk, folder, last))
            return
        self._folder = folder
        try:
            for raw in folder:
                self._count(folder.source)
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

    def join_chunk(
        self, folder: FolderReader, last: bool, done: FolderExtract
    ) -> tuple[ExtractedBatch, list[Reached]]:
        """Take a folder chunk's messages, in order; after a chunk that could not be
        fetched to its end, the folder's later chunks wait for the next run."""
        if folder.failed:
            return extract_batch([]), []
        self._count(folder.source, done.messages)
        folder.accept(done.fetched, done.messages)
        self._folder_within = folder.bytes_read
        if done.fetched.error:
            reason = f"unreadable from here on: {done.fetched.error}"[:300]
            done.batch.quarantined.append(
                Quarantined(folder.source, folder.position, reason,
                            QuarantineCode.UNREADABLE_FROM_HERE)
            )  # fmt: skip
            folder.failed = True
        elif not last:
            return done.batch, [(folder.source, folder.state(complete=False))]
        self._folder_within = 0
        self.done_bytes += folder.total_bytes
        return done.batch, [(folder.source, folder.state(complete=not folder.failed))]
