"""Owners of real personal mailboxes (issue 24, item 7): sent mail by folder, the leading
address of the sent mail, and the people who send for the owner (delegates).

The Enron mailboxes (``personal-enron``, FIT owners only: horton-s and cash-m) have no
Delivered-To and no Gmail labels: only ``X-Folder`` says which mail was sent.
"""

from __future__ import annotations

import lzma
import shutil

import pyarrow.parquet as pq
import pytest

from analyzer.audit import analyze_store
from analyzer.extract import extract_message
from analyzer.extract.folders import folder_role, is_sent_folder
from analyzer.ingest import ingest
from analyzer.owner import detect_owner
from analyzer.records import RawMessage
from analyzer.report import build_report
from analyzer.report.render import render_html, render_markdown
from analyzer.sources.imap_client import all_folders
from analyzer.store import Store, load_frames
from tests.conftest import make_message
from tests.real_mail import FIT_ENRON_OWNERS


def _enron(corpora, owner: str, folder):
    """One FIT owner's mailbox, decompressed into a temporary folder (never the repo)."""
    assert owner in FIT_ENRON_OWNERS, f"{owner}'s mailbox is held out for the evaluation"
    packed = corpora / "personal-enron" / f"{owner}.mbox.xz"
    path = folder / f"{owner}.mbox"
    with lzma.open(packed) as source, path.open("wb") as target:
        shutil.copyfileobj(source, target)
    return path


@pytest.fixture(scope="module")
def horton(corpora, tmp_path_factory):
    folder = tmp_path_factory.mktemp("horton")
    ingest([_enron(corpora, "horton-s", folder)], folder / "store", jobs=1)
    return folder / "store"


def test_an_enron_owner_is_found_without_me_and_the_assistant_is_a_delegate(horton):
    """Stanley Horton's sent folders hold 120 messages his assistant Cindy Stark wrote."""
    owner = detect_owner(load_frames(horton))
    # his sent mail's addresses, and the other user names mail to him came through
    # (analyzer.owner_names): stan.horton@, shorton@, his EOTT address
    assert {"stanley.horton@enron.com", "horton@enron.com"} <= set(owner.identities)
    assert {"stan.horton@enron.com", "shorton@enron.com", "stan_horton@eott.com"} <= set(
        owner.identities
    )
    assert "cindy.stark@enron.com" not in owner.identities
    [delegate] = owner.delegates
    assert (delegate.address, delegate.messages) == ("cindy.stark@enron.com", 120)
    assert "another name" in delegate.how


def test_given_the_owners_address_the_assistant_is_still_a_delegate(horton):
    owner = detect_owner(load_frames(horton), ["stanley.horton@enron.com"])
    assert [d.address for d in owner.delegates] == ["cindy.stark@enron.com"]  # horton@: his


def test_findings_and_the_report_name_the_delegate_apart_from_the_owner(horton):
    read = analyze_store(horton)
    owner = read.findings["owner"]
    assert [d["address"] for d in owner["delegates"]] == ["cindy.stark@enron.com"]
    assert "cindy.stark@enron.com" not in owner["identities"]
    report = build_report(read.analysis)
    for text in (render_markdown(report, {}), render_html(report, {})):
        said = text[text.index("People who send for you") :][:300]
        assert "cindy.stark" in said and "120" in said


def test_an_assistant_writing_most_of_the_sent_mail_is_still_no_owner(corpora, tmp_path):
    """Michelle Cash's sent folders: her assistant Twanda Sweet sent 27; and where the
    assistant sends most, the owner is still the one the rest of the mail is addressed to."""
    store = tmp_path / "store"
    ingest([_enron(corpora, "cash-m", tmp_path)], store, jobs=1)
    owner = detect_owner(load_frames(store))
    # her own user names beside it (mcash@ect.enron.com: "Dear Ms. Cash"), not a Cash
    # relative's (trey.cash@, wcash@)
    assert owner.identities == (
        "mcash@ect.enron.com",
        "mcash@enron.com",
        "michelle.cash@enron.com",
        "michelle_cash@enron.com",
    )
    assert [d.address for d in owner.delegates] == ["twanda.sweet@enron.com"]


