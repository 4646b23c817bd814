"""Apple Mail's .emlx and .partial.emlx (issue 26, item 3): files made here, the real
files of ``emlx-samples`` (its MANIFEST.tsv says what each holds), and the rows mxa makes
from an emlx against those from the same message saved as .eml."""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from analyzer.extract import extract_message
from analyzer.records import MessageRecord, RawMessage
from analyzer.sources.container import ContainerProblem
from analyzer.sources.emlx import EmlxMessage, looks_like_emlx, read_emlx
from analyzer.vocabulary import QuarantineCode
from tests.conftest import make_message
from tests.real_mail import manifest_rows

RECEIVED = 1581000000  # 2020-02-06, Mail's date-received


def plist(date_received: int | None = RECEIVED, extra: str = "") -> bytes:
    """A property list as Mail writes it after the message."""
    date = f"\t<key>date-received</key>\n\t<integer>{date_received}</integer>\n"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"{date if date_received is not None else ''}{extra}"
        "\t<key>flags</key>\n\t<integer>8623489089</integer>\n"
        "\t<key>remote-id</key>\n\t<string>789</string>\n</dict>\n</plist>\n"
    ).encode()


def emlx(message: bytes, properties: bytes | None = None, count: int | None = None) -> bytes:
    """An emlx file: the byte count padded to 10 characters, the message, the plist."""
    stated = len(message) if count is None else count
    return f"{stated:<10}\n".encode() + message + (plist() if properties is None else properties)


MESSAGE = make_message(
    extra="Received: from a.example by b.example; Tue, 14 Mar 2023 09:59:59 +0100"
)


# -- files made here ------------------------------------------------------------------------
def test_a_well_formed_file_holds_the_eml_and_mails_date_received(tmp_path):
    path = tmp_path / "Sent Messages.mbox" / "Messages" / "12.emlx"
    path.parent.mkdir(parents=True)
    path.write_bytes(emlx(MESSAGE))
    assert path.read_bytes().startswith(f"{len(MESSAGE)}".encode() + b" " * 7 + b"\n")
    assert looks_like_emlx(path.read_bytes()[:4096])
    assert read_emlx(path.read_bytes()) == EmlxMessage(MESSAGE, float(RECEIVED), partial=False)


@pytest.mark.parametrize("line_one", [b"%d\n", b"%d        \n", b"%d\r\n", b"  %d \n"])
def test_the_byte_count_is_read_padded_or_not(line_one):
    data = line_one % len(MESSAGE) + MESSAGE + plist()
    assert looks_like_emlx(data) and read_emlx(data).message == MESSAGE


PARTIAL = (
    b"From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: Fwd: report\n"
    b"Date: Mon, 29 Jan 2018 22:01:18 +0100\nMessage-Id: <p1@example.org>\n"
    b"Mime-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
    b"--B\nContent-Type: text/plain\n\nSee attached.\n"
    b"--B\nContent-Disposition: attachment; filename=report.pdf\n"
    b"Content-Type: application/pdf; name=report.pdf\nContent-Transfer-Encoding: base64\n"
    b"X-Apple-Content-Length: 35967\n\n\n--B--\n"
)


def test_a_partial_message_is_read_as_stored_with_its_stubbed_parts_headers():
    read = read_emlx(emlx(PARTIAL))
    assert read.partial and read.message == PARTIAL and read.delivered == RECEIVED
    assert not read_emlx(emlx(MESSAGE)).partial


def test_a_truncated_file_is_a_one_line_reason():
    data = emlx(MESSAGE)[: len(MESSAGE) - 20]  # cut inside the message: no plist
    with pytest.raises(ContainerProblem) as problem:
        read_emlx(data)
    reason = problem.value.reason
    assert problem.value.code == QuarantineCode.UNREADABLE and "\n" not in reason
    assert reason.startswith("truncated Apple Mail message")
    assert f"{len(MESSAGE):,} bytes" in reason and f"{len(MESSAGE) - 31:,}" in reason


@pytest.mark.parametrize("wrong_by", [+700, -15, -len(MESSAGE) + 1])
def test_a_byte_count_that_misses_the_plist_reads_the_message_up_to_the_plist(wrong_by):
    """Files edited after capture (anonymised) keep a stale count: the plist that ends
    the file, at a line start, is where the message ends."""
    read = read_emlx(emlx(MESSAGE, count=len(MESSAGE) + wrong_by))
    assert read.message == MESSAGE and read.delivered == RECEIVED


def test_an_exact_byte_count_wins_over_a_plist_in_the_body():
    """A message may carry an XML property list in its text: the count says where the
    message ends, and the plist after it is Mail's."""
    carrying = MESSAGE + plist(date_received=1)
    read = read_emlx(emlx(carrying))
    assert read.message == carrying and read.delivered == RECEIVED


