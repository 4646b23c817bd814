"""Outlook ``.msg`` files, read for real: the 26 public samples of the corpora's
msg-samples set (received, sent, signed, ANSI and Unicode, fuzzed), copies of them cut
or changed here, and real signed and encrypted ``.eml`` files turned into what Outlook
keeps of them (transport headers and attachments).

The referee for a message's rows is its ``.eml`` form, built here without mxa's reader:
the transport-header stream read with olefile, the signed entity Outlook stored as an
attachment, the S/MIME and PGP/MIME bodies of the real ``.eml`` files.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import random
import struct
import sys
import tempfile
from pathlib import Path

import pytest

from analyzer.extract import extract_message
from analyzer.extract.headers import header_block_end
from analyzer.records import MessageRecord, RawMessage
from analyzer.sources.container import ContainerProblem
from analyzer.sources.outlook_mime import OutlookAttachment, rfc822_from_outlook
from analyzer.sources.outlook_msg import is_outlook_message, read_msg
from analyzer.vocabulary import QuarantineCode
from tests.real_mail import manifest_rows

olefile = pytest.importorskip("olefile", reason="olefile (with the outlook extra) is not installed")
pytest.importorskip("extract_msg", reason="extract-msg (the outlook extra) is not installed")

POI = "apache--poi/test-data/hsmf/"
SIGNED = POI + "logsat.com_signatures_valid.msg"
UNICODE, ANSI = POI + "example_received_unicode.msg", POI + "example_received_regular.msg"
# a fuzzed copy of ANSI whose directory extract-msg reads only when told to tolerate it
FUZZED_WITH_HEADERS = POI + "clusterfuzz-testcase-minimized-POIHSMFFuzzer-5336473854148608.msg"
FUZZED_WITHOUT_HEADERS = POI + "clusterfuzz-testcase-minimized-POIHSMFFuzzer-4735011465854976.msg"
RTF_WITH_OLE_OBJECT = (
    "aspose-email--Aspose.Email-for-.NET/Examples/Data/Email/MSG file with RTF Formatting.msg"
)
WORD_FILE = (
    "emlx-samples/qqilihq--partial-emlx-converter/test/__testdata/input/Attachments/"
    "114892/2.4/original.doc"
)
EXCHANGE_PREAMBLE = b"Microsoft Mail Internet Headers Version 2.0"
TRANSPORT_HEADER_STREAMS = (
    ("__substg1.0_007D001F", "utf-16-le"),
    ("__substg1.0_007D001E", "ascii"),
)
SOURCE_COLUMNS = {"source": "", "offset": "", "size": 0}  # size: Outlook keeps no wire size


@pytest.fixture(scope="module")
def samples(corpora) -> Path:
    return corpora / "msg-samples"


@pytest.fixture(scope="module")
def manifest(samples) -> dict[str, dict[str, str]]:
    return manifest_rows(samples)


def has_headers(row: dict[str, str]) -> bool:
    return row["transport_headers"] == "yes"


def record_of(data: bytes, name: str = "x.msg") -> MessageRecord:
    record = extract_message(RawMessage("source", name, data))
    assert isinstance(record, MessageRecord), record
    return record


def envelope(record: MessageRecord) -> MessageRecord:
    """A record without the columns that say where it was read from."""
    return record._replace(**SOURCE_COLUMNS)


def raw_transport_headers(path: Path) -> bytes | None:
    """PR_TRANSPORT_MESSAGE_HEADERS as olefile reads the stream (not extract-msg, not mxa),
    as a header block: Unicode or ANSI (ASCII in every sample), trailing NULs and the
    Exchange line that never crossed the wire left out."""
    with olefile.OleFileIO(str(path)) as ole:
        for stream, encoding in TRANSPORT_HEADER_STREAMS:
            if ole.exists(stream):
                text = ole.openstream(stream).read().decode(encoding).rstrip("\x00")
                block = text.encode().removeprefix(EXCHANGE_PREAMBLE + b"\r\n")
                return block.rstrip(b"\r\n") + b"\r\n"
    return None


def signed_entity(path: Path) -> bytes:
    """The one attachment of a clear-signed message: the signed MIME entity."""
    with olefile.OleFileIO(str(path)) as ole:
        return ole.openstream("__attach_version1.0_#00000000/__substg1.0_37010102").read()


# -- the real .msg files ----------------------------------------------------------------


def test_every_message_with_transport_headers_reads_with_the_manifests_counts(samples, manifest):
    with_headers = {name: row for name, row in manifest.items() if has_headers(row)}
    assert len(manifest) == 26 and len(with_headers) == 20
    for name, row in with_headers.items():
        record = record_of(read_msg(samples / name), name)
        assert record.n_received == int(row["Received"]), name
        assert (record.message_id is not None) == (row["Message-ID"] == "yes"), name
        assert record.defects == (), name


def test_the_same_message_as_eml_gives_the_same_record(samples, manifest):
    """The .eml form: the raw transport-header stream, and for the signed message the
    body of the entity Outlook stored (the others' bodies hold no crypto)."""
    for name, row in manifest.items():
        if not has_headers(row):
            continue
        path = samples / name
        body = b""
        if name == SIGNED:
            entity = signed_entity(path)
            body = entity[header_block_end(entity)[1] :]
        eml = raw_transport_headers(path) + b"\r\n" + body
        assert envelope(record_of(read_msg(path), name)) == envelope(record_of(eml)), name


def test_the_ansi_and_unicode_copies_of_a_message_give_the_same_record(samples):
    assert read_msg(samples / UNICODE) == read_msg(samples / ANSI)
    unicode, ansi = record_of(read_msg(samples / UNICODE)), record_of(read_msg(samples / ANSI))
    assert envelope(unicode) == envelope(ansi)


def test_the_cyrillic_ansi_message_reads_in_its_code_page(samples):
    record = record_of(read_msg(samples / POI / "cyrillic_message.msg"))
    assert record.from_addr == "no-reply@niips.ru" and record.n_received == 7


def test_an_smime_signed_message_is_classified_with_its_signer(samples):
    record = record_of(read_msg(samples / SIGNED))
    assert record.encryption == "smime_signed"
    signers = [key for key in record.keys if key.kind == "smime-signer"]
    assert [key.addresses for key in signers] == [("roberto@logsat.com",)]


def test_a_fuzzed_file_whose_header_stream_survives_is_read(samples):
    """Decided: extract-msg reads past the damaged directory entry when told to
    (ErrorBehavior.OLE_DEFECT_INCORRECT); the transport headers, all that is analysed,
    are intact (the same message as the ANSI sample)."""
    fuzzed = envelope(record_of(read_msg(samples / FUZZED_WITH_HEADERS)))
    assert fuzzed == envelope(record_of(read_msg(samples / ANSI)))


def test_items_without_transport_headers_are_one_line_reasons(samples, manifest):
    without = [name for name, row in manifest.items() if not has_headers(row)]
    assert len(without) == 6
    assert {FUZZED_WITHOUT_HEADERS, RTF_WITH_OLE_OBJECT} <= set(without)  # two of the broken three
    for name in without:
        with pytest.raises(ContainerProblem) as problem:
            read_msg(samples / name)
        assert problem.value.code == QuarantineCode.NO_TRANSPORT_HEADERS, name
        assert "without transport headers" in problem.value.reason
        assert "\n" not in problem.value.reason


def test_every_real_msg_file_is_recognised_by_its_content(samples, manifest, tmp_path):
    for name in manifest:
        copy = tmp_path / "renamed.bin"  # not by the extension
        copy.write_bytes((samples / name).read_bytes())
        assert is_outlook_message(copy), name


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.names.append(record.name)


@pytest.fixture
def root_log():
    """What reaches the root logger, as an application that sets up logging (Dask's
    workers do) would print it."""
    root, collected = logging.getLogger(), Collected()
    level = root.level
    root.addHandler(collected), root.setLevel(logging.DEBUG)
    yield collected
    root.removeHandler(collected), root.setLevel(level)


def test_reading_is_silent_and_writes_nothing(
    samples, manifest, tmp_path, monkeypatch, capfd, root_log
):
    """extract-msg logs what it reads past (a missing code page property, unknown property
    types): none of it reaches mxa's output, and no file is written anywhere."""
    work, temporary = tmp_path / "work", tmp_path / "tmp"
    work.mkdir(), temporary.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    for name in manifest:
        with contextlib.suppress(ContainerProblem):
            read_msg(samples / name)
    assert [name for name in root_log.names if name.startswith("extract_msg")] == []
    assert capfd.readouterr() == ("", "")
    assert list(work.iterdir()) == [] and list(temporary.iterdir()) == []


# -- what is no readable .msg -----------------------------------------------------------


def unreadable_reason(path: Path) -> str:
    with pytest.raises(ContainerProblem) as problem:
        read_msg(path)
    assert problem.value.code == QuarantineCode.UNREADABLE
    assert "\n" not in problem.value.reason and len(problem.value.reason) <= 200
    return problem.value.reason


@pytest.mark.parametrize("keep", [100, 512, 4096])
def test_a_truncated_copy_is_unreadable_with_the_librarys_reason(samples, tmp_path, keep):
    cut = tmp_path / "cut.msg"
    cut.write_bytes((samples / UNICODE).read_bytes()[:keep])
    assert unreadable_reason(cut)


def test_random_bytes_and_an_eml_named_msg_are_not_outlook_messages(samples, tmp_path):
    noise, eml = tmp_path / "noise.msg", tmp_path / "mail.msg"
    noise.write_bytes(random.Random(26).randbytes(6000))
    eml.write_bytes(raw_transport_headers(samples / UNICODE) + b"\r\nHello\r\n")
    for path in (noise, eml):
        assert not is_outlook_message(path)
        assert "not an OLE2 structured storage file" in unreadable_reason(path)


def test_a_word_file_is_ole2_but_no_outlook_message(corpora, tmp_path):
    word = corpora / WORD_FILE
    if not word.is_file():
        pytest.skip(f"real mail not found: no Word file at {word}")
    copy = tmp_path / "report.msg"
    copy.write_bytes(word.read_bytes())
    assert copy.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
    assert not is_outlook_message(copy)
    assert "without Outlook's message properties" in unreadable_reason(copy)


def test_damaged_copies_never_raise_a_library_error(samples, tmp_path):
    """Bytes changed and files cut at random: each copy reads, or is a ContainerProblem."""
    rng = random.Random(2026)
    originals = [samples / UNICODE, samples / SIGNED, samples / POI / "cyrillic_message.msg"]
    codes = set()
    for attempt in range(150):
        data = bytearray(rng.choice(originals).read_bytes())
        for _ in range(rng.choice((1, 8, 64))):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if attempt % 3 == 0:
            data = data[: rng.randrange(len(data))]
        damaged = tmp_path / f"{attempt}.msg"
        damaged.write_bytes(bytes(data))
        is_outlook_message(damaged)
        try:
            read_msg(damaged)
            codes.add("read")
        except ContainerProblem as problem:
            assert "\n" not in problem.reason
            codes.add(problem.code)
    assert {"read", QuarantineCode.UNREADABLE} <= codes


# -- the rebuild, from real signed and encrypted mail -----------------------------------

CRYPTO = {
    "signed": "crypto-autocrypt-protected-headers/smime-multipart-signed.eml",
    "opaque_encrypted": "crypto-thunderbird/mail/test/browser/smime/data/alice.env.eml",
    "signed_in_mixed": "crypto-thunderbird/mail/test/browser/smime/data/"
    "alice.dsig.SHA256.multipart.in.mixed.eml",
    "outlook_2010": "crypto-bouncycastle-smime/mail/src/test/resources/org/bouncycastle/mail/"
    "smime/test/outlook_2010_beta_sime_msg.eml",
    "pgp_mime": "crypto-thunderbird/mail/test/browser/openpgp/data/eml/"
    "signed-by-0xfbfcc82a015e7330-encrypted-to-0xf231550c4f47e38e.eml",
}


def split_eml(data: bytes) -> tuple[str, bytes]:
    header_end, body_start = header_block_end(data)
    return data[:header_end].decode("utf-8", "surrogateescape"), data[body_start:]


def test_no_transport_headers_is_a_reason_not_a_message():
    for empty in ("", "\x00", "\r\n\r\n", "Microsoft Mail Internet Headers Version 2.0\r\n"):
        with pytest.raises(ContainerProblem) as problem:
            rfc822_from_outlook(empty, "IPM.Note", [])
        assert problem.value.code == QuarantineCode.NO_TRANSPORT_HEADERS


def test_a_multipart_boundary_the_body_lacks_invents_no_defect():
    headers = (
        "Received: from a.example by b.example; Mon, 1 Jun 2020 10:00:00 +0000\r\n"
        "From: a@a.example\r\nMessage-ID: <1@a.example>\r\n"
        'Content-Type: multipart/alternative; boundary="gone"\r\n'
    )
    for attachments in ([], [OutlookAttachment("a.gif", "image/gif", b"GIF89a")]):
        record = record_of(rfc822_from_outlook(headers, "IPM.Note", attachments))
        assert record.defects == () and record.encryption == "plaintext"
        assert record.content_type == "multipart/alternative" and record.n_received == 1


def test_a_clear_signed_entity_stored_under_another_boundary_keeps_its_signer(corpora):
    """Outlook's copy of the signed entity may carry its own boundary: the body is put
    under the one the transport headers name."""
    eml = (corpora / CRYPTO["signed"]).read_bytes()
    headers, body = split_eml(eml)
    boundary = record_content_boundary(headers)
    entity = (
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature";'
        b' micalg=sha-256; boundary="outlook-own"\r\n\r\n'
        + body.replace(b"--" + boundary.encode(), b"--outlook-own")
    )
    stored = [OutlookAttachment(None, "multipart/signed", entity)]
    rebuilt = rfc822_from_outlook(headers, "IPM.Note.SMIME.MultipartSigned", stored)
    assert envelope(record_of(rebuilt)) == envelope(record_of(eml))
    assert record_of(rebuilt).encryption == "smime_signed" and record_of(rebuilt).keys


def record_content_boundary(headers: str) -> str:
    from analyzer.extract.encryption import parse_content_type

    record = extract_message(RawMessage("s", "o", headers.encode() + b"\n"))
    assert record.content_type == "multipart/signed"
    content_type = next(
        line for line in headers.replace("\n ", " ").replace("\n\t", " ").splitlines()
        if line.lower().startswith("content-type:")
    )  # fmt: skip
    return parse_content_type(content_type.partition(":")[2])[1]["boundary"]


@pytest.mark.parametrize("name", ["opaque_encrypted", "outlook_2010"])
def test_an_opaque_smime_message_is_rebuilt_from_the_der_outlook_keeps(corpora, name):
    eml = (corpora / CRYPTO[name]).read_bytes()
    headers, body = split_eml(eml)
    der = base64.b64decode(b"".join(body.split()))
    stored = [OutlookAttachment("smime.p7m", "application/pkcs7-mime", der)]
    rebuilt = record_of(rfc822_from_outlook(headers, "IPM.Note.SMIME", stored))
    assert rebuilt.encryption == "smime_encrypted" and rebuilt.keys
    assert envelope(rebuilt) == envelope(record_of(eml))


def test_pgp_mime_flattened_into_attachments_keeps_its_key_ids(corpora):
    eml = (corpora / CRYPTO["pgp_mime"]).read_bytes()
    headers, body = split_eml(eml)
    armour = body[body.index(b"-----BEGIN PGP MESSAGE-----") :]
    armour = armour[: armour.index(b"-----END PGP MESSAGE-----") + 25] + b"\n"
    stored = [
        OutlookAttachment(
            "PGPMIME Versions Identification", "application/pgp-encrypted", b"Version: 1\r\n"
        ),
        OutlookAttachment("encrypted.asc", "application/octet-stream", armour),
    ]
    rebuilt = record_of(rfc822_from_outlook(headers, "IPM.Note", stored))
    assert rebuilt.encryption == "pgp_encrypted" and rebuilt.keys
    assert envelope(rebuilt) == envelope(record_of(eml))


def test_pgp_mime_that_exchange_turned_into_multipart_mixed_is_still_encrypted():
    headers = 'From: a@a.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n'
    stored = [
        OutlookAttachment(None, "application/pgp-encrypted", b"Version: 1\r\n"),
        OutlookAttachment(
            "encrypted.asc",
            "application/octet-stream",
            b"-----BEGIN PGP MESSAGE-----\r\n\r\nwcBM\r\n-----END PGP MESSAGE-----\r\n",
        ),
    ]
    rebuilt = record_of(rfc822_from_outlook(headers, "IPM.Note", stored))
    assert rebuilt.encryption == "pgp_encrypted"


def test_exchanges_header_line_and_trailing_nuls_are_not_the_message():
    headers = (
        "Microsoft Mail Internet Headers Version 2.0\r\n"
        "From: a@a.example\r\nSubject: hi\r\n\r\n\x00"
    )
    rebuilt = rfc822_from_outlook(headers, "IPM.Note", [])
    assert rebuilt == b"From: a@a.example\r\nSubject: hi\r\n\r\n"
    assert record_of(rebuilt).defects == ()


def test_a_signed_entity_kept_whole_leads_a_multipart_body_as_it_did_on_the_wire(corpora):
    """A list wraps a signed post in multipart/mixed with its footer after it: Outlook's
    copy of the signed entity is the first part, not a text body."""
    eml = (corpora / CRYPTO["signed_in_mixed"]).read_bytes()
    headers, body = split_eml(eml)
    delimiter = b"--============MIXEDBOUNDARY=="
    signed_part, footer = body.split(delimiter)[1:3]
    stored = [
        OutlookAttachment("footer.txt", "text/plain", footer.strip()),
        OutlookAttachment(None, "multipart/signed", signed_part.lstrip(b"\r\n")),
    ]
    rebuilt = record_of(rfc822_from_outlook(headers, "IPM.Note", stored))
    assert rebuilt.encryption == "smime_signed" and rebuilt.keys
    assert envelope(rebuilt) == envelope(record_of(eml))


# -- .msg files made here (extract-msg's own OLE writer) ------------------------------


def made_msg(
    path: Path,
    headers: bytes | None,
    message_class: str = "IPM.Note",
    attachments: tuple[OutlookAttachment, ...] = (),
    code_page: int | None = None,
) -> Path:
    """An .msg as Outlook lays one out: Unicode strings (UTF-16LE, type 001F), or with
    ``code_page`` 8-bit ones (001E) in that code page (PR_MESSAGE_CODEPAGE)."""
    from extract_msg.ole_writer import OleWriter

    def string(name: str, value: str) -> tuple[str, bytes]:
        if code_page is None:
            return name + "001F", value.encode("utf-16-le")
        known = code_page in (1251, 1252)
        return name + "001E", value.encode(f"cp{code_page}" if known else "cp1252")

    writer = OleWriter()
    properties = bytes(32)  # the top-level header: no counts needed for these streams
    if code_page is not None:
        properties += struct.pack("<IIq", 0x3FFD0003, 2, code_page)
    writer.addEntry("__properties_version1.0", properties)
    writer.addEntry(*string("__substg1.0_001A", message_class))
    if headers is not None:
        if code_page is None:
            writer.addEntry("__substg1.0_007D001F", headers.decode().encode("utf-16-le"))
        else:
            writer.addEntry("__substg1.0_007D001E", headers)
    for number, attachment in enumerate(attachments):
        storage = f"__attach_version1.0_#{number:08X}/"
        writer.addEntry(storage + "__properties_version1.0", bytes(8))
        if attachment.name:
            writer.addEntry(*string(storage + "__substg1.0_3707", attachment.name))
        if attachment.mime_tag:
            writer.addEntry(*string(storage + "__substg1.0_370E", attachment.mime_tag))
        if attachment.data is not None:
            writer.addEntry(storage + "__substg1.0_37010102", attachment.data)
    writer.write(path)
    return path


def test_a_pgp_mime_message_outlook_flattened_reads_like_its_eml(corpora, tmp_path):
    eml = (corpora / CRYPTO["pgp_mime"]).read_bytes()
    header_end, _ = header_block_end(eml)
    armour = eml[eml.index(b"-----BEGIN PGP MESSAGE-----") :]
    armour = armour[: armour.index(b"-----END PGP MESSAGE-----") + 25] + b"\r\n"
    stored = (
        OutlookAttachment(None, "application/pgp-encrypted", b"Version: 1\r\n"),
        OutlookAttachment("encrypted.asc", "application/octet-stream", armour),
        OutlookAttachment("holiday.jpg", "image/jpeg", b"\xff\xd8" + bytes(5000)),
    )
    path = made_msg(tmp_path / "pgp.msg", eml[:header_end], attachments=stored)
    assert is_outlook_message(path)
    rebuilt = record_of(read_msg(path))
    assert rebuilt.encryption == "pgp_encrypted" and rebuilt.keys
    assert envelope(rebuilt) == envelope(record_of(eml))


def test_an_opaque_smime_msg_reads_like_its_eml(corpora, tmp_path):
    eml = (corpora / CRYPTO["outlook_2010"]).read_bytes()
    header_end, body_start = header_block_end(eml)
    der = base64.b64decode(b"".join(eml[body_start:].split()))
    stored = (OutlookAttachment("smime.p7m", "application/pkcs7-mime", der),)
    path = made_msg(tmp_path / "p7m.msg", eml[:header_end], "IPM.Note.SMIME", stored, 1252)
    rebuilt = record_of(read_msg(path))
    assert rebuilt.encryption == "smime_encrypted" and rebuilt.keys
    assert envelope(rebuilt) == envelope(record_of(eml))


def test_8bit_headers_read_in_the_messages_code_page(tmp_path):
    headers = "From: a@a.example\r\nSubject: Привет\r\n".encode("cp1251")
    path = made_msg(tmp_path / "ru.msg", headers, code_page=1251)
    assert record_of(read_msg(path)).subject == "Привет"


def test_a_code_page_python_does_not_know_costs_characters_not_the_message(tmp_path):
    headers = b"From: a@a.example\r\nMessage-ID: <1@a.example>\r\nSubject: \xe9t\xe9\r\n"
    path = made_msg(tmp_path / "odd.msg", headers, code_page=9999)
    record = record_of(read_msg(path))
    assert record.message_id == "1@a.example" and record.subject == "été"  # Windows-1252


def test_an_item_that_is_no_message_names_its_class(tmp_path):
    path = made_msg(tmp_path / "contact.msg", None, "IPM.Contact")
    with pytest.raises(ContainerProblem) as problem:
        read_msg(path)
    assert problem.value.code == QuarantineCode.NO_TRANSPORT_HEADERS
    assert "IPM.Contact" in problem.value.reason


def test_a_damaged_unicode_string_is_still_a_header_block():
    rebuilt = rfc822_from_outlook("From: a@a.example\r\nSubject: \ud800 \udce9\r\n", None, [])
    assert record_of(rebuilt).from_addr == "a@a.example"


def test_without_the_outlook_extra_a_msg_is_a_reason_to_install_it(samples, monkeypatch):
    from analyzer.sources import outlook_msg

    monkeypatch.setitem(sys.modules, "extract_msg", None)  # import extract_msg: ImportError
    monkeypatch.setitem(sys.modules, "olefile", None)
    outlook_msg._imported_extract_msg.cache_clear()
    try:
        assert is_outlook_message(samples / UNICODE)
        with pytest.raises(ContainerProblem) as problem:
            read_msg(samples / UNICODE)
        assert problem.value.code == QuarantineCode.UNREADABLE
        assert "pip install 'mxa[outlook]'" in problem.value.reason
    finally:
        outlook_msg._imported_extract_msg.cache_clear()


def test_a_msg_whose_ole_structure_is_cut_is_still_known_by_its_stream_names(samples, tmp_path):
    """Cut where olefile can no longer open it, a .msg is a damaged message (quarantined
    with the reason), not another file skipped as no mail."""
    data = (samples / UNICODE).read_bytes()
    directory_at = data.index("__properties_version1.0".encode("utf-16-le"))
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: directory_at + 100])
    with pytest.raises(OSError):
        olefile.OleFileIO(str(cut))
    assert is_outlook_message(cut)
    assert unreadable_reason(cut)
