"""Sources: from the paths a user names to a stream of raw messages.

:mod:`~analyzer.sources.discovery` finds the files to read under the paths (each known
by its first bytes: mbox, PST, Outlook and Apple Mail messages, ``.eml``, Maildir) and
lists the ones skipped with the reason; :class:`SourceReader` reads one file's raw
messages, an mbox resumably at a byte offset; :mod:`~analyzer.sources.compressed` opens
gzip, bzip2 and xz files. The formats' readers are modules of their own (``mbox``,
``emlx``, ``outlook_msg``, ``outlook_pst``, ``imap``), and so are Thunderbird's profiles.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from analyzer.errors import SourceError
from analyzer.records import Quarantined, RawMessage
from analyzer.sources.compressed import (
    EXPANSION_FLOOR,
    MAX_EXPANSION,
    expansion_limit,
    is_compressed,
    open_archive,
    open_counted,
)
from analyzer.sources.container import ContainerProblem
from analyzer.sources.discovery import ONE_MESSAGE_KINDS, Skipped, SourceFile, discover_sources
from analyzer.sources.emlx import read_emlx
from analyzer.sources.mbox import (
    DIGEST,
    HEAD_KEEP,
    JoinedRanges,
    MboxReader,
    TooLarge,
    digest_name,
    digest_text,
    new_digest,
    translated,
)
from analyzer.sources.outlook_msg import read_msg

__all__ = [
    "EXPANSION_FLOOR",
    "MAX_EXPANSION",
    "ONE_MESSAGE_KINDS",
    "READ_ERRORS",
    "MboxResume",
    "Skipped",
    "SourceFile",
    "SourceReader",
    "TooLarge",
    "discover_sources",
    "expansion_limit",
    "is_compressed",
    "mbox_resume",
    "mbox_state",
    "open_archive",
    "open_counted",
    "prefix_digests",
]

# what reading a source can raise: a vanished or damaged file, a broken or exploding stream
READ_ERRORS = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error, SourceError, TooLarge)


@dataclass(frozen=True)
class MboxResume:
    """Where to read an mbox on from: the file an earlier run read up to ``offset`` is the
    same up to there (it grew, or that run stopped)."""

    offset: int
    cr_only: bool
    digest: Any  # of the bytes before ``offset``, to go on with


def mbox_state(reader: SourceReader | MboxReader | JoinedRanges) -> dict[str, Any]:
    """What a later run needs to read an mbox on from where ``reader`` has come to:
    the store keeps it with the file's entry (``mxa-store.json``)."""
    return {
        "end_offset": reader.end_offset,
        "resume_offset": reader.last_message_offset,
        "cr_only": reader.cr_only,
        "digest": digest_text(reader.digest),
    }


def mbox_resume(path: Path, state: dict[str, Any]) -> MboxResume | None:
    """Where to read an mbox on from, given the state :func:`mbox_state` gave an earlier
    run; None when the bytes that run read have changed (the file was rewritten, not
    grown), or cannot be read to check.

    A complete file is read on from its last message, which may have grown too; an
    interrupted one from where the run stopped.
    """
    if not state.get("digest"):
        return None
    end = int(state.get("end_offset", 0))
    resume = end if not state.get("complete") else int(state.get("resume_offset") or 0)
    cr_only = bool(state.get("cr_only"))
    name = digest_name(state["digest"])
    try:
        digests = prefix_digests(path, (end, resume), cr_only, name)
    except READ_ERRORS:
        return None
    if digests is None or digests[0].hexdigest() != state["digest"].rpartition(":")[2]:
        return None
    return MboxResume(resume, cr_only, digests[1])


def prefix_digests(
    path: Path, ends: tuple[int, ...], cr_only: bool, name: str = DIGEST
) -> list[Any] | None:
    """Digests (by algorithm ``name``) of an mbox's first ``ends[i]`` (decompressed) bytes,
    as its reader's running digest covers them; None if the file is shorter: how a later
    run tells a grown file from a rewritten one."""
    digest = new_digest(name)
    found: list[Any] = []
    done = 0
    with open_counted(path) as (stream, _):
        for end in sorted(ends):
            while done < end:
                chunk = stream.read(min(1 << 20, end - done))
                if not chunk:
                    return None
                digest.update(translated(chunk, cr_only))
                done += len(chunk)
            found.append(digest.copy())
    order = sorted(range(len(ends)), key=lambda i: ends[i])
    result: list[Any] = [None] * len(ends)
    for position, index in enumerate(order):
        result[index] = found[position]
    return result


