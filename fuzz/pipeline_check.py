"""What the fuzz target checks on every input, shared with the regression tests.

The whole per-message pipeline on one input, as mxa meets a file: an mbox when it starts
with ``From ``, else one message. Every broken promise raises.
"""

from __future__ import annotations

import io

from analyzer.extract import extract_message
from analyzer.frames import (
    hops_table,
    keys_table,
    messages_table,
    participants_table,
    quarantine_table,
)
from analyzer.records import MessageRecord, Quarantined, RawMessage
from analyzer.sources.mbox import MboxReader, looks_like_mbox
from analyzer.vocabulary import QuarantineCode

__all__ = ["check"]


def check(data: bytes) -> None:
    """The whole per-message pipeline on one input; raises on any broken promise."""
    reader = None
    if looks_like_mbox(data):  # as mxa decides it for a file
        reader = MboxReader(io.BytesIO(data), "fuzz.mbox")
        raws = list(reader)
    else:
        raws = [RawMessage("fuzz.eml", "fuzz.eml", data)]
    results = [extract_message(raw) for raw in raws]
    records = [r for r in results if isinstance(r, MessageRecord)]
    quarantined = [r for r in results if isinstance(r, Quarantined)]
    if len(records) + len(quarantined) != len(raws):
        raise AssertionError("a message was neither parsed nor quarantined")
    for entry in quarantined:
        if entry.code == QuarantineCode.EXTRACTION_FAILED:
            raise AssertionError(f"bug in extraction: {entry.reason}")
    if reader is not None and not reader.cr_only:
        _check_coverage(data, raws)
    for record in records:
        _check_record(record)
    for build in (messages_table, participants_table, hops_table, keys_table):
        build(records)
    quarantine_table(quarantined)


def _check_coverage(data: bytes, raws: list[RawMessage]) -> None:
    """Each message is the bytes after its separator line up to the next separator."""
    offsets = [int(raw.offset) for raw in raws]
    if not offsets:
        raise AssertionError("a file that opens an mbox gave no message")
    if offsets != sorted(set(offsets)):
        raise AssertionError(f"offsets out of order: {offsets}")
    for raw, start, end in zip(raws, offsets, [*offsets[1:], len(data)], strict=True):
        if not data.startswith(b"From ", start):
            raise AssertionError(f"a message at {start} does not start at a separator")
        line_end = data.find(b"\n", start, end)
        body = data[line_end + 1 : end] if line_end >= 0 else b""
        body = body.removesuffix(b"\r\n") if body.endswith(b"\r\n") else body.removesuffix(b"\n")
        if raw.size is None and raw.data != body:
            raise AssertionError(f"the message at {start} lost or gained bytes")


def _check_record(record: MessageRecord) -> None:
    for participant in record.participants:
        address = participant.address
        if not address or address != address.lower() or address != address.strip():
            raise AssertionError(f"address not normalised: {address!r}")
        if any(c in address for c in " \t\r\n<>,"):
            raise AssertionError(f"address holds a separator: {address!r}")
    if [hop.hop for hop in record.hops] != list(range(len(record.hops))):
        raise AssertionError("hops out of order")
    if record.tz_offset_min is not None and abs(record.tz_offset_min) > 24 * 60:
        raise AssertionError(f"time zone offset {record.tz_offset_min}")
    if any("<" in i or ">" in i for i in (record.message_id or "", *record.references)):
        raise AssertionError("a Message-ID kept its angle brackets")
