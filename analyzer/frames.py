"""Records → columnar tables: the ``messages``, ``participants`` and ``hops`` frames.

The schemas are the store's contract (DESIGN.md): columns may be added, never
renamed. Tables are built with pyarrow straight from the records, which is what
the store writes; :func:`to_pandas` gives the frames a notebook works with.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from analyzer.records import MessageRecord, Quarantined

__all__ = [
    "HOPS_SCHEMA",
    "MESSAGES_SCHEMA",
    "PARTICIPANTS_SCHEMA",
    "QUARANTINE_SCHEMA",
    "hops_table",
    "messages_table",
    "participants_table",
    "quarantine_table",
    "to_pandas",
]

_UTC = pa.timestamp("s", tz="UTC")
_STRINGS = pa.list_(pa.string())

MESSAGES_SCHEMA = pa.schema(
    [
        ("message_key", pa.string()),
        ("source", pa.string()),
        ("offset", pa.string()),
        ("message_id", pa.string()),
        ("in_reply_to", pa.string()),
        ("references", _STRINGS),
        ("date_utc", _UTC),
        ("tz_offset_min", pa.int16()),
        ("date_raw", pa.string()),
        ("subject", pa.string()),
        ("from_addr", pa.string()),
        ("from_name", pa.string()),
        ("n_to", pa.int32()),
        ("n_cc", pa.int32()),
        ("n_received", pa.int32()),
        ("encryption", pa.string()),
        ("content_type", pa.string()),
        ("size", pa.int64()),
        ("list_id", pa.string()),
        ("list_unsubscribe", pa.string()),
        ("user_agent", pa.string()),
        ("x_mailer", pa.string()),
        ("dkim_domains", _STRINGS),
        ("dkim_selectors", _STRINGS),
        ("x_originating_ip", pa.string()),
        ("gm_thrid", pa.string()),
        ("gmail_labels", pa.string()),
        ("defects", _STRINGS),
    ]
)

PARTICIPANTS_SCHEMA = pa.schema(
    [
        ("message_key", pa.string()),
        ("role", pa.string()),
        ("position", pa.int32()),
        ("address", pa.string()),
        ("display_name", pa.string()),
    ]
)

HOPS_SCHEMA = pa.schema(
    [
        ("message_key", pa.string()),
        ("hop", pa.int32()),
        ("from_helo", pa.string()),
        ("from_host", pa.string()),
        ("from_ip", pa.string()),
        ("by_host", pa.string()),
        ("protocol", pa.string()),
        ("tls", pa.bool_()),
        ("smtp_id", pa.string()),
        ("for_addr", pa.string()),
        ("envelope_from", pa.string()),
        ("timestamp_utc", _UTC),
        ("tz_offset_min", pa.int16()),
        ("parsed", pa.bool_()),
        ("raw", pa.string()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [("source", pa.string()), ("offset", pa.string()), ("reason", pa.string())]
)


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)


def messages_table(records: Sequence[MessageRecord]) -> pa.Table:
    columns = {
        "message_key": [r.message_key for r in records],
        "source": [r.source for r in records],
        "offset": [r.offset for r in records],
        "message_id": [r.message_id for r in records],
        "in_reply_to": [r.in_reply_to for r in records],
        "references": [list(r.references) for r in records],
        "date_utc": [_seconds(r.date_utc) for r in records],
        "tz_offset_min": [r.tz_offset_min for r in records],
        "date_raw": [r.date_raw for r in records],
        "subject": [r.subject for r in records],
        "from_addr": [r.from_addr for r in records],
        "from_name": [r.from_name for r in records],
        "n_to": [r.n_to for r in records],
        "n_cc": [r.n_cc for r in records],
        "n_received": [len(r.hops) for r in records],
        "encryption": [r.encryption for r in records],
        "content_type": [r.content_type for r in records],
        "size": [r.size for r in records],
        "list_id": [r.list_id for r in records],
        "list_unsubscribe": [r.list_unsubscribe for r in records],
        "user_agent": [r.user_agent for r in records],
        "x_mailer": [r.x_mailer for r in records],
        "dkim_domains": [list(r.dkim_domains) for r in records],
        "dkim_selectors": [list(r.dkim_selectors) for r in records],
        "x_originating_ip": [r.x_originating_ip for r in records],
        "gm_thrid": [r.gm_thrid for r in records],
        "gmail_labels": [r.gmail_labels for r in records],
        "defects": [list(r.defects) for r in records],
    }
    return pa.table(columns, schema=MESSAGES_SCHEMA)


def participants_table(records: Sequence[MessageRecord]) -> pa.Table:
    rows = [(r.message_key, p) for r in records for p in r.participants]
    return pa.table(
        {
            "message_key": [key for key, _ in rows],
            "role": [p.role for _, p in rows],
            "position": [p.position for _, p in rows],
            "address": [p.address for _, p in rows],
            "display_name": [p.display_name for _, p in rows],
        },
        schema=PARTICIPANTS_SCHEMA,
    )


def hops_table(records: Sequence[MessageRecord]) -> pa.Table:
    rows = [(r.message_key, h) for r in records for h in r.hops]
    return pa.table(
        {
            "message_key": [key for key, _ in rows],
            "hop": [h.hop for _, h in rows],
            "from_helo": [h.from_helo for _, h in rows],
            "from_host": [h.from_host for _, h in rows],
            "from_ip": [h.from_ip for _, h in rows],
            "by_host": [h.by_host for _, h in rows],
            "protocol": [h.protocol for _, h in rows],
            "tls": [h.tls for _, h in rows],
            "smtp_id": [h.smtp_id for _, h in rows],
            "for_addr": [h.for_addr for _, h in rows],
            "envelope_from": [h.envelope_from for _, h in rows],
            "timestamp_utc": [_seconds(h.timestamp_utc) for _, h in rows],
            "tz_offset_min": [h.tz_offset_min for _, h in rows],
            "parsed": [h.parsed for _, h in rows],
            "raw": [h.raw for _, h in rows],
        },
        schema=HOPS_SCHEMA,
    )


def quarantine_table(entries: Sequence[Quarantined]) -> pa.Table:
    return pa.table(
        {
            "source": [q.source for q in entries],
            "offset": [q.offset for q in entries],
            "reason": [q.reason for q in entries],
        },
        schema=QUARANTINE_SCHEMA,
    )


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A pandas frame with nullable integer and boolean columns kept nullable."""
    return table.to_pandas(
        types_mapper={
            pa.int16(): pd.Int16Dtype(),
            pa.int32(): pd.Int32Dtype(),
            pa.int64(): pd.Int64Dtype(),
            pa.bool_(): pd.BooleanDtype(),
        }.get
    )