class SourceReader:
    """The raw messages of one file; for an mbox, resumable at a byte offset.

    One-message files are located by their path (``offset``), mbox messages by the
    byte offset of their separator line in the (decompressed) stream. While reading,
    ``end_offset`` is the end of the last message read (where a later run resumes),
    ``digest`` covers the bytes before it, and :meth:`position` tells how far into
    the file on disk reading has come. A message larger than
    :data:`~analyzer.sources.mbox.MESSAGE_KEEP` keeps only its head; a compressed file
    that expands past :func:`expansion_limit` stops with
    :class:`~analyzer.sources.mbox.TooLarge`.
    """

    def __init__(
        self,
        source_file: SourceFile,
        start: int = 0,
        cr_only: bool = False,
        digest: Any = None,
    ) -> None:
        self.source_file = source_file
        self.start = start
        self._cr_only = cr_only
        self._digest = digest
        self._end_offset = start
        self._mbox: MboxReader | None = None
        self._raw: BinaryIO | None = None
        self._stream: BinaryIO | None = None

    @property
    def end_offset(self) -> int:
        return self._mbox.end_offset if self._mbox else self._end_offset

    @property
    def last_message_offset(self) -> int | None:
        return self._mbox.last_message_offset if self._mbox else None

    @property
    def cr_only(self) -> bool:
        return self._mbox.cr_only if self._mbox else self._cr_only

    @property
    def digest(self) -> Any:
        return self._mbox.digest if self._mbox else self._digest

    def position(self) -> int:
        """Bytes of the file on disk read so far (of a compressed file: compressed bytes)."""
        try:
            if self._raw is not None:
                return self._raw.tell()
            if self._stream is not None and self._mbox is not None:
                return self._mbox.end_offset
        except (OSError, ValueError):
            pass
        return self._end_offset

    def __iter__(self) -> Iterator[RawMessage]:
        path = self.source_file.path
        try:
            opened = open_counted(path)
            stream, raw = opened.__enter__()
        except OSError as error:
            raise SourceError(f"cannot read {path}: {error.strerror or error}") from None
        self._stream, self._raw = stream, raw
        limit = expansion_limit(path) if raw is not None else None
        try:
            if self.source_file.kind in ONE_MESSAGE_KINDS:
                yield self._one_message(stream, limit)
                return
            if self.start:
                stream.seek(self.start)
            self._mbox = MboxReader(
                stream, self.source_file.source, start=self.start, cr_only=self._cr_only,
                digest=self._digest, max_bytes=limit,
            )  # fmt: skip
            yield from self._mbox
        finally:
            opened.__exit__(None, None, None)

    def _one_message(self, stream: BinaryIO, limit: int | None) -> RawMessage | Quarantined:
        """A one-message file: its first HEAD_KEEP bytes, and its full size; an Outlook
        or Apple Mail one as the message it holds, or quarantined with the reason."""
        path = self.source_file.path
        if self.source_file.kind in ("msg", "emlx"):
            return self._container_message(stream)
        data = stream.read(HEAD_KEEP)
        size = len(data)
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge(f"expands past {limit:,} bytes")
        self._end_offset = size
        return RawMessage(
            self.source_file.source, str(path), data, size if size > len(data) else None
        )

    def _container_message(self, stream: BinaryIO) -> RawMessage | Quarantined:
        source, path = self.source_file.source, self.source_file.path
        try:
            if self.source_file.kind == "msg":
                data, delivered = read_msg(path), None
            else:
                emlx = read_emlx(stream.read())
                data, delivered = emlx.message, emlx.delivered
        except ContainerProblem as problem:
            return Quarantined(source, str(path), problem.reason[:300], problem.code)
        self._end_offset = self.source_file.size
        return RawMessage(source, str(path), data, None, delivered)
