"""Which folder a message was filed in: the role's one home, localised and IMAP-encoded
folder names, and a message filed in two folders (issue 24, after review)."""

from __future__ import annotations

import ast
from urllib.parse import quote

import pytest

import analyzer.extract.folders
from analyzer import vocabulary
from analyzer.extract.folders import is_sent_folder, readable_folder_name
from analyzer.ingest import ImapOptions, ingest
from analyzer.sources.imap_client import all_folders
from analyzer.store import load_frames
from tests.conftest import make_message
from tests.imap_server import PASSWORD
from tests.test_imports import PACKAGE


def test_the_sent_role_lives_with_the_other_roles_and_the_extractor_still_names_it():
    assert vocabulary.SENT == "sent"
    assert analyzer.extract.folders.SENT is vocabulary.SENT  # owner_sent imports it there


def test_every_module_takes_the_sent_role_from_the_vocabulary():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and any(a.name == "SENT" for a in node.names):
                found[path.relative_to(PACKAGE).as_posix()] = node.module
    assert {"sources/imap.py", "owner_sent.py"} <= set(found)
    assert set(found.values()) == {"analyzer.vocabulary"}, found


# -- folder names in modified UTF-7, and the \Sent special use in any case -----------------
@pytest.mark.parametrize(
    "written, read",
    [("&AMk-l&AOk-ments envoy&AOk-s", "Éléments envoyés"), ("Wys&AUI-ane", "Wysłane"),
     ("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", "Отправленные"),  # "," stands for "/"
     ("R&-D", "R&D"), ("Gesendete Objekte", "Gesendete Objekte"), ("Enviados", "Enviados"),
     ("R&D", "R&D"), ("Tom & Jerry-2", "Tom & Jerry-2"), ("&AGEAYgBj-", "&AGEAYgBj-"),
     ("&B-", "&B-"), ("&AMk", "&AMk")],
)  # fmt: skip
def test_folder_names_in_modified_utf7_read_as_written_by_people(written, read):
    assert readable_folder_name(written) == read


@pytest.mark.parametrize(
    "name",
    ["&AMk-l&AOk-ments envoy&AOk-s", "INBOX.&AMk-l&AOk-ments envoy&AOk-s",
     "/home/u/Maildir/.&AMk-l&AOk-ments envoy&AOk-s", "Gesendete Objekte", "Enviados"],
)  # fmt: skip
def test_localised_sent_folders_are_sent_as_the_server_writes_them(name):
    assert is_sent_folder(name)


def test_the_sent_special_use_is_read_in_any_case():
    """RFC 3501 and 6154: flags are case-insensitive; some servers write ``\\sent``."""

    class Server:
        def list_folders(self):
            return [
                ((b"\\HasNoChildren",), b"/", "INBOX"),
                ((b"\\hasnochildren", b"\\sent"), b"/", "Ausgang"),
                ((b"\\SENT",), b"/", "Out"),
                ((b"\\NOSELECT",), b"/", "Archiv"),
                ((b"\\nonexistent", b"\\Sent"), b"/", "Gone"),
            ]

    names, sent = all_folders(Server())
    assert names == ["INBOX", "Ausgang", "Out"] and sent == {"Ausgang", "Out", "Gone"}


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("MXA_IMAP_PASSWORD", PASSWORD)


def _sent_by_jane(count: int, tag: str) -> list[bytes]:
    return [make_message(sender="Jane Roe <jane@example.org>", message_id=f"<{n}@{tag}.example>")
            for n in range(count)]  # fmt: skip


