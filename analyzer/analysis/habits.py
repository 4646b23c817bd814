"""When the owner writes, in their own local time, the offsets they wrote from, and the
trips those offsets give away."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from analyzer.frames import Frames, key_mask
from analyzer.readable import is_usable, iso_day, usable_offset

__all__ = ["Habits", "Trip", "habits", "home_zone", "trips", "utc_words"]

SUMMER_SHIFT = 60  # minutes: summer time moves a zone's clocks one hour ahead
SPRING = (3, 4)  # months summer time starts in the north (ends in the south)
AUTUMN = (9, 10, 11)  # months it ends in the north (starts in the south: Chile, New Zealand)
NORTHERN_SUMMER = (5, 6, 7, 8)  # months a northern zone is on summer time all month
SOUTHERN_SUMMER = (12, 1, 2)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc_words(minutes: int) -> str:
    """An offset as people write it: ``UTC+9``, ``UTC+5:30``, ``UTC-3``, ``UTC+0``."""
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02}" if rest else "")


def _day_words(day: datetime.date, *, year: bool = True) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}" + (f" {day.year}" if year else "")


def span_words(first: datetime.date, last: datetime.date) -> str:
    """``3 May 2024``, ``3–12 May 2024``, ``28 Apr – 3 May 2024``, ``28 Dec 2024 – 3 Jan 2025``."""
    if first == last:
        return _day_words(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{_day_words(last)}"
    if first.year == last.year:
        return f"{_day_words(first, year=False)} – {_day_words(last)}"
    return f"{_day_words(first)} – {_day_words(last)}"


@dataclass(frozen=True)
class Trip:
    """Days on which the owner wrote from another offset than home's: a change of place."""

    first_day: str  # ISO date (UTC) of the first message from there
    last_day: str  # and of the last
    offset: int  # minutes east of UTC
    days: int  # days with a message from there
    messages: int

    @property
    def zone(self) -> str:
        return utc_words(self.offset)

    @property
    def span(self) -> str:
        first = datetime.date.fromisoformat(self.first_day)
        return span_words(first, datetime.date.fromisoformat(self.last_day))

    @property
    def label(self) -> str:
        """The words the figure and the report show: ``away: UTC+9, 14–25 Oct 2024``."""
        return f"away: {self.zone}, {self.span}"

    def as_dict(self) -> dict[str, object]:
        return {
            "first_day": self.first_day,
            "last_day": self.last_day,
            "offset_minutes": self.offset,
            "days": self.days,
            "messages": self.messages,
        }


@dataclass(frozen=True)
class Habits:
    """When the owner writes, in their own local time, and the offsets they wrote from."""

    by_weekday_hour: tuple[tuple[int, ...], ...]  # 7 rows (Mon..Sun) × 24 hours
    offsets: tuple[tuple[str, int], ...]  # (ISO date, offset minutes) per sent message
    sent: int
    dated: int
    home: tuple[int, ...] = ()  # the home zone's offset, then its summer time's if it shows
    trips: tuple[Trip, ...] = ()  # see :func:`trips`

    @property
    def home_words(self) -> str:
        """``UTC+1, UTC+2 in summer``; empty without a dated message."""
        if not self.home:
            return ""
        summer = f", {utc_words(self.home[1])} in summer" if len(self.home) > 1 else ""
        return utc_words(self.home[0]) + summer


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
    home, away = _home_and_trips(offsets)
    return Habits(
        tuple(tuple(row) for row in grid),
        tuple(offsets),
        len(messages),
        dated,
        home=home,
        trips=away,
    )


# (day, offset minutes, messages): the owner wrote that many messages from that offset that day
_Unit = tuple[datetime.date, int, int]
# (standard offset, summer offset or None, northern): what "home" means
_Zone = tuple[int | None, int | None, bool]


def _units(offsets: Iterable[tuple[str, int]]) -> list[_Unit]:
    counts: Counter[tuple[datetime.date, int]] = Counter()
    for day, minutes in offsets:
        try:
            counts[(datetime.date.fromisoformat(day), minutes)] += 1
        except (TypeError, ValueError):
            continue  # no usable day: it places nobody in time
    return [(day, minutes, n) for (day, minutes), n in sorted(counts.items())]


def _best_split(units: list[_Unit], before: int, after: int) -> set[int]:
    """Indexes (into ``units``, one switch window's, sorted) of the units the one change from
    ``before`` to ``after`` that explains most days leaves unexplained."""
    days = sorted({day for day, _, _ in units})
    wrong_before = Counter(day for day, minutes, _ in units if minutes != before)
    wrong_after = Counter(day for day, minutes, _ in units if minutes != after)
    cost, best, switch = sum(wrong_after.values()), sum(wrong_after.values()), days[0]
    for day, following in zip(days, [*days[1:], datetime.date.max], strict=True):
        cost += wrong_before[day] - wrong_after[day]  # ``day`` moves before the switch
        if cost < best:
            best, switch = cost, following
    return {
        i
        for i, (day, minutes, _) in enumerate(units)
        if minutes != (before if day < switch else after)
    }


