"""Outlook's PST and OST files, read for real: the public samples in the corpora (an
Enron mailbox, an Exchange offline store, a French Office 365 mailbox, an ANSI PST, a
password-protected and a corrupt one) and copies of them cut or changed here.

Each test reads the files through ``ingest`` as a user's run does; the rows are compared
with those of the same messages as an mbox, written here from libpff's reading of the
file (not mxa's).
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import pandas as pd
import pypff
import pytest

from analyzer import ingest, read_frame
from analyzer.sources import discover_sources, outlook_pst
from analyzer.vocabulary import QuarantineCode
from tests.real_mail import manifest_rows

ENRON = "dmmd--OPF_Hack/src/test/resources/org/opf/enron_pst/slinger-r.pst"
OST = "aspose-email--Aspose.Email-for-.NET/Examples/Data/Outlook/SampleOstFile.ost"
PASSWORDED = "aspose-email--Aspose.Email-for-.NET/Examples/Data/Outlook/passwordprotectedPST.pst"
CORRUPT = (
    "aspose-email--Aspose.Email-for-.NET/Examples/Data/Outlook/"
    "AddingBulkMessagesWithImprovedPerformance.pst"
)
TIKA = (
    "apache--tika/tika-parsers/tika-parsers-standard/tika-parsers-standard-modules/"
    "tika-parser-microsoft-module/src/test/resources/test-documents/testPST.pst"
)
SOURCE_COLUMNS = ["source", "offset"]
# Outlook keeps no wire size: an item's is that of the message rebuilt from what it kept
# (the header block, and skeleton parts where the headers name a multipart body)
REBUILT_COLUMNS = ["size"]


@pytest.fixture(scope="module")
def samples(corpora) -> Path:
    return corpora / "pst-samples"


@pytest.fixture(scope="module")
def manifest(samples) -> dict[str, dict[str, str]]:
    return manifest_rows(samples)


def _frame(store: Path, name: str) -> pd.DataFrame:
    return read_frame(store, name)


# -- what libpff says the file holds, read here without mxa ---------------------------------
def _items(path: Path) -> list[tuple[str, str]]:
    """(folder path, transport headers) of every item, depth first."""
    opened = pypff.file()
    opened.open(str(path))
    found = []

    def walk(folder, name_path):
        for index in range(folder.number_of_sub_messages):
            found.append((name_path, folder.get_sub_message(index).transport_headers or ""))
        for index in range(folder.number_of_sub_folders):
            child = folder.get_sub_folder(index)
            walk(child, f"{name_path}/{child.name}".lstrip("/"))

    walk(opened.root_folder, "")
    opened.close()
    return found


def _as_mbox(path: Path, mbox: Path) -> int:
    """The file's mail with transport headers as an mbox, each message the header block
    Outlook kept; how many."""
    messages = [h.rstrip("\x00") for _, h in _items(path) if h.strip()]
    with open(mbox, "wb") as out:
        for headers in messages:
            block = headers.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")
            out.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n")
            out.write(block.encode() + b"\r\n\r\n\n")
    return len(messages)


# -- reading the samples ----------------------------------------------------------------------
def test_every_item_with_transport_headers_is_read_and_the_rest_accounted_for(
    samples, manifest, tmp_path
):
    result = ingest([samples], tmp_path / "store", jobs=2)
    expected = sum(
        int(row["with_transport_headers"])
        for row in manifest.values()
        if row["opens_with_libpff"] == "yes"
    )
    assert expected == 228
    assert result.parsed == expected
    quarantine = _frame(tmp_path / "store", "quarantine")
    corrupt = quarantine[quarantine["offset"].str.endswith(CORRUPT)]
    assert list(corrupt["code"]) == [QuarantineCode.UNREADABLE]
    assert "mismatch in file header checksum" in corrupt["reason"].iloc[0]
    assert "\n" not in "".join(quarantine["reason"])
    # mail without transport headers (the OST's sent items, a forward) is quarantined,
    # the OST's calendar items are counted as not mail: every item is accounted for
    items = sum(int(row["items"]) for row in manifest.values() if row["items"] != "-")
    assert result.items_not_mail > 0
    assert result.parsed + len(quarantine) - len(corrupt) + result.items_not_mail == items
    assert not any(Path(s.path).suffix in (".pst", ".ost") for s in result.skipped_files)


def test_a_passworded_pst_is_read_the_password_only_guards_outlooks_window(samples, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(samples / PASSWORDED, folder / "locked.pst")
    result = ingest([folder], tmp_path / "store", jobs=1)
    assert result.parsed == 17
    messages = _frame(tmp_path / "store", "messages")
    assert messages["source"].str.startswith(str(folder / "locked.pst") + "/").all()


def test_the_folder_path_is_the_source_and_sent_items_are_the_owners(samples, tmp_path):
    ingest([samples / ENRON], tmp_path / "store", jobs=1)
    messages = _frame(tmp_path / "store", "messages")
    folders = messages["source"].str.removeprefix(str(samples / ENRON) + "/")
    assert folders.value_counts().to_dict() == {
        "Top of Personal Folders/Deleted Items": 35,
        "Top of Personal Folders/Inbox": 49,
        "Top of Personal Folders/Sent Items": 48,
    }
    sent = messages[folders.str.endswith("Sent Items")]
    assert (sent["folder_role"] == "sent").all()
    assert messages[~folders.str.endswith("Sent Items")]["folder_role"].isna().all()
    assert messages["offset"].str.isdigit().all()  # the item's node id in the file


def test_a_pst_gives_the_same_rows_as_its_messages_in_an_mbox(samples, tmp_path):
    for name in (ENRON, TIKA):
        mbox = tmp_path / (Path(name).stem + ".mbox")
        count = _as_mbox(samples / name, mbox)
        ingest([samples / name], tmp_path / "from-pst", jobs=2)
        ingest([mbox], tmp_path / "from-mbox", jobs=2)
        assert count > 0
    for frame in ("messages", "participants", "hops", "keys"):
        rows = [
            _frame(tmp_path / store, frame)
            .drop(columns=SOURCE_COLUMNS + REBUILT_COLUMNS, errors="ignore")
            .sort_values("message_key", kind="stable")
            .reset_index(drop=True)
            for store in ("from-pst", "from-mbox")
        ]
        pd.testing.assert_frame_equal(rows[0], rows[1], obj=frame)


def test_a_pst_is_found_by_its_bytes_whatever_its_name(samples, tmp_path):
    (tmp_path / "backup.dat").write_bytes((samples / "emk--pstsdk/test/sample2.pst").read_bytes())
    files, skipped = discover_sources([tmp_path])
    assert [(f.kind, f.path.name) for f in files] == [("pst", "backup.dat")]
    assert not skipped


# -- again and again: unchanged, copied, changed, stopped ---------------------------------------
def test_an_unchanged_or_copied_pst_is_not_read_again_a_changed_one_is_replaced(samples, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    mailbox = folder / "mail.pst"
    shutil.copy(samples / TIKA, mailbox)
    store = tmp_path / "store"
    first = ingest([folder], store, jobs=1)
    assert first.parsed == 6
    again = ingest([folder], store, jobs=1)
    assert (again.files_unchanged, again.messages_read) == (1, 0)
    # a copy of the same bytes (another inode and time): the digest says it is the same
    mailbox.unlink()
    shutil.copy(samples / TIKA, mailbox)
    copied = ingest([folder], store, jobs=1)
    assert (copied.files_unchanged, copied.messages_read) == (1, 0)
    # Outlook rewrote it: now another mailbox under the same name, its rows replace all
    mailbox.unlink()
    shutil.copy(samples / ENRON, mailbox)
    changed = ingest([folder], store, jobs=1)
    assert changed.files_changed == 1 and changed.parsed == 132
    messages = _frame(store, "messages")
    assert len(messages) == 132
    assert not messages["subject"].str.contains("OpenNLP", na=False).any()


def test_a_pst_gone_from_the_folder_takes_its_rows_with_it(samples, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(samples / TIKA, folder / "old.pst")
    shutil.copy(samples / "emk--pstsdk/test/sample2.pst", folder / "kept.pst")
    store = tmp_path / "store"
    ingest([folder], store, jobs=1)
    (folder / "old.pst").unlink()
    gone = ingest([folder], store, jobs=1)
    assert gone.files_removed == 1
    sources = set(_frame(store, "messages")["source"]) | set(_frame(store, "quarantine")["source"])
    assert sources == {f"{folder / 'kept.pst'}/Top of Outlook data file/Sample2"}


class _Stop(Exception):
    pass


def test_a_stopped_run_goes_on_from_the_chunk_it_came_to(samples, tmp_path, monkeypatch):
    store, reference = tmp_path / "store", tmp_path / "reference"
    ingest([samples / ENRON], reference, jobs=1)
    monkeypatch.setenv("MXA_COMMIT_MESSAGES", "1")
    monkeypatch.setattr(outlook_pst, "CHUNK_ITEMS", 20)
    real_read = outlook_pst.read_chunk
    chunks_read = []

    def stops_at_the_fourth(chunk):
        if len(chunks_read) == 3:
            raise _Stop
        chunks_read.append(chunk)
        return real_read(chunk)

    workers = sys.modules["analyzer.ingest.workers"]
    monkeypatch.setattr(workers, "read_chunk", stops_at_the_fourth)
    with pytest.raises(_Stop):
        ingest([samples / ENRON], store, jobs=1)
    stored = sum(chunk.stop - chunk.start for chunk in chunks_read)
    assert stored == 55  # Deleted Items (35 items: chunks of 20 and 15), Inbox's first 20
    assert len(_frame(store, "messages")) == stored
    monkeypatch.setattr(workers, "read_chunk", real_read)
    resumed = ingest([samples / ENRON], store, jobs=1)
    assert resumed.files_resumed == 1 and resumed.parsed == 132 - stored
    expected, got = (
        _frame(where, "messages").sort_values("message_key").reset_index(drop=True)
        for where in (reference, store)
    )
    pd.testing.assert_frame_equal(got, expected)


def test_mxa_ingest_says_each_reason_once_with_how_many_items_it_holds(samples, tmp_path):
    from typer.testing import CliRunner

    from analyzer.cli import app

    shown = CliRunner().invoke(app, ["ingest", str(samples / OST), "--store", str(tmp_path / "s")])
    assert shown.exit_code == 0, shown.output
    quarantined = [line for line in shown.output.splitlines() if "  quarantined /" in line]
    # the offline store's 6 sent items and 9 sync-issue reports have no transport headers:
    # a line for each folder
    assert len(quarantined) == 2
    assert "/IPM_SUBTREE/Sent Items @ " in quarantined[0]
    assert "and 5 more like it: no-transport-headers" in quarantined[0]
    assert "/IPM_SUBTREE/Sync Issues @ " in quarantined[1]
    assert "and 8 more like it: no-transport-headers" in quarantined[1]
    assert "Outlook items not mail (calendar, contacts…) │ 5 " in shown.output
    assert "files skipped" not in shown.output  # the file itself was read


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fraction", [0.0005, 0.05, 0.5, 0.95, 0.99])
def test_a_cut_pst_gives_what_it_can_and_a_one_line_reason_for_the_rest(
    samples, tmp_path, fraction
):
    whole = (samples / ENRON).read_bytes()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "cut.pst").write_bytes(whole[: int(len(whole) * fraction)])
    (folder / "fine.eml").write_bytes(b"From: a@example.org\r\nMessage-ID: <1@x>\r\n\r\nhi\r\n")
    ingest([folder], tmp_path / "store", jobs=2)
    quarantine = _frame(tmp_path / "store", "quarantine")
    messages = _frame(tmp_path / "store", "messages")
    assert "fine.eml" in " ".join(messages["offset"])
    assert all("\n" not in reason and len(reason) <= 300 for reason in quarantine["reason"])
    from_pst = messages["source"].str.contains("cut.pst/").sum()
    if fraction < 0.95:  # libpff cannot open it: the file is one line
        assert from_pst == 0 and list(quarantine["code"]) == ["unreadable"]
        assert "not a readable Outlook data file" in quarantine["reason"].iloc[0]
    else:  # the items at the end are gone: their folder (Deleted Items) is said to be lost
        assert from_pst == 49 + 48
        lost = quarantine[quarantine["offset"] == "folder"]
        assert list(lost["source"].str.rpartition("/")[2]) == ["Deleted Items"]
        assert lost["reason"].iloc[0].startswith("unreadable Outlook folder: ")


@pytest.mark.parametrize("seed", range(3))
def test_a_damaged_pst_quarantines_the_items_it_cannot_read_and_reads_the_rest(
    samples, tmp_path, seed
):
    damaged = bytearray((samples / ENRON).read_bytes())
    rng = random.Random(seed)
    for _ in range(200):  # past the header, which libpff checks, a byte changed here and there
        damaged[rng.randrange(2048, len(damaged))] = rng.randrange(256)
    (tmp_path / "damaged.pst").write_bytes(bytes(damaged))
    result = ingest([tmp_path / "damaged.pst"], tmp_path / "store", jobs=2)
    quarantine = _frame(tmp_path / "store", "quarantine")
    assert result.messages_read == result.parsed + result.quarantined
    assert 100 < result.parsed < 132 and result.parsed + len(quarantine) == 132
    # an item the damage hit: unreadable, or left without its transport headers
    assert set(quarantine["code"]) <= {"unreadable", "no-transport-headers"}
    assert quarantine["reason"].str.startswith("unreadable Outlook item: ").any()
    assert all("\n" not in reason and len(reason) <= 300 for reason in quarantine["reason"])


def test_an_outlook_mailbox_whose_sent_items_have_no_headers_says_so(samples, tmp_path):
    """Exchange's offline store: its 6 sent items are quarantined (no transport headers),
    so nothing names the owner; the report says why, not only that nobody owns it."""
    from analyzer.audit import run_audit

    audit = run_audit([samples / OST], tmp_path / "audit", jobs=1)
    assert audit.analysis.inputs.sent_without_headers == 6
    report = (tmp_path / "audit" / "report.md").read_text()
    assert "Outlook kept no headers on the 6 messages of this mailbox's sent folder" in report
    assert "until you name yours with --me" in report