def test_a_file_without_its_byte_count_line_is_read_when_a_plist_ends_it():
    """The count line lost (the Rust crate's broken2.emlx): a header block and Mail's
    plist after it tell an emlx still. It does not sniff as one (line 1 is a header),
    so discovery reads it as a plain message, with the same header block."""
    data = MESSAGE + plist()
    assert not looks_like_emlx(data)
    assert read_emlx(data) == EmlxMessage(MESSAGE, float(RECEIVED), False)
    for no_emlx in (MESSAGE, b"this is an invalid .emlx structure", b""):
        with pytest.raises(ContainerProblem) as problem:
            read_emlx(no_emlx)
        assert problem.value.code == QuarantineCode.UNREADABLE
        assert problem.value.reason.startswith("not an Apple Mail message")


@pytest.mark.parametrize(
    "properties",
    [b"<?xml version='1.0'?>\n<plist><dict><key>date-received</key><integer>1</dict>\n</plist>",
     plist(date_received=None), plist(date_received=0), b"", b"<?xml version", b"\x00\xff",
     plist(None, "\t<key>date-received</key>\n\t<string>yesterday</string>\n"),
     plist(None, "\t<key>date-received</key>\n\t<integer>" + "9" * 400 + "</integer>\n"),
     plist(None, "\t<key>date-received</key>\n\t<real>inf</real>\n"),
     b'<?xml version="1.0"?>\n<!DOCTYPE plist [<!ENTITY a "1">]>\n<plist>&a;</plist>\n',
     b"<plist>" + b"<array>" * 100_000 + b"</array>" * 100_000 + b"</plist>\n"],
)  # fmt: skip
def test_a_plist_that_does_not_parse_or_has_no_date_keeps_the_message(properties):
    assert read_emlx(emlx(MESSAGE, properties)) == EmlxMessage(MESSAGE, None, False)


def test_a_plist_date_element_is_read_as_utc():
    when = plist(None, "\t<key>date-received</key>\n\t<date>2020-02-06T14:40:00Z</date>\n")
    assert read_emlx(emlx(MESSAGE, when)).delivered == RECEIVED


def test_an_empty_message_is_a_reason():
    with pytest.raises(ContainerProblem) as problem:
        read_emlx(emlx(b"\n"))
    assert problem.value.code == QuarantineCode.EMPTY


@pytest.mark.parametrize(
    "head",
    [b"this is an invalid .emlx structure", b"From x@y Mon Jan  1 00:00:00 2024\n" + MESSAGE,
     MESSAGE, b"0         \n" + MESSAGE, b"12\n34\n56\n", b"2024\nnotes: for the meeting\n",
     b"12 apples\nFrom: a@b\n", b""],
)  # fmt: skip
def test_what_is_no_emlx_does_not_sniff_as_one(head):
    assert not looks_like_emlx(head)


# -- the real files -------------------------------------------------------------------------
# damaged after capture: the byte count runs past the end of the file and no plist follows
TRUNCATED = {
    "kigster--search-emlx-mailbox/spec/fixtures/763983.emlx",
    "kigster--search-emlx-mailbox/spec/fixtures/763983-badtime.emlx",
    "kigster--search-emlx-mailbox/spec/fixtures/folder/dir1/763933.emlx",
    "kigster--search-emlx-mailbox/spec/fixtures/folder/dir2/763932.emlx",
    "terhechte--emlx/tests/emails/broken1.emlx",
}
NOT_EMLX = "qqilihq--partial-emlx-converter/test/__testdata/skip-emlx/invalid.emlx"
NO_BYTE_COUNT = "terhechte--emlx/tests/emails/broken2.emlx"  # plaintext.emlx's, count line lost


@pytest.fixture(scope="module")
def samples(corpora) -> Path:
    return corpora / "emlx-samples"


@pytest.fixture(scope="module")
def manifest(samples) -> dict[str, dict[str, str]]:
    return manifest_rows(samples)


def test_every_real_file_is_listed_and_sorted_into_read_or_quarantined(samples, manifest):
    found = {p.relative_to(samples).as_posix() for p in samples.rglob("*.emlx")}
    assert found == set(manifest) and len(found) == 21
    assert TRUNCATED | {NOT_EMLX, NO_BYTE_COUNT} <= found


def _readable(manifest) -> list[str]:
    return sorted(set(manifest) - TRUNCATED - {NOT_EMLX})


