"""Every real-world corpus set the tests read, against an independent standard-library count.

The standard library is the referee: mailbox.mbox for mbox files, email's parser for
one-message files. Where mxa must disagree, the case is pinned below with its reason.
A list archive may be stored as .xz, which mxa reads directly; the referee reads a
decompressed copy. The corpora live beside the repository (tests/real_mail.py).
"""

from __future__ import annotations

import email
import email.utils
import lzma
import mailbox
from pathlib import Path

import pytest

from analyzer import ingest, read_frame
from tests.real_mail import SWEPT_SETS

SETS = list(SWEPT_SETS)
# Folders holding one mbox each (plain, or .xz).
SIX_MBOX_ARCHIVES = [
    "list-linux-mips-1996-1999",
    "list-util-linux-2019-2021",
    "list-open-iscsi-2021-2022",
    "list-openipmi-2019-2020",
    "list-usb-storage-2021-2023",
    "crypto-real-world-lists",
]

# Where mxa and the standard library must count differently, and why.
PINNED_MBOX_COUNTS = {
    # "From time to time" opens a body line after an empty line: prose, not a separator.
    # mailbox.mbox splits on any line starting with "From ".
    "malformed-cpython-email/Lib/test/test_email/data/mailbox_01.mbox": (1, 2),
    # The file starts with a byte order mark, which mailbox.mbox does not skip, so it
    # misses the first separator; and it splits again at "From Russia with love".
    "odd-mimekit/UnitTests/TestData/mbox/unmunged.mbox.txt": (2, 3),
}
# One-message files the standard library cannot read but mxa can, and why.
PINNED_PARSED = {
    # A UTF-8 byte order mark before "From:" hides every header from email's parser.
    "odd-mimekit/UnitTests/TestData/messages/feedback-report.txt",
    # An Outlook .msg (OLE2) with no extension: mxa knows it by its bytes and reads the
    # transport headers Outlook kept; to email's parser it is binary, no header at all.
    "malformed-mail-parser/tests/mails/mail_outlook_1",
}


@pytest.fixture(scope="module")
def ingested(corpora, tmp_path_factory):
    results = {}
    for name in SETS:
        store = tmp_path_factory.mktemp(name)
        results[name] = (ingest([corpora / name], store, jobs=2), store)
    return results


def archive_in(folder: Path) -> Path:
    """The one mbox of a list-archive folder, whether stored plain or as .xz."""
    (path,) = [*folder.glob("*.mbox"), *folder.glob("*.mbox.xz")]
    return path


def plain_bytes(path: Path) -> bytes:
    return lzma.decompress(path.read_bytes()) if path.suffix == ".xz" else path.read_bytes()


@pytest.fixture(scope="module")
def stdlib_mbox(tmp_path_factory):
    """The standard library's view of an mbox file, decompressed first if need be."""
    folder = tmp_path_factory.mktemp("plain")

    def open_mbox(path: Path) -> mailbox.mbox:
        if path.suffix != ".xz":
            return mailbox.mbox(path)
        plain = folder / path.stem
        if not plain.exists():
            plain.write_bytes(plain_bytes(path))
        return mailbox.mbox(plain)

    return open_mbox


@pytest.mark.parametrize("name", SETS)
def test_every_message_is_parsed_or_quarantined(ingested, name):
    result, store = ingested[name]
    assert result.messages_read == result.parsed + result.quarantined > 0
    assert len(read_frame(store, "quarantine")) == result.quarantined
    stored = len(read_frame(store, "messages"))
    assert stored == result.parsed - result.duplicates


@pytest.mark.parametrize("name", SETS)
def test_message_counts_equal_the_standard_library(corpora, ingested, stdlib_mbox, name):
    result, store = ingested[name]
    per_file = result.messages_per_file
    # every .eml file of the set is read (the corpora README's own count)
    eml_files = {str(p) for p in (corpora / name).rglob("*.eml")}
    assert eml_files <= set(per_file)

    quarantined = set(read_frame(store, "quarantine")["offset"])
    for file, count in per_file.items():
        relative = str(Path(file).relative_to(corpora))
        path = Path(file)
        if path.suffix != ".eml" and plain_bytes(path).lstrip(b"\xef\xbb\xbf").startswith(b"From "):
            expected = len(stdlib_mbox(path))
            if relative in PINNED_MBOX_COUNTS:
                assert (count, expected) == PINNED_MBOX_COUNTS[relative]
            else:
                assert count == expected, relative
        else:
            assert count == 1
            has_headers = bool(email.message_from_bytes(path.read_bytes()).keys())
            parsed = file not in quarantined
            if relative in PINNED_PARSED:
                assert (parsed, has_headers) == (True, False)
            else:
                assert parsed == has_headers, relative


