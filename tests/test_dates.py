import pytest

from analyzer.extract.dates import parse_date


def test_offset_is_kept_in_minutes_and_instant_is_utc():
    assert parse_date("Tue, 14 Mar 2023 10:00:00 +0530") == (1678768200.0, 330)
    assert parse_date("Tue, 14 Mar 2023 10:00:00 -0700") == (1678813200.0, -420)


def test_minus_zero_means_unknown_offset_not_utc():
    assert parse_date("Tue, 14 Mar 2023 10:00:00 -0000") == (1678788000.0, None)
    assert parse_date("Tue, 14 Mar 2023 10:00:00 +0000") == (1678788000.0, 0)


def test_obsolete_zone_names_and_missing_seconds():
    assert parse_date("Tue, 14 Mar 2023 10:00:00 PDT") == (1678813200.0, -420)
    assert parse_date("14 Mar 2023 10:00 GMT")[1] == 0


@pytest.mark.parametrize("bad", [None, "", "yesterday", "Mon, 99 Foo 2023 99:99 +0000", "\x00"])
def test_bad_dates_give_none(bad):
    assert parse_date(bad) == (None, None)


def test_absurd_years_are_not_dates():
    assert parse_date("Mon, 1 Jan 3000 00:00:00 +0000") == (None, None)
