"""A folder as people's mail really lies about: Outlook's PST and MSG files, Apple Mail's
emlx, an mbox, an .eml, Thunderbird's indexes and Office documents, under names that do
not say what they are. It is read whole, each file by what its bytes say, and every file
is accounted for: read, skipped with a reason, or quarantined with one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer import ingest, read_frame
from analyzer.sources import discover_sources
from tests.conftest import make_message

TIKA = (
    "tika-parsers/tika-parsers-standard/tika-parsers-standard-modules/tika-parser-microsoft-module"
)
TIKA_DOCUMENTS = f"apache--tika/{TIKA}/src/test/resources/test-documents"
ASPOSE = "aspose-email--Aspose.Email-for-.NET/Examples/Data/Outlook"
PST = f"pst-samples/{TIKA_DOCUMENTS}/testPST.pst"
CORRUPT_PST = f"pst-samples/{ASPOSE}/AddingBulkMessagesWithImprovedPerformance.pst"
MSG = f"msg-samples/{TIKA_DOCUMENTS}/testMSG.msg"
MSG_WITHOUT_HEADERS = "msg-samples/apache--poi/test-data/hsmf/quick.msg"
EMLX = "emlx-samples/crb912--emlx_parse/test/sample/1.emlx"
TRUNCATED_EMLX = "emlx-samples/terhechte--emlx/tests/emails/broken1.emlx"
PARTIAL_EMLX = "emlx-samples/qqilihq--partial-emlx-converter/test/__testdata/input"
WORD = f"{PARTIAL_EMLX}/Attachments/114892/2.4/original.doc"
MORK = b'// <!-- <mdb:mork:z v="1.4"/> -->\n< <(a=c)> // (f=iso-8859-1)\n'


@pytest.fixture(scope="module")
def mixed(corpora, tmp_path_factory) -> Path:
    """Each file under a name that hides its kind (no extension, or a wrong one)."""
    folder = tmp_path_factory.mktemp("mixed")
    for name, relative in {
        "outlook-backup": PST, "old.pst": CORRUPT_PST, "saved-message": MSG,
        "draft.msg": MSG_WITHOUT_HEADERS, "12.emlx": EMLX,
        "cut.emlx": TRUNCATED_EMLX, "report.dat": WORD,
        # saved under the name of a plain message: read as what the bytes say
        "outlook.eml": MSG, "apple.eml": EMLX,
    }.items():  # fmt: skip
        shutil.copy(corpora / relative, folder / name)
    (folder / "cut.msg").write_bytes((corpora / MSG).read_bytes()[:3000])
    (folder / "Inbox").write_bytes(
        b"From a@example.org Mon Jan  1 00:00:00 2024\n"
        + make_message(message_id="<mbox@example.org>")
    )
    (folder / "Inbox.msf").write_bytes(MORK)
    (folder / "note.eml").write_bytes(make_message(message_id="<eml@example.org>"))
    (folder / "README").write_text("my mail, exported\n")
    return folder


@pytest.fixture(scope="module")
def read(mixed, tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "store"
    return ingest([mixed], store, jobs=2), store


def test_every_file_is_read_skipped_or_quarantined_with_its_reason(mixed, read):
    result, store = read
    quarantine = read_frame(store, "quarantine")
    messages = read_frame(store, "messages")
    skipped = {Path(s.path).name: s.reason for s in result.skipped_files}
    assert skipped == {
        "Inbox.msf": "a Thunderbird index (.msf), not mail",
        "report.dat": "an Office document (OLE2), not an Outlook message",
        "README": "not mail",
    }
    quarantined = dict(
        zip(quarantine["offset"].map(lambda o: Path(o).name), quarantine["code"], strict=True)
    )
    assert quarantined["old.pst"] == "unreadable"
    assert quarantined["draft.msg"] == "no-transport-headers"
    assert quarantined["cut.msg"] == "unreadable"
    assert quarantined["cut.emlx"] == "unreadable"
    read_files = {Path(name).name for name in result.messages_per_file}
    assert {"saved-message", "12.emlx", "note.eml", "outlook.eml", "apple.eml"} <= read_files
    assert any(s.startswith(str(mixed / "outlook-backup") + "/") for s in messages["source"])
    assert str(mixed / "Inbox") in set(messages["source"])
    accounted = set(skipped) | set(quarantined) | read_files
    assert accounted >= {p.name for p in mixed.iterdir()}
    assert all("\n" not in r and len(r) <= 300 for r in quarantine["reason"])


def test_each_file_is_known_by_its_bytes_not_its_name(mixed):
    files, _ = discover_sources([mixed])
    kinds = {file.path.name: file.kind for file in files}
    assert kinds == {
        "outlook-backup": "pst", "old.pst": "pst", "saved-message": "msg", "outlook.eml": "msg",
        "draft.msg": "msg", "cut.msg": "msg", "12.emlx": "emlx", "apple.eml": "emlx",
        "cut.emlx": "emlx", "Inbox": "mbox", "note.eml": "message",
    }  # fmt: skip


def test_each_kind_gives_its_messages(read):
    result, store = read
    messages = read_frame(store, "messages")
    by_id = set(messages["message_id"].dropna())
    assert {"mbox@example.org", "eml@example.org"} <= by_id
    # the PST's six items with transport headers, the .msg and the emlx (each twice: the
    # copies saved as .eml are duplicates), the mbox, the .eml
    assert (result.parsed, result.duplicates) == (6 + 2 + 2 + 1 + 1, 2)
    received = messages.set_index("message_id")["n_received"]
    # testMSG.msg: Gmail, Apache's qmail, Exchange; the emlx: 126.com
    assert received["510143ac0901291116s5f368dfby9d6423ce61acc36a@mail.gmail.com"] == 9
    assert received["23CC1A87-AE0C-4206-AAED-4FBED372F69E@163.com"] == 1
    assert not any(messages["defects"].map(len))  # no emlx byte count read as a header line
