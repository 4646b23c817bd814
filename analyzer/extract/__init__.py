"""From one message's bytes to a :class:`MessageRecord`: the header-only extractor.

Pure functions over bytes; nothing here reads a file or prints. Bad mail never
raises: odd lines become defects on the record, and a message with nothing to
extract becomes :class:`Quarantined` with its reason.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from analyzer.extract.addresses import ADDRESS_ROLES, parse_address_list
from analyzer.extract.dates import parse_date
from analyzer.extract.encryption import inspect_body, parse_content_type
from analyzer.extract.folders import folder_role
from analyzer.extract.headers import (
    MAX_HEADER_BYTES,
    HeaderFields,
    collapse_spaces,
    decode_words,
    header_block_end,
    parse_header_block,
)
from analyzer.extract.keys import KeyUse, autocrypt_key, autocrypt_key_ids
from analyzer.extract.received import canonical_ip, parse_received_chain
from analyzer.records import Defect, MessageRecord, Participant, Quarantined, RawMessage
from analyzer.vocabulary import DefectKind, QuarantineCode

__all__ = ["extract_message", "message_key", "parse_message_ids"]

_MESSAGE_ID = re.compile(r"<([^<>]+)>")
_NOT_IN_ID = re.compile(r"[\s<>]")
_IP_CANDIDATE = re.compile(r"[0-9A-Fa-f:.]{3,}")
_LINE_ENDS = re.compile(rb"\r\n?")
_CR_TO_LF = bytes.maketrans(b"\r", b"\n")
# the lines Thunderbird keeps its state of a message in, which differ copy by copy
_MOZILLA_STATE = re.compile(rb"(?im)^x-mozilla-(?:status2?|keys)[ \t]*:[^\n]*(?:\n|\Z)")
MAX_HOPS = 500  # Received headers kept per message
# receiving headers whose addresses some servers separate by spaces, not commas
_SPACE_SEPARATED = frozenset({"x-forwarded-for", "x-forwarded-to", "envelope-to"})
_ROLE_ORDER = {header: order for order, header in enumerate(ADDRESS_ROLES)}


def message_key(header_block: bytes) -> str:
    """A stable id for a message: the hash of its header bytes.

    Line endings are normalised first, so the same message stored as CRLF in a
    Maildir and as LF in an mbox gets the same key; an exact duplicate (same
    Message-ID, same headers) therefore collapses to one row in the store. So do
    Thunderbird's copies of one message in two folders (moved, or left behind until the
    folder is compacted): the X-Mozilla-Status lines it writes into each, its own
    bookkeeping (read, replied, deleted), are left out of the hash.
    """
    if b"\r" in header_block:
        header_block = _LINE_ENDS.sub(b"\n", header_block)
    if b"ozilla-" in header_block or b"OZILLA-" in header_block:
        header_block = _MOZILLA_STATE.sub(b"", header_block)
    normalised = header_block.rstrip(b"\n")
    return hashlib.blake2b(normalised, digest_size=8).hexdigest()


def parse_message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID, In-Reply-To or References value, without angle brackets."""
    if not value:
        return []
    found = _MESSAGE_ID.findall(value)
    if found:
        return [item.strip() for item in found if item.strip()]
    token = value.strip().strip("<>").strip()
    return [token] if token and not _NOT_IN_ID.search(token) else []


