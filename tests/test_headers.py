from analyzer.extract.headers import (
    decode_bytes,
    decode_words,
    header_block_end,
    parse_header_block,
)


def test_header_block_ends_at_first_empty_line_lf_and_crlf():
    assert header_block_end(b"A: 1\nB: 2\n\nbody") == (10, 11)
    assert header_block_end(b"A: 1\r\nB: 2\r\n\r\nbody") == (12, 14)
    assert header_block_end(b"A: 1\nB: 2") == (9, 9)  # all headers, no body


def test_folded_fields_are_unfolded_and_names_lower_cased():
    fields = parse_header_block(b"Subject: a long\n\tsubject line\nX-Thing : v\n")
    assert fields.get("subject") == "a long\tsubject line"
    assert fields.get("x-thing") == "v"


def test_repeated_fields_keep_their_order():
    fields = parse_header_block(b"Received: one\nReceived: two\nReceived: three\n")
    assert fields.get_all("received") == ["one", "two", "three"]


def test_garbage_line_becomes_a_defect_and_parsing_goes_on():
    fields = parse_header_block(b"From: a@b.c\nthis is not a header\nTo: d@e.f\n")
    assert fields.get("to") == "d@e.f"
    (defect,) = fields.defects
    assert (defect.kind, defect.header, defect.detail) == (
        "not-a-header-field",
        "",
        "this is not a header",
    )


def test_encoded_words_are_decoded_and_unknown_charsets_do_not_crash():
    assert decode_words("=?UTF-8?B?Wm/DqyBNw7xsbGVy?=") == "Zoë Müller"
    assert decode_words("=?ISO-8859-1?Q?Jos=E9?= Garc=?iso-8859-1?q?=EDa?=") == "José García"
    # a charset nobody knows: decoded as best we can, never an exception
    assert "Caf" in decode_words("=?x-unknown-klingon?Q?Caf=E9?=")
    assert decode_words("=?UTF-8?B?!!!not-base64?=")  # broken base64 stays text


def test_raw_8bit_headers_fall_back_to_windows_1252():
    assert decode_bytes("Zoë".encode()) == "Zoë"
    assert decode_bytes("Zoë".encode("latin-1")) == "Zoë"