def _away(units: list[_Unit], zone: _Zone) -> list[bool]:
    """For each unit, whether ``zone`` fails to explain it: the owner was elsewhere."""
    standard, summer, northern = zone
    if summer is None:
        return [minutes != standard for _, minutes, _ in units]
    in_summer = NORTHERN_SUMMER if northern else SOUTHERN_SUMMER
    away = [False] * len(units)
    windows: dict[tuple[int, bool], list[int]] = {}  # (year, spring): its units' indexes
    for i, (day, minutes, _) in enumerate(units):
        if minutes not in (standard, summer):
            away[i] = True
        elif day.month in SPRING or day.month in AUTUMN:
            windows.setdefault((day.year, day.month in SPRING), []).append(i)
        else:
            away[i] = minutes != (summer if day.month in in_summer else standard)
    for (_, spring), indexes in windows.items():
        into_summer = spring == northern
        before, after = (standard, summer) if into_summer else (summer, standard)
        for wrong in _best_split([units[i] for i in indexes], before, after):
            away[indexes[wrong]] = True
    return away


def _fit(units: list[_Unit]) -> tuple[_Zone, list[bool]]:
    if not units:
        return (None, None, True), []
    days_at = Counter(minutes for _, minutes, _ in units)
    usual = max(days_at, key=lambda minutes: (days_at[minutes], -minutes))
    zones: list[_Zone] = [(usual, None, True)]  # no summer time: the first kept on a tie
    for standard in (usual, usual - SUMMER_SHIFT):  # the usual offset is winter's or summer's
        zones += [(standard, standard + SUMMER_SHIFT, north) for north in (True, False)]
    fitted = [(zone, _away(units, zone)) for zone in zones]
    return min(fitted, key=lambda zone_away: sum(zone_away[1]))  # min keeps the first


def home_zone(offsets: Iterable[tuple[str, int]]) -> tuple[int, ...]:
    """The owner's home zone: its offset, then its summer time's when that shows; empty
    without a dated message. :func:`trips` says the rule."""
    return _home_and_trips(offsets)[0]


def trips(offsets: Iterable[tuple[str, int]]) -> tuple[Trip, ...]:
    """The spans of days the owner wrote from an offset other than their home zone's.

    The rule, day by day (UTC days of the sent messages' Date headers):

    - Home is the offset the owner wrote from on most days, with the summer time of its
      zone if that explains more days: the offset 60 minutes east (or west, when the usual
      one is itself summer time), held in May–August (northern zone) or December–February
      (southern), and the other in the other core months. In the months clocks change
      (March–April, September–November) each year's window is allowed one change, on the
      day that explains most of its days. So summer time, which lasts for months and
      changes in those windows, is never a trip; a few days or weeks at another offset, even
      one 60 minutes off in the middle of a season, is.
    - A trip is a run of days with messages from one other offset, ended by a day written
      from home only (a day with both is a day of travel, and belongs to the trip) or by a
      day from yet another offset (the next leg).
    - A run in which every day also has messages from home is two clocks, not a journey
      (a phone on UTC beside a laptop on local time), and is left out.
    """
    return _home_and_trips(offsets)[1]


def _home_and_trips(
    offsets: Iterable[tuple[str, int]],
) -> tuple[tuple[int, ...], tuple[Trip, ...]]:
    """:func:`home_zone` and :func:`trips` from one fit of the zone (each tries five zones
    over every day)."""
    units = _units(offsets)
    (standard, summer, _), away = _fit(units)
    home = tuple(minutes for minutes in (standard, summer) if minutes is not None)
    at_home: set[datetime.date] = set()
    elsewhere: dict[datetime.date, Counter[int]] = {}
    for (day, minutes, n), is_away in zip(units, away, strict=True):
        there = elsewhere.setdefault(day, Counter())
        if is_away:
            there[minutes] += n
        else:
            at_home.add(day)
    return home, tuple(
        _trip(minutes, run)
        for minutes, run in _runs(elsewhere)
        if not all(day in at_home for day, _ in run)
    )


def _runs(
    elsewhere: dict[datetime.date, Counter[int]],
) -> Iterable[tuple[int, list[tuple[datetime.date, int]]]]:
    """Each run of days away at one offset: (offset, [(day, messages from there)])."""
    minutes_now = 0
    run: list[tuple[datetime.date, int]] = []
    for day in sorted(elsewhere):
        if not elsewhere[day] and run:  # a day at home only ends the run
            yield minutes_now, run
            run = []
        for minutes, n in elsewhere[day].most_common():
            if run and minutes != minutes_now:  # the next leg
                yield minutes_now, run
                run = []
            minutes_now = minutes
            run.append((day, n))
    if run:
        yield minutes_now, run


def _trip(minutes: int, run: list[tuple[datetime.date, int]]) -> Trip:
    return Trip(
        first_day=run[0][0].isoformat(),
        last_day=run[-1][0].isoformat(),
        offset=minutes,
        days=len({day for day, _ in run}),
        messages=sum(n for _, n in run),
    )
