"""The C hot path (analyzer/_fast.c) against its Python reference.

The C functions take the inputs they can do exactly and hand back the rest; wherever
they answer, the answer must be the Python one, on real header blocks and dates from
every corpus and on generated ones built to hit the edges (folding, CR before LF,
8-bit bytes, budgets, white space that only Unicode calls white space).
"""

from __future__ import annotations

import lzma
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import _fast, bytesearch
from analyzer.extract import dates, headers
from analyzer.extract.headers import header_block_end
from analyzer.sources.mbox import MboxReader
from tests.real_mail import SWEPT_SETS

PROPERTY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _python_split(block: bytes) -> tuple[list, dict, list]:
    parsed = headers.parse_header_block_in_python(block)
    return parsed.fields, parsed._by_name, parsed.defects


def _agrees(block: bytes, limit: int = headers.MAX_FIELD_CHARS) -> bool:
    """Whether C split the block; fails the test if C's answer differs from Python's."""
    split = _fast.split_fields(block, limit)
    if split is None:
        return False
    fields, by_name, defects = _python_split(block)
    assert split == (fields, by_name), block
    assert defects == []
    return True


def _header_blocks(corpora: Path):
    """Every header block of the corpora: the mbox archives' messages, one-message files."""
    paths = (path for name in SWEPT_SETS for path in (corpora / name).rglob("*"))
    for path in sorted(paths):
        if not path.is_file() or path.name in ("LICENSE", "SOURCE.txt", "MANIFEST.tsv"):
            continue
        opener = lzma.open if path.suffix == ".xz" else open
        with opener(path, "rb") as stream:
            head = stream.read(5)
        with opener(path, "rb") as stream:
            if head == b"From ":
                for message in MboxReader(stream, path.name):
                    yield message.data[: header_block_end(message.data)[0]]
            else:
                data = stream.read(1 << 20)
                yield data[: header_block_end(data)[0]]


def test_the_package_was_built_with_its_c_hot_path():
    # The project's set-up compiles _fast.c; without it ingestion is about a quarter slower
    assert _fast.__file__.endswith(".so")


def test_c_splits_real_header_blocks_as_python_does(corpora):
    blocks = split = 0
    for block in _header_blocks(corpora):
        blocks += 1
        split += _agrees(block)
        # whichever path splits it, the public function gives Python's answer
        parsed = headers.parse_header_block(block)
        assert (parsed.fields, parsed._by_name, parsed.defects) == _python_split(block)
    assert blocks > 5_000
    assert split / blocks > 0.9  # the C path is the common one on real mail


def test_c_parses_real_dates_as_python_does(corpora):
    seen = parsed = 0
    for block in _header_blocks(corpora):
        fields = headers.parse_header_block(block)
        for value in [fields.get("date") or "", *fields.get_all("received")]:
            value = value.rpartition(";")[2] if ";" in value else value
            seen += 1
            answer = _fast.common_date(value)
            assert answer == dates._parse_common_date(value), value
            parsed += answer is not None
    assert seen > 20_000
    assert parsed / seen > 0.8


# -- generated blocks ----------------------------------------------------------------
_name = st.sampled_from(["From", "to", "Received", "X-Long-Name", "subject", "A", "é", ""])
_gap = st.sampled_from(["", " ", "\t", " \t "])
_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("ab <>@,:;\t \r\x00\x1c\x1f\x0b\x0c\x85\xa0\u2003é"),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
)
_end = st.sampled_from(["\n", "\r\n", "\r\r\n", "", "\n\n", "\n\r\n"])


