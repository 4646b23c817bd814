"""A hostile IMAP server must not break mxa (tests/hostile_imap.py, TLS on loopback).

What a user relies on: whatever a server sends, the run ends, in bounded memory and time,
without a traceback; a bad answer about one message quarantines that message with a
reason; a bad answer about a folder ends that folder with one line naming it; the other
messages, folders and sources of the run are still read and stored.
"""

from __future__ import annotations

import re
import time
import tracemalloc

import pytest
from typer.testing import CliRunner

from analyzer import ingest
from analyzer.cli import app
from analyzer.ingest import ImapOptions
from analyzer.store import load_frames
from tests.conftest import make_message
from tests.hostile_imap import Folder, HostileImap, crlf, stream

runner = CliRunner()
MB = 1 << 20


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv("MXA_IMAP_PASSWORD", "any password will do")


@pytest.fixture
def hostile():
    """A factory of hostile servers, all closed at the end of the test."""
    servers: list[HostileImap] = []

    def start(folders: dict[str, Folder], **options) -> HostileImap:
        servers.append(HostileImap(folders, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def mbox(tmp_path):
    """A good mbox given in the same run: it must be stored whatever the server does."""
    path = tmp_path / "good.mbox"
    path.write_bytes(b"From a@b Thu Jan  1 00:00:00 2024\n" + make_message(message_id="<mbox@x>"))
    return path


def _messages(name: str, count: int = 3) -> list[bytes]:
    return [crlf(make_message(message_id=f"<{n}@{name}>")) for n in range(1, count + 1)]


def _ingest(sources, tmp_path, server: HostileImap, **options):
    imap = ImapOptions(cafile=server.cafile, **options)
    return ingest([str(s) for s in sources], tmp_path / "store", jobs=1, imap=imap)


def _stored(tmp_path) -> set[str]:
    return set(load_frames(tmp_path / "store").messages["message_id"])


def _when_fetching_headers(uid: int, change):
    """A twist: the answer for ``uid`` to the header FETCH goes through ``change``."""

    def twist(this: int, response: bytes):
        if this == uid and b"BODY[HEADER]" in response:
            yield from change(response)
        else:
            yield response

    return twist


# -- 1. literals bounded by the announced size and a hard cap --------------------------------
def test_a_literal_far_beyond_the_message_size_quarantines_it_unread(hostile, tmp_path, mbox):
    streamed = 50 * MB
    twist = _when_fetching_headers(
        2, lambda response: stream(b"* 2 FETCH (UID 2 BODY[HEADER] {9999999999}\r\n", streamed)
    )
    server = hostile({"Big": Folder(_messages("big"), twist=twist)})
    tracemalloc.start()
    try:
        result = _ingest([server.address("Big"), mbox], tmp_path, server)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (entry,) = result.quarantine
    assert (entry.source, entry.offset) == (server.address("Big"), "7:2")
    assert "9999999999" in entry.reason and "RFC822.SIZE" in entry.reason
    assert _stored(tmp_path) == {"1@big", "3@big", "mbox@x"}
    assert server.sent < streamed / 4  # mxa hung up instead of reading it all
    assert peak < 20 * MB


def test_a_literal_over_the_cap_is_refused_though_the_size_announced_it(
    hostile, tmp_path, mbox, monkeypatch
):
    monkeypatch.setattr("analyzer.sources.imap_limits.LITERAL_CAP", MB)
    streamed = 50 * MB

    def twist(uid: int, response: bytes):
        if uid != 2:
            yield response
        elif b"BODY[HEADER]" in response:  # as big as announced: only the cap stops it
            yield from stream(b"* 2 FETCH (UID 2 BODY[HEADER] {%d}\r\n" % streamed, streamed)
        else:
            yield re.sub(rb"RFC822\.SIZE \d+", b"RFC822.SIZE %d" % streamed, response)

    server = hostile({"Huge": Folder(_messages("huge"), twist=twist)})
    tracemalloc.start()
    try:
        result = _ingest([server.address("Huge"), mbox], tmp_path, server)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (entry,) = result.quarantine
    assert entry.offset == "7:2" and str(streamed) in entry.reason and "cap" in entry.reason
    assert _stored(tmp_path) == {"1@huge", "3@huge", "mbox@x"}
    assert server.sent < streamed / 4
    assert peak < 20 * MB


# -- 2, 3. a bad field about one message quarantines that message --------------------------
STRUCTURE = rb'BODYSTRUCTURE \("text" "plain" \([^)]*\) NIL NIL "7bit" \d+ \d+\)'


def _deep(response: bytes) -> bytes:
    deep = b"(" * 100_000 + b'"text" "plain" NIL NIL NIL "7bit" 1 1' + b")" * 100_000
    return re.sub(STRUCTURE, lambda _: b"BODYSTRUCTURE " + deep, response)


BAD_FIELDS = {
    "a BODYSTRUCTURE nested 100,000 deep": (_deep, "nested"),
    "a BODYSTRUCTURE whose part has no subtype": (
        lambda r: re.sub(
            STRUCTURE, b'BODYSTRUCTURE (("text") "mixed" ("boundary" "b") NIL NIL)', r
        ),
        "BODYSTRUCTURE",
    ),
    "a UID that is no number": (lambda r: r.replace(b"UID 2", b"UID two"), "UID"),
    "an INTERNALDATE that is a list": (
        lambda r: re.sub(rb'INTERNALDATE "[^"]*"', b"INTERNALDATE (1 2)", r),
        "INTERNALDATE",
    ),
    "a header block that is a number": (
        lambda r: re.sub(
            rb"BODY\[HEADER\] \{\d+\}\r\n.*?\r\n\r\n", b"BODY[HEADER] 42", r, flags=re.S
        ),
        "BODY[HEADER]",
    ),
    "an X-GM-THRID that is no number": (
        lambda r: r.replace(b"X-GM-THRID 1761234567890", b"X-GM-THRID abc"),
        "X-GM-THRID",
    ),
    "X-GM-LABELS that are no list": (
        lambda r: r.replace(b"X-GM-LABELS (\\Inbox)", b"X-GM-LABELS 5"),
        "X-GM-LABELS",
    ),
}


@pytest.mark.parametrize("bad", list(BAD_FIELDS))
def test_a_bad_field_in_a_fetch_quarantines_that_message_alone(bad, hostile, tmp_path, mbox):
    change, named = BAD_FIELDS[bad]
    twist = _when_fetching_headers(2, lambda response: [change(response)])
    server = hostile({"Odd": Folder(_messages("odd"), twist=twist)}, gmail=True)
    result = _ingest([server.address("Odd"), mbox], tmp_path, server)
    (entry,) = result.quarantine
    assert (entry.source, entry.offset) == (server.address("Odd"), "7:2")
    assert named in entry.reason
    assert _stored(tmp_path) == {"1@odd", "3@odd", "mbox@x"}


def test_worker_processes_quarantine_a_bad_message_as_one_process_does(hostile, tmp_path, mbox):
    twist = _when_fetching_headers(2, lambda response: [_deep(response)])
    server = hostile({"Deep": Folder(_messages("deep"), twist=twist)})
    imap = ImapOptions(cafile=server.cafile)
    result = ingest([server.address("Deep"), str(mbox)], tmp_path / "store", jobs=2, imap=imap)
    (entry,) = result.quarantine
    assert entry.offset == "7:2" and "nested" in entry.reason
    assert _stored(tmp_path) == {"1@deep", "3@deep", "mbox@x"}


@pytest.mark.parametrize("size", [b"abc", b"-5", b"(1)"])
def test_an_rfc822_size_that_is_no_size_quarantines_that_message(size, hostile, tmp_path, mbox):
    def twist(uid: int, response: bytes):
        if uid == 2 and b"BODY[HEADER]" not in response:
            response = re.sub(rb"RFC822\.SIZE \d+", b"RFC822.SIZE " + size, response)
        yield response

    server = hostile({"Sizes": Folder(_messages("sizes"), twist=twist)})
    result = _ingest([server.address("Sizes"), mbox], tmp_path, server)
    (entry,) = result.quarantine
    assert entry.offset == "7:2" and "RFC822.SIZE" in entry.reason
    assert _stored(tmp_path) == {"1@sizes", "3@sizes", "mbox@x"}


# -- 4. a bad answer about a folder ends that folder alone -----------------------------------
BAD_SELECTS = {
    "no UIDVALIDITY": (lambda lines: [x for x in lines if b"UIDVALIDITY" not in x], "UIDVALIDITY"),
    "UIDVALIDITY abc": (
        lambda lines: [re.sub(rb"UIDVALIDITY \d+", b"UIDVALIDITY abc", x) for x in lines],
        "UIDVALIDITY",
    ),
    "UIDVALIDITY 0": (
        lambda lines: [re.sub(rb"UIDVALIDITY \d+", b"UIDVALIDITY 0", x) for x in lines],
        "UIDVALIDITY",
    ),
    "UIDNEXT abc": (
        lambda lines: [re.sub(rb"UIDNEXT \d+", b"UIDNEXT abc", x) for x in lines],
        "UIDNEXT",
    ),
    "no EXISTS": (lambda lines: [x for x in lines if b"EXISTS" not in x], "EXISTS"),
    "a 100 MB literal": (lambda lines: [b"* FLAGS {99999999}\r\n", b"x" * 1000, *lines], "literal"),
}


@pytest.mark.parametrize("bad", list(BAD_SELECTS))
def test_a_bad_select_answer_ends_that_folder_and_the_run_goes_on(bad, hostile, tmp_path, mbox):
    change, named = BAD_SELECTS[bad]
    server = hostile(
        {"Broken": Folder(_messages("broken"), select=change), "Fine": Folder(_messages("fine"))}
    )
    broken = server.address("Broken")
    result = _ingest([broken, server.address("Fine"), mbox], tmp_path, server)
    (entry,) = result.quarantine
    assert entry.source == broken and entry.reason.startswith("unreadable from here on")
    assert broken in entry.reason and named in entry.reason
    assert _stored(tmp_path) == {"1@fine", "2@fine", "3@fine", "mbox@x"}
    # the folder is read again by the next run, once the server answers
    server.folders["Broken"].select = None
    again = _ingest([broken, server.address("Fine"), mbox], tmp_path, server)
    assert again.quarantine == [] and again.stored == 3
    assert "2@broken" in _stored(tmp_path)


# -- 5. deadlines: per folder, per run ------------------------------------------------------
def _trickle(server_of):
    """A twist: the header answer of UID 1 comes one byte a second, then the line drops."""

    def change(response: bytes):
        yield response[:20]
        for byte in range(20, 60):
            if server_of().wait(1.0):
                return
            yield response[byte : byte + 1]
        yield None

    return _when_fetching_headers(1, change)


def test_a_server_that_trickles_is_cut_off_at_the_folder_deadline(hostile, tmp_path, mbox):
    servers: list[HostileImap] = []
    slow = Folder(_messages("slow"), twist=_trickle(lambda: servers[0]))
    servers.append(hostile({"Slow": slow, "Fine": Folder(_messages("fine"))}))
    server = servers[0]
    started = time.monotonic()
    result = _ingest([server.address("Slow"), server.address("Fine"), mbox], tmp_path, server,
                     deadline=3)  # fmt: skip
    assert time.monotonic() - started < 20
    (entry,) = result.quarantine
    assert entry.source == server.address("Slow")
    assert "deadline" in entry.reason and "--imap-deadline" in entry.reason
    assert _stored(tmp_path) == {"1@fine", "2@fine", "3@fine", "mbox@x"}


def test_the_run_deadline_bounds_all_folders_together(hostile, tmp_path, mbox):
    servers: list[HostileImap] = []
    folders = {name: Folder(_messages(name), twist=_trickle(lambda: servers[0]))
               for name in ("SlowOne", "SlowTwo")}  # fmt: skip
    servers.append(hostile(folders))
    server = servers[0]
    started = time.monotonic()
    addresses = [server.address("SlowOne"), server.address("SlowTwo")]
    result = _ingest([*addresses, mbox], tmp_path, server, deadline=60, run_deadline=4)
    assert time.monotonic() - started < 20
    assert [entry.source for entry in result.quarantine] == addresses
    assert all("--imap-run-deadline" in entry.reason for entry in result.quarantine)
    assert _stored(tmp_path) == {"mbox@x"}


def test_a_trickled_greeting_is_one_line_and_exit_code_2_at_the_deadline(hostile, tmp_path):
    servers: list[HostileImap] = []

    def greeting():
        yield b"* OK"
        while not servers[0].wait(1.0):
            yield b" "

    servers.append(hostile({"INBOX": Folder(_messages("inbox"))}, greeting=greeting))
    server = servers[0]
    started = time.monotonic()
    command = ["ingest", server.address("INBOX"), "--store", str(tmp_path / "s"),
               "--cafile", server.cafile, "--imap-deadline", "2", "-q"]  # fmt: skip
    result = runner.invoke(app, command)
    assert time.monotonic() - started < 20
    assert result.exit_code == 2, result.output
    assert "deadline" in result.output and len(result.output.strip().splitlines()) == 1


# -- 6. a malformed address -------------------------------------------------------------------
@pytest.mark.parametrize("address", ["imaps://me@[::1/INBOX", "imaps://me@[not-an-ip]/INBOX"])
def test_a_malformed_address_is_one_line_and_exit_code_2(address, tmp_path):
    result = runner.invoke(app, ["ingest", address, "--store", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert address in result.output and len(result.output.strip().splitlines()) == 1