def test_each_readable_real_file_reads_with_the_manifests_counts(samples, manifest):
    readable = _readable(manifest)
    assert len(readable) == 15
    for name in readable:
        data = (samples / name).read_bytes()
        read = read_emlx(data)
        parsed = email.message_from_bytes(read.message)
        row = manifest[name]
        if name == NO_BYTE_COUNT:  # the manifest counts nothing in it: it is plaintext.emlx's
            row = {"Received": "0", "Message-ID": "yes", "partial": "no"}
        else:
            assert looks_like_emlx(data[:4096]), name
        assert len(parsed.get_all("Received") or []) == int(row["Received"]), name
        assert (parsed["Message-ID"] is not None) == (row["Message-ID"] == "yes"), name
        assert read.partial == (row["partial"] == "yes") == name.endswith(".partial.emlx"), name
        assert parsed["From"] and parsed["Date"], name
        # 114895's closing boundary is one dash short (SOURCE.txt), as the file holds it
        broken_boundary = ["CloseBoundaryNotFoundDefect"] if "114895" in name else []
        assert [type(d).__name__ for d in parsed.defects] == broken_boundary, name
        old_style = "testEMLX" in name  # Mail 2's plist: flags, sender, subject, to
        assert (read.delivered is None) == old_style, name


def test_a_stale_count_reads_the_same_message_as_the_well_formed_copy(samples):
    """broken3.emlx is plaintext.emlx with the count 1497 for its 497 bytes."""
    folder_of = {"terhechte": "terhechte--emlx/tests/emails", "mikez": "mikez--emlx/tests"}
    broken = read_emlx((samples / folder_of["terhechte"] / "broken3.emlx").read_bytes())
    intact = read_emlx((samples / folder_of["mikez"] / "plaintext.emlx").read_bytes())
    assert broken == intact and len(intact.message) == 497


def test_each_truncated_real_file_is_a_one_line_reason(samples, manifest):
    for name in sorted(TRUNCATED):
        data = (samples / name).read_bytes()
        assert looks_like_emlx(data[:4096]), name
        with pytest.raises(ContainerProblem) as problem:
            read_emlx(data)
        assert problem.value.code == QuarantineCode.UNREADABLE, name
        stated = int(manifest[name]["byte_count"])
        assert problem.value.reason.startswith(
            f"truncated Apple Mail message: the byte count says {stated:,} bytes"
        ), name
        assert "\n" not in problem.value.reason


def test_the_plain_text_file_does_not_sniff_as_emlx(samples):
    data = (samples / NOT_EMLX).read_bytes()
    assert not looks_like_emlx(data)
    with pytest.raises(ContainerProblem):
        read_emlx(data)


# -- the same rows as the .eml --------------------------------------------------------------
SOURCE_COLUMNS = {"source": "", "offset": "", "folder_role": None}  # where, not what


def _rows(raw: RawMessage) -> MessageRecord:
    record = extract_message(raw)
    assert isinstance(record, MessageRecord), record
    return record._replace(**SOURCE_COLUMNS)


def _as_eml(data: bytes, byte_count_matches: bool) -> bytes:
    """The message as a user saves it from Mail (``.eml``), cut from the file by hand:
    after line 1, up to the byte count, or for a stale count up to the plist."""
    rest = data.partition(b"\n")[2]
    return rest[: int(data.partition(b"\n")[0])] if byte_count_matches else rest.split(b"<?xml")[0]


def _emlx_rows(path: Path, read: EmlxMessage) -> MessageRecord:
    """The raw message as a reader of emlx files hands it on: delivered, like IMAP's date."""
    return _rows(RawMessage(str(path.parent), str(path), read.message, delivered=read.delivered))


def test_an_emlx_gives_the_rows_of_its_eml(tmp_path):
    for number, message in enumerate([MESSAGE, PARTIAL]):
        path = tmp_path / "INBOX.mbox" / "Messages" / f"{number}.emlx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(emlx(message))
        eml = tmp_path / "saved" / f"{number}.eml"
        eml.parent.mkdir(exist_ok=True)
        eml.write_bytes(message)
        from_eml = _rows(RawMessage(str(eml.parent), str(eml), eml.read_bytes()))
        assert _emlx_rows(path, read_emlx(path.read_bytes())) == from_eml


def test_a_message_without_a_date_takes_mails_date_received():
    """The one row that differs from the .eml's: Mail knows when it arrived (as IMAP's
    INTERNALDATE does), the .eml does not."""
    undated = b"From: alice@example.org\nTo: bob@example.net\nSubject: x\n\nHi\n"
    read = read_emlx(emlx(undated))
    assert _emlx_rows(Path("/m/INBOX.mbox/1.emlx"), read).date_utc == RECEIVED
    assert extract_message(RawMessage("/m", "/m/1.eml", undated)).date_utc is None


def test_each_readable_real_emlx_gives_the_rows_of_its_eml(samples, manifest):
    compared = 0
    for name in _readable(manifest):
        if name == NO_BYTE_COUNT:
            continue
        data = (samples / name).read_bytes()
        eml = _as_eml(data, manifest[name]["byte_count_matches"] == "yes")
        from_eml = _rows(RawMessage("/saved", f"/saved/{Path(name).stem}.eml", eml))
        assert _emlx_rows(samples / name, read_emlx(data)) == from_eml, name
        compared += 1
    assert compared == 14
