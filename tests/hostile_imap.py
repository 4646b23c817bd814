"""A hostile IMAP server for the tests: just enough IMAP4rev1, over TLS on loopback, for
mxa to log in, select a folder, search and fetch; and it misbehaves as a test says.

Each folder's messages get UIDs 1, 2, 3…; any password is accepted. A test bends the
server through a folder's ``select`` (rewrites the untagged lines of the EXAMINE answer)
and ``twist`` (given a UID and the correct FETCH answer for it, yields the chunks to send
instead; a ``None`` chunk hangs up), or the server's ``greeting``. ``sent`` counts the
bytes the server managed to send, so a test can tell whether mxa read what it was sent.
The certificate is a throwaway CA's (``tests.imap_server``), trusted with ``cafile``.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.imap_server import _certificates

USER = "alice"
Twist = Callable[[int, bytes], Iterable[bytes | None]]


@dataclass
class Folder:
    messages: list[bytes]
    uidvalidity: int = 7
    select: Callable[[list[bytes]], list[bytes]] | None = None
    twist: Twist | None = None


def crlf(message: bytes) -> bytes:
    return message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def stream(
    head: bytes, total: int, then: Iterable[bytes | None] = (None,)
) -> Iterator[bytes | None]:
    """``head``, then ``total`` bytes of filler in 64 KB pieces, then ``then``."""
    yield head
    piece = b"x" * 65536
    for start in range(0, total, len(piece)):
        yield piece[: total - start]
    yield from then


@dataclass
class HostileImap:
    folders: dict[str, Folder]
    greeting: Callable[[], Iterable[bytes | None]] | None = None
    gmail: bool = False  # offers Gmail's X-GM-EXT-1 (labels and thread ids)
    sent: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="mxa-hostile-"))
        _certificates(self.home)
        self.cafile = str(self.home / "ca.pem")
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(self.home / "server.pem", self.home / "server.key")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def address(self, folder: str) -> str:
        return f"imaps://{USER}@127.0.0.1:{self.port}/{folder}"

    def wait(self, seconds: float) -> bool:
        """Sleep in a twist; True once the server is closing."""
        return self.stopping.wait(seconds)

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()
        for connection in self._open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        shutil.rmtree(self.home, ignore_errors=True)

    # -- the protocol --------------------------------------------------------------------
    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self._open.append(raw)
            threading.Thread(target=self._session, args=(raw,), daemon=True).start()

    def _send(self, connection: socket.socket, chunks: Iterable[bytes | None]) -> bool:
        """Send the chunks; False once the connection is over (hung up, or closed by mxa)."""
        for chunk in chunks:
            if chunk is None or self.stopping.is_set():
                return False
            try:
                connection.sendall(chunk)
            except OSError:
                return False
            with self._lock:
                self.sent += len(chunk)
        return True

    def _session(self, raw: socket.socket) -> None:
        raw.settimeout(30)
        try:
            connection = self.tls.wrap_socket(raw, server_side=True)
        except OSError:
            return
        self._open.append(connection)
        with contextlib.suppress(OSError), connection:
            greeting = self.greeting() if self.greeting else [b"* OK [CAPABILITY IMAP4rev1] hi\r\n"]
            if not self._send(connection, greeting):
                return
            lines = connection.makefile("rb")
            selected: Folder | None = None
            while line := lines.readline():
                tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
                command, _, arguments = rest.partition(b" ")
                command = command.upper()
                if command == b"UID":
                    command, _, arguments = arguments.partition(b" ")
                    command = b"UID " + command.upper()
                chunks, status, selected = self._answer(command, arguments, selected)
                if not self._send(
                    connection, itertools.chain(chunks, [tag + b" " + status + b"\r\n"])
                ):
                    return
                if command == b"LOGOUT":
                    return

    def _answer(
        self, command: bytes, arguments: bytes, selected: Folder | None
    ) -> tuple[Iterable[bytes | None], bytes, Folder | None]:
        """The untagged chunks to send (a twist's included), the tagged status, and the
        folder selected after the command."""
        if command == b"CAPABILITY":
            gmail = b" X-GM-EXT-1" if self.gmail else b""
            return [b"* CAPABILITY IMAP4rev1 AUTH=PLAIN%s\r\n" % gmail], b"OK done", selected
        if command == b"LOGIN":
            return [], b"OK logged in", selected
        if command == b"LOGOUT":
            return [b"* BYE bye\r\n"], b"OK bye", selected
        if command == b"LIST":
            lines = [b'* LIST () "/" "%s"\r\n' % name.encode() for name in self.folders]
            return lines, b"OK done", selected
        if command in (b"SELECT", b"EXAMINE"):
            folder = self.folders.get(arguments.strip(b'"').decode())
            if folder is None:
                return [], b"NO no such folder", None
            count = len(folder.messages)
            lines = [b"* %d EXISTS\r\n" % count, b"* 0 RECENT\r\n", b"* FLAGS (\\Seen)\r\n",
                     b"* OK [UIDVALIDITY %d] UIDs valid\r\n" % folder.uidvalidity,
                     b"* OK [UIDNEXT %d] next\r\n" % (count + 1)]  # fmt: skip
            if folder.select:
                lines = folder.select(lines)
            return lines, b"OK [READ-ONLY] done", folder
        if command == b"UID SEARCH" and selected is not None:
            first = int(re.search(rb"(\d+):", arguments).group(1))
            uids = range(first, len(selected.messages) + 1)
            return (
                [b"* SEARCH" + b"".join(b" %d" % uid for uid in uids) + b"\r\n"],
                b"OK done",
                selected,
            )
        if command == b"UID FETCH" and selected is not None:
            wanted, _, items = arguments.partition(b" ")
            names = items.strip(b"()").decode().split()
            folder = selected

            def answers() -> Iterator[bytes | None]:  # lazily: a twist may stream or wait
                for uid in _uids(wanted, len(folder.messages)):
                    response = render(uid, folder.messages[uid - 1], names)
                    yield from folder.twist(uid, response) if folder.twist else [response]

            return answers(), b"OK done", selected
        if command in (b"NOOP", b"CLOSE", b"UNSELECT"):
            return [], b"OK done", selected
        return [], b"BAD unknown command", selected


def _uids(wanted: bytes, count: int) -> list[int]:
    uids: list[int] = []
    for piece in wanted.decode().split(","):
        first, _, last = piece.partition(":")
        end = count if last == "*" else int(last or first)
        uids += range(int(first), min(end, count) + 1)
    return uids


def render(uid: int, message: bytes, names: list[str]) -> bytes:
    """The FETCH answer a correct server gives for a one-part text message."""
    header, _, body = message.partition(b"\r\n\r\n")
    header += b"\r\n\r\n"
    parts = [b"UID %d" % uid]
    for name in names:
        upper = name.upper()
        if upper == "RFC822.SIZE":
            parts.append(b"RFC822.SIZE %d" % len(message))
        elif upper == "X-GM-THRID":
            parts.append(b"X-GM-THRID 1761234567890")
        elif upper == "X-GM-LABELS":
            parts.append(b"X-GM-LABELS (\\Inbox)")
        elif upper == "INTERNALDATE":
            parts.append(b'INTERNALDATE "14-Mar-2023 10:00:00 +0000"')
        elif upper == "BODYSTRUCTURE":
            parts.append(b'BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" %d %d)'
                         % (len(body), body.count(b"\n")))  # fmt: skip
        elif match := re.fullmatch(r"BODY\.PEEK\[([^\]]*)\](?:<(\d+)\.(\d+)>)?", upper):
            section, start, length = match.groups()
            data = header if section == "HEADER" else body if section in ("1", "TEXT") else b""
            label = f"BODY[{section}]"
            if start is not None:
                data = data[int(start) : int(start) + int(length)]
                label += f"<{start}>"
            parts.append(label.encode() + b" {%d}\r\n" % len(data) + data)
    return b"* %d FETCH (" % uid + b" ".join(parts) + b")\r\n"
