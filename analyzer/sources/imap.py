"""IMAP folders as a source of the pipeline: logging in, a run's deadline, the workers'
connections.

:func:`open_folders` logs in to the server an ``imaps://`` address names and makes a
:class:`~analyzer.sources.imap_folder.FolderReader` for each folder it names (or every
one, with ``--all-folders``); the folders of one run share its deadline
(``--imap-run-deadline``) until :func:`close_folders` logs out of the last server. Local
worker processes each fetch chunks of a folder over a connection of their own
(:func:`fetch_chunk`), made once and logged out of when the process ends; the
credentials go to local worker processes only, never to a cluster.
"""

from __future__ import annotations

import os
from typing import Any

from analyzer.errors import SourceError, UsageError
from analyzer.extract.folders import readable_folder_name
from analyzer.records import Quarantined, RawMessage
from analyzer.sources.imap_address import ImapAddress, credentials
from analyzer.sources.imap_client import connect, drop, list_folders, log_out
from analyzer.sources.imap_folder import FetchedChunk, FolderChunk, FolderReader
from analyzer.sources.imap_limits import Deadline
from analyzer.sources.imap_options import ImapOptions, ImapRun
from analyzer.vocabulary import SENT

__all__ = ["ImapOptions", "ImapRun", "close_folders", "fetch_chunk", "open_folders"]


# The run under way for each ImapOptions (by identity): from the first open_folders to
# the last close_folders, however many servers it names.
_RUNS: dict[int, ImapRun] = {}


def open_folders(address: ImapAddress, options: ImapOptions) -> list[FolderReader]:
    """Log in to the server of ``address`` and make a reader for each folder it names."""
    if not options.deadline > 0 or not options.run_deadline > 0:
        raise UsageError("an IMAP deadline must be more than 0 seconds")
    secret = credentials(address, options.prompt)
    run = _RUNS.get(id(options))
    if run is None or run.options is not options or not run.servers:
        whole = Deadline.after(options.run_deadline, "the run", "--imap-run-deadline")
        run = ImapRun(options, whole)

    def reconnect(deadline: Deadline | None) -> Any:
        return connect(address, secret, cafile=options.cafile, deadline=deadline)

    opening = Deadline.after(options.deadline, "the folder", "--imap-deadline")
    client = reconnect(opening.earliest(run.deadline))
    sent: frozenset[str] = frozenset()  # named alone, a folder says by its name
    if address.folder is not None:  # as the server lists it ("&AMk-l&AOk-ments") or read
        names = [readable_folder_name(address.folder)]  # imapclient encodes it again
    elif options.all_folders:
        names, sent = list_folders(client, address)
    else:
        log_out(client)
        raise UsageError(f"{address.server}: name a folder (…/INBOX) or give --all-folders")
    if not names:
        log_out(client)
        return []
    _RUNS[id(options)] = run
    run.servers += 1
    folders = [FolderReader(client, address, name, reconnect) for name in names]
    for folder in folders:
        folder.role = SENT if folder.folder in sent else None
        folder.login = (secret, options.cafile)
        folder.folder_seconds, folder.run = options.deadline, run
    return folders


# One connection per server in each process, keyed by the process id too: a forked
# worker inherits its parent's entries, whose sockets it must never use.
_WORKER_CLIENTS: dict[tuple[int, str], Any] = {}


def fetch_chunk(chunk: FolderChunk) -> FetchedChunk:
    """Fetch a chunk's messages as :class:`FolderReader` does, over this process's own
    connection to the server (made once, logged out when the process ends)."""
    if chunk.error:
        return FetchedChunk([], 0, 0, chunk.error)
    secret, cafile = chunk.login
    key = (os.getpid(), chunk.address.server)  # a chunk selects its folder on it

    def reconnect(deadline: Deadline | None) -> Any:
        client = connect(chunk.address, secret, cafile=cafile, deadline=deadline)
        if not any(pid == key[0] for pid, _ in _WORKER_CLIENTS):
            import multiprocessing.util

            multiprocessing.util.Finalize(None, _close_worker_clients, exitpriority=10)
        _WORKER_CLIENTS[key] = client
        return client

    reader = FolderReader(None, chunk.address, chunk.folder, reconnect)
    reader.role = chunk.role
    reader.uidvalidity = chunk.uidvalidity
    reader.uids = list(chunk.uids)
    reader.sizes = {uid: size for uid, size in zip(chunk.uids, chunk.sizes, strict=True)
                    if size >= 0}  # fmt: skip
    reader.problems = dict(chunk.problems)
    reader.deadline, reader.deadline_fixed = chunk.deadline, True
    reader.last_uid = chunk.uids[0] - 1 if chunk.uids else 0
    messages: list[RawMessage | Quarantined] = []
    error = None
    try:
        reader.client = _WORKER_CLIENTS.get(key) or reconnect(chunk.deadline)
        for message in reader:  # what came before a failure is kept
            messages.append(message)
    except SourceError as problem:
        error = str(problem)
        stale = _WORKER_CLIENTS.pop(key, None)  # dropped, or not to be trusted
        if stale is not None:
            drop(stale)
    return FetchedChunk(messages, reader.last_uid if reader.read else 0, reader.bytes_read, error)


def _close_worker_clients() -> None:
    """Log out of this process's connections (not those a fork inherited)."""
    for key in [key for key in _WORKER_CLIENTS if key[0] == os.getpid()]:
        log_out(_WORKER_CLIENTS.pop(key))


def close_folders(folders: list[FolderReader]) -> None:
    """Log out of every server the readers were connected to; the run they were part of
    ends with the last of its servers."""
    for client in {id(f.client): f.client for f in folders}.values():
        log_out(client)
    for run in {id(f.run): f.run for f in folders if f.run is not None}.values():
        run.servers -= 1
        if run.servers <= 0 and _RUNS.get(id(run.options)) is run:
            del _RUNS[id(run.options)]
