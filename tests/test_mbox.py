"""The mbox splitter on every real-world variant it claims to read."""

import bz2
import gzip
import io
import lzma

import pytest

from analyzer.sources.mbox import MboxReader
from tests.conftest import make_message


def split(data: bytes, start: int = 0) -> list:
    stream = io.BytesIO(data)
    stream.seek(start)
    return list(MboxReader(stream, "test.mbox", start=start))


def mbox(
    *messages: bytes, separator: bytes = b"From sender@example.org Tue Mar 14 10:00:00 2023"
) -> bytes:
    return b"".join(separator + b"\n" + m + b"\n" for m in messages)


def test_plain_mboxrd_with_quoted_from_lines():
    body = "Hi\n>From the archive: quoted\n>>From twice quoted\n"
    data = mbox(make_message(body=body), make_message(subject="two"))
    messages = split(data)
    assert len(messages) == 2
    assert messages[0].offset == "0"
    assert data[int(messages[1].offset) :].startswith(b"From sender@")
    assert b"Subject: two" in messages[1].data


def test_unquoted_from_in_body_is_not_a_separator():
    # mboxo: a writer that does not quote leaves "From " lines in bodies
    body = "Hello\n\nFrom time to time we meet.\nFrom Russia with love\n\nbye\n"
    assert len(split(mbox(make_message(body=body), make_message()))) == 2


def test_public_inbox_separators_and_netscape_dashes():
    public_inbox = b"From mboxrd@z Thu Jan  1 00:00:00 1970"
    assert len(split(mbox(make_message(), make_message(), separator=public_inbox))) == 2
    assert len(split(mbox(make_message(), make_message(), separator=b"From - "))) == 2


def test_content_length_keeps_unquoted_from_lines_inside_the_body():
    body = (
        b"line one\nFrom: not a header, a body line\nFrom someone@else Tue Mar 14 10:00:00 2023\n"
    )
    first = (
        b"From: a@example.org\nSubject: cl\nContent-Length: "
        + str(len(body)).encode()
        + b"\n\n"
        + body
    )
    data = b"From - \n" + first + b"From - \n" + make_message(subject="second")
    messages = split(data)
    assert [b"Subject: cl" in messages[0].data, b"Subject: second" in messages[1].data] == [
        True,
        True,
    ]
    assert len(messages) == 2


def test_wrong_content_length_is_ignored():
    first = (
        b"From: a@example.org\nSubject: one\nContent-Length: 5\n\nthis body is longer than five\n"
    )
    data = b"From x@y Tue Mar 14 10:00:00 2023\n" + first + b"\n" + mbox(make_message())
    assert len(split(data)) == 2


def test_crlf_line_endings():
    data = mbox(make_message(newline="\r\n"), make_message(newline="\r\n")).replace(b"\n", b"\r\n")
    data = data.replace(b"\r\r\n", b"\r\n")
    messages = split(data)
    assert len(messages) == 2
    assert messages[0].data.startswith(b"From: Alice")


def test_cr_only_line_endings_keep_true_offsets():
    data = mbox(make_message(), make_message(subject="two")).replace(b"\n", b"\r")
    messages = split(data)
    assert len(messages) == 2
    assert data[int(messages[1].offset) :].startswith(b"From sender@")
    assert b"Subject: two" in messages[1].data


def test_utf8_byte_order_mark_is_skipped():
    data = b"\xef\xbb\xbf" + mbox(make_message(), make_message())
    messages = split(data)
    assert len(messages) == 2
    assert messages[0].offset == "3"


def test_message_larger_than_the_read_chunk():
    big = make_message(body="x" * 80 + "\n") * 1
    huge_body = ("y" * 76 + "\n") * 120_000  # about 9 MB, more than two chunks
    data = mbox(make_message(body=huge_body), big, make_message(subject="last"))
    messages = split(data)
    assert len(messages) == 3
    assert len(messages[0].data) > 9_000_000
    assert b"Subject: last" in messages[2].data


def test_resume_from_an_offset():
    data = mbox(make_message(subject="one"), make_message(subject="two"), make_message(subject="3"))
    offsets = [int(m.offset) for m in split(data)]
    resumed = split(data, start=offsets[1])
    assert [m.offset for m in resumed] == [str(offsets[1]), str(offsets[2])]


def test_empty_and_non_mbox_streams_yield_nothing():
    assert split(b"") == []
    assert split(b"\n\n") == []
    assert split(b"Subject: not an mbox\n\nbody\n") == []


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_mbox_is_read_transparently(tmp_path, compress):
    from analyzer.sources import SourceReader, discover_sources

    path = tmp_path / "archive.mbox.any"
    path.write_bytes(compress(mbox(make_message(), make_message(subject="two"))))
    files, _ = discover_sources([path])
    assert files[0].kind == "mbox"
    assert len(list(SourceReader(files[0]))) == 2


def test_a_full_postmark_after_an_empty_line_splits_whatever_follows():
    """A damaged first header line must not merge a message into the one before."""
    damaged = [b"From] x@example.org", b"MIME\x83Version: 1.0", b"\x00\x01garbage", b""]
    messages = [
        (damaged[n % 4] + b"\n" if n % 3 == 0 else b"") + make_message(message_id=f"<{n}@x>")
        for n in range(400)
    ]
    data = mbox(*messages, separator=b"From sender@example.invalid Mon Jan  1 00:00:00 2024")
    assert len(split(data)) == 400


@pytest.mark.parametrize(
    "line",
    [
        b"From time to time we meet.",
        b"From Russia with love",
        b"From here on, Mon Jan  1 we meet",
        b"From the 1990s Mon Jan  1 00:00:00 style",
    ],
)
def test_prose_after_an_empty_line_stays_in_the_body(line):
    body = "Hello\n\n" + line.decode() + "\nno header follows\n"
    assert len(split(mbox(make_message(body=body), make_message()))) == 2


def test_from_lines_with_nothing_between_are_empty_messages_each():
    """100,000 bare "From " lines are 100,000 (empty) messages, read in one pass."""
    messages = split(b"From \n" * 100_000)
    assert len(messages) == 100_000
    assert all(message.data == b"" for message in messages)
    assert [int(m.offset) for m in messages[:3]] == [0, 6, 12]


def test_a_from_line_right_after_a_separator_ends_an_empty_message():
    data = b"From a@b Tue Mar 14 10:00:00 2023\n" + mbox(make_message())
    messages = split(data)
    assert len(messages) == 2 and messages[0].data == b""
    assert messages[1].data.startswith(b"From: Alice")
