"""One ingest run: plan, hand the units out to an engine, write what comes back.

Each kind of source (:class:`~analyzer.ingest.mail_files.MailFiles`,
:class:`~analyzer.ingest.imap_folders.ImapFolders`) plans its reading from the states
the store keeps; the rows of changed and vanished sources are removed in one pass; then
the kinds' units (:mod:`analyzer.ingest.units`) go to the engine
(:func:`analyzer.engines.in_order`), whose workers make Arrow tables of them
(:mod:`analyzer.ingest.workers`), and come back in order to be joined and handed to
the one store writer (:mod:`analyzer.ingest.writer`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from analyzer.engines import ENGINES, in_order
from analyzer.errors import UsageError
from analyzer.ingest.imap_folders import ImapFolders, open_imap
from analyzer.ingest.mail_files import MailFiles
from analyzer.ingest.plan import Removals
from analyzer.ingest.result import IngestResult, ProgressCallback
from analyzer.ingest.units import SourceKind, Unit, batched
from analyzer.ingest.workers import extract_work, follow_parent
from analyzer.ingest.writer import StoreWriter, WriteCounts
from analyzer.sources import discover_sources
from analyzer.sources.imap_address import is_imap_address, parse_imap_address
from analyzer.sources.imap_options import ImapOptions
from analyzer.store import Store

__all__ = ["ingest"]

_REPORT_SECONDS = 0.1  # progress is reported at most this often


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
    :mod:`analyzer.ingest.plan`). Raises :class:`~analyzer.errors.MxaError` for unusable
    paths, a store that is not one or that another run is writing; never for bad mail.
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
    # Workers read plain mboxes and fetch IMAP chunks themselves, except on a cluster
    # that may not see the files and must never get the credentials.
    local_workers = scheduler is None
    with Store.open_for_writing(store) as opened, contextlib.ExitStack() as connections:
        mail = MailFiles(files, paths, in_ranges=local_workers, jobs=jobs)
        imap_folders = ImapFolders(
            addresses, open_imap(addresses, imap, connections), in_chunks=local_workers
        )
        kinds: tuple[SourceKind, ...] = (mail, imap_folders)
        removals = Removals()
        for kind in kinds:
            kind.plan(opened, result, removals)
        result.rows_removed = removals.apply(opened)
        opened.commit(result.summary())  # removals first, so that keys are known again

        def summary(written: WriteCounts) -> dict[str, Any]:
            result.items_not_mail = sum(mail.not_mail_items.values())
            return result.with_written(written).summary()

        writer = StoreWriter(opened, mail.reread(), summary)
        total = sum(kind.total_bytes for kind in kinds) or 1
        last_report = 0.0
        for extracted, join in _extracted(batched(kinds), jobs, engine, scheduler):
            writer.add(*join(extracted))
            if progress is not None:
                now = time.perf_counter()
                if now - last_report > _REPORT_SECONDS:
                    last_report = now
                    progress(min(sum(kind.position() for kind in kinds), total), total)
        written = writer.finish()
    result = result.with_written(written)
    result.messages_per_file = {**mail.read, **imap_folders.read}
    result.items_not_mail = sum(mail.not_mail_items.values())
    if progress is not None:
        progress(total, total)
    result.seconds = time.perf_counter() - started
    return result


def _extracted(
    units: Iterator[Unit], jobs: int, engine: str = "local", scheduler: str | None = None
) -> Iterator[tuple[Any, Any]]:
    """Extract in order on the engine (:mod:`analyzer.engines`), a bounded number in
    flight; each with how it is taken back."""
    yield from in_order(extract_work, ((unit.work, unit.join) for unit in units),
                        engine=engine, jobs=jobs, scheduler=scheduler,
                        initializer=follow_parent, initargs=(os.getpid(),))  # fmt: skip