def test_a_folder_named_as_the_server_lists_it_is_read_under_its_name(dovecot, password, tmp_path):
    """``…/&AMk-l&AOk-ments%20envoy&AOk-s``, copied from a folder list, names the folder
    people read as "Éléments envoyés": its mail is read, and filed as sent."""
    dovecot.append("Éléments envoyés", _sent_by_jane(3, "named"))
    address = dovecot.address(quote("&AMk-l&AOk-ments envoy&AOk-s"))
    result = ingest([address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    messages = load_frames(tmp_path / "s").messages
    assert result.stored == 3 and messages["folder_role"].eq("sent").all()
    assert messages["source"].eq(dovecot.address(quote("Éléments envoyés"))).all()


def test_a_dovecot_maildirs_localised_sent_folder_is_sent(dovecot, password, tmp_path):
    """Dovecot writes the folder's name on disk in modified UTF-7 too: the Maildir copied
    from the server, read as files, still files its mail as sent."""
    dovecot.append("Gesendete Objekte", _sent_by_jane(2, "de"))
    dovecot.append("Éléments envoyés", _sent_by_jane(3, "fr"))
    maildir = dovecot.home / "Maildir"
    assert (maildir / ".&AMk-l&AOk-ments envoy&AOk-s").is_dir()
    ingest([maildir], tmp_path / "s", jobs=1)
    messages = load_frames(tmp_path / "s").messages
    sent = messages[messages["message_id"].str.endswith(("@de.example", "@fr.example"))]
    assert len(sent) == 5 and sent["folder_role"].eq("sent").all()


# -- one message filed in two folders -----------------------------------------------------
def _mbox(path, messages: list[bytes]):
    path.write_bytes(b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in messages))
    return path


def _roles(store) -> dict[str, str | None]:
    messages = load_frames(store).messages
    roles = messages["folder_role"].astype(object).where(messages["folder_role"].notna(), None)
    return dict(zip(messages["message_id"], roles, strict=True))


@pytest.fixture
def inbox_and_sent(tmp_path):
    """The same message (the same bytes) in INBOX and in Sent, as an IMAP export or a
    Gmail "All Mail" beside "Sent Mail" holds it, each folder with mail of its own."""
    both = make_message(sender="Jane Roe <jane@example.org>", message_id="<both@example.org>")
    inbox = _mbox(tmp_path / "INBOX", [make_message(message_id="<in@example.net>"), both])
    sent = _mbox(tmp_path / "Sent", [both, *_sent_by_jane(2, "out")])
    return inbox, sent


@pytest.mark.parametrize("commit_every", ["1", "5000"])  # committed before the copy, or not
def test_a_message_also_in_the_sent_folder_is_sent_whichever_is_read_first(
    inbox_and_sent, tmp_path, monkeypatch, commit_every
):
    monkeypatch.setenv("MXA_COMMIT_MESSAGES", commit_every)
    inbox, sent = inbox_and_sent
    inbox_first = ingest([inbox, sent], tmp_path / "inbox-first", jobs=1)
    sent_first = ingest([sent, inbox], tmp_path / "sent-first", jobs=1)
    assert inbox_first.duplicates == sent_first.duplicates == 1
    expected = {"in@example.net": None, "both@example.org": "sent",
                "0@out.example": "sent", "1@out.example": "sent"}  # fmt: skip
    assert _roles(tmp_path / "inbox-first") == _roles(tmp_path / "sent-first") == expected


def test_a_sent_copy_read_in_a_later_run_makes_the_stored_message_sent(inbox_and_sent, tmp_path):
    inbox, sent = inbox_and_sent
    ingest([inbox], tmp_path / "s", jobs=1)
    assert _roles(tmp_path / "s")["both@example.org"] is None
    ingest([inbox, sent], tmp_path / "s", jobs=1)
    assert _roles(tmp_path / "s")["both@example.org"] == "sent"
    assert len(load_frames(tmp_path / "s").messages) == 4


def test_a_message_saved_in_inbox_and_sent_folders_is_sent(tmp_path):
    """One-message files in folders read in one batch (Inbox before Sent): the row kept
    takes the Sent copy's role."""
    both = make_message(sender="Jane Roe <jane@example.org>", message_id="<both@example.org>")
    for folder in ("Inbox", "Sent"):
        (tmp_path / "mail" / folder).mkdir(parents=True)
        (tmp_path / "mail" / folder / "1.eml").write_bytes(both)
    result = ingest([tmp_path / "mail"], tmp_path / "s", jobs=1)
    assert result.duplicates == 1 and _roles(tmp_path / "s") == {"both@example.org": "sent"}


# -- Apple Mail: an .emlx's mailbox is the nearest .mbox folder above it -------------------
@pytest.mark.parametrize(
    "offset, role",
    [("/Mail/V10/ACC-UUID/Sent Messages.mbox/MB-UUID/Data/3/1/Messages/12345.emlx", "sent"),
     ("/Mail/V10/ACC-UUID/Sent Messages.mbox/MB-UUID/Data/Messages/7.partial.emlx", "sent"),
     ("/Mail/V10/ACC-UUID/[Gmail].mbox/Sent Mail.mbox/MB-UUID/Data/9/Messages/1.emlx", "sent"),
     ("/Mail/V10/ACC-UUID/Sent Messages.mbox/Messages/1.emlx", "sent"),
     ("/Mail/V10/ACC-UUID/INBOX.mbox/MB-UUID/Data/3/1/Messages/12345.emlx", None),
     ("/Mail/V10/Sent/INBOX.mbox/MB-UUID/Data/3/Messages/12345.emlx", None)],
)  # fmt: skip
def test_an_apple_mail_message_is_filed_in_its_mailbox_at_any_depth(offset, role):
    """Apple Mail keeps a mailbox's messages in numbered folders under ``Data/``: the
    mailbox is the nearest folder named ``*.mbox``, not the file's own folder."""
    assert analyzer.extract.folders.folder_role("/Mail", offset, None) == role
