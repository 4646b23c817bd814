"""The connection to an IMAP server: the one module of mxa that opens a socket.

It opens one to the server the user names, and to nothing else (``tests/test_offline.py``
checks that no other module imports a network library or opens a socket): TLS verified
against the system's certificates or ``--cafile`` (``imap://``: STARTTLS, never plain
text), a login, and the few commands reading a folder needs. imapclient and imaplib are
imported here alone, and only once an IMAP source is read.

The server is not trusted (:mod:`analyzer.sources.imap_limits`): every read from the
socket is bounded in size and time by the connection's :class:`~imap_limits.Budget`, a
literal is refused before a byte of it is read, and each message's FETCH answer is parsed
and checked on its own (:func:`fetch_answers`), so that one bad answer spoils no other.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Callable
from typing import Any

from analyzer.errors import SourceError
from analyzer.sources import imap_limits as limits
from analyzer.sources.imap_address import Credentials, ImapAddress
from analyzer.sources.imap_limits import (
    BadAnswer,
    Budget,
    Deadline,
    LimitExceeded,
    TooLarge,
    deepest_nesting,
    fetch_responses,
    fields_of,
    select_problem,
    uid_in,
)

__all__ = [
    "all_folders",
    "connect",
    "connection_errors",
    "drop",
    "examine",
    "fetch_answers",
    "list_folders",
    "log_out",
    "said",
]


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
            f"--cafile {cafile}: not a readable PEM certificate ({said(error)})"
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
        raise SourceError(f"{where}: cannot connect: {said(error)}") from None
    try:
        if secret.oauth2_token:
            client.oauth2_login(address.user, secret.oauth2_token)
        else:
            client.login(address.user, secret.password or "")
    except LoginError:
        log_out(client)
        raise SourceError(f"{where}: the server refused the login of {address.user}") from None
    except (OSError, IMAPClientError, LimitExceeded) as error:
        drop(client)
        raise SourceError(f"{where}: login failed: {said(error)}") from None
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


def said(error: BaseException) -> str:
    """An error as one short line, to quote in a message to the user."""
    text = str(error) or type(error).__name__
    return " ".join(text.split())[:200]


def log_out(client: Any) -> None:
    """Log out, within five seconds; a connection already gone is only closed."""
    budget = getattr(client, "budget", None)
    if budget is not None:  # logging out is quick, or not done
        budget.deadline = Deadline.after(5.0, "logging out")
    try:
        client.logout()
    except Exception:  # a connection already gone has nothing to log out of
        drop(client)


def drop(client: Any) -> None:
    """Close a connection without a word: it is in the middle of an answer, not read."""
    with contextlib.suppress(Exception):
        client.shutdown()


def all_folders(client: Any) -> tuple[list[str], frozenset[str]]:
    """Every folder that can be selected (``\\Noselect`` ones hold no mail), and those the
    server marks as holding sent mail (RFC 6154's ``\\Sent`` special use), whatever their
    names. Flags are compared case-insensitively, as RFC 3501 and 6154 say (``\\sent``)."""
    listed = [(_lower(flags), name) for flags, _, name in client.list_folders()]
    names = [name for flags, name in listed if not flags & {b"\\noselect", b"\\nonexistent"}]
    return names, frozenset(name for flags, name in listed if b"\\sent" in flags)


def _lower(flags: Any) -> frozenset[bytes]:
    return frozenset(f.lower() for f in flags if isinstance(f, bytes))


def list_folders(client: Any, address: ImapAddress) -> tuple[list[str], frozenset[str]]:
    """:func:`all_folders`, or one :class:`SourceError` line (and the connection dropped)."""
    from imapclient.exceptions import IMAPClientError

    try:
        return all_folders(client)
    except (LimitExceeded, OSError, IMAPClientError, ValueError, TypeError, IndexError) as error:
        drop(client)
        reason = error.reason if isinstance(error, LimitExceeded) else said(error)
        raise SourceError(f"{address.server}: cannot list the folders: {reason}") from None


# -- asking the server ---------------------------------------------------------------------
def fetch_answers(
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
            reason = error.reason if isinstance(error, BadAnswer) else said(error)
            if uid in wanted:
                problems.setdefault(uid, reason)
            else:
                unplaced.append(reason)
            continue
        if uid in wanted:
            answers.setdefault(uid, {}).update(fields)
    return answers, problems, unplaced


def examine(client: Any, folder: str, source: str) -> dict[bytes, Any]:
    """Select ``folder`` read-only (``EXAMINE``): the server's answer, checked. A refusal
    is a :class:`SourceError`; an answer that does not hold, a :class:`BadAnswer`."""
    from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

    try:
        selected = client.select_folder(folder, readonly=True)
    except IMAPClientAbortError:
        raise
    except IMAPClientError as error:
        raise SourceError(f"{source}: cannot open the folder: {said(error)}") from None
    except (ValueError, TypeError, AttributeError, IndexError):
        selected = None  # a number that is none: said below
    problem = select_problem(client._imap.untagged_responses, selected)
    if problem or selected is None:
        raise BadAnswer(f"{source}: the server's answer to EXAMINE does not hold: "
                        f"{problem}")  # fmt: skip
    return selected


def connection_errors() -> tuple[type[Exception], ...]:
    """What a connection raises when the network or the server fails it (imapclient's
    errors: imported only once an IMAP source is read)."""
    from imapclient.exceptions import IMAPClientError

    return (OSError, IMAPClientError)
