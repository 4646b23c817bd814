"""What of a store the analysis can read: rows it can place, dates in range, offsets
within a day.

The store's schema fixes each column's type and nothing else. The parser keeps dates to a
plausible range and offsets within a day, and names every row's message and address, but
a store is files on disk: a hand edit, another tool or a future mxa can leave year 1,
year 200,000, an offset of 32,767 minutes, a participant without an address or a message
key twice. pandas holds them all, yet Python's datetime (``strftime``, ``isoformat``,
``date()``) ends at year 9999, ``strftime`` writes year 1 as ``1``, and a local time needs
a day of room either side. :func:`readable_frames` leaves out what cannot be placed and
makes a date out of range an undated message; what shows a date reads it through
:func:`iso_day` and its kin, which hold for frames that did not pass through it too.
"""

from __future__ import annotations

import datetime
import math

import numpy as np
import pandas as pd

from analyzer.frames import Frames

__all__ = [
    "MAX_OFFSET_MINUTES",
    "is_usable",
    "iso_day",
    "iso_instant",
    "iso_minute",
    "readable_frames",
    "text_items",
    "text_or_empty",
    "usable_dates",
    "usable_offset",
]

# a day of room at either end of Python's datetime, for a local time or a day's rounding
_EARLIEST = (1, 1, 2)
_LATEST = (9999, 12, 30)
MAX_OFFSET_MINUTES = 24 * 60  # an offset is within a day (RFC 5322's is, in practice)


def is_usable(value: object) -> bool:
    """A timestamp that every date function handles: not missing, years 1 to 9999."""
    if not isinstance(value, pd.Timestamp) or value is pd.NaT:
        return False
    return _EARLIEST <= (value.year, value.month, value.day) <= _LATEST


def usable_dates(dates: pd.Series) -> pd.Series:
    """A column of timestamps with those out of range as missing (NaT)."""
    tz = getattr(dates.dt, "tz", None)
    low = pd.Timestamp(datetime.datetime(*_EARLIEST), tz=tz)  # a datetime: no nanoseconds,
    high = pd.Timestamp(datetime.datetime(*_LATEST), tz=tz)  # whose range ends in 2262
    return dates.where((dates >= low) & (dates <= high))


def iso_day(value: object) -> str:
    """``YYYY-MM-DD``, or ``""`` for a missing or unusable date."""
    if not is_usable(value):
        return ""
    return f"{value.year:04}-{value.month:02}-{value.day:02}"


def iso_minute(value: object) -> str:
    """``YYYY-MM-DD HH:MM``, or ``""`` for a missing or unusable date."""
    day = iso_day(value)
    return f"{day} {value.hour:02}:{value.minute:02}" if day else ""


def iso_instant(value: object) -> str | None:
    """ISO 8601 with the offset (``2024-01-01T10:00:00+00:00``), or None."""
    return value.isoformat() if is_usable(value) else None


def usable_offset(value: object) -> int | None:
    """An offset in minutes within a day, or None (missing, NaN or out of range)."""
    if value is None or value is pd.NA:
        return None
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(minutes) or abs(minutes) > MAX_OFFSET_MINUTES:
        return None
    return int(minutes)


def text_or_empty(value: object) -> str:
    """A text cell's value, or "" for a missing one (NaN, None, NA)."""
    return value if isinstance(value, str) else ""


def text_items(cell: object) -> list[str]:
    """The text items of a list cell (References, DKIM domains, a key's addresses); none
    for a missing cell, and no missing item."""
    if isinstance(cell, str) or not hasattr(cell, "__iter__"):
        return []
    return [item for item in cell if isinstance(item, str)]


# per frame, the columns without which a row says nothing the analysis can use
_NEEDED = {
    "messages": ("message_key",),
    "participants": ("message_key", "role", "address"),
    "hops": ("message_key", "hop"),
    "keys": ("message_key", "kind", "key_id"),
}


def _kept_rows(frame: pd.DataFrame, needed: tuple[str, ...]) -> pd.DataFrame:
    """The rows with a value in each ``needed`` column (for text, not an empty one)."""
    keep = np.ones(len(frame), dtype=bool)
    for column in needed:
        if column in frame:
            values = frame[column]
            keep &= values.notna().to_numpy()
            if not pd.api.types.is_numeric_dtype(values):
                keep &= (values != "").to_numpy(dtype=bool, na_value=False)
    return frame if keep.all() else frame[keep]


def readable_frames(frames: Frames) -> Frames:
    """The frames without rows the analysis cannot place (no message key; a participant
    without a role or an address; a message key met again), with dates out of range as
    missing and offsets beyond a day as missing. Frames that need none of it come back as
    they are, uncopied."""
    parts = {name: _kept_rows(getattr(frames, name), needed) for name, needed in _NEEDED.items()}
    messages = parts["messages"]
    repeated = messages["message_key"].duplicated()
    if repeated.any():
        messages = messages[~repeated.to_numpy()]
    if "date_utc" in messages:
        dates = usable_dates(messages["date_utc"])
        if (dates.isna() != messages["date_utc"].isna()).any():
            messages = messages.assign(date_utc=dates)
    if "tz_offset_min" in messages:
        offsets = messages["tz_offset_min"]
        beyond = offsets.notna() & (offsets.abs() > MAX_OFFSET_MINUTES)
        if beyond.any():
            messages = messages.assign(tz_offset_min=offsets.mask(beyond))
    parts["messages"] = messages
    parts["keys"] = _readable_keys(parts["keys"])
    if all(parts[name] is getattr(frames, name) for name in _NEEDED):
        return frames
    return Frames(**parts)


def _readable_keys(keys: pd.DataFrame) -> pd.DataFrame:
    """Each key's addresses as a list of text, its detail as text (a few rows per signed or
    encrypted message: cheap to check one by one)."""
    changes = {}
    if "addresses" in keys:
        cleaned = [text_items(cell) for cell in keys["addresses"]]
        if any(
            not hasattr(cell, "__len__") or len(cell) != len(clean)
            for cell, clean in zip(keys["addresses"], cleaned, strict=True)
        ):
            changes["addresses"] = pd.Series(cleaned, index=keys.index, dtype=object)
    if "detail" in keys and keys["detail"].isna().any():
        changes["detail"] = keys["detail"].fillna("")
    return keys.assign(**changes) if changes else keys
