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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # unquoted specials in a display name: one mailbox, the name kept as written
        ("Eve [work] <eve@x.org>", [("eve@x.org", "Eve [work]")]),
        ("x [link=https://e.example/]y[/link] <a@e.example>, b@f.org",
         [("a@e.example", "x [link=https://e.example/]y[/link]"), ("b@f.org", None)]),
        ("Mallory \x1b]8;;u\x1b\\ <m@x.org>", [("m@x.org", "Mallory \x1b]8;;u\x1b\\")]),
        ("Eve [a] eve@x.org", [("eve@x.org", None)]),  # no brackets: only the address
        ("a@x.org (Doe, Jane), b@y.org", [("a@x.org", "Doe, Jane"), ("b@y.org", None)]),
        ("friends: Jo <j@x.org>, Al <k@y.org>;", [("j@x.org", "Jo"), ("k@y.org", "Al")]),
    ],
)  # fmt: skip
def test_one_list_item_is_one_mailbox(value, expected):
    assert parse_address_list(value) == expected
