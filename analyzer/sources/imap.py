"""IMAP: the envelope of the mail on a server, read without downloading a body.

mxa needs each message's header block and MIME structure. Over IMAP it asks for those
alone: ``BODY.PEEK[HEADER]`` (PEEK: nothing is marked as read), ``BODYSTRUCTURE``,
``RFC822.SIZE`` and ``INTERNALDATE``, and Gmail's ``X-GM-LABELS`` and ``X-GM-THRID``
where the server offers them. The encryption class and the keys named in the clear come
from the structure and, for the messages whose structure says they may be signed or
encrypted, from the one part that holds the signature or the encrypted data (cut at the
256 KB the extraction reads of any body), fetched with ``BODY.PEEK[n]``. From these a
*skeleton* of the message is built: its real header block, and a body with every other
part left empty. The same extraction then reads it as it reads a message of an mbox.

This is the one module of mxa that opens a socket: to the server the user names, and to
nothing else (``tests/test_offline.py`` checks that). Local worker processes each fetch
chunks of a folder over a connection of their own (:func:`fetch_chunk`). A folder's resume
state is its UIDVALIDITY and the highest UID read; a message's place (the ``offset``
column) is ``UIDVALIDITY:UID``.

The server is not trusted (:mod:`analyzer.sources.imap_limits`): every answer is read
within bounds of size and time, and checked before it is used. A bad answer about a
message quarantines that message; one about a folder, or a folder past its deadline,
ends that folder with one line; the rest of the run goes on.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import re
import ssl
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from analyzer.errors import SourceError, UsageError
from analyzer.records import Quarantined, RawMessage
from analyzer.sources import imap_limits as limits
from analyzer.sources.imap_limits import (
    BadAnswer,
    Budget,
    Deadline,
    DeadlinePassed,
    LimitExceeded,
    TooLarge,
    deepest_nesting,
    fetch_responses,
    fields_of,
    select_problem,
    uid_in,
)
from analyzer.vocabulary import QuarantineCode

__all__ = [
    "FETCH_BATCH",
    "PART_PEEK",
    "RETRIES",
    "SCHEMES",
    "Credentials",
    "FetchedChunk",
    "FolderChunk",
    "FolderReader",
    "ImapAddress",
    "ImapOptions",
    "close_folders",
    "connect",
    "credentials",
    "fetch_chunk",
    "is_imap_address",
    "open_folders",
    "parse_imap_address",
]

SCHEMES = {"imaps": 993, "imap": 143}  # imap: STARTTLS, never plain text
FETCH_BATCH = 500  # messages per FETCH command
RETRIES = 3  # times in a row a dropped connection is opened again
RETRY_SECONDS = 1.0  # wait before the first retry (then twice, three times as long)
PART_PEEK = 256 * 1024  # of a signature or encrypted part: what extraction reads of a body
_TEXT_PEEK = 128  # of a text part: enough to see whether PGP armour opens it
_SMIME_TYPES = {
    "application/pkcs7-mime",
    "application/x-pkcs7-mime",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}
_PGP_TYPES = {"application/pgp-encrypted", "application/pgp-signature", "application/pgp"}
_CHILDREN_READ = 3  # extraction looks at the first three parts of a multipart
_DEPTH_READ = 3  # and at multiparts nested this deep along the first parts
_ARMOUR = b"-----BEGIN PGP"


@dataclass(frozen=True)
class ImapAddress:
    """``imaps://USER@HOST[:PORT]/FOLDER`` (``imap://``: STARTTLS on port 143)."""

    scheme: str
    user: str
    host: str
    port: int
    folder: str | None  # None: every folder (with --all-folders), or none named

    @property
    def server(self) -> str:
        """The address without its folder, and never with a password."""
        return f"{self.scheme}://{quote(self.user, safe='')}@{self.host}:{self.port}"

    def source(self, folder: str) -> str:
        """What the store calls a folder: its ``source`` and the key of its state."""
        return f"{self.server}/{quote(folder, safe='/')}"


def is_imap_address(text: object) -> bool:
    return isinstance(text, str) and text.split("://", 1)[0].lower() in SCHEMES and "://" in text


