"""The time-zone figure marks trips: days written from another offset than home's are a
trip, summer time is not (issue 23, item 5)."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest

from analyzer.analysis.habits import home_zone, span_words, trips, utc_words
from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox


def _days(first: str, last: str, minutes: int, every: int = 1) -> list[tuple[str, int]]:
    """One message a day (every ``every`` days) from ``first`` to ``last`` at ``minutes``."""
    day, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    written = []
    while day <= end:
        written.append((day.isoformat(), minutes))
        day += datetime.timedelta(days=every)
    return written


def _stockholm(first_year: int, last_year: int) -> list[tuple[str, int]]:
    """Two messages a week from Stockholm: UTC+2 from the last Sunday of March to the last
    of October (2024: 31 March, 27 October; 2023: 26 March, 29 October), UTC+1 otherwise."""
    changes = {2023: ("03-26", "10-29"), 2024: ("03-31", "10-27"), 2025: ("03-30", "10-26")}
    written = []
    for year in range(first_year, last_year + 1):
        spring, autumn = changes[year]
        written += _days(f"{year}-01-02", f"{year}-{spring}", 60, every=3)
        written += _days(f"{year}-{spring}", f"{year}-{autumn}", 120, every=3)
        written += _days(f"{year}-{autumn}", f"{year}-12-30", 60, every=3)
    return sorted(set(written))


def test_summer_time_alone_is_no_trip():
    offsets = _stockholm(2023, 2025)
    assert trips(offsets) == ()
    assert home_zone(offsets) == (60, 120)


def test_southern_summer_time_is_no_trip():
    # Sydney: UTC+11 from the first Sunday of October to the first of April
    offsets = sorted(
        _days("2024-01-01", "2024-04-07", 660, every=2)
        + _days("2024-04-08", "2024-10-06", 600, every=2)
        + _days("2024-10-07", "2025-04-06", 660, every=2)
    )
    assert trips(offsets) == ()
    assert home_zone(offsets) == (600, 660)


def test_a_zone_without_summer_time_keeps_one_home_offset():
    assert home_zone(_days("2024-01-01", "2024-12-31", 540, every=4)) == (540,)
    assert trips(_days("2024-01-01", "2024-12-31", 540, every=4)) == ()


def test_ten_days_in_tokyo_are_a_trip_in_any_season():
    home = _stockholm(2024, 2024)
    for first, last in (("2024-02-05", "2024-02-14"), ("2024-10-14", "2024-10-23")):
        at_home = [(day, minutes) for day, minutes in home if not first <= day <= last]
        found = trips(sorted(at_home + _days(first, last, 540)))
        assert [(t.first_day, t.last_day, t.offset, t.days) for t in found] == [
            (first, last, 540, 10)
        ]


def test_a_week_one_hour_off_in_midsummer_is_a_trip():
    # a Berliner in London in July: UTC+1 while home is on UTC+2
    home = [(d, m) for d, m in _stockholm(2024, 2024) if not "2024-07-08" <= d <= "2024-07-14"]
    found = trips(sorted(home + _days("2024-07-08", "2024-07-14", 60)))
    assert [(t.first_day, t.last_day, t.offset) for t in found] == [
        ("2024-07-08", "2024-07-14", 60)
    ]
    # and a week at the summer offset in January
    home = [(d, m) for d, m in _stockholm(2024, 2024) if not "2024-01-15" <= d <= "2024-01-21"]
    found = trips(sorted(home + _days("2024-01-15", "2024-01-21", 120)))
    assert [(t.first_day, t.last_day, t.offset) for t in found] == [
        ("2024-01-15", "2024-01-21", 120)
    ]


def test_a_day_of_travel_belongs_to_the_trip_and_legs_are_trips_of_their_own():
    home = [(d, m) for d, m in _stockholm(2024, 2024) if not "2024-05-03" <= d <= "2024-05-20"]
    away = [("2024-05-03", 120), *_days("2024-05-03", "2024-05-10", 540)]
    away += [*_days("2024-05-11", "2024-05-19", 420), ("2024-05-19", 120)]
    found = trips(sorted(home + away))
    assert [(t.first_day, t.last_day, t.offset) for t in found] == [
        ("2024-05-03", "2024-05-10", 540),
        ("2024-05-11", "2024-05-19", 420),
    ]
    assert found[0].label == "away: UTC+9, 3–10 May 2024"


def test_a_second_clock_beside_home_is_no_trip():
    # a phone that stamps UTC, on days the laptop stamps local time
    home = _stockholm(2024, 2024)
    phone = [(day, 0) for day, _ in home[::5]]
    assert trips(sorted(home + phone)) == ()


def test_trips_in_words():
    assert [utc_words(m) for m in (540, 330, -180, -570, 0)] == [
        "UTC+9", "UTC+5:30", "UTC-3", "UTC-9:30", "UTC+0"
    ]  # fmt: skip
    day = datetime.date.fromisoformat
    assert span_words(day("2024-05-03"), day("2024-05-03")) == "3 May 2024"
    assert span_words(day("2024-05-03"), day("2024-05-12")) == "3–12 May 2024"
    assert span_words(day("2024-04-28"), day("2024-05-03")) == "28 Apr – 3 May 2024"
    assert span_words(day("2024-12-28"), day("2025-01-03")) == "28 Dec 2024 – 3 Jan 2025"
    assert trips([]) == () and home_zone([]) == ()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return run_audit([sample_mailbox()], tmp_path_factory.mktemp("trips") / "audit", jobs=1)


def test_the_sample_trip_to_tokyo_is_found_and_summer_time_is_not(sample):
    # the persona (sample_data/make_persona.py) is in Tokyo from 14 to 25 October 2024
    # and writes from Stockholm otherwise, on summer time from April to October
    habits = sample.analysis.habits
    assert habits.home == (60, 120)
    assert [(t.offset, t.first_day[:7]) for t in habits.trips] == [(540, "2024-10")]
    trip = habits.trips[0]
    assert "2024-10-14" <= trip.first_day <= trip.last_day <= "2024-10-25"
    assert json.loads(sample.findings_path.read_text("utf-8"))["habits"] == {
        "home_offsets_minutes": [60, 120],
        "trips": [trip.as_dict()],
    }


def test_the_report_says_the_trip_under_the_figure(sample):
    trip = sample.analysis.habits.trips[0]
    markdown = (sample.out / "report.md").read_text("utf-8")
    habits = markdown[markdown.index("## Your habits") :]
    assert f"{trip.zone}, {trip.span}" in habits
    assert "UTC+1, UTC+2 in summer" in habits
    page = (sample.out / "report.html").read_text("utf-8")
    section = page[page.index('<section id="habits">') :]
    section = html.unescape(re.sub(r"<[^>]+>", " ", section[: section.index("</section>")]))
    assert f"{trip.zone}, {trip.span}" in section


def test_the_home_zone_is_fitted_once_for_home_and_trips(tmp_path, monkeypatch):
    """Habits fits the zone once (five zones tried over every day), with the same home
    and trips as home_zone and trips give."""
    import importlib

    from analyzer.ingest import ingest
    from analyzer.store import load_frames
    from tests.conftest import make_message

    module = importlib.import_module("analyzer.analysis.habits")
    dates = [f"{day} Mar 2024 10:00:00 +0100" for day in range(1, 20)]
    dates += [f"{day} Mar 2024 10:00:00 +0900" for day in range(20, 24)]
    mail = [make_message(message_id=f"<{n}@x>", date=date) for n, date in enumerate(dates)]
    (tmp_path / "sent.mbox").write_bytes(
        b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in mail)
    )
    ingest([tmp_path / "sent.mbox"], tmp_path / "s", jobs=1)
    frames = load_frames(tmp_path / "s")
    fits = []
    fit = module._fit
    monkeypatch.setattr(module, "_fit", lambda units: fits.append(1) or fit(units))
    found = module.habits(frames, set(frames.messages["message_key"]))
    assert len(fits) == 1
    assert found.home == home_zone(found.offsets) == (60,)
    assert found.trips == trips(found.offsets) and [t.offset for t in found.trips] == [540]
