"""Records → columnar tables: the ``messages``, ``participants`` and ``hops`` frames.

The schemas are the store's contract (README, "The store"): columns may be added, never
renamed. Tables are built with pyarrow straight from the records, which is what
the store writes; :func:`to_pandas` gives the frames a notebook works with.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from analyzer.records import Hop, KeyUse, MessageRecord, Participant, Quarantined

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "HOPS_SCHEMA",
    "KEYS_SCHEMA",
    "MESSAGES_SCHEMA",
    "PARTICIPANTS_SCHEMA",
    "QUARANTINE_SCHEMA",
    "Frames",
    "hops_table",
    "key_mask",
    "keys_table",
    "messages_table",
    "participants_table",
    "quarantine_table",
    "shared_values",
    "to_pandas",
    "value_rows",
]

_UTC = pa.timestamp("s", tz="UTC")
_STRINGS = pa.list_(pa.string())
_DEFECTS = pa.list_(
    pa.struct([("kind", pa.string()), ("header", pa.string()), ("detail", pa.string())])
)

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
        ("list_post", pa.string()),
        ("auth_results", pa.string()),
        ("user_agent", pa.string()),
        ("x_mailer", pa.string()),
        ("dkim_domains", _STRINGS),
        ("dkim_selectors", _STRINGS),
        ("x_originating_ip", pa.string()),
        ("gm_thrid", pa.string()),
        ("gmail_labels", pa.string()),
        ("defects", _DEFECTS),
        # "sent" when filed in a sent folder; null in stores made before it was kept
        ("folder_role", pa.string()),
    ]
)

PARTICIPANTS_SCHEMA = pa.schema(
    [
        ("message_key", pa.string()),
        ("role", pa.string()),
        ("position", pa.int32()),
        ("address", pa.string()),
        ("display_name", pa.string()),
        ("received_above", pa.int32()),
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

KEYS_SCHEMA = pa.schema(
    [
        ("message_key", pa.string()),
        ("kind", pa.string()),
        ("key_id", pa.string()),
        ("addresses", _STRINGS),
        ("detail", pa.string()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("offset", pa.string()),
        ("reason", pa.string()),
        ("code", pa.string()),
    ]
)


def _column(values: Sequence[object], data_type: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(data_type):
        seconds = pc.cast(pa.array(values, pa.float64()), pa.int64(), safe=False)
        return seconds.cast(data_type)
    return pa.array(values, data_type)


def _table(columns: dict[str, Sequence[object]], schema: pa.Schema, rows: int) -> pa.Table:
    arrays = [_column(columns[f.name], f.type) if rows else pa.array([], f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def messages_table(records: Sequence[MessageRecord]) -> pa.Table:
    """One row per message; list columns hold references, DKIM domains, defects."""
    columns: dict[str, Sequence[object]] = dict(
        zip(MessageRecord._fields, zip(*records, strict=True), strict=False)
    )
    if records:
        columns["n_received"] = [len(hops) for hops in columns["hops"]]
    return _table(columns, MESSAGES_SCHEMA, len(records))


def _child_table(
    records: Sequence[MessageRecord], attribute: str, fields: tuple[str, ...], schema: pa.Schema
) -> pa.Table:
    """One row per item of ``record.<attribute>``, led by its message's key."""
    rows = [(r.message_key, *item) for r in records for item in getattr(r, attribute)]
    columns = dict(zip(("message_key", *fields), zip(*rows, strict=True), strict=False))
    return _table(columns, schema, len(rows))


def participants_table(records: Sequence[MessageRecord]) -> pa.Table:
    """One row per address in an address header, in header order."""
    return _child_table(records, "participants", Participant._fields, PARTICIPANTS_SCHEMA)


def hops_table(records: Sequence[MessageRecord]) -> pa.Table:
    """One row per Received header, hop 0 the oldest."""
    return _child_table(records, "hops", Hop._fields, HOPS_SCHEMA)


def keys_table(records: Sequence[MessageRecord]) -> pa.Table:
    """One row per key named in the clear (signer, recipient, Autocrypt)."""
    return _child_table(records, "keys", KeyUse._fields, KEYS_SCHEMA)


def quarantine_table(entries: Sequence[Quarantined]) -> pa.Table:
    return pa.table(
        {
            "source": [q.source for q in entries],
            "offset": [q.offset for q in entries],
            "reason": [q.reason for q in entries],
            "code": [str(q.code) for q in entries],
        },
        schema=QUARANTINE_SCHEMA,
    )


@dataclass(frozen=True)
class Frames:
    """The frames of one store, as pandas: what graphs and linkability work on."""

    messages: pd.DataFrame
    participants: pd.DataFrame
    hops: pd.DataFrame
    keys: pd.DataFrame


def to_pandas(table: pa.Table, *, arrow_lists: bool = False) -> pd.DataFrame:
    """A pandas frame with nullable integer and boolean columns kept nullable.

    List columns hold a NumPy array per row, or with ``arrow_lists`` stay in Arrow
    (``pd.ArrowDtype``; each value reads as a Python list): a fraction of the memory,
    which the analysis of a million messages needs, but such columns cannot be sorted.
    """
    import pandas as pd  # imported here: the ingest path needs no pandas

    return table.to_pandas(
        types_mapper={
            pa.int16(): pd.Int16Dtype(),
            pa.int32(): pd.Int32Dtype(),
            pa.int64(): pd.Int64Dtype(),
            pa.bool_(): pd.BooleanDtype(),
            **({_STRINGS: pd.ArrowDtype(_STRINGS)} if arrow_lists else {}),
        }.get
    )


def shared_values(column: pd.Series, known: dict[Any, Any] | None = None) -> list[Any]:
    """A column as a list in which equal values are one object (``known``'s, where it
    holds them), and missing values None.

    Each copy of a string costs some 80 bytes, and a million messages repeat a few
    thousand addresses, names and roles: Python structures built per message from this
    list hold one copy of each.
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = uniques.tolist() if known is None else [known.get(u, u) for u in uniques.tolist()]
    values.append(None)  # code -1, a missing value
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table[codes].tolist()  # no int object per row: a million messages have millions


def value_rows(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    first: np.ndarray | None = None,
    slice_rows: int = 250_000,
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``columns`` as tuples of Python values (see :func:`shared_values`),
    ``first[row]`` before them if given, built a slice of rows at a time: a million
    messages have millions of participant and hop rows, and a list per column of them
    all would hold hundreds of megabytes.
    """
    for start in range(0, len(frame), slice_rows):
        part = frame.iloc[start : start + slice_rows]
        values = [shared_values(part[c]) for c in columns]
        if first is not None:
            values.insert(0, first[start : start + slice_rows].tolist())
        yield from zip(*values, strict=True)


def key_mask(column: pd.Series, keys: Collection[str]) -> np.ndarray:
    """``column.isin(keys)`` for a text column such as ``message_key``, in one Arrow call.

    pandas makes an Arrow scalar of every key first: for the million keys of a million
    messages, seconds and hundreds of megabytes.
    """
    import numpy as np

    if not keys:
        return np.zeros(len(column), dtype=bool)
    values = pa.array(column)
    wanted = list(keys)
    if pa.types.is_dictionary(values.type):  # a categorical: look each category up once
        found = pc.is_in(values.dictionary, value_set=pa.array(wanted, values.type.value_type))
        hits = pc.fill_null(pc.take(found, values.indices), False)
    else:
        hits = pc.fill_null(pc.is_in(values, value_set=pa.array(wanted, values.type)), False)
    return hits.to_numpy(zero_copy_only=False)
