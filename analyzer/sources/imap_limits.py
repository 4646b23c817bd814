"""What an IMAP server may make mxa hold, wait for, or believe: a server is not trusted.

Its answers are read under a :class:`Budget`: a literal (a string sent as ``{n}`` then n
bytes) may be no longer than the message it is about could make it (``RFC822.SIZE`` plus
:data:`LITERAL_SLACK`) nor than :data:`LITERAL_CAP`; the whole answer to one command no
longer than :data:`RESPONSE_CAP`; one line no longer than :data:`LINE_CAP`. Past a limit
the connection is dropped at once (:class:`TooLarge`): what the server goes on sending is
never read. A :class:`Deadline` bounds the time a folder, and a run, may take, however
slowly the server trickles (:class:`DeadlinePassed`).

Each FETCH answer is checked field by field (:func:`fields_of`) before mxa uses it: one
about a message that does not hold (a UID that is no number, a size that is no size, a
structure nested :data:`STRUCTURE_DEPTH` deep…) quarantines that message
(:class:`BadAnswer`); a SELECT answer that does not hold ends that folder. This module
opens no socket: :mod:`analyzer.sources.imap_client` does, and reads through these checks.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from analyzer.errors import SourceError

__all__ = [
    "FOLDER_SECONDS",
    "LINE_CAP",
    "LITERAL_CAP",
    "LITERAL_SLACK",
    "RESPONSE_CAP",
    "RUN_SECONDS",
    "STRUCTURE_DEPTH",
    "BadAnswer",
    "Budget",
    "Deadline",
    "DeadlinePassed",
    "LimitExceeded",
    "TooLarge",
    "deepest_nesting",
    "fetch_responses",
    "fields_of",
    "select_problem",
    "uid_in",
]

LITERAL_CAP = 64 << 20  # no literal is read past this, whatever the server announced
LITERAL_SLACK = 1 << 20  # over RFC822.SIZE (servers that estimate it); any other literal
RESPONSE_CAP = 256 << 20  # all the lines and literals of one FETCH answer
LINE_CAP = 16 << 20  # one line (a SEARCH answer of a million UIDs is about 8 MB)
STRUCTURE_DEPTH = 128  # parentheses nested in one answer (Dovecot nests parts 100 deep)
FOLDER_SECONDS = 3600.0  # the default deadline of a folder: the next run reads on
RUN_SECONDS = 4 * 3600.0  # the default deadline of all the IMAP folders of a run
UID_MAX = 2**32 - 1  # UIDs, UIDVALIDITY and UIDNEXT are 32-bit numbers above zero
_NUMBERS = ("EXISTS", "RECENT", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ")


class LimitExceeded(Exception):
    """A server went past a limit; the connection it came over is unusable (not an
    ``OSError``: a dropped line is opened again, this is not)."""

    def __init__(self, reason: str, uid: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.uid = uid  # the message the answer being read was about, if known


class TooLarge(LimitExceeded):
    """A literal, a line or an answer longer than its bound."""


class DeadlinePassed(LimitExceeded):
    """The folder's or the run's time is up."""


class BadAnswer(SourceError):
    """A server's answer that does not hold: it names the field and what was wrong."""

    def __init__(self, reason: str, uid: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.uid = uid


@dataclass(frozen=True)
class Deadline:
    """A moment (``time.time()``: worker processes share it) and what passing it means."""

    at: float
    reason: str

    @classmethod
    def after(cls, seconds: float, what: str, flag: str = "") -> Deadline:
        """``seconds`` from now; ``flag`` names the option that sets them."""
        said = f"{what} took longer than its deadline of {seconds:g} s"
        return cls(time.time() + seconds, f"{said} ({flag})" if flag else said)

    def earliest(self, other: Deadline | None) -> Deadline:
        return self if other is None or self.at <= other.at else other


class Budget:
    """What the answer to the command being read may still hold, and by when.

    The connection consults it before each read from the socket (:meth:`timeout`), for
    each line (:meth:`line`) and for each literal announced (:meth:`literal`). Within
    :meth:`expecting`, literals are bounded by the sizes of the messages fetched.
    """

    def __init__(self, read_timeout: float | None, deadline: Deadline | None = None) -> None:
        self.read_timeout = read_timeout  # no byte for this long: the line is down
        self.deadline = deadline
        self._bounds: dict[int, int] = {}  # UID → the longest literal about it
        self._total = LITERAL_CAP  # the answer to one command, lines and literals
        self._left = self._total
        self._uid: int | None = None  # the message the answer being read is about
        self._trailer = False  # the next line goes on from a literal

    # -- time ------------------------------------------------------------------------------
    def timeout(self, longest: float | None = None) -> float | None:
        """The socket timeout for the next read; raises once the deadline has passed."""
        longest = self.read_timeout if longest is None else longest
        if self.deadline is None:
            return longest
        left = self.deadline.at - time.time()
        if left <= 0:
            raise DeadlinePassed(self.deadline.reason, self._uid)
        return left if longest is None else min(longest, left)

    def timed_out(self) -> None:
        """After a socket timeout: the deadline's, or the line's (the caller re-raises)."""
        if self.deadline is not None and time.time() >= self.deadline.at - 0.1:
            raise DeadlinePassed(self.deadline.reason, self._uid)

    # -- size ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def expecting(self, sizes: dict[int, int | None]) -> Iterator[None]:
        """While fetching these messages (UID → RFC822.SIZE, None when unknown)."""
        self._bounds = {uid: _literal_bound(size) for uid, size in sizes.items()}
        self._total = min(RESPONSE_CAP, sum(self._bounds.values()) + LITERAL_SLACK)
        try:
            yield
        finally:
            self._bounds, self._total = {}, LITERAL_CAP

    def command_started(self) -> None:
        self._left, self._uid, self._trailer = self._total, None, False

    def line(self, line: bytes) -> None:
        """Count a line; note which message the answer it starts (or goes on) is about."""
        self._spend(len(line), "lines")
        found = uid_in([line])
        if self._trailer:
            self._uid = found or self._uid
        else:
            self._uid = found
        self._trailer = False

    def literal(self, size: int) -> None:
        """A literal of ``size`` bytes is announced: refuse it before reading a byte."""
        uid = self._uid if self._uid in self._bounds else None
        if uid is None and len(self._bounds) == 1:
            (uid,) = self._bounds
        cap = LITERAL_CAP
        if not self._bounds:
            bound, allows = min(LITERAL_SLACK, cap), "an answer about no message allows"
        else:
            bound = self._bounds.get(uid, max(self._bounds.values()))
            allows = "the message's RFC822.SIZE allows"
        if size > bound and bound < cap:
            raise TooLarge(f"a literal of {size} bytes, more than {allows} "
                           f"({bound} bytes at most)", uid)  # fmt: skip
        if size > cap:
            raise TooLarge(f"a literal of {size} bytes, over the cap of {cap} bytes on any "
                           "one literal (LITERAL_CAP)", uid)  # fmt: skip
        self._uid = uid
        self._spend(size, "a literal")
        self._trailer = True

    def _spend(self, size: int, what: str) -> None:
        self._left -= size
        if self._left < 0:
            raise TooLarge(f"the answer to one command went over {self._total} bytes "
                           f"(with {what})", self._uid)  # fmt: skip


def _literal_bound(size: int | None) -> int:
    if size is None:
        return LITERAL_CAP
    return min(size + LITERAL_SLACK, LITERAL_CAP)


# -- FETCH answers ------------------------------------------------------------------------
def fetch_responses(data: list[Any]) -> Iterator[list[Any]]:
    """imaplib's FETCH data, one response at a time: ``(line, literal)`` pairs for each
    literal in it, then the line that ends it."""
    response: list[Any] = []
    for item in data:
        if item is None:
            continue
        response.append(item)
        if not isinstance(item, tuple):
            yield response
            response = []
    if response:
        yield response


def _texts(response: Iterable[Any]) -> Iterator[bytes]:
    """The lines of a response, without its literals."""
    for item in response:
        text = item[0] if isinstance(item, tuple) else item
        if isinstance(text, bytes):
            yield text


_UID = re.compile(rb"[( ]UID (\d{1,10})[ )]")


def uid_in(response: Iterable[Any]) -> int | None:
    for text in _texts(response):
        match = _UID.search(text)
        if match:
            return int(match.group(1))
    return None


_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_PARENTHESES = re.compile(rb"[()]")


def deepest_nesting(response: Iterable[Any]) -> int:
    """How deep parentheses nest in a response (quoted strings and literals left out),
    found before a recursive parser meets them."""
    texts = list(_texts(response))
    if sum(text.count(b"(") for text in texts) <= STRUCTURE_DEPTH:
        return 0  # cannot nest deeper than that: the common case, counted quickly
    depth = deepest = 0
    for text in texts:
        for match in _PARENTHESES.finditer(_QUOTED.sub(b'""', text)):
            depth += 1 if match.group() == b"(" else -1
            deepest = max(deepest, depth)
    return deepest


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


def _is_number(value: Any, low: int = 0, high: int = 2**63 - 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def fields_of(
    atoms: tuple[Any, ...],
    structure: Callable[[tuple[Any, ...]], Any],
    date: Callable[[bytes], datetime.datetime],
) -> tuple[int, dict[bytes, Any]]:
    """The UID and fields of one parsed FETCH response (``seq (NAME value …)``), each
    checked: raises :class:`BadAnswer` naming the field that does not hold. ``structure``
    builds a BODYSTRUCTURE, ``date`` reads an INTERNALDATE (imapclient's)."""
    if len(atoms) != 2 or not isinstance(atoms[1], tuple) or len(atoms[1]) % 2:
        raise BadAnswer(f"a FETCH answer that is no list of fields: {_shown(atoms)}")
    pairs = atoms[1]
    fields: dict[bytes, Any] = {}
    uid = None
    for name, value in zip(pairs[::2], pairs[1::2], strict=True):
        if not isinstance(name, bytes):
            raise BadAnswer(f"a field named {_shown(name)}", uid)
        name = name.upper()
        if name == b"UID":
            if not _is_number(value, 1, UID_MAX):
                raise BadAnswer(f"UID {_shown(value)} is not a UID")
            uid = value
        else:
            fields[name] = value
    if uid is None:
        raise BadAnswer("a FETCH answer without its UID")
    for name, value in list(fields.items()):
        fields[name] = _field(name, value, uid, structure, date)
    return uid, fields


def _field(
    name: bytes,
    value: Any,
    uid: int,
    structure: Callable[[tuple[Any, ...]], Any],
    date: Callable[[bytes], datetime.datetime],
) -> Any:
    label = name.decode("ascii", "replace")
    if name.startswith(b"BODY[") or name in (b"RFC822.HEADER", b"RFC822"):
        if value is None or isinstance(value, bytes):
            return value
        raise BadAnswer(f"{label} {_shown(value)} is not a string", uid)
    if name in (b"RFC822.SIZE", b"X-GM-THRID", b"X-GM-MSGID"):
        if _is_number(value):
            return value
        raise BadAnswer(f"{label} {_shown(value)} is not a number", uid)
    if name == b"X-GM-LABELS":
        if isinstance(value, tuple) and all(
            label is None or isinstance(label, bytes | int) for label in value
        ):
            return value
        raise BadAnswer(f"X-GM-LABELS {_shown(value)} is not a list of labels", uid)
    if name == b"INTERNALDATE":
        if value is None:
            return None
        if not isinstance(value, bytes):
            raise BadAnswer(f"INTERNALDATE {_shown(value)} is not a date", uid)
        try:
            return date(value)
        except (ValueError, OverflowError):
            return None  # a date that cannot be read: the Date header still can
    if name == b"BODYSTRUCTURE":
        if not isinstance(value, tuple) or not value:
            raise BadAnswer(f"BODYSTRUCTURE {_shown(value)} is not a structure", uid)
        try:
            return structure(value)
        except (IndexError, TypeError, ValueError, RecursionError) as error:
            raise BadAnswer(f"BODYSTRUCTURE cannot be read ({error})", uid) from None
    return value  # not asked for (FLAGS, MODSEQ…): unused


def select_problem(untagged: dict[Any, list[Any]], selected: dict[bytes, Any] | None) -> str:
    """What is wrong with a SELECT (EXAMINE) answer, or "" if nothing: the raw untagged
    responses (a number that is none), then what imapclient made of them."""
    for key, values in untagged.items():
        name = key.decode() if isinstance(key, bytes) else str(key)
        if name.upper() in _NUMBERS:
            value = values[0] if values else None
            if not isinstance(value, bytes) or not value.strip().isdigit():
                return f"{name.upper()} {_shown(value)} is not a number"
    if selected is None:
        return "it cannot be read"
    uidvalidity = selected.get(b"UIDVALIDITY")
    if uidvalidity is None:
        return "it has no UIDVALIDITY"
    if not _is_number(uidvalidity, 1, UID_MAX):
        return f"UIDVALIDITY {uidvalidity} is not from 1 to {UID_MAX}"
    if not _is_number(selected.get(b"EXISTS")):
        return "it has no EXISTS (how many messages the folder holds)"
    uidnext = selected.get(b"UIDNEXT")
    if uidnext is not None and not _is_number(uidnext, 1, UID_MAX):
        return f"UIDNEXT {uidnext} is not from 1 to {UID_MAX}"
    return ""