def _maildir_message(folder, name: str, data: bytes) -> None:
    for part in ("cur", "new", "tmp"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    (folder / "cur" / f"{name}:2,S").write_bytes(data)


def _boss_and_assistant(count_boss: int, count_assistant: int) -> list[bytes]:
    """Sent mail of jane@example.org, some of it written by her assistant, one message by
    a colleague; the inbox is addressed to jane."""
    mail = []
    for n in range(count_boss):
        mail.append(make_message(sender="Jane Roe <jane@example.org>", to=f"c{n}@example.net",
                                 message_id=f"<b{n}@example.org>"))  # fmt: skip
    for n in range(count_assistant):
        mail.append(make_message(sender="Sam Aide <sam@example.org>", to=f"c{n}@example.net",
                                 message_id=f"<a{n}@example.org>"))  # fmt: skip
    mail.append(make_message(sender="Colleague <pat@example.org>", message_id="<p@example.org>"))
    return mail


def _inbox(count: int) -> list[bytes]:
    return [
        make_message(sender=f"c{n}@example.net", to="Jane Roe <jane@example.org>",
                     message_id=f"<i{n}@example.net>")
        for n in range(count)
    ]  # fmt: skip


def test_a_maildir_sent_folder_names_its_owner(tmp_path):
    maildir = tmp_path / "Maildir"
    for n, data in enumerate(_inbox(5)):
        _maildir_message(maildir, f"in{n}", data)
    for n, data in enumerate(_boss_and_assistant(6, 3)):
        _maildir_message(maildir / ".Sent", f"out{n}", data)
    ingest([maildir], tmp_path / "store", jobs=1)
    owner = detect_owner(load_frames(tmp_path / "store"))
    assert owner.identities == ("jane@example.org",)
    assert [d.address for d in owner.delegates] == ["sam@example.org"]
    assert "pat@example.org" not in owner.identities


def test_an_mbox_named_sent_items_names_its_owner_even_when_the_assistant_sends_most(tmp_path):
    def mbox(path, messages):
        path.write_bytes(b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + m + b"\n"
                                  for m in messages))  # fmt: skip

    mbox(tmp_path / "Sent Items", _boss_and_assistant(2, 9))
    mbox(tmp_path / "Inbox", _inbox(6))
    ingest([tmp_path / "Sent Items", tmp_path / "Inbox"], tmp_path / "store", jobs=1)
    owner = detect_owner(load_frames(tmp_path / "store"))
    assert owner.identities == ("jane@example.org",)
    assert [(d.address, d.messages) for d in owner.delegates] == [("sam@example.org", 9)]


def test_the_sender_header_on_the_owners_sent_mail_names_a_delegate(tmp_path):
    mail = _boss_and_assistant(4, 0)
    mail.append(make_message(sender="Jane Roe <jane@example.org>", message_id="<s@example.org>",
                             extra="Sender: Sam Aide <sam@example.org>"))  # fmt: skip
    maildir = tmp_path / "Maildir"
    for n, data in enumerate(mail):
        _maildir_message(maildir / ".Sent", f"out{n}", data)
    ingest([maildir], tmp_path / "store", jobs=1)
    owner = detect_owner(load_frames(tmp_path / "store"))
    assert owner.identities == ("jane@example.org",)
    [delegate] = owner.delegates
    assert delegate.address == "sam@example.org" and "Sender header" in delegate.how


@pytest.mark.parametrize(
    "name",
    ["Sent", "sent", "_sent_mail", "sent_items", "Sent Items", "Sent Messages", "[Gmail]/Sent Mail",
     "INBOX.Sent", "\\Dasovich, Jeff\\Sent Items", "\\Horton, Stanley\\Deleted Items\\'Sent Mail",
     "Gesendete Objekte"],
)  # fmt: skip
def test_sent_folder_names(name):
    assert is_sent_folder(name)


