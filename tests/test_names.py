"""Display names: the variants one person writes, and names that name nobody."""

from __future__ import annotations

import pytest

from analyzer.linkability.names import NameMatch, compare_names, parse_name


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Maya Lindqvist", "Lindqvist, Maya", NameMatch.FULL),  # "Last, First"
        ("Michal Suchánek", "Michal Suchanek", NameMatch.FULL),  # diacritics
        ("'Wenchao Hao' via open-iscsi", "Wenchao Hao", NameMatch.FULL),  # a list's rewrite
        ("Michael Kerrisk (man-pages)", "Michael Kerrisk", NameMatch.FULL),
        ("Dr. Werner Fink", "Werner Fink", NameMatch.FULL),  # titles
        ("Andy Isaacson", "Andrew Isaacson", NameMatch.VARIANT),  # nickname
        ("Kev Needham", "Kevin Needham", NameMatch.VARIANT),
        ("Todd M. Shrider", "Todd Shrider", NameMatch.VARIANT),  # a middle initial
        ("J. Doe", "Jane Doe", NameMatch.VARIANT),  # an initial
        ("Greg KH", "Greg Kroah-Hartman", NameMatch.VARIANT),  # initials of a compound name
        ("Sergey Shtylyov", "Sergei Shtylyov", NameMatch.VARIANT),  # transliteration
        ("Alveryanov Alexander", "Alexander Averyanov", NameMatch.VARIANT),  # order, spelling
        ("zenghongling", "Hongling Zeng", NameMatch.VARIANT),  # run together
        ("Ralf", "Ralf", NameMatch.SINGLE),
        ("Ralf", "Ralf Baechle", NameMatch.FIRST),
    ],
)
def test_one_persons_names_match(a, b, level):
    assert compare_names(parse_name(a), parse_name(b)) == level
    assert compare_names(parse_name(b), parse_name(a)) == level


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Alan Cox", "Alan Hoyt"),
        ("Feng Li", "Baokun Li"),
        ("Chris Carlson", "Jay Carlson"),
        ("Andy Isaacson", "Drew Isaacson"),  # both nicknames of Andrew, not of each other
        ("Karel Zak", "Sami Kerola"),
    ],
)
def test_different_peoples_names_do_not(a, b):
    assert compare_names(parse_name(a), parse_name(b)) is None


@pytest.mark.parametrize(
    "name",
    ["root", "Support Team", "ETCメッセージ", "noreply", "jane@example.org", "", "Mailer-Daemon"],
)
def test_generic_names_and_addresses_name_nobody(name):
    assert parse_name(name) is None