def parse_imap_address(text: str) -> ImapAddress:
    """An :class:`ImapAddress`, or a one-line :class:`~analyzer.errors.UsageError`."""
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as error:  # an unclosed IPv6 bracket, a bracketed host that is no IP
        raise UsageError(f"{text}: not a valid address ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UsageError(f"{text}: not an IMAP address (imaps://USER@HOST/FOLDER)")
    if parts.password is not None:
        raise UsageError(
            "a password in the address would be kept in shell history and in the store: "
            "give it in MXA_IMAP_PASSWORD, the system keyring, or at the prompt"
        )
    if not parts.username or not hostname:
        raise UsageError(f"{text}: the address needs a user and a host (imaps://USER@HOST/FOLDER)")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError as error:
        raise UsageError(f"{text}: {error}") from None
    folder = unquote(parts.path.lstrip("/")) or None
    return ImapAddress(scheme, unquote(parts.username), hostname, port, folder)


@dataclass(frozen=True)
class Credentials:
    """A password or an OAuth2 bearer token (XOAUTH2); never kept anywhere."""

    password: str | None = field(default=None, repr=False)
    oauth2_token: str | None = field(default=None, repr=False)


def credentials(address: ImapAddress, prompt: Callable[[str], str] | None = None) -> Credentials:
    """From ``MXA_IMAP_OAUTH2_TOKEN``, ``MXA_IMAP_PASSWORD``, the system keyring (service
    ``mxa``, user ``USER@HOST``), or ``prompt`` (``getpass.getpass`` at a terminal; a
    library never asks by itself); in that order. Never the command line."""
    token = os.environ.get("MXA_IMAP_OAUTH2_TOKEN")
    if token:
        return Credentials(oauth2_token=token)
    password = os.environ.get("MXA_IMAP_PASSWORD")
    if password:
        return Credentials(password=password)
    password = _from_keyring(address)
    if password:
        return Credentials(password=password)
    if prompt is None:
        raise UsageError(
            f"no password for {address.user}@{address.host}: set MXA_IMAP_PASSWORD or "
            "MXA_IMAP_OAUTH2_TOKEN, or store it in the system keyring (service 'mxa')"
        )
    return Credentials(password=prompt(f"IMAP password for {address.user}@{address.host}: "))


def _from_keyring(address: ImapAddress) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password("mxa", f"{address.user}@{address.host}")
    except (KeyringError, RuntimeError):  # no keyring on this machine
        return None


def connect(
    address: ImapAddress,
    secret: Credentials,
    *,
    cafile: str | None = None,
    timeout: float = 60.0,
    deadline: Deadline | None = None,
) -> Any:
    """A logged-in ``imapclient.IMAPClient``, over TLS verified against the system's
    certificates or ``cafile``, whose every read is bounded (its ``budget``: ``timeout``
    without a byte, and ``deadline`` in all). Every failure is one :class:`SourceError`
    line."""
    from imapclient.exceptions import IMAPClientError, LoginError

    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as error:
        raise SourceError(
            f"--cafile {cafile}: not a readable PEM certificate ({_said(error)})"
        ) from None
    where = f"{address.host}:{address.port}"
    try:
        client = _client_class()(
            address.host,
            Budget(timeout, deadline),
            port=address.port,
            ssl=address.scheme == "imaps",
            ssl_context=context,
            timeout=timeout,
        )
        if address.scheme == "imap":
            client.starttls(context)
    except LimitExceeded as error:
        raise SourceError(f"{where}: cannot connect: {error.reason}") from None
    except ssl.SSLCertVerificationError as error:
        raise SourceError(
            f"{where}: the server's certificate is not trusted ({error.verify_message}); "
            "give its CA with --cafile PEM"
        ) from None
    except (OSError, ssl.SSLError, IMAPClientError) as error:
        raise SourceError(f"{where}: cannot connect: {_said(error)}") from None
    try:
        if secret.oauth2_token:
            client.oauth2_login(address.user, secret.oauth2_token)
        else:
            client.login(address.user, secret.password or "")
    except LoginError:
        _close(client)
        raise SourceError(f"{where}: the server refused the login of {address.user}") from None
    except (OSError, IMAPClientError, LimitExceeded) as error:
        _drop(client)
        raise SourceError(f"{where}: login failed: {_said(error)}") from None
    return client


@functools.cache
def _client_class() -> type:
    """imapclient's ``IMAPClient``, reading every answer through a :class:`Budget` (made
    on first use: imapclient is imported only where an IMAP source is read).

    imaplib reads a literal with ``file.read(size)`` whatever the size announced, and a
    line byte by byte however slowly it comes; here each read from the socket is given
    what is left of the deadline, and a literal is refused before a byte of it is read.
    """
    import imaplib

    from imapclient import IMAPClient, imap4, tls

    class Guarded(imaplib.IMAP4):
        budget: Budget
        _timeout: float | None

        def __init__(self, budget: Budget, *args: Any) -> None:
            self.budget = budget
            super().__init__(*args)

        def _within(self, operation: Callable[..., Any], *args: Any) -> Any:
            self.sock.settimeout(self.budget.timeout())
            try:
                return operation(*args)
            except TimeoutError:
                self.budget.timed_out()
                raise

        def _create_socket(self, timeout: float | None = None) -> Any:
            # the TCP connection, and for imaps the TLS handshake as a whole
            limit = self.budget.timeout(self._timeout if timeout is None else timeout)
            try:
                return super()._create_socket(limit)
            except TimeoutError:
                self.budget.timed_out()
                raise

        def _new_tag(self) -> bytes:
            self.budget.command_started()
            return super()._new_tag()

        def readline(self) -> bytes:
            pieces: list[bytes] = []
            size = 0
            while buffered := self._within(self.file.peek, 1):
                end = buffered.find(b"\n")
                pieces.append(self.file.read(end + 1 if end >= 0 else len(buffered)))
                size += len(pieces[-1])
                if end >= 0:
                    break
                if size > limits.LINE_CAP:
                    raise TooLarge(f"a line of more than {limits.LINE_CAP} bytes", uid_in(pieces))
            line = b"".join(pieces)
            self.budget.line(line)
            return line

        def read(self, size: int) -> bytes:
            self.budget.literal(size)  # refused before a byte of it is read
            pieces: list[bytes] = []
            left = size
            while left > 0 and (piece := self._within(self.file.read1, min(left, 1 << 20))):
                pieces.append(piece)
                left -= len(piece)
            return b"".join(pieces)

        def send(self, data: bytes) -> None:
            self._within(super().send, data)

        def starttls(self, ssl_context: Any = None) -> Any:
            return self._within(super().starttls, ssl_context)  # the handshake as a whole

    class GuardedTls(Guarded, tls.IMAP4_TLS):
        pass

    class GuardedPlain(Guarded, imap4.IMAP4WithTimeout):  # until STARTTLS
        pass

    class Client(IMAPClient):
        def __init__(self, host: str, budget: Budget, **options: Any) -> None:
            self.budget = budget
            super().__init__(host, **options)

        def _create_IMAP4(self) -> Any:
            timeout = getattr(self._timeout, "connect", None)
            if self.ssl:
                return GuardedTls(self.budget, self.host, self.port, self.ssl_context, timeout)
            return GuardedPlain(self.budget, self.host, self.port, timeout)

    return Client


def _said(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:200]


def _close(client: Any) -> None:
    budget = getattr(client, "budget", None)
    if budget is not None:  # logging out is quick, or not done
        budget.deadline = Deadline.after(5.0, "logging out")
    try:
        client.logout()
    except Exception:  # a connection already gone has nothing to log out of
        _drop(client)


def _drop(client: Any) -> None:
    """Close a connection without a word: it is in the middle of an answer, not read."""
    with contextlib.suppress(Exception):
        client.shutdown()


def all_folders(client: Any) -> list[str]:
    """Every folder that can be selected (``\\Noselect`` ones hold no mail)."""
    return [
        name
        for flags, _, name in client.list_folders()
        if b"\\Noselect" not in flags and b"\\NonExistent" not in flags
    ]


# -- the MIME structure ------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _content_type(node: Any) -> str:
    if node.is_multipart:
        return f"multipart/{_text(node[1]).lower()}"
    return f"{_text(node[0]).lower()}/{_text(node[1]).lower()}"


def _params(node: Any) -> dict[str, str]:
    # (type, subtype, params, …), or ([parts], subtype, params, …) for a multipart
    raw = node[2] if len(node) > 2 else None
    if not isinstance(raw, tuple):
        return {}
    return {_text(raw[i]).lower(): _text(raw[i + 1]) for i in range(0, len(raw) - 1, 2)}


@dataclass
class _Node:
    """One part of a message's structure, as far as extraction reads it."""

    path: str  # IMAP section: "" the message itself, "1.2" a part
    kind: str  # "type/subtype", lower-cased
    boundary: str | None = None
    children: list[_Node] = field(default_factory=list)  # the ones extraction reads
    peek: int = 0  # bytes of its content extraction reads (0: none)
    headers: bytes = b""  # its MIME header block, fetched
    content: bytes = b""  # the first ``peek`` bytes of its content, fetched


def _node(structure: Any, path: str) -> _Node:
    return _Node(path, _content_type(structure), _params(structure).get("boundary"))


def read_plan(structure: Any) -> _Node:
    """The parts extraction would read, and how much of each (``analyzer.extract.
    encryption.inspect_body``): the headers of the parts it looks at; all of a signature,
    an S/MIME or PGP blob, and what a PGP/MIME message encrypts (up to :data:`PART_PEEK`);
    the start of the first text part, to see whether PGP armour opens it. The rest of
    the message, attachments and text alike, stays on the server."""
    if not hasattr(structure, "is_multipart") or len(structure) < 3:
        return _Node("", "")  # no structure from the server: the header block alone
    root = _node(structure, "")
    _plan_node(root, structure, level=0)
    return root


def _children(structure: Any, node: _Node) -> list[tuple[_Node, Any]]:
    parts = structure[0] if structure.is_multipart else []
    prefix = f"{node.path}." if node.path else ""
    return [(_node(child, f"{prefix}{i}"), child) for i, child in enumerate(parts, 1)]


def _plan_node(node: _Node, structure: Any, level: int) -> None:
    """``node`` as ``inspect_body`` reads it when it is handed the node's content."""
    kind = node.kind
    params = _params(structure)
    protocol = params.get("protocol", "").lower()
    children = _children(structure, node)
    if kind == "multipart/encrypted":
        if "pgp" in protocol or not protocol:  # its whole body is read
            node.children = [child for child, _ in children]
            for child in node.children:
                child.peek = PART_PEEK
    elif kind == "multipart/signed":
        node.children = [child for child, _ in children[:2]]
        if len(node.children) == 2:
            node.children[1].peek = PART_PEEK  # the signature
    elif kind in _SMIME_TYPES or kind in ("application/pgp-encrypted", "application/pgp"):
        node.peek = PART_PEEK
    elif kind.startswith("multipart/") and level < _DEPTH_READ:
        shown = children[:_CHILDREN_READ]
        node.children = [child for child, _ in shown]
        if any(child.kind == "application/pgp-encrypted" for child, _ in shown):
            # PGP/MIME flattened (Exchange): the whole body is searched for PGP data
            node.children = [child for child, _ in children]
            for child in node.children:
                child.peek = PART_PEEK
        elif shown:
            first, first_structure = shown[0]
            _plan_node(first, first_structure, level + 1)
    elif kind.startswith("text/"):
        node.peek = _TEXT_PEEK


def _sections(node: _Node) -> Iterator[_Node]:
    yield node
    for child in node.children:
        yield from _sections(child)


def _fetch_items(node: _Node) -> list[str]:
    """The FETCH items for a planned message's parts (not its header block)."""
    items = []
    for part in _sections(node):
        if part.path:
            items.append(f"BODY.PEEK[{part.path}.MIME]")
        if part.peek:
            items.append(f"BODY.PEEK[{part.path or '1'}]<0.{part.peek}>")
    return items


def _fill(node: _Node, answer: dict[bytes, Any]) -> None:
    """Put the fetched sections into the plan (servers answer ``BODY[1]<0>``)."""
    for part in _sections(node):
        headers = answer.get(f"BODY[{part.path}.MIME]".encode())
        if headers is not None:
            part.headers = headers
        content = answer.get(f"BODY[{part.path or '1'}]<0>".encode())
        if content is not None:
            part.content = content


def _wants_more(node: _Node) -> list[_Node]:
    """Text parts whose start is PGP armour (or only white space): read up to PART_PEEK."""
    return [
        part
        for part in _sections(node)
        if part.peek == _TEXT_PEEK
        and len(part.content) == _TEXT_PEEK
        and (part.content.lstrip().startswith(_ARMOUR) or not part.content.strip())
    ]


def skeleton(node: _Node) -> bytes:
    """The content of a planned part: what was fetched, and for a multipart its children
    between their boundaries, each after its own MIME header block."""
    if not node.children:
        return node.content
    boundary = (node.boundary or "").encode("utf-8", "replace")
    chunks = []
    for child in node.children:
        chunks += [b"--", boundary, b"\r\n", child.headers, skeleton(child), b"\r\n"]
    chunks += [b"--", boundary, b"--\r\n"]
    return b"".join(chunks)


def _timestamp(moment: Any) -> float | None:
    """INTERNALDATE as a UTC timestamp (imapclient gives a naive local datetime)."""
    if not isinstance(moment, datetime.datetime):
        return None
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()  # imapclient's default: converted to local time
        return float(int(moment.timestamp()))
    except (OverflowError, ValueError, OSError):  # year 1 or 9999 at the edge of a zone
        return None


# -- asking the server ---------------------------------------------------------------------
def _fetch_answers(
    client: Any, uids: list[int], items: list[str], sizes: dict[int, int | None] | None
) -> tuple[dict[int, dict[bytes, Any]], dict[int, str], list[str]]:
    """``UID FETCH`` of ``items``, each message's answer parsed and checked on its own
    (imapclient's ``fetch`` parses them all at once: one bad answer and none is read).
    Returns the fields of the answers that hold; why, for the UIDs of those that do not;
    and why, for bad answers that name no UID wanted. With ``sizes`` (UID → RFC822.SIZE),
    literals are bounded by them."""
    from imapclient.datetime_util import parse_to_datetime
    from imapclient.exceptions import IMAPClientError
    from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper
    from imapclient.response_parser import parse_response
    from imapclient.response_types import BodyData

    budget = getattr(client, "budget", None)
    bounded = budget.expecting(sizes) if budget and sizes is not None else contextlib.nullcontext()
    with bounded:
        imap = client._imap  # as imapclient's own fetch asks
        tag = imap._command("UID", "FETCH", join_message_ids(uids), seq_to_parenstr_upper(items))
        status, data = imap._command_complete("FETCH", tag)
        client._checkok("fetch", status, data)
        status, data = imap._untagged_response(status, data, "FETCH")
    answers: dict[int, dict[bytes, Any]] = {}
    problems: dict[int, str] = {}
    unplaced: list[str] = []
    wanted = set(uids)
    for response in fetch_responses(data):
        try:
            depth = deepest_nesting(response)
            if depth > limits.STRUCTURE_DEPTH:
                cap = limits.STRUCTURE_DEPTH
                raise BadAnswer(f"an answer nested {depth} parentheses deep (more than {cap})")
            uid, fields = fields_of(parse_response(response), BodyData.create, parse_to_datetime)
        except (BadAnswer, IMAPClientError, ValueError, TypeError, AttributeError, IndexError,
                RecursionError) as error:  # fmt: skip
            uid = getattr(error, "uid", None) or uid_in(response)
            reason = error.reason if isinstance(error, BadAnswer) else _said(error)
            if uid in wanted:
                problems.setdefault(uid, reason)
            else:
                unplaced.append(reason)
            continue
        if uid in wanted:
            answers.setdefault(uid, {}).update(fields)
    return answers, problems, unplaced


# which folder each connection has selected: selecting again is not free (Dovecot syncs
# its index, up to a second on a big folder that another connection is reading)
_SELECTED: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


# -- reading a folder ----------------------------------------------------------------------
_HEADER = b"BODY[HEADER]"
_GMAIL = ("X-GM-LABELS", "X-GM-THRID")
_PEEK = re.compile(r"<\d+\.(\d+)>$")


class _Unplaced(Exception):
    """A bad answer in a FETCH of several messages that names none: fetch one by one."""


class _Renumbered(SourceError):
    """The folder's UIDVALIDITY changed while it was read: what was read no longer holds."""


@dataclass
class _Run:
    """The IMAP folders of one run: their common deadline, while any server is open."""

    options: ImapOptions
    deadline: Deadline
    servers: int = 0  # logged in to, and not yet closed


# The run under way for each ImapOptions (by identity): from the first open_folders to
# the last close_folders, however many servers it names.
_RUNS: dict[int, _Run] = {}


class FolderReader:
    """The messages of one folder with a UID above where an earlier run stopped, oldest
    first, as :class:`~analyzer.records.RawMessage` skeletons (or
    :class:`~analyzer.records.Quarantined`, for a message the server answered badly about).

    :meth:`open` selects the folder (read-only) and lists what to read; ``total_bytes``
    is their size. While iterating, ``last_uid`` is the UID of the last message yielded
    and ``bytes_read`` the sum of their sizes. A dropped connection is opened again with
    ``reconnect`` (up to :data:`RETRIES` times in a row) and reading goes on after
    ``last_uid``; past that, or past the folder's deadline, a :class:`SourceError` says
    where it stopped.
    """

    def __init__(
        self,
        client: Any,
        address: ImapAddress,
        folder: str,
        reconnect: Callable[[Deadline | None], Any] | None = None,
    ) -> None:
        self.client = client
        self.address = address
        self.folder = folder
        self.source = address.source(folder)
        self._reconnect = reconnect
        self.uidvalidity: int | None = None
        self.uids: list[int] = []
        self.sizes: dict[int, int] = {}
        self.last_uid = 0
        self.bytes_read = 0
        self.earlier = 0  # messages read by earlier runs
        self.read = 0
        self.login: tuple[Credentials, str | None] | None = None  # for workers' connections
        self.failed = False  # a chunk could not be fetched to its end: the rest waits
        self.problems: dict[int, str] = {}  # UID → why its message is quarantined
        self.broken: str | None = None  # why the folder could not be opened, if it could not
        self.folder_seconds: float | None = None  # its deadline, from when reading begins
        self.run: _Run | None = None
        self.deadline: Deadline | None = None  # the one being kept
        self._deadline_fixed = False  # a chunk's, set by fetch_chunk
        self._single_until = 0  # UIDs up to this one are fetched one at a time
        self._batch: list[int] = []  # the UIDs being fetched

    # -- deadlines ---------------------------------------------------------------------------
    def _fresh_deadline(self) -> Deadline | None:
        run = self.run.deadline if self.run else None
        if not self.folder_seconds:
            return run
        return Deadline.after(self.folder_seconds, "the folder", "--imap-deadline").earliest(run)

    def begin(self) -> None:
        """Reading begins: so does the folder's deadline (a chunk keeps its folder's)."""
        if not self._deadline_fixed:
            self.deadline = self._fresh_deadline()

    def _arm(self) -> None:
        budget = getattr(self.client, "budget", None)
        if budget is not None:
            budget.deadline = self.deadline

    def _past_deadline(self) -> None:
        if self.deadline is not None and time.time() >= self.deadline.at:
            raise SourceError(self._stopped(self.deadline.reason)) from None

    def _stopped(self, reason: str) -> str:
        return f"{self.source}: stopped after UID {self.last_uid}: {reason}; run again to go on"

    # -- chunks for worker processes -----------------------------------------------------
    def chunks(self, size: int) -> Iterator[FolderChunk]:
        """The messages left to read, in chunks for worker processes to fetch."""
        assert self.login is not None
        self.begin()
        if self.broken:  # one chunk, to say so where the chunks are joined
            yield FolderChunk(self.address, self.login, self.folder, self.uidvalidity or 0,
                              (), (), error=self.broken)  # fmt: skip
            return
        assert self.uidvalidity is not None
        left = [uid for uid in self.uids if uid > self.last_uid]
        for start in range(0, len(left), size):
            uids = tuple(left[start : start + size])
            sizes = tuple(self.sizes.get(uid, -1) for uid in uids)
            problems = tuple((uid, self.problems[uid]) for uid in uids if uid in self.problems)
            yield FolderChunk(self.address, self.login, self.folder, self.uidvalidity, uids,
                              sizes, self.deadline, problems)  # fmt: skip

    def accept(self, fetched: FetchedChunk, count: int) -> None:
        """A chunk's messages are stored (in order): reading has come to its last one."""
        if count:
            self.last_uid = fetched.last_uid
            self.read += count
            self.bytes_read += fetched.bytes_read

    # -- opening -----------------------------------------------------------------------------
    def open(self, state: dict[str, Any] | None = None) -> bool:
        """Select the folder and list the UIDs to read: those after ``state`` (what
        :meth:`state` gave an earlier run) while the folder's UIDVALIDITY is the same,
        else all of them. Returns whether the earlier state still holds.

        A folder the server will not open is a :class:`SourceError`; one it answers badly
        about, or not in time, is ``broken``: reading it says why, and the earlier state
        is kept for the next run."""
        from imapclient.exceptions import IMAPClientError

        state = state or {}
        self.deadline = self._fresh_deadline()  # opening is the folder's time too
        for attempt in (1, 2):  # the connection may be one another folder's answer broke
            self.uidvalidity, self.sizes, self.problems = None, {}, {}
            try:
                return self._open(state)
            except BadAnswer as problem:
                return self._break(state, str(problem))
            except (LimitExceeded, OSError, IMAPClientError) as error:
                _drop(self.client)
                reason = error.reason if isinstance(error, LimitExceeded) else _said(error)
                if attempt == 2 or self._reconnect is None or isinstance(error, DeadlinePassed):
                    return self._break(state, f"{self.source}: cannot open the folder: {reason}")
                try:
                    self.client = self._reconnect(self.deadline)
                except SourceError as problem:
                    return self._break(state, str(problem))
        raise AssertionError("unreachable")

    def _open(self, state: dict[str, Any]) -> bool:
        selected = self._select()
        kept = state.get("uidvalidity") == self.uidvalidity
        after = int(state.get("last_uid", 0)) if kept else 0
        self.earlier = int(state.get("messages_read", 0)) if kept else 0
        self.last_uid = after
        try:
            found = self.client.search(["UID", f"{after + 1}:*"]) if selected[b"EXISTS"] else []
            found = [int(uid) for uid in found]
        except (ValueError, TypeError) as error:
            raise BadAnswer(f"{self.source}: the server's answer to SEARCH cannot be read "
                            f"({_said(error)})") from None  # fmt: skip
        if not all(1 <= uid <= limits.UID_MAX for uid in found):
            raise BadAnswer(f"{self.source}: the server's answer to SEARCH has UIDs that are none")
        self.uids = sorted({uid for uid in found if uid > after})  # "n:*" names the last UID
        for start in range(0, len(self.uids), FETCH_BATCH * 10):
            chunk = self.uids[start : start + FETCH_BATCH * 10]
            answers, problems, _ = _fetch_answers(self.client, chunk, ["RFC822.SIZE"], None)
            self.problems.update(problems)  # a bad answer naming no UID leaves a size unknown
            for uid, answer in answers.items():
                if b"RFC822.SIZE" in answer:
                    self.sizes[uid] = answer[b"RFC822.SIZE"]
        return kept or not state

    def _break(self, state: dict[str, Any], reason: str) -> bool:
        """The folder cannot be read this run: keep the earlier state, say why later."""
        self.broken = reason
        self.uids, self.sizes, self.problems = [], {}, {}
        self.uidvalidity = state.get("uidvalidity")
        self.last_uid = int(state.get("last_uid", 0))
        self.earlier = int(state.get("messages_read", 0))
        return True

    def _select(self) -> dict[bytes, Any]:
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

        self._arm()
        try:
            selected = self.client.select_folder(self.folder, readonly=True)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as error:
            raise SourceError(f"{self.source}: cannot open the folder: {_said(error)}") from None
        except (ValueError, TypeError, AttributeError, IndexError):
            selected = None  # a number that is none: said below
        problem = select_problem(self.client._imap.untagged_responses, selected)
        if problem or selected is None:
            raise BadAnswer(f"{self.source}: the server's answer to EXAMINE does not hold: "
                            f"{problem}")  # fmt: skip
        uidvalidity = int(selected[b"UIDVALIDITY"])
        if self.uidvalidity is not None and uidvalidity != self.uidvalidity:
            raise _Renumbered(f"{self.source}: the folder was renumbered (UIDVALIDITY) while read")
        self.uidvalidity = uidvalidity
        _SELECTED[self.client] = self.folder
        return selected

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes.values())

    @property
    def position(self) -> str:
        """Where reading has come to, as the ``offset`` column names a message."""
        return f"{self.uidvalidity}:{self.last_uid}"

    def state(self, complete: bool) -> dict[str, Any]:
        """What a later run needs to go on from here (the store keeps it)."""
        return {
            "kind": "imap",
            "source": self.source,
            "uidvalidity": self.uidvalidity,
            "last_uid": self.last_uid,
            "complete": complete,
            "messages_read": self.earlier + self.read,
        }

    # -- reading -----------------------------------------------------------------------------
    def __iter__(self) -> Iterator[RawMessage | Quarantined]:
        from imapclient.exceptions import IMAPClientError

        if self.broken:
            raise SourceError(self.broken)
        self.begin()
        failures = 0
        again = False  # connect again before going on
        while True:
            try:
                if again:
                    again = False
                    self.client = self._reconnect(self.deadline)  # type: ignore[misc]
                for message in self._messages():
                    failures = 0
                    yield message
                return
            except _Unplaced:
                self._single_until = self._batch[-1]
            except LimitExceeded as error:
                self._refused(error)
                again = True
            except (BadAnswer, _Renumbered):
                raise
            except (OSError, IMAPClientError, SourceError) as error:  # SourceError: reconnecting
                self._past_deadline()
                failures += 1
                if self._reconnect is None or failures > RETRIES:
                    reason = f"the connection failed ({_said(error)})"
                    raise SourceError(self._stopped(reason)) from None
                _close(self.client)
                time.sleep(RETRY_SECONDS * failures)
                again = True

    def _refused(self, error: LimitExceeded) -> None:
        """The server went past a limit: drop the connection; quarantine the message the
        answer was about, or fetch the batch again one message at a time to find it."""
        _drop(self.client)
        if isinstance(error, DeadlinePassed) or not self._batch or self._reconnect is None:
            raise SourceError(self._stopped(error.reason)) from None
        uid = error.uid if error.uid in self._batch else None
        if uid is None and len(self._batch) == 1:
            uid = self._batch[0]
        if uid is None:
            self._single_until = self._batch[-1]
        else:
            self.problems[uid] = f"{error.reason}; not read"

    def _batches(self, left: list[int]) -> Iterator[list[int]]:
        single = [uid for uid in left if uid <= self._single_until]
        yield from ([uid] for uid in single)
        rest = left[len(single) :]
        for start in range(0, len(rest), FETCH_BATCH):
            yield rest[start : start + FETCH_BATCH]

    def _messages(self) -> Iterator[RawMessage | Quarantined]:
        self._batch = []
        self._arm()
        if _SELECTED.get(self.client) != self.folder:  # one connection reads several folders
            self._select()
        items = ["BODY.PEEK[HEADER]", "BODYSTRUCTURE", "INTERNALDATE"]
        if self.client.has_capability("X-GM-EXT-1"):
            items += _GMAIL
        left = [uid for uid in self.uids if uid > self.last_uid]
        for batch in self._batches(left):
            self._batch = batch
            wanted = [uid for uid in batch if uid not in self.problems]
            answers = self._fetch(wanted, items) if wanted else {}
            plans = {}
            for uid, answer in answers.items():
                try:
                    plans[uid] = read_plan(answer.get(b"BODYSTRUCTURE"))
                except (IndexError, TypeError, AttributeError, ValueError) as error:
                    self.problems[uid] = f"BODYSTRUCTURE cannot be read ({_said(error)})"
            self._fetch_parts(plans)
            self._batch = []
            for uid in batch:
                if uid in self.problems:
                    reason = f"bad answer from the server: {self.problems[uid]}"[:300]
                    item: RawMessage | Quarantined = Quarantined(
                        self.source, f"{self.uidvalidity}:{uid}", reason, QuarantineCode.UNREADABLE
                    )
                elif uid in plans:
                    item = self._message(uid, answers[uid], plans[uid])
                else:
                    continue  # expunged since the search
                yield item
                self.last_uid = uid
                self.read += 1
                self.bytes_read += self.sizes.get(uid, 0)

    def _fetch(self, uids: list[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
        """The answers that hold; the UIDs of those that do not go to ``problems``."""
        sizes = {uid: self.sizes.get(uid) for uid in uids}
        answers, problems, unplaced = _fetch_answers(self.client, uids, items, sizes)
        if unplaced and len(uids) > 1:
            raise _Unplaced
        if unplaced:
            problems.setdefault(uids[0], unplaced[0])
        for uid, reason in problems.items():
            self.problems.setdefault(uid, reason)
            answers.pop(uid, None)
        return answers

    def _fetch_parts(self, plans: dict[int, _Node]) -> None:
        """Fetch the parts each plan names; then more of the text parts that open with
        PGP armour."""
        self._fetch_groups(plans, {uid: _fetch_items(plan) for uid, plan in plans.items()})
        longer: dict[int, list[str]] = {}
        for uid, plan in plans.items():
            for part in _wants_more(plan):
                part.peek = PART_PEEK
                longer.setdefault(uid, []).append(f"BODY.PEEK[{part.path or '1'}]<0.{PART_PEEK}>")
        self._fetch_groups(plans, longer)

    def _fetch_groups(self, plans: dict[int, _Node], wanted: dict[int, list[str]]) -> None:
        """One FETCH per distinct list of items (messages of one shape share it), of as
        many messages as keep its answer well under :data:`~imap_limits.RESPONSE_CAP`."""
        groups: dict[tuple[str, ...], list[int]] = {}
        for uid, items in wanted.items():
            if items:
                groups.setdefault(tuple(items), []).append(uid)
        for items, uids in groups.items():
            each = sum(int(m.group(1)) if (m := _PEEK.search(i)) else 0 for i in items)
            each += len(items) * 65536  # the MIME header blocks
            step = max(1, limits.RESPONSE_CAP // 2 // each)
            for start in range(0, len(uids), step):
                for uid, answer in self._fetch(uids[start : start + step], list(items)).items():
                    _fill(plans[uid], answer)
        for uid in [uid for uid in plans if uid in self.problems]:
            del plans[uid]

    def _message(self, uid: int, answer: dict[bytes, Any], plan: _Node) -> RawMessage:
        header = answer.get(_HEADER) or b""
        extra = b""
        if b"X-GM-THRID" in answer and b"x-gm-thrid:" not in header.lower():
            extra += b"X-GM-THRID: %d\r\n" % int(answer[b"X-GM-THRID"])
        if b"X-GM-LABELS" in answer and b"x-gmail-labels:" not in header.lower():
            labels = ",".join(_text(label) for label in answer[b"X-GM-LABELS"])
            extra += b"X-Gmail-Labels: " + labels.encode("utf-8") + b"\r\n"
        if extra:  # as Google Takeout writes them into an mbox
            end = header.rfind(b"\r\n\r\n")
            header = header[: end + 2] + extra + header[end + 2 :] if end >= 0 else header + extra
        size = self.sizes.get(uid)
        delivered = _timestamp(answer.get(b"INTERNALDATE"))
        data = header + skeleton(plan)
        return RawMessage(self.source, f"{self.uidvalidity}:{uid}", data, size, delivered)


@dataclass(frozen=True)
class ImapOptions:
    """How to reach the servers of ``imap(s)://`` sources, and how long to wait for them."""

    cafile: str | None = None  # a PEM of the CA (or the certificate) to trust
    all_folders: bool = False  # every folder of an address that names none
    prompt: Callable[[str], str] | None = None  # asks for a password; None: never asks
    # seconds one folder may take, from its opening (--imap-deadline); past them the folder
    # ends with one line, and the next run reads on from where it stopped
    deadline: float = limits.FOLDER_SECONDS
    run_deadline: float = limits.RUN_SECONDS  # all the folders of a run (--imap-run-deadline)


def open_folders(address: ImapAddress, options: ImapOptions) -> list[FolderReader]:
    """Log in to the server of ``address`` and make a reader for each folder it names."""
    if not options.deadline > 0 or not options.run_deadline > 0:
        raise UsageError("an IMAP deadline must be more than 0 seconds")
    secret = credentials(address, options.prompt)
    run = _RUNS.get(id(options))
    if run is None or run.options is not options or not run.servers:
        run = _Run(options, Deadline.after(options.run_deadline, "the run", "--imap-run-deadline"))

    def reconnect(deadline: Deadline | None) -> Any:
        return connect(address, secret, cafile=options.cafile, deadline=deadline)

    opening = Deadline.after(options.deadline, "the folder", "--imap-deadline")
    client = reconnect(opening.earliest(run.deadline))
    if address.folder is not None:
        names = [address.folder]
    elif options.all_folders:
        names = _all_folders(client, address)
    else:
        _close(client)
        raise UsageError(f"{address.server}: name a folder (…/INBOX) or give --all-folders")
    if not names:
        _close(client)
        return []
    _RUNS[id(options)] = run
    run.servers += 1
    folders = [FolderReader(client, address, name, reconnect) for name in names]
    for folder in folders:
        folder.login = (secret, options.cafile)
        folder.folder_seconds, folder.run = options.deadline, run
    return folders


def _all_folders(client: Any, address: ImapAddress) -> list[str]:
    from imapclient.exceptions import IMAPClientError

    try:
        return all_folders(client)
    except (LimitExceeded, OSError, IMAPClientError, ValueError, TypeError, IndexError) as error:
        _drop(client)
        reason = error.reason if isinstance(error, LimitExceeded) else _said(error)
        raise SourceError(f"{address.server}: cannot list the folders: {reason}") from None


# -- fetching in worker processes ------------------------------------------------------------
@dataclass(frozen=True)
class FolderChunk:
    """Messages of a folder for a worker process to fetch over its own connection, so that
    parsing the server's answers is shared out like the extraction (the credentials go
    to local worker processes only, never to a cluster)."""

    address: ImapAddress
    login: tuple[Credentials, str | None] = field(repr=False)  # and the CA file
    folder: str
    uidvalidity: int
    uids: tuple[int, ...]
    sizes: tuple[int, ...]  # RFC822.SIZE of each; -1: the server gave none
    deadline: Deadline | None = None  # the folder's (or the run's, if sooner)
    problems: tuple[tuple[int, str], ...] = ()  # messages quarantined unread, and why
    error: str | None = None  # the folder could not be opened: this is all there is to say


@dataclass
class FetchedChunk:
    """What a worker fetched of a :class:`FolderChunk`, in UID order."""

    messages: list[RawMessage | Quarantined]
    last_uid: int  # of the last message fetched (0: none)
    bytes_read: int
    error: str | None = None  # fetching stopped there: the rest waits for the next run


# One connection per server in each process, keyed by the process id too: a forked
# worker inherits its parent's entries, whose sockets it must never use.
_WORKER_CLIENTS: dict[tuple[int, str], Any] = {}


def fetch_chunk(chunk: FolderChunk) -> FetchedChunk:
    """Fetch a chunk's messages as :class:`FolderReader` does, over this process's own
    connection to the server (made once, logged out when the process ends)."""
    if chunk.error:
        return FetchedChunk([], 0, 0, chunk.error)
    secret, cafile = chunk.login
    key = (os.getpid(), chunk.address.server)  # a chunk selects its folder on it

    def reconnect(deadline: Deadline | None) -> Any:
        client = connect(chunk.address, secret, cafile=cafile, deadline=deadline)
        if not any(pid == key[0] for pid, _ in _WORKER_CLIENTS):
            import multiprocessing.util

            multiprocessing.util.Finalize(None, _close_worker_clients, exitpriority=10)
        _WORKER_CLIENTS[key] = client
        return client

    reader = FolderReader(None, chunk.address, chunk.folder, reconnect)
    reader.uidvalidity = chunk.uidvalidity
    reader.uids = list(chunk.uids)
    reader.sizes = {uid: size for uid, size in zip(chunk.uids, chunk.sizes, strict=True)
                    if size >= 0}  # fmt: skip
    reader.problems = dict(chunk.problems)
    reader.deadline, reader._deadline_fixed = chunk.deadline, True
    reader.last_uid = chunk.uids[0] - 1 if chunk.uids else 0
    messages: list[RawMessage | Quarantined] = []
    error = None
    try:
        reader.client = _WORKER_CLIENTS.get(key) or reconnect(chunk.deadline)
        for message in reader:  # what came before a failure is kept
            messages.append(message)
    except SourceError as problem:
        error = str(problem)
        stale = _WORKER_CLIENTS.pop(key, None)  # dropped, or not to be trusted
        if stale is not None:
            _drop(stale)
    return FetchedChunk(messages, reader.last_uid if reader.read else 0, reader.bytes_read, error)


def _close_worker_clients() -> None:
    """Log out of this process's connections (not those a fork inherited)."""
    for key in [key for key in _WORKER_CLIENTS if key[0] == os.getpid()]:
        _close(_WORKER_CLIENTS.pop(key))


def close_folders(folders: list[FolderReader]) -> None:
    """Log out of every server the readers were connected to; the run they were part of
    ends with the last of its servers."""
    for client in {id(f.client): f.client for f in folders}.values():
        _close(client)
    for run in {id(f.run): f.run for f in folders if f.run is not None}.values():
        run.servers -= 1
        if run.servers <= 0 and _RUNS.get(id(run.options)) is run:
            del _RUNS[id(run.options)]
