"""Property tests for every header parser: never raises, and the output keeps its promises.

Two kinds of input per parser: anything at all (text, with controls, surrogates and
stray quoting), where only types and invariants are checked, and well-formed values
built from parts, where the parser must give the parts back.
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import math
import re
from email.header import Header
from email.utils import format_datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.extract import _dkim_tags, extract_message, parse_message_ids
from analyzer.extract.addresses import parse_address_list
from analyzer.extract.dates import parse_date
from analyzer.extract.encryption import parse_content_type
from analyzer.extract.headers import decode_words, header_block_end
from analyzer.extract.received import canonical_ip, parse_received, parse_received_chain
from analyzer.records import MessageRecord, RawMessage
from analyzer.sources.mbox import MboxReader

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# text as mail headers hold it: any character, and often the ones parsers trip on
hostile_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from('<>"(),;:@\\[]=?!\t\r\n \x00\x1b\u202e\udcff'),
    ),
    max_size=300,
)
atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
local_part = st.builds(lambda parts, sep: sep.join(parts), st.lists(atom, min_size=1, max_size=3),
                       st.sampled_from([".", "_", "-", "+"]))  # fmt: skip
domain = st.builds(lambda labels, tld: ".".join([*labels, tld]),
                   st.lists(atom, min_size=1, max_size=3),
                   st.sampled_from(["org", "example", "de"]))  # fmt: skip
addr_spec = st.builds(lambda local, dom: f"{local}@{dom}", local_part, domain)
display_name = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\ufeff"
    ),
    max_size=30,
)

_NOT_IN_ADDRESS = re.compile(r"[\s<>,;]")


# -- addresses ---------------------------------------------------------------------------
@PROPERTY
@given(hostile_text)
def test_addresses_are_lower_case_addr_specs_whatever_the_header_holds(value):
    for address, name in parse_address_list(value):
        assert address and address == address.lower()
        assert not _NOT_IN_ADDRESS.search(address), address
        assert name is None or (isinstance(name, str) and name)


def _mailbox(name: str, address: str, style: int) -> str:
    if not name.strip() or style == 0:
        return address if style != 1 else f"<{address}>"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    if style == 1:
        return f'"{quoted}" <{address}>'
    return Header(name, "utf-8").encode() + f" <{address}>"


@PROPERTY
@given(st.lists(st.tuples(display_name, addr_spec, st.integers(0, 2)), min_size=1, max_size=8))
def test_well_formed_lists_give_back_every_address_in_order(mailboxes):
    value = ", ".join(_mailbox(name, address, style) for name, address, style in mailboxes)
    parsed = parse_address_list(value)
    assert [address for address, _ in parsed] == [address.lower() for _, address, _ in mailboxes]


# -- dates -------------------------------------------------------------------------------
@PROPERTY
@given(hostile_text)
def test_dates_are_a_finite_instant_and_a_real_offset_or_nothing(value):
    instant, offset = parse_date(value)
    assert instant is None or (isinstance(instant, float) and math.isfinite(instant))
    assert offset is None or (isinstance(offset, int) and abs(offset) <= 24 * 60)


@PROPERTY
@given(
    st.datetimes(min_value=datetime.datetime(1971, 1, 1), max_value=datetime.datetime(2099, 1, 1)),
    st.integers(-14 * 60, 14 * 60),
)
def test_formatted_dates_come_back_exactly(moment, offset_minutes):
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    moment = moment.replace(microsecond=0, tzinfo=zone)
    instant, offset = parse_date(format_datetime(moment))
    assert instant == moment.timestamp() and offset == offset_minutes


# -- Received ----------------------------------------------------------------------------
@PROPERTY
@given(hostile_text)
def test_a_received_header_is_one_hop_whatever_it_holds(value):
    hop = parse_received(value, hop=3)
    assert hop.hop == 3
    assert hop.timestamp_utc is None or math.isfinite(hop.timestamp_utc)
    assert hop.tz_offset_min is None or abs(hop.tz_offset_min) <= 24 * 60


@PROPERTY
@given(st.lists(domain, min_size=1, max_size=12, unique=True))
def test_hops_keep_their_order_oldest_first(hosts):
    """Headers are written newest on top; hop 0 is the oldest, nearest the sender."""
    newest_first = [
        f"from {hosts[i - 1] if i else 'client.example'} by {hosts[i]} with ESMTP id x{i}; "
        f"Mon, 1 Jan 2024 10:{i:02}:00 +0000"
        for i in reversed(range(len(hosts)))
    ]
    hops = parse_received_chain(newest_first)
    assert [hop.hop for hop in hops] == list(range(len(hosts)))
    assert [hop.by_host for hop in hops] == hosts


# -- encoded words -----------------------------------------------------------------------
@PROPERTY
@given(hostile_text)
def test_encoded_words_always_decode_to_text(value):
    assert isinstance(decode_words(value), str)


@PROPERTY
@given(display_name.filter(lambda s: s == s.strip() and "  " not in s),
       st.sampled_from(["utf-8", "iso-8859-1", "utf-16"]))  # fmt: skip
def test_encoded_words_come_back_as_written(text, charset):
    try:
        encoded = Header(text, charset).encode()
    except UnicodeEncodeError:
        return  # not writable in that charset
    assert decode_words(encoded) == text


# -- Content-Type ------------------------------------------------------------------------
@PROPERTY
@given(hostile_text)
def test_content_types_are_lower_case_with_text_parameters(value):
    mime_type, params = parse_content_type(value)
    assert mime_type == mime_type.lower() and mime_type
    assert all(isinstance(k, str) and k == k.lower() and isinstance(v, str)
               for k, v in params.items())  # fmt: skip


@PROPERTY
@given(atom, atom, atom.map(lambda s: s + "=_x"))
def test_content_type_parameters_come_back(kind, subtype, boundary):
    mime_type, params = parse_content_type(f'{kind.upper()}/{subtype}; boundary="{boundary}"')
    assert (mime_type, params["boundary"]) == (f"{kind}/{subtype}", boundary)


# -- DKIM-Signature tags ------------------------------------------------------------------
# the reference: every "d=" or "s=" at the start or after a ";", the last of each kept
_DKIM_TAG = re.compile(r"(?:^|;)\s*([ds])\s*=\s*([^;\s]+)")
dkim_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(["d", "s", "=", ";", " ", "\t", "\n", "D", "x", "\xa0", "\u2003", "\x1c"]),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)


@PROPERTY
@given(st.one_of(hostile_text, dkim_text))
def test_dkim_tags_are_what_the_tag_pattern_finds(value):
    assert _dkim_tags(value) == dict(_DKIM_TAG.findall(value))


# -- Message-ID and References -----------------------------------------------------------
@PROPERTY
@given(hostile_text)
def test_message_ids_never_keep_angle_brackets(value):
    for found in parse_message_ids(value):
        assert found and "<" not in found and ">" not in found


@PROPERTY
@given(st.lists(addr_spec, max_size=20), st.sampled_from([" ", "\n ", ", ", ""]))
def test_references_come_back_in_order(ids, separator):
    assert parse_message_ids(separator.join(f"<{i}>" for i in ids)) == ids


# -- the mbox splitter -------------------------------------------------------------------
message_text = st.builds(
    lambda headers, body: "\n".join(headers) + "\n\n" + body,
    st.lists(st.builds(lambda n, v: f"{n}: {v}", st.sampled_from(["From", "To", "Subject"]),
                       st.text(alphabet="abc xyz@.<>", max_size=30)), min_size=1, max_size=5),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=200),
)  # fmt: skip


@PROPERTY
@given(st.lists(message_text, min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_the_splitter_gives_back_each_message_as_written(messages, newline):
    """mboxrd-quoted messages behind postmarks: as many out as in, each byte for byte."""
    quoted = [re.sub(r"(?m)^(>*From )", r">\1", m) for m in messages]
    postmark = "From sender@example.org Mon Jan  1 00:00:00 2024\n"
    data = "".join(postmark + m + "\n" for m in quoted).replace("\n", newline).encode()
    found = list(MboxReader(io.BytesIO(data), "prop.mbox"))
    assert [raw.data for raw in found] == [m.replace("\n", newline).encode() for m in quoted]


@PROPERTY
@given(st.lists(message_text, min_size=1, max_size=4))
def test_every_split_message_is_extracted_or_quarantined(messages):
    data = "".join("From a@b Mon Jan  1 00:00:00 2024\n" + m + "\n" for m in messages).encode()
    raws = list(MboxReader(io.BytesIO(data), "prop.mbox"))
    results = [extract_message(RawMessage(r.source, r.offset, r.data)) for r in raws]
    assert len(results) == len(messages)
    for result in results:
        if isinstance(result, MessageRecord):
            assert all(p.address == p.address.lower() for p in result.participants)


def _reference_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


octet = st.one_of(st.integers(0, 255).map(str), st.integers(0, 999).map(str),
                  st.integers(0, 99).map(lambda n: f"0{n}"))  # fmt: skip
dotted = st.builds(lambda parts: ".".join(parts), st.lists(octet, min_size=3, max_size=5))


ipv6_written = st.ip_addresses(v=6).flatmap(
    lambda a: st.sampled_from([a.exploded, a.exploded.upper(), str(a).upper(), f"{a}%eth0"])
)


@PROPERTY
@given(st.one_of(dotted, hostile_text, st.ip_addresses().map(str), ipv6_written))
def test_the_fast_ip_check_agrees_with_ipaddress(value):
    """The inet_pton paths for dotted quads and IPv6 give exactly what ipaddress gives."""
    assert canonical_ip(value) == _reference_ip(value)


@PROPERTY
@given(st.binary(max_size=3000), st.sampled_from([b"\n\n", b"\r\n\r\n", b"\n\r\n"]),
       st.binary(max_size=3000), st.integers(0, 200_000))  # fmt: skip
def test_the_header_block_ends_where_a_whole_scan_says(head, blank, body, padding):
    """The windowed search finds the first empty line a scan of the whole message finds."""
    data = head + b"x" * padding + blank + body
    lf, crlf = data.find(b"\n\n"), data.find(b"\n\r\n")
    if data.startswith((b"\n", b"\r\n")):
        expected = (0, 1 if data[:1] == b"\n" else 2)
    elif lf < 0 and crlf < 0:
        expected = (len(data), len(data))
    elif crlf < 0 or (0 <= lf < crlf):
        expected = (lf + 1, lf + 2)
    else:
        expected = (crlf + 1, crlf + 3)
    assert header_block_end(data) == expected
