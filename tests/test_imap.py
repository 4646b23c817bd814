"""Header-only ingestion from a real IMAP server (Dovecot on loopback, tests/imap_server.py).

What a user relies on: the store read over IMAP is the store read from the same messages
as an mbox; no body is downloaded, nothing is marked as read; a rerun reads only new
mail; a renumbered folder is read again, not doubled; a dropped connection loses nothing;
a wrong password or an untrusted certificate is one line and exit code 2.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import pickle
import socket
import threading
import time

import pytest
from typer.testing import CliRunner

from analyzer import ingest
from analyzer.cli import app
from analyzer.ingest import ImapOptions
from analyzer.records import RawMessage
from analyzer.sources import SourceReader, discover_sources
from analyzer.sources.mbox import MboxReader
from analyzer.store import load_frames
from tests.conftest import REPO, make_message
from tests.imap_server import PASSWORD, TOKEN

PERSONA = REPO / "sample_data" / "persona" / "persona.mbox"
SOURCE_COLUMNS = ("source", "offset", "size")
runner = CliRunner()


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("MXA_IMAP_PASSWORD", PASSWORD)


def _persona_messages() -> list[bytes]:
    with open(PERSONA, "rb") as stream:
        return [message.data for message in MboxReader(stream, "persona")]


def _rows(store, name: str, leave_out=SOURCE_COLUMNS) -> list[tuple]:
    frame = getattr(load_frames(store), name)
    columns = [c for c in frame.columns if c not in leave_out]
    return sorted(map(tuple, frame[columns].astype(str).itertuples(index=False)))


def test_the_persona_over_imap_is_stored_as_from_its_mbox(dovecot, password, tmp_path):
    messages = _persona_messages()
    dovecot.append("Persona", messages)
    options = ImapOptions(cafile=dovecot.cafile)
    over_imap = ingest([dovecot.address("Persona")], tmp_path / "imap", jobs=2, imap=options)
    from_mbox = ingest([PERSONA], tmp_path / "mbox", jobs=2)
    assert over_imap.stored == from_mbox.stored == len(messages) == 274
    for name in ("messages", "participants", "hops", "keys"):
        assert _rows(tmp_path / "imap", name) == _rows(tmp_path / "mbox", name), name
    stored = load_frames(tmp_path / "imap").messages
    # a message's place is UIDVALIDITY:UID; its size the server's (line ends as CRLF)
    assert stored["offset"].str.fullmatch(r"\d+:\d+").all()
    assert stored["source"].eq(dovecot.address("Persona")).all()
    crlf_sizes = sorted(len(m.replace(b"\n", b"\r\n")) for m in messages)
    assert sorted(stored["size"]) == crlf_sizes
    # the encrypted and signed half really was classified over IMAP, not just skipped
    assert set(stored["encryption"]) >= {"smime_signed", "smime_encrypted", "pgp_encrypted"}


def test_no_body_is_downloaded_and_nothing_is_marked_read(dovecot, password, tmp_path):
    attachment = "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
    attachment += "QUJD" * 250_000 + "\n"  # a megabyte the analysis has no use for
    big = make_message(
        message_id="<big@example.org>",
        extra='Content-Type: multipart/mixed; boundary="b"\n',
        body="--b\nContent-Type: text/plain\n\nhello\n--b\n" + attachment + "--b--\n",
    )
    before = len(dovecot.sessions())
    dovecot.append("Big", [big, make_message(message_id="<small@example.org>")])
    ingest([dovecot.address("Big")], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))

    def fetching_sessions() -> list[dict[str, int]]:  # not the APPEND's
        return [s for s in dovecot.sessions()[before:] if s.get("hdr_count")]

    deadline = time.monotonic() + 10  # Dovecot logs a logout a moment after it
    while not fetching_sessions() and time.monotonic() < deadline:
        time.sleep(0.05)
    (session,) = fetching_sessions()
    assert session["out"] < 20_000  # headers, structure and 128 bytes of each text part
    assert session["body_bytes"] < 1_000
    client = dovecot.client()
    client.select_folder("Big", readonly=True)
    flags = client.get_flags(client.search(["ALL"]))
    client.logout()
    assert all(b"\\Seen" not in value for value in flags.values())


def test_a_rerun_reads_only_new_mail(dovecot, password, tmp_path):
    options = ImapOptions(cafile=dovecot.cafile)
    dovecot.append("Grow", [make_message(message_id=f"<{n}@grow>") for n in range(3)])
    first = ingest([dovecot.address("Grow")], tmp_path / "s", imap=options)
    dovecot.append("Grow", [make_message(message_id=f"<{n}@grow>") for n in range(3, 5)])
    second = ingest([dovecot.address("Grow")], tmp_path / "s", imap=options)
    third = ingest([dovecot.address("Grow")], tmp_path / "s", imap=options)
    assert (first.stored, first.files_new) == (3, 1)
    assert (second.messages_read, second.stored, second.files_resumed) == (2, 2, 1)
    assert (third.messages_read, third.files_unchanged) == (0, 1)
    assert len(load_frames(tmp_path / "s").messages) == 5


def test_a_renumbered_folder_has_its_rows_replaced_not_doubled(dovecot, password, tmp_path):
    options = ImapOptions(cafile=dovecot.cafile)
    dovecot.append("Renumbered", [make_message(message_id=f"<{n}@re>") for n in range(3)])
    ingest([dovecot.address("Renumbered")], tmp_path / "s", imap=options)
    client = dovecot.client()
    client.delete_folder("Renumbered")  # a new folder of that name: a new UIDVALIDITY
    client.logout()
    dovecot.append("Renumbered", [make_message(message_id=f"<{n}@re>") for n in range(2)])
    again = ingest([dovecot.address("Renumbered")], tmp_path / "s", imap=options)
    assert (again.files_changed, again.rows_removed, again.stored) == (1, 3, 2)
    assert len(load_frames(tmp_path / "s").messages) == 2


def test_starttls_on_the_plain_port_reads_the_same(dovecot, password, tmp_path):
    dovecot.append("Plain", [make_message(message_id="<tls@x>")])
    address = dovecot.address("Plain", starttls=True)
    result = ingest([address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    assert result.stored == 1


def test_a_wrong_password_is_one_line_and_exit_code_2(dovecot, monkeypatch, tmp_path):
    dovecot.append("Inbox2", [make_message()])
    monkeypatch.setenv("MXA_IMAP_PASSWORD", "not the password")
    result = runner.invoke(
        app,
        ["ingest", dovecot.address("Inbox2"), "--store", str(tmp_path / "s"), "--cafile",
         dovecot.cafile],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "refused the login of alice" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "not the password" not in result.output


def test_an_untrusted_certificate_is_one_line_and_exit_code_2(dovecot, password, tmp_path):
    result = runner.invoke(app, ["ingest", dovecot.address("INBOX"), "--store", str(tmp_path)])
    assert result.exit_code == 2
    assert "certificate is not trusted" in result.output and "--cafile" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_password_in_the_address_is_refused(tmp_path):
    result = runner.invoke(
        app, ["ingest", "imaps://alice:secret@127.0.0.1/INBOX", "--store", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "MXA_IMAP_PASSWORD" in result.output and "secret" not in result.output


class _CuttingProxy:
    """A loopback relay to the server that cuts connections once ``after`` bytes have come
    back from the server, ``cuts`` times: a line that fails mid-fetch. With ``then_down``,
    every connection after a cut is closed at once: a line that stays down."""

    def __init__(self, port: int, after: int, cuts: int, then_down: bool = False) -> None:
        self.target, self.after, self.cuts, self.then_down = port, after, cuts, then_down
        self.cut = False  # a connection was cut
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut and self.then_down:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            limit = self.after if self.cuts > 0 else None
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, limit), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if limit is not None and sent + len(data) > limit and self.cuts > 0:
                    self.cuts -= 1
                    self.cut = True
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def quick_retries(monkeypatch):
    """Small fetches, so that a cut falls mid-folder; retries without the wait."""
    import analyzer.sources.imap_folder

    monkeypatch.setattr(analyzer.sources.imap_folder, "RETRY_SECONDS", 0.01)
    monkeypatch.setattr(analyzer.sources.imap_folder, "FETCH_BATCH", 20)


def test_a_connection_cut_mid_fetch_is_opened_again_and_nothing_is_lost(
    dovecot, password, tmp_path, quick_retries
):
    messages = _persona_messages()
    dovecot.append("Cut", messages)
    proxy = _CuttingProxy(dovecot.imaps_port, after=150_000, cuts=1)
    try:
        address = dovecot.address("Cut", port=proxy.port)
        result = ingest([address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    finally:
        proxy.close()
    assert result.stored == len(messages) and result.quarantined == 0
    assert len(load_frames(tmp_path / "s").messages) == len(messages)


def test_a_connection_that_stays_down_is_read_on_by_the_next_run(
    dovecot, password, tmp_path, quick_retries
):
    messages = _persona_messages()
    dovecot.append("Down", messages)
    options = ImapOptions(cafile=dovecot.cafile)
    proxy = _CuttingProxy(dovecot.imaps_port, after=150_000, cuts=1, then_down=True)
    address = dovecot.address("Down", port=proxy.port)
    try:
        first = ingest([address], tmp_path / "s", imap=options)
        proxy.then_down = False  # the line is back
        second = ingest([address], tmp_path / "s", imap=options)
    finally:
        proxy.close()
    (entry,) = first.quarantine
    assert entry.reason.startswith("unreadable from here on")
    assert entry.source == address
    assert 0 < first.stored < len(messages)
    assert (second.files_resumed, second.duplicates) == (1, 0)
    assert first.stored + second.stored == len(messages)
    assert len(load_frames(tmp_path / "s").messages) == len(messages)


def test_a_folder_of_twenty_thousand_messages(dovecot, password, tmp_path):
    messages = [
        make_message(message_id=f"<{n}@big.example>", subject=f"message {n}",
                     sender=f"Sender {n % 97} <s{n % 97}@example.org>")
        for n in range(20_000)
    ]  # fmt: skip
    dovecot.fill_maildir("Twenty", messages)
    options = ImapOptions(cafile=dovecot.cafile)
    seen: list[tuple[int, int]] = []
    first = ingest([dovecot.address("Twenty")], tmp_path / "s", jobs=2, imap=options,
                   progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert (first.messages_read, first.stored, first.quarantined) == (20_000, 20_000, 0)
    # progress in bytes of the folder (the server's sizes), rising to the end
    crlf_bytes = sum(len(m.replace(b"\n", b"\r\n")) for m in messages)
    assert seen[-1] == (crlf_bytes, crlf_bytes)
    assert len(seen) > 2 and [done for done, _ in seen] == sorted(done for done, _ in seen)
    stored = load_frames(tmp_path / "s").messages
    assert stored["message_id"].nunique() == 20_000
    assert stored["offset"].str.split(":").str[1].astype(int).nunique() == 20_000
    again = ingest([dovecot.address("Twenty")], tmp_path / "s", jobs=2, imap=options)
    assert (again.messages_read, again.files_unchanged) == (0, 1)


def test_the_password_can_come_from_the_system_keyring(dovecot, monkeypatch, tmp_path):
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError, PasswordSetError

    class Remembered(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return PASSWORD if (service, username) == ("mxa", "alice@127.0.0.1") else None

        def set_password(self, service, username, password):  # read-only, as mxa needs
            raise PasswordSetError("this keyring is read-only")

        def delete_password(self, service, username):
            raise PasswordDeleteError("this keyring is read-only")

    previous = keyring.get_keyring()
    keyring.set_keyring(Remembered())
    monkeypatch.delenv("MXA_IMAP_PASSWORD", raising=False)
    monkeypatch.delenv("MXA_IMAP_OAUTH2_TOKEN", raising=False)
    try:
        dovecot.append("Keyring", [make_message(message_id="<keyring@x>")])
        address = dovecot.address("Keyring")
        result = ingest([address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    finally:
        keyring.set_keyring(previous)
    assert result.stored == 1


def test_without_any_password_and_no_terminal_the_error_says_where_to_put_one(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("MXA_IMAP_PASSWORD", raising=False)
    monkeypatch.delenv("MXA_IMAP_OAUTH2_TOKEN", raising=False)
    monkeypatch.setattr("analyzer.sources.imap_address._from_keyring", lambda address: None)
    result = runner.invoke(
        app, ["ingest", "imaps://bob@127.0.0.1:1/INBOX", "--store", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "MXA_IMAP_PASSWORD" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_all_folders_reads_every_folder_of_the_server(dovecot, password, tmp_path):
    dovecot.append("EveryOne", [make_message(message_id="<one@every>")])
    dovecot.append("EveryTwo", [make_message(message_id="<two@every>")])
    server = dovecot.address("").rstrip("/")
    options = ImapOptions(cafile=dovecot.cafile, all_folders=True)
    result = ingest([server], tmp_path / "s", imap=options)
    client = dovecot.client()
    names = {name for flags, _, name in client.list_folders() if b"\\Noselect" not in flags}
    client.logout()
    sources = set(load_frames(tmp_path / "s").messages["source"])
    assert {dovecot.address("EveryOne"), dovecot.address("EveryTwo")} <= sources
    assert result.files == len(names)
    # a folder gone from the server takes its rows with it
    client = dovecot.client()
    client.delete_folder("EveryTwo")
    client.logout()
    again = ingest([server], tmp_path / "s", imap=options)
    assert (again.files_removed, again.rows_removed) == (1, 1)
    sources = set(load_frames(tmp_path / "s").messages["source"])
    assert dovecot.address("EveryTwo") not in sources and dovecot.address("EveryOne") in sources
    refused = runner.invoke(app, ["ingest", server, "--store", str(tmp_path / "t"),
                                  "--cafile", dovecot.cafile])  # fmt: skip
    assert refused.exit_code == 2 and "--all-folders" in refused.output


def test_gmail_labels_and_thread_become_the_headers_a_takeout_has():
    from imapclient.response_types import BodyData

    from analyzer.extract import extract_message
    from analyzer.sources.imap_address import parse_imap_address
    from analyzer.sources.imap_folder import FolderReader
    from analyzer.sources.imap_plan import read_plan

    address = parse_imap_address("imaps://me@imap.gmail.com/INBOX")
    reader = FolderReader(None, address, "INBOX")
    reader.uidvalidity = 7
    header = make_message(message_id="<g@x>").split(b"\n\n")[0].replace(b"\n", b"\r\n")
    structure = BodyData.create((b"text", b"plain", (b"charset", b"utf-8"), None, None,
                                 b"7bit", 5, 1))  # fmt: skip
    answer = {
        b"BODY[HEADER]": header + b"\r\n\r\n",
        b"X-GM-LABELS": (b"\\Inbox", b"Work"),
        b"X-GM-THRID": 1761234567890,
    }
    raw = reader._message(42, answer, read_plan(structure))
    record = extract_message(raw)
    assert raw.offset == "7:42"
    assert (record.gm_thrid, record.gmail_labels) == ("1761234567890", "\\Inbox,Work")


def test_a_message_without_a_date_is_dated_by_its_delivery(dovecot, password, tmp_path):
    import datetime

    undated = make_message(message_id="<undated@x>").replace(
        b"Date: Tue, 14 Mar 2023 10:00:00 +0100\n", b""
    )
    delivered = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    client = dovecot.client()
    client.create_folder("Undated")
    client.append("Undated", undated.replace(b"\n", b"\r\n"), msg_time=delivered)
    client.append("Undated", make_message(message_id="<dated@x>").replace(b"\n", b"\r\n"),
                  msg_time=delivered)  # fmt: skip
    client.logout()
    ingest([dovecot.address("Undated")], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    stored = load_frames(tmp_path / "s").messages.set_index("message_id")
    assert stored.loc["undated@x", "date_utc"] == delivered  # INTERNALDATE, as a last resort
    assert stored.loc["dated@x", "date_utc"].year == 2023  # the Date header wins


def test_an_oauth2_token_logs_in_with_xoauth2(dovecot, monkeypatch, tmp_path):
    monkeypatch.delenv("MXA_IMAP_PASSWORD", raising=False)
    monkeypatch.setenv("MXA_IMAP_OAUTH2_TOKEN", TOKEN)
    dovecot.append("OAuth", [make_message(message_id="<oauth@x>")])
    address = dovecot.address("OAuth")
    result = ingest([address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    assert result.stored == 1
    assert "method=XOAUTH2" in dovecot.log()
    monkeypatch.setenv("MXA_IMAP_OAUTH2_TOKEN", "an expired token")
    refused = runner.invoke(
        app, ["ingest", address, "--store", str(tmp_path / "t"), "--cafile", dovecot.cafile]
    )
    assert refused.exit_code == 2 and "refused the login of alice" in refused.output


def test_mxa_audit_over_imap_finds_what_it_finds_in_the_mbox(dovecot, password, tmp_path):
    dovecot.append("Audit", _persona_messages())
    out = tmp_path / "audit"
    result = runner.invoke(
        app, ["audit", dovecot.address("Audit"), "--cafile", dovecot.cafile, "--out", str(out),
              "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()
    from_mbox = runner.invoke(app, ["audit", str(PERSONA), "--out", str(tmp_path / "mbox"), "-q"])
    assert from_mbox.exit_code == 0, from_mbox.output
    over_imap = json.loads((out / "findings.json").read_text())
    in_mbox = json.loads((tmp_path / "mbox" / "findings.json").read_text())
    assert over_imap["input"].pop("sources") == [dovecot.address("Audit")]
    in_mbox["input"].pop("sources")
    assert over_imap["input"]["messages_parsed"] == 274
    assert over_imap == in_mbox  # every link, verdict and alias, word for word


def test_a_folder_named_twice_is_read_once(dovecot, password, tmp_path):
    dovecot.append("Twice", [make_message(message_id=f"<{n}@twice>") for n in range(2)])
    address = dovecot.address("Twice")
    result = ingest([address, address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    assert (result.files, result.messages_read, result.stored) == (1, 2, 2)


def test_a_message_the_server_gives_no_structure_for_is_read_from_its_headers():
    from analyzer.extract import extract_message
    from analyzer.sources.imap_address import parse_imap_address
    from analyzer.sources.imap_folder import FolderReader
    from analyzer.sources.imap_plan import read_plan

    reader = FolderReader(None, parse_imap_address("imaps://me@example.org/INBOX"), "INBOX")
    header = make_message(message_id="<bare@x>").split(b"\n\n")[0] + b"\n\n"
    raw = reader._message(1, {b"BODY[HEADER]": header}, read_plan(None))
    record = extract_message(raw)
    assert (record.message_id, record.encryption) == ("bare@x", "plaintext")


def test_worker_chunks_fetch_what_one_connection_fetches(dovecot, password, tmp_path, monkeypatch):
    # local workers fetch chunks over their own connections; a Dask cluster named by its
    # scheduler is sent what this process fetched: both must give the same messages
    from analyzer.sources.imap import close_folders, fetch_chunk, open_folders
    from analyzer.sources.imap_address import parse_imap_address

    dovecot.append("Chunks", _persona_messages())
    address = parse_imap_address(dovecot.address("Chunks"))
    (folder,) = open_folders(address, ImapOptions(cafile=dovecot.cafile))
    try:
        folder.open(None)
        chunks = list(folder.chunks(100))
        in_chunks = [m for chunk in chunks for m in fetch_chunk(chunk).messages]
        in_one = list(folder)
    finally:
        close_folders([folder])
    assert len(chunks) == 3 and len(in_one) == 274
    assert in_chunks == in_one
    # worker processes forked after this one fetched must open their own connections
    monkeypatch.setattr(importlib.import_module("analyzer.ingest.imap_folders"), "FOLDER_CHUNK", 20)
    result = ingest([address.source("Chunks")], tmp_path / "s", jobs=2,
                    imap=ImapOptions(cafile=dovecot.cafile))  # fmt: skip
    assert (result.stored, result.quarantined) == (274, 0)


@pytest.mark.parametrize(
    "corpus",
    ["crypto-bouncycastle-smime", "crypto-real-world-lists", "crypto-thunderbird",
     "crypto-autocrypt-protected-headers"],
)  # fmt: skip
def test_real_signed_and_encrypted_mail_reads_the_same_over_imap(
    dovecot, password, tmp_path, corpora, corpus
):
    # real MIME trees (S/MIME, PGP/MIME, inline PGP, Autocrypt) rebuilt as skeletons
    files, _ = discover_sources([corpora / corpus])
    messages = [raw.data for f in files for raw in SourceReader(f, 0, False, None)
                if isinstance(raw, RawMessage) and raw.data.strip()]  # fmt: skip
    dovecot.append(corpus, messages)
    eml = tmp_path / "eml"
    eml.mkdir()
    # the files hold the bytes as the server serves them, with CRLF: extraction reads 256 KB
    # of a body, and a big S/MIME blob must end at the same byte on both sides
    for number, data in enumerate(messages):
        crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        (eml / f"{number:05d}.eml").write_bytes(crlf)
    options = ImapOptions(cafile=dovecot.cafile)
    ingest([dovecot.address(corpus)], tmp_path / "imap", jobs=2, imap=options)
    ingest([eml], tmp_path / "files", jobs=2)
    over_imap = load_frames(tmp_path / "imap").messages
    assert len(over_imap) > 15
    assert set(over_imap["encryption"]) - {"plaintext"}  # the corpus is what it says
    # a message without a Date is dated by its delivery over IMAP: leave date_utc out
    leave_out = (*SOURCE_COLUMNS, "date_utc")
    for name in ("messages", "participants", "hops", "keys"):
        assert _rows(tmp_path / "imap", name, leave_out) == _rows(
            tmp_path / "files", name, leave_out
        ), name


def test_a_folder_the_server_does_not_have_is_one_line_and_exit_code_2(dovecot, password, tmp_path):
    address = dovecot.address("No%20Such%20Folder")
    result = runner.invoke(
        app, ["ingest", address, "--store", str(tmp_path / "s"), "--cafile", dovecot.cafile]
    )
    assert result.exit_code == 2
    assert "cannot open the folder" in result.output and "No%20Such%20Folder" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_folder_name_with_spaces_is_written_with_percent_signs(dovecot, password, tmp_path):
    dovecot.append("Sent Items", [make_message(message_id="<sent@x>")])
    address = dovecot.address("Sent%20Items")
    ingest([address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    assert set(load_frames(tmp_path / "s").messages["source"]) == {address}
    again = ingest([address], tmp_path / "s", imap=ImapOptions(cafile=dovecot.cafile))
    assert again.files_unchanged == 1


def test_on_dask_a_named_cluster_gets_header_blocks_and_never_the_password(
    dovecot, password, tmp_path, monkeypatch
):
    from distributed import LocalCluster

    pipeline = importlib.import_module("analyzer.ingest.pipeline")
    messages = _persona_messages()
    dovecot.append("Dask", messages)
    address, options = dovecot.address("Dask"), ImapOptions(cafile=dovecot.cafile)
    sent: list[object] = []
    original = pipeline.in_order

    def watching(work, items, **kwargs):  # what goes to the cluster
        def seen():
            for item in items:
                sent.append(item[0])
                yield item

        return original(work, seen(), **kwargs)

    monkeypatch.setattr(pipeline, "in_order", watching)
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        on_cluster = ingest([address], tmp_path / "dask", engine="dask",
                            scheduler=cluster.scheduler_address, imap=options)  # fmt: skip
    monkeypatch.setattr(pipeline, "in_order", original)
    local = ingest([address], tmp_path / "local", jobs=2, imap=options)
    assert on_cluster.stored == local.stored == len(messages)
    for name in ("messages", "participants", "hops", "keys"):
        assert _rows(tmp_path / "dask", name) == _rows(tmp_path / "local", name), name
    assert sent and all(isinstance(work, list) for work in sent)  # batches, no FolderChunk
    assert PASSWORD.encode() not in b"".join(pickle.dumps(work) for work in sent)


def test_a_cafile_that_is_no_certificate_is_one_line_and_exit_code_2(password, tmp_path):
    not_a_pem = tmp_path / "ca.pem"
    not_a_pem.write_text("hello")
    for cafile in (not_a_pem, tmp_path / "missing.pem"):
        result = runner.invoke(app, ["ingest", "imaps://alice@127.0.0.1:1/INBOX", "--store",
                                     str(tmp_path / "s"), "--cafile", str(cafile)])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "--cafile" in result.output and len(result.output.strip().splitlines()) == 1