def stdlib_view(archive: mailbox.mbox) -> dict[int, tuple[str | None, int, int]]:
    """From address, Received count, To+Cc count per message, keyed by separator offset."""
    rows = {}
    for key, message in archive.items():
        start = archive._toc[key][0]  # the offset of the "From " line, as mxa records it
        senders = [a for _, a in email.utils.getaddresses(message.get_all("from", [])) if a]
        recipients = email.utils.getaddresses(message.get_all("to", []) + message.get_all("cc", []))
        rows[start] = (
            senders[0].lower() if senders else None,
            len(message.get_all("received", [])),
            sum(1 for _, a in recipients if a),
        )
    return rows


def test_six_mbox_archives_agree_with_an_independent_extraction(corpora, stdlib_mbox, tmp_path):
    paths = [archive_in(corpora / folder) for folder in SIX_MBOX_ARCHIVES]
    result = ingest(paths, tmp_path / "store", jobs=2)
    assert result.quarantined == 0
    messages = read_frame(tmp_path / "store", "messages")
    compared = agreeing = 0
    for path in paths:
        reference = stdlib_view(stdlib_mbox(path))
        assert result.messages_per_file[str(path)] == len(reference)
        ours = messages[messages["source"] == str(path)]
        for row in ours.itertuples():
            ours_view = (row.from_addr, row.n_received, row.n_to + row.n_cc)
            compared += 1
            agreeing += ours_view == reference[int(row.offset)]
    # a message in two archives is stored once, under the archive read first
    assert compared == result.messages_read - result.duplicates
    assert agreeing / compared >= 0.995, f"{agreeing}/{compared} agree"


def test_real_smime_and_pgp_list_posts_are_classified(corpora, ingested):
    _, store = ingested["crypto-real-world-lists"]
    manifest = (corpora / "crypto-real-world-lists" / "MANIFEST.tsv").read_text().splitlines()
    kinds = [line.split("\t")[4] for line in manifest[1:]]
    messages = read_frame(store, "messages")
    messages = messages.assign(position=messages["offset"].astype(int)).sort_values("position")
    expected = [kind.replace("-", "_").replace("pgp_signed", "pgp_signed") for kind in kinds]
    expected = [{"smime_signed": "smime_signed", "pgp_signed": "pgp_signed"}[k] for k in expected]
    assert list(messages["encryption"]) == expected


def test_thunderbird_smime_outer_layer_is_recognised(corpora, ingested):
    _, store = ingested["crypto-thunderbird"]
    messages = read_frame(store, "messages")
    checked = 0
    for row in messages.itertuples():
        name = Path(row.offset).name
        if "/smime/" not in row.offset or not name.startswith("alice."):
            continue
        # file names list the operations in order: the last one is the outer layer
        operations = [t for t in name.split(".") if t in ("env", "sig", "dsig")]
        outer = "smime_encrypted" if operations[-1] == "env" else "smime_signed"
        assert row.encryption == outer, name
        checked += 1
    assert checked >= 60


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("crypto-autocrypt-protected-headers/pgpmime-signed.eml", "pgp_signed"),
        ("crypto-autocrypt-protected-headers/pgpmime-sign+enc.eml", "pgp_encrypted"),
        ("crypto-autocrypt-protected-headers/smime-multipart-signed.eml", "smime_signed"),
        ("crypto-autocrypt-protected-headers/smime-sign+enc.eml", "smime_encrypted"),
        ("crypto-thunderbird/mail/test/browser/openpgp/data/eml/alice-signed.eml", "pgp_signed"),
        (
            "crypto-thunderbird/mail/test/browser/openpgp/data/eml/alice-broken-exchange.eml",
            "pgp_encrypted",
        ),
        (
            "crypto-thunderbird/mail/test/browser/openpgp/data/eml/signed-with-mailman-footer.eml",
            "pgp_signed",
        ),
        (
            "crypto-bouncycastle-smime/mail/src/test/resources/org/bouncycastle/mail/smime/test/"
            "dotnet_encrypted_mail.eml",
            "smime_encrypted",  # the header says signed-data; the DER says enveloped-data
        ),
    ],
)
def test_named_crypto_samples(corpora, file, expected):
    from analyzer.extract import extract_message
    from analyzer.records import RawMessage

    data = (corpora / file).read_bytes()
    assert extract_message(RawMessage("t", file, data)).encryption == expected


@pytest.mark.parametrize(
    "name",
    ["list-usb-storage-2021-2023", "malformed-mail-parser", "odd-notmuch", "bounces-sisimai"],
)
def test_the_whole_audit_runs_on_real_and_malformed_mail(corpora, tmp_path, name):
    from analyzer.audit import run_audit

    result = run_audit([corpora / name], tmp_path / "audit", jobs=1)
    findings = result.findings
    assert findings["input"]["messages_read"] == (
        findings["input"]["messages_parsed"] + findings["input"]["messages_quarantined"]
    )
    assert result.findings_path.exists()
    assert all(
        (tmp_path / "audit" / "graphs" / f"{n}.graphml").exists()
        for n in ("communication", "identities")
    )
