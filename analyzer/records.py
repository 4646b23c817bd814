"""Records passed between the pipeline's stages.

Immutable and cheap: the per-message records are named tuples, which build about
twice as fast as frozen dataclasses (ingestion makes one per address and per hop)
and transpose straight into columns; a notebook can still build one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from analyzer.vocabulary import DefectKind, QuarantineCode


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message's bytes and where they came from.

    ``source`` is the archive the user named (an mbox, a folder, a Maildir, an IMAP
    folder); ``offset`` locates the message inside it: the byte offset of its separator
    line in an mbox (as a decimal string), the path of a one-message file, or
    ``UIDVALIDITY:UID`` on an IMAP server.
    """

    source: str
    offset: str
    data: bytes
    size: int | None = None  # the full size when ``data`` was cut short
    delivered: float | None = None  # when the server says it arrived (IMAP INTERNALDATE)
    folder_role: str | None = None  # "sent": the server marks its folder \Sent (RFC 6154)

    def head(self, limit: int) -> RawMessage:
        """The same message with at most ``limit`` bytes of data.

        Extraction reads the header block and the start of the body only, so a
        message with large attachments is cut before it goes to a worker process.
        """
        if len(self.data) <= limit:
            return self
        return RawMessage(
            self.source,
            self.offset,
            self.data[:limit],
            self.size or len(self.data),
            self.delivered,
            self.folder_role,
        )


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A message that could not be parsed, kept with why: a stable code, and the details."""

    source: str
    offset: str
    reason: str  # for people: what happened, with the details
    code: QuarantineCode = QuarantineCode.EXTRACTION_FAILED


class Defect(NamedTuple):
    """Something odd in a message that was parsed anyway: which kind, in which header."""

    kind: DefectKind
    header: str  # the header's name, lower-cased; "" for the block as a whole
    detail: str  # the offending text, shortened


class Participant(NamedTuple):
    role: str
    address: str
    display_name: str | None
    position: int
    # Received fields above this header: 0 for the block the last receiving server
    # wrote on top, more for headers that servers lower in the chain wrote
    received_above: int = 0


class Hop(NamedTuple):
    """One Received header; ``hop`` 0 is the oldest, nearest the sender."""

    hop: int
    from_helo: str | None
    from_host: str | None
    from_ip: str | None
    by_host: str | None
    protocol: str | None
    tls: bool | None
    smtp_id: str | None
    for_addr: str | None
    envelope_from: str | None
    timestamp_utc: float | None
    tz_offset_min: int | None
    parsed: bool
    raw: str


class KeyUse(NamedTuple):
    """One key seen on a message; ``kind`` is what role it plays there
    (:mod:`analyzer.extract.keys` reads them)."""

    # smime-signer, smime-cert (its issuer and serial), smime-recipient, pgp-recipient,
    # pgp-signer, autocrypt (the key), autocrypt-key-id (each of its key and subkey ids)
    kind: str
    key_id: str
    addresses: tuple[str, ...]
    detail: str


class MessageRecord(NamedTuple):
    """Everything mxa keeps of one message: its envelope, never its body."""

    message_key: str
    source: str
    offset: str
    size: int
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    date_utc: float | None
    tz_offset_min: int | None
    date_raw: str | None
    subject: str | None
    from_addr: str | None
    from_name: str | None
    encryption: str
    content_type: str | None
    list_id: str | None
    list_unsubscribe: str | None
    list_post: str | None
    auth_results: str | None
    user_agent: str | None
    x_mailer: str | None
    dkim_domains: tuple[str, ...]
    dkim_selectors: tuple[str, ...]
    x_originating_ip: str | None
    gm_thrid: str | None
    gmail_labels: str | None
    n_to: int
    n_cc: int
    participants: tuple[Participant, ...] = ()
    hops: tuple[Hop, ...] = ()
    defects: tuple[Defect, ...] = ()
    keys: tuple[KeyUse, ...] = ()  # keys named in the clear: see analyzer.extract.keys
    folder_role: str | None = None  # "sent": filed in a sent folder (analyzer.extract.folders)

    @property
    def n_received(self) -> int:
        return len(self.hops)
