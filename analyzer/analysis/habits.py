"""When the owner writes, in their own local time, and the offsets they wrote from."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analyzer.frames import Frames, key_mask
from analyzer.readable import is_usable, iso_day, usable_offset

__all__ = ["Habits", "habits"]


@dataclass(frozen=True)
class Habits:
    """When the owner writes, in their own local time, and the offsets they wrote from."""

    by_weekday_hour: tuple[tuple[int, ...], ...]  # 7 rows (Mon..Sun) × 24 hours
    offsets: tuple[tuple[str, int], ...]  # (ISO date, offset minutes) per sent message
    sent: int
    dated: int


def habits(frames: Frames, sent: set[str]) -> Habits:
    """The hours and offsets of the messages the owner sent (``sent``: their keys)."""
    messages = frames.messages[key_mask(frames.messages["message_key"], sent)]
    grid = [[0] * 24 for _ in range(7)]
    offsets = []
    dated = 0
    for date, offset in zip(messages["date_utc"], messages["tz_offset_min"], strict=True):
        minutes = usable_offset(offset)
        if not is_usable(date) or minutes is None:
            continue
        local = date + pd.Timedelta(minutes=minutes)
        grid[local.weekday()][local.hour] += 1
        offsets.append((iso_day(date), minutes))
        dated += 1
    offsets.sort()
    return Habits(tuple(tuple(row) for row in grid), tuple(offsets), len(messages), dated)
