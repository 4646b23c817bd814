"""Hostile and random input: extraction, splitting and the readers of Apple Mail's and
Outlook's containers never raise, whatever the bytes."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.extract import extract_message
from analyzer.extract.keys import autocrypt_key, pgp_key_uses, smime_key_uses
from analyzer.records import MessageRecord, Quarantined, RawMessage
from analyzer.sources.container import ContainerProblem
from analyzer.sources.emlx import read_emlx
from analyzer.sources.mbox import MboxReader
from analyzer.sources.outlook_mime import OutlookAttachment, rfc822_from_outlook
from analyzer.vocabulary import QuarantineCode

HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Date",
    "Received",
    "Message-ID",
    "Content-Type",
    "Reply-To",
    "Autocrypt",
    "DKIM-Signature",
    "Subject",
    "References",
    "X-Originating-IP",
]
header_line = st.builds(
    lambda name, value: f"{name}: {value}".encode("utf-8", "surrogatepass"),
    st.sampled_from(HEADER_NAMES),
    st.text(max_size=200),
)
message_bytes = st.one_of(
    st.binary(max_size=2000),
    st.builds(
        lambda lines, body: b"\n".join(lines) + b"\n\n" + body,
        st.lists(header_line, max_size=12),
        st.binary(max_size=500),
    ),
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(message_bytes)
def test_extract_message_never_raises(data):
    result = extract_message(RawMessage("fuzz", "0", data))
    assert isinstance(result, MessageRecord | Quarantined)
    if isinstance(result, MessageRecord):
        assert all(p.address == p.address.lower() for p in result.participants)
        assert [h.hop for h in result.hops] == list(range(len(result.hops)))


@FAST
@given(st.lists(message_bytes, max_size=6), st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_mbox_splitting_never_raises_and_loses_no_separator(messages, newline):
    data = b"".join(b"From a@b Tue Mar 14 10:00:00 2023\n" + m + b"\n\n" for m in messages)
    data = data.replace(b"\n", newline)
    found = list(MboxReader(io.BytesIO(data), "fuzz"))
    if messages:
        assert len(found) >= 1
    for raw in found:
        assert data[int(raw.offset) :].startswith(b"From ")


@FAST
@given(st.binary(max_size=600))
def test_key_readers_never_raise(blob):
    smime_key_uses(blob)
    pgp_key_uses(b"-----BEGIN PGP MESSAGE-----\n\n" + blob + b"\n-----END PGP MESSAGE-----\n")
    autocrypt_key("addr=a@b.c; keydata=" + blob.hex())


@FAST
@given(
    st.lists(st.one_of(header_line, st.binary(max_size=40)), max_size=12),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_fast_header_split_agrees_with_the_careful_one(lines, newline):
    from analyzer.extract.headers import (
        _parse_header_block_carefully,
        _within_limits,
        parse_header_block,
    )

    block = newline.join(lines)
    fast = parse_header_block(block)
    careful = _within_limits(
        _parse_header_block_carefully(block.decode("utf-8", "surrogateescape"))
    )
    assert (fast.fields, fast.defects) == (careful.fields, careful.defects)


def test_a_folded_line_after_a_blank_line_is_no_continuation():
    """Hypothesis found it in CI: "From: ", a blank line, then a tab-led line. The regex
    pass took the last line for a continuation; it continues nothing."""
    from analyzer.extract.headers import (
        _parse_header_block_carefully,
        parse_header_block,
        parse_header_block_in_python,
    )

    for newline in (b"\n", b"\r\n"):
        block = newline.join([b"From: ", b"", b"\t\x00"])
        fast = parse_header_block(block)
        careful = _parse_header_block_carefully(block.decode("utf-8", "surrogateescape"))
        assert (fast.fields, fast.defects) == (careful.fields, careful.defects)
        assert [d.detail for d in fast.defects] == ["\t\x00"]
        in_python = parse_header_block_in_python(block)
        assert (in_python.fields, in_python.defects) == (careful.fields, careful.defects)


def test_the_regex_pass_sends_a_blank_then_folded_block_to_the_careful_one():
    from analyzer.extract.headers import (
        _parse_header_block_carefully,
        _within_limits,
        parse_header_block,
        parse_header_block_in_python,
    )

    block = b"From:\nFrom:\n \n\n 0\n"  # Hypothesis's find in test_fast, in CI
    careful = _within_limits(_parse_header_block_carefully(block.decode()))
    for parsed in (parse_header_block(block), parse_header_block_in_python(block)):
        assert (parsed.fields, parsed.defects) == (careful.fields, careful.defects)
    assert [d.detail for d in careful.defects] == [" 0"]


# -- Apple Mail's and Outlook's containers: a reason, never an exception -------------------
emlx_bytes = st.one_of(
    st.binary(max_size=1500),
    st.builds(
        lambda count, message, tail: f"{count:<10}\n".encode() + message + tail,
        st.integers(min_value=0, max_value=5000),
        message_bytes,
        st.sampled_from([b"", b'<?xml version="1.0"?>\n<plist version="1.0"><dict/></plist>\n']),
    ),
)


@FAST
@given(emlx_bytes)
def test_an_emlx_gives_its_message_or_a_one_line_reason(data):
    try:
        read = read_emlx(data)
    except ContainerProblem as problem:
        assert problem.reason and "\n" not in problem.reason
        assert problem.code in set(QuarantineCode)
    else:
        assert read.message and read.message in data


CRYPTO_TYPES = [
    "multipart/signed",
    "application/pkcs7-mime",
    "application/pgp-encrypted",
    "application/pgp-signature",
    "multipart/encrypted",
    "text/plain",
]
attachments = st.lists(
    st.builds(
        OutlookAttachment,
        st.none() | st.text(max_size=30),
        st.none() | st.sampled_from(CRYPTO_TYPES) | st.text(max_size=30),
        st.none() | st.binary(max_size=400),
    ),
    max_size=4,
)  # fmt: skip
content_type = st.builds(
    lambda mime_type, boundary: f'Content-Type: {mime_type}; boundary="{boundary}"',
    st.sampled_from([*CRYPTO_TYPES, "multipart/mixed", "application/x-pkcs7-mime"]),
    st.text(max_size=20),
)
transport_headers = st.one_of(
    st.text(max_size=800),
    st.builds(
        lambda lines, kind: "\r\n".join([
            *(line.decode("utf-8", "surrogatepass") for line in lines), kind]),
        st.lists(header_line, max_size=8),
        content_type,
    ),
)  # fmt: skip


@FAST
@given(
    transport_headers,
    st.none() | st.sampled_from(["IPM.Note", "IPM.Note.SMIME", "IPM.Note.SMIME.MultipartSigned"]),
    attachments,
)
def test_an_outlook_item_rebuilds_to_a_message_extraction_reads_or_a_reason(
    headers, message_class, parts
):
    try:
        data = rfc822_from_outlook(headers, message_class, parts)
    except ContainerProblem as problem:
        assert problem.reason and "\n" not in problem.reason
        return
    assert isinstance(extract_message(RawMessage("fuzz", "0", data)), MessageRecord | Quarantined)
