"""The Date header: UTC instant plus the sender's own offset."""

from __future__ import annotations

import re

# The private function keeps "offset unknown" (``-0000``, unknown zone names) as
# None; the public ``parsedate_tz`` turns it into 0, i.e. UTC, which is wrong here.
from email._parseaddr import _parsedate_tz as parsedate_keeping_unknown_offset
from email.utils import mktime_tz

__all__ = ["parse_date"]

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# The shape nearly every modern client writes; anything else takes the slow path.
_COMMON_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+([+-])(\d{2})(\d{2})(?:\s|$)"
)
_EARLIEST = 0.0  # 1970: older "dates" are broken clocks, not mail
_LATEST = 4102444800.0  # 2100-01-01 (both also in _fast.c)


def parse_date(value: str | None) -> tuple[float | None, int | None]:
    """Return ``(utc_timestamp, offset_minutes)`` for an RFC 5322 date.

    ``-0000`` means the offset is unknown (RFC 5322 §3.3): the instant is taken
    as UTC and the offset is ``None``, unlike ``+0000``, which is a real offset.
    An unparseable or absurd date gives ``(None, None)``.
    """
    if not value:
        return None, None
    fast = _common_date(value)
    if fast is not None:
        return fast
    try:
        parsed = parsedate_keeping_unknown_offset(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None, None
    if parsed is None:
        return None, None
    offset_seconds = parsed[9]
    try:
        timestamp = float(mktime_tz((*parsed[:9], offset_seconds or 0)))
    except (ValueError, OverflowError, TypeError):
        return None, None
    if not _EARLIEST <= timestamp < _LATEST:
        return None, None
    if offset_seconds is None:
        return timestamp, None
    minutes = offset_seconds // 60
    if abs(minutes) > 18 * 60:
        return timestamp, None
    return timestamp, minutes


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).

    Plain arithmetic: ``calendar.timegm`` builds a date object per call, and the Date
    and every Received header go through here.
    """
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _parse_common_date(value: str) -> tuple[float | None, int | None] | None:
    match = _COMMON_DATE.match(value.strip())
    if match is None:
        return None
    day, month_name, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    y, d, h, mi, se = int(year), int(day), int(hour), int(minute), int(second or 0)
    if not (1 <= d <= 31 and h < 24 and mi < 60 and se <= 60):
        return None
    local = float(_days_from_civil(y, month, d) * 86400 + h * 3600 + mi * 60 + se)
    minutes = int(off_h) * 60 + int(off_m)
    if sign == "-":
        minutes = -minutes
    timestamp = local - minutes * 60
    if not _EARLIEST <= timestamp < _LATEST:
        return None, None
    if minutes == 0 and sign == "-":
        return timestamp, None  # -0000: offset unknown
    if abs(minutes) > 18 * 60:
        return timestamp, None
    return timestamp, minutes


try:  # the same in C, where the package was built with a compiler (_fast.c)
    from analyzer._fast import common_date as _common_date
except ImportError:
    _common_date = _parse_common_date