@pytest.mark.parametrize("name", ["Inbox", "Deleted Items", "All documents", "sent-backup", ""])
def test_other_folder_names(name):
    assert not is_sent_folder(name)


def test_where_a_source_files_a_message():
    assert folder_role("/m/Maildir", "/m/Maildir/.Sent/cur/1:2,S", None) == "sent"
    assert folder_role("/m/Sent Messages.mbox/mbox", "0", None) == "sent"
    assert folder_role("imaps://me@host:993/Sent%20Items", "7:1", None) == "sent"
    assert folder_role("/m/Maildir", "/m/Maildir/cur/1:2,S", None) is None
    assert folder_role("/m/owner.mbox", "0", "\\Roe, Jane\\Sent Items") == "sent"


def test_a_store_made_before_folders_were_kept_still_loads_and_analyses(tmp_path):
    """An older store's messages have no folder_role column: it reads as null, and the
    analysis runs (Gmail's Sent label still names the owner)."""
    mail = _inbox(3) + [
        make_message(sender="Jane Roe <jane@example.org>", message_id=f"<g{n}@example.org>",
                     extra="X-Gmail-Labels: Sent")
        for n in range(3)
    ]  # fmt: skip
    (tmp_path / "mail.mbox").write_bytes(
        b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in mail)
    )
    store = tmp_path / "store"
    ingest([tmp_path / "mail.mbox"], store, jobs=1)
    for part in Store.open(store).parts("messages"):
        table = pq.read_table(part)
        pq.write_table(table.drop_columns(["folder_role"]), part)
    frames = load_frames(store)
    assert frames.messages["folder_role"].isna().all()
    assert detect_owner(frames).identities == ("jane@example.org",)
    assert analyze_store(store).analysis.owner.identities == ("jane@example.org",)


def test_an_imap_folder_the_server_marks_sent_is_sent_whatever_its_name():
    """RFC 6154's \\Sent special use, from the folder list, travels with each message."""

    class Server:
        def list_folders(self):
            return [
                ((b"\\HasNoChildren",), b"/", "INBOX"),
                ((b"\\HasNoChildren", b"\\Sent"), b"/", "Ausgang 2"),
                ((b"\\Noselect",), b"/", "Archiv"),
            ]

    names, sent = all_folders(Server())
    assert names == ["INBOX", "Ausgang 2"] and sent == {"Ausgang 2"}
    source = "imaps://me@host:993/Ausgang%202"
    marked = RawMessage(source, "1:1", make_message(), folder_role="sent")
    assert extract_message(marked.head(40)).folder_role == "sent"
    assert extract_message(RawMessage(source, "1:2", make_message())).folder_role is None


def test_the_owners_own_mailbox_in_sender_is_no_delegate(tmp_path):
    """Gmail's "send mail as": From the custom address, Sender the owner's Gmail, which
    Delivered-To names too. That is the owner, not someone sending for them."""
    mail = [
        make_message(sender="Jane Roe <jane@custom.example>", to=f"f{n}@example.net",
                     message_id=f"<s{n}@custom.example>",
                     extra="Sender: jroe77@gmail.com\nDelivered-To: jroe77@gmail.com")
        for n in range(4)
    ]  # fmt: skip
    maildir = tmp_path / "Maildir"
    for n, data in enumerate(mail):
        _maildir_message(maildir / ".Sent", f"out{n}", data)
    for n, data in enumerate(_inbox(3)):
        _maildir_message(maildir, f"in{n}", data)
    ingest([maildir], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    for owner in (detect_owner(frames),
                  detect_owner(frames, ["jane@custom.example", "jroe77@gmail.com"])):  # fmt: skip
        assert "jroe77@gmail.com" not in [d.address for d in owner.delegates]