def _dkim(values: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    domains: list[str] = []
    selectors: list[str] = []
    for value in values:
        tags = _dkim_tags(value)
        if "d" in tags:
            domains.append(tags["d"].lower())
            selectors.append(tags.get("s", ""))
    return tuple(domains), tuple(selectors)


def _dkim_tags(value: str) -> dict[str, str]:
    """The ``d=`` and ``s=`` tags of a DKIM-Signature, the last of each, read item by item:
    a regular expression (``tests/test_parser_properties.py`` keeps it as the reference)
    tried every character of the signature's base64."""
    tags = {}
    for item in value.split(";"):
        name, equals, content = item.partition("=")
        if equals and name.strip() in ("d", "s"):
            words = content.split(None, 1)
            if words:
                tags[name.strip()] = words[0]
    return tags


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    for candidate in _IP_CANDIDATE.findall(value):
        found = canonical_ip(candidate.strip(".:"))
        if found:
            return found
    return None


def _text(fields: HeaderFields, name: str) -> str | None:
    value = fields.get(name)
    return collapse_spaces(decode_words(value)) if value else None


def _autocrypt(fields: HeaderFields) -> list[KeyUse]:
    found = []
    for value in fields.get_all("autocrypt"):
        key = autocrypt_key(value)
        if key is not None:
            found.append(key)
            found += autocrypt_key_ids(value)
    return found


def _address_fields(fields: HeaderFields) -> dict[str, list[tuple[str, int]]]:
    """Each address header's values, with how many Received fields sit above each one;
    one pass over the block (a lookup per role cost more than the rest of this step)."""
    found: dict[str, list[tuple[str, int]]] = {}
    received = 0
    for name, value in fields.fields:
        if name == "received":
            received += 1
        elif name in ADDRESS_ROLES:
            found.setdefault(name, []).append((value, received))
    return found


def _addresses(value: str) -> tuple[tuple[str, str | None], ...]:
    """:func:`parse_address_list`, remembered for short values: most address fields of a
    mailbox repeat one another (85% of them in the corpora: the owner's own address, a
    list's). Long ones are not kept: 8,192 of them could hold half a gigabyte."""
    if len(value) > _REMEMBERED_CHARS:
        return tuple(parse_address_list(value))
    return _remembered_addresses(value)


_REMEMBERED_CHARS = 1000


@lru_cache(maxsize=8192)
def _remembered_addresses(value: str) -> tuple[tuple[str, str | None], ...]:
    return tuple(parse_address_list(value))


def _participants(fields: HeaderFields) -> tuple[list[Participant], list[Defect]]:
    participants: list[Participant] = []
    defects: list[Defect] = []
    found = _address_fields(fields)
    for header in sorted(found, key=_ROLE_ORDER.__getitem__):  # the frame's order
        role = ADDRESS_ROLES[header]
        position = 0
        for value, received in found[header]:
            if header in _SPACE_SEPARATED and "<" not in value and "," not in value:
                value = ", ".join(value.split())  # Gmail: "X-Forwarded-For: from@x to@y"
            pairs = _addresses(value)
            if not pairs and value.strip() not in ("", "<>") and not value.rstrip().endswith(";"):
                defects.append(Defect(DefectKind.NO_ADDRESS, header, value[:120]))
            for address, name in pairs:
                participants.append(Participant(role, address, name, position, received))
                position += 1
    return participants, defects


def extract_message(raw: RawMessage) -> MessageRecord | Quarantined:
    """Extract the envelope of one message; never raises on bad mail."""
    try:
        return _extract(raw)
    except Exception as error:  # a bug must cost one message, not the archive
        reason = f"extraction failed: {type(error).__name__}: {error}"
        return Quarantined(raw.source, raw.offset, reason[:300], QuarantineCode.EXTRACTION_FAILED)


def _extract(raw: RawMessage) -> MessageRecord | Quarantined:
    data = raw.data.removeprefix(b"\xef\xbb\xbf")  # a byte order mark before the headers
    if not data or data.isspace():  # not data.strip(), which copies the message
        return Quarantined(raw.source, raw.offset, "empty message", QuarantineCode.EMPTY)
    first_lf = data.find(b"\n")
    first_cr = data.find(b"\r", 0, first_lf if first_lf >= 0 else len(data))
    if first_cr >= 0 and data[first_cr + 1 : first_cr + 2] != b"\n":
        data = data.translate(_CR_TO_LF)  # old Mac line endings: CR alone
    header_end, body_start = header_block_end(data)
    block = data[:header_end]
    cut = []
    if len(block) > MAX_HEADER_BYTES:
        detail = f"cut at {MAX_HEADER_BYTES:,} of its {len(block):,} bytes"
        cut.append(Defect(DefectKind.HEADER_CUT, "", detail))
        last_line = block.rfind(b"\n", 0, MAX_HEADER_BYTES)
        block = block[: last_line + 1 if last_line > 0 else MAX_HEADER_BYTES]
    fields = parse_header_block(block)
    if not fields.fields:
        return Quarantined(
            raw.source, raw.offset, "no header fields", QuarantineCode.NO_HEADER_FIELDS
        )

    defects = cut + list(fields.defects)
    received = fields.get_all("received")
    if len(received) > MAX_HOPS:
        detail = f"{len(received) - MAX_HOPS:,} of {len(received):,} left out (the newest and "
        defects.append(Defect(DefectKind.HOPS_LEFT_OUT, "received", detail + "oldest kept)"))
        received = received[: MAX_HOPS // 2] + received[-MAX_HOPS // 2 :]
    participants, address_defects = _participants(fields)
    defects.extend(address_defects)

    date_raw = fields.get("date")
    date_utc, tz_offset = parse_date(date_raw)
    if date_raw and date_utc is None:
        defects.append(Defect(DefectKind.BAD_DATE, "date", date_raw[:80]))
    if date_utc is None:  # the server's delivery time, where it gave one (IMAP)
        date_utc = raw.delivered

    senders = [p for p in participants if p.role == "from"]
    content_type = fields.get("content-type")
    mime_type, _ = parse_content_type(content_type)
    dkim_domains, dkim_selectors = _dkim(fields.get_all("dkim-signature"))
    message_ids = parse_message_ids(fields.get("message-id"))
    in_reply_to = parse_message_ids(fields.get("in-reply-to"))
    references = tuple(parse_message_ids(" ".join(fields.get_all("references"))))
    encryption, key_uses = inspect_body(content_type, data[body_start:])
    key_uses += _autocrypt(fields)

    return MessageRecord(
        message_key=message_key(block),
        source=raw.source,
        offset=raw.offset,
        size=raw.size if raw.size is not None else len(data),
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        date_utc=date_utc,
        tz_offset_min=tz_offset,
        date_raw=date_raw,
        subject=_text(fields, "subject"),
        from_addr=senders[0].address if senders else None,
        from_name=senders[0].display_name if senders else None,
        encryption=encryption,
        content_type=mime_type,
        list_id=_text(fields, "list-id"),
        list_unsubscribe=_text(fields, "list-unsubscribe"),
        list_post=_text(fields, "list-post"),
        auth_results=_text(fields, "authentication-results"),
        user_agent=_text(fields, "user-agent"),
        x_mailer=_text(fields, "x-mailer"),
        dkim_domains=dkim_domains,
        dkim_selectors=dkim_selectors,
        x_originating_ip=_ip(fields.get("x-originating-ip")),
        gm_thrid=fields.get("x-gm-thrid"),
        gmail_labels=_text(fields, "x-gmail-labels"),
        n_to=sum(1 for p in participants if p.role == "to"),
        n_cc=sum(1 for p in participants if p.role == "cc"),
        participants=tuple(participants),
        hops=parse_received_chain(received),
        defects=tuple(defects),
        keys=tuple(key_uses),
        folder_role=raw.folder_role
        or folder_role(raw.source, raw.offset, _text(fields, "x-folder")),
    )