@st.composite
def header_blocks(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        line = draw(_name) + draw(_gap) + draw(st.sampled_from([":", ":", "", "::"]))
        line += draw(_text) + draw(_end)
        for _ in range(draw(st.integers(0, 2))):  # continuation lines
            line += draw(st.sampled_from([" ", "\t"])) + draw(_text) + draw(_end)
        lines.append(line)
    encoded = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # raw 8-bit bytes that are no UTF-8
        at = draw(st.integers(0, len(encoded)))
        encoded = (
            encoded[:at] + draw(st.sampled_from([b"\xe9", b"\xff\xfe", b"\xc3"])) + encoded[at:]
        )
    return encoded


@PROPERTY
@given(header_blocks(), st.sampled_from([headers.MAX_FIELD_CHARS, 5, 0]))
def test_c_splits_generated_blocks_as_python_does_or_leaves_them_to_it(block, limit):
    _agrees(block, limit)
    parsed = headers.parse_header_block(block)
    assert (parsed.fields, parsed._by_name, parsed.defects) == _python_split(block)


def test_c_takes_the_blocks_it_is_for_and_leaves_the_rest():
    assert _agrees(b"From: a@b.org\nTo: c@d.org,\r\n e@f.org\r\nSubject: caf\xc3\xa9\n")
    assert _agrees(b"X-Empty:\nReceived: from a\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000")
    # a stray line, a blank line, a folded first line, raw 8-bit: Python says what is wrong
    for block in (b">From x\nTo: a\n", b"To: a\n\nX: y\n", b" To: a\n", b"To: caf\xe9\n"):
        assert _fast.split_fields(block, headers.MAX_FIELD_CHARS) is None
    assert _fast.split_fields(b"To: " + b"a" * 10 + b"\n", 9) is None  # over the budget


# A date's parts: a valid choice for each, and odd ones that a date may have instead.
_DATE_PARTS = [
    (["", "Mon, ", "Tue,"], ["Mo, ", "Mon ", "Mon,\xa0"]),
    (["1", "07", "28", "31"], ["0", "32", "007", "", "٣"]),
    ([" "], ["  ", "\t", "", "\x1c", "\xa0", "\n"]),
    (["Jan", "dec", "DEC"], ["Foo", "Janu", "Ja"]),
    ([" "], ["\t\t", "", "\x1f", "\u2003"]),
    (["2024", "1970", "2099"], ["1969", "2100", "0000", "99", "20245"]),
    ([" "], ["", "\x0b"]),
    (["0", "9", "23"], ["24", "123", "", "٣"]),
    ([":"], ["", "::"]),
    (["00", "59"], ["60", "5", "123"]),
    (["", ":00", ":60"], [":61", ":", ":5", ":123"]),
    ([" "], ["", "\x85"]),
    (["+", "-"], [""]),
    (["0000", "0100", "1800", "0930"], ["1801", "123", "12345"]),
    (["", " (CET)", "(CET)"], ["x", " ", "\n", "0"]),
]


@st.composite
def date_texts(draw) -> str:
    """Valid dates in every variant, and dates with one or two odd parts."""
    parts = [draw(st.sampled_from(valid)) for valid, _ in _DATE_PARTS]
    for _ in range(draw(st.integers(0, 2))):
        index = draw(st.integers(0, len(_DATE_PARTS) - 1))
        parts[index] = draw(st.sampled_from(_DATE_PARTS[index][1]))
    return "".join(parts)


@PROPERTY
@given(st.one_of(date_texts(), st.text(max_size=40)))
def test_c_parses_generated_dates_as_python_does(text):
    assert _fast.common_date(text) == dates._parse_common_date(text)


# -- byte searches -------------------------------------------------------------------
_pieces = st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n", b"\n\r\n", b"From ", b"x", b"Fro"])


@PROPERTY
@given(
    st.lists(_pieces, max_size=20).map(b"".join),
    st.integers(0, 40),
    st.integers(0, 45),
    st.sampled_from([b"", b"From ", b"x"]),
)
def test_c_byte_searches_find_what_bytes_find_finds(data, start, stop, before):
    for haystack in (data, bytearray(data)):
        assert bytesearch.find(haystack, b"\nFrom ", start, stop) == haystack.find(
            b"\nFrom ", start, stop
        )
        assert bytesearch.blank_line(haystack, start, stop, before) == (
            bytesearch.blank_line_in_python(haystack, start, stop, before)
        )
