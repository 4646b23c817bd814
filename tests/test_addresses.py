import pytest

from analyzer.extract.addresses import parse_address_list


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.org", [("alice@example.org", None)]),
        ("Alice <Alice@Example.ORG>", [("alice@example.org", "Alice")]),
        ('"Doe, Jane" <jane@x.org>, bob@y.org', [("jane@x.org", "Doe, Jane"), ("bob@y.org", None)]),
        ("=?UTF-8?B?WsO2w6sgTcO8bGxlcg==?= <zoe@x.de>", [("zoe@x.de", "Zöë Müller")]),
        ("jane@x.org (Jane Doe)", [("jane@x.org", "Jane Doe")]),
        ("undisclosed-recipients:;", []),
        ("team: a@x.org, b@x.org;", [("a@x.org", None), ("b@x.org", None)]),
        ("<>", []),
        ("a@x.org,, ,b@y.org", [("a@x.org", None), ("b@y.org", None)]),
        ("mailing list neko@example.org", [("neko@example.org", "mailing list")]),  # ezmlm
        ("kijitora", [("kijitora", None)]),  # a bare local name is kept as it is
        ("Jane Doe jane@X.org", [("jane@x.org", "Jane Doe")]),
    ],
)
def test_address_lists(value, expected):
    assert parse_address_list(value) == expected


@pytest.mark.parametrize(
    "hostile",
    ['"unterminated <a@b.c>', "<<<<>>>>", "a" * 5000 + "@x.org", "\x00\x01@\x02", '"\\', "(((("],
)
def test_hostile_values_never_raise(hostile):
    result = parse_address_list(hostile)
    assert isinstance(result, list)
    assert all(address == address.lower() for address, _ in result)
