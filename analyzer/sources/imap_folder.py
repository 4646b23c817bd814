"""One IMAP folder read: its messages not read yet, as skeletons, in UID order.

A :class:`FolderReader` selects the folder read-only, lists the UIDs above where an
earlier run stopped, and fetches them batch by batch: each message's header block,
``BODYSTRUCTURE``, ``RFC822.SIZE`` and ``INTERNALDATE`` (``PEEK``: nothing is marked as
read), Gmail's ``X-GM-LABELS`` and ``X-GM-THRID`` where the server offers them, then the
few parts the extraction reads (:mod:`analyzer.sources.imap_plan`). It keeps the folder's
resume state (its UIDVALIDITY and the highest UID read; a message's place, the ``offset``
column, is ``UIDVALIDITY:UID``) and its deadline, and cuts what is left into chunks
(:class:`FolderChunk`) for worker processes.

The server is not trusted (:mod:`analyzer.sources.imap_limits`): a bad answer about a
message quarantines that message; one about the folder, or the folder past its deadline,
ends it with one line that says where the next run goes on; a dropped connection is
opened again (the socket is :mod:`analyzer.sources.imap_client`'s).
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analyzer.errors import SourceError
from analyzer.records import Quarantined, RawMessage
from analyzer.sources import imap_limits as limits
from analyzer.sources.imap_address import Credentials, ImapAddress
from analyzer.sources.imap_client import (
    connection_errors,
    drop,
    examine,
    fetch_answers,
    log_out,
    said,
)
from analyzer.sources.imap_limits import BadAnswer, Deadline, DeadlinePassed, LimitExceeded
from analyzer.sources.imap_plan import (
    PART_PEEK,
    PlannedPart,
    fetch_items,
    fill,
    message_bytes,
    read_plan,
    timestamp,
    wants_more,
)
from analyzer.vocabulary import QuarantineCode

if TYPE_CHECKING:
    from analyzer.sources.imap_options import ImapRun

__all__ = ["FETCH_BATCH", "RETRIES", "FetchedChunk", "FolderChunk", "FolderReader"]

FETCH_BATCH = 500  # messages per FETCH command
RETRIES = 3  # times in a row a dropped connection is opened again
RETRY_SECONDS = 1.0  # wait before the first retry (then twice, three times as long)

# which folder each connection has selected: selecting again is not free (Dovecot syncs
# its index, up to a second on a big folder that another connection is reading)
_SELECTED: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


# -- reading a folder ----------------------------------------------------------------------
_GMAIL = ("X-GM-LABELS", "X-GM-THRID")
_PEEK = re.compile(r"<\d+\.(\d+)>$")


class _Unplaced(Exception):
    """A bad answer in a FETCH of several messages that names none: fetch one by one."""


class _Renumbered(SourceError):
    """The folder's UIDVALIDITY changed while it was read: what was read no longer holds."""


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
        self.role: str | None = None  # "sent": the server marks the folder \Sent
        self.run: ImapRun | None = None
        self.deadline: Deadline | None = None  # the one being kept
        self.deadline_fixed = False  # a chunk's, set by fetch_chunk
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
        if not self.deadline_fixed:
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
                              sizes, self.deadline, problems, role=self.role)  # fmt: skip

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
        state = state or {}
        self.deadline = self._fresh_deadline()  # opening is the folder's time too
        for attempt in (1, 2):  # the connection may be one another folder's answer broke
            self.uidvalidity, self.sizes, self.problems = None, {}, {}
            try:
                return self._open(state)
            except BadAnswer as problem:
                return self._break(state, str(problem))
            except (LimitExceeded, *connection_errors()) as error:
                drop(self.client)
                reason = error.reason if isinstance(error, LimitExceeded) else said(error)
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
                            f"({said(error)})") from None  # fmt: skip
        if not all(1 <= uid <= limits.UID_MAX for uid in found):
            raise BadAnswer(f"{self.source}: the server's answer to SEARCH has UIDs that are none")
        self.uids = sorted({uid for uid in found if uid > after})  # "n:*" names the last UID
        for start in range(0, len(self.uids), FETCH_BATCH * 10):
            chunk = self.uids[start : start + FETCH_BATCH * 10]
            answers, problems, _ = fetch_answers(self.client, chunk, ["RFC822.SIZE"], None)
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
        self._arm()
        selected = examine(self.client, self.folder, self.source)
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
            except (*connection_errors(), SourceError) as error:  # SourceError: reconnecting
                self._past_deadline()
                failures += 1
                if self._reconnect is None or failures > RETRIES:
                    reason = f"the connection failed ({said(error)})"
                    raise SourceError(self._stopped(reason)) from None
                log_out(self.client)
                time.sleep(RETRY_SECONDS * failures)
                again = True

    def _refused(self, error: LimitExceeded) -> None:
        """The server went past a limit: drop the connection; quarantine the message the
        answer was about, or fetch the batch again one message at a time to find it."""
        drop(self.client)
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
                    self.problems[uid] = f"BODYSTRUCTURE cannot be read ({said(error)})"
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
        answers, problems, unplaced = fetch_answers(self.client, uids, items, sizes)
        if unplaced and len(uids) > 1:
            raise _Unplaced
        if unplaced:
            problems.setdefault(uids[0], unplaced[0])
        for uid, reason in problems.items():
            self.problems.setdefault(uid, reason)
            answers.pop(uid, None)
        return answers

    def _fetch_parts(self, plans: dict[int, PlannedPart]) -> None:
        """Fetch the parts each plan names; then more of the text parts that open with
        PGP armour."""
        self._fetch_groups(plans, {uid: fetch_items(plan) for uid, plan in plans.items()})
        longer: dict[int, list[str]] = {}
        for uid, plan in plans.items():
            for part in wants_more(plan):
                part.peek = PART_PEEK
                longer.setdefault(uid, []).append(f"BODY.PEEK[{part.path or '1'}]<0.{PART_PEEK}>")
        self._fetch_groups(plans, longer)

    def _fetch_groups(self, plans: dict[int, PlannedPart], wanted: dict[int, list[str]]) -> None:
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
                    fill(plans[uid], answer)
        for uid in [uid for uid in plans if uid in self.problems]:
            del plans[uid]

    def _message(self, uid: int, answer: dict[bytes, Any], plan: PlannedPart) -> RawMessage:
        size = self.sizes.get(uid)
        delivered = timestamp(answer.get(b"INTERNALDATE"))
        data = message_bytes(answer, plan)
        return RawMessage(
            self.source, f"{self.uidvalidity}:{uid}", data, size, delivered, self.role
        )


# -- chunks for worker processes (:func:`analyzer.sources.imap.fetch_chunk` fetches them) --
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
    role: str | None = None  # "sent": the server marks the folder \Sent


@dataclass
class FetchedChunk:
    """What a worker fetched of a :class:`FolderChunk`, in UID order."""

    messages: list[RawMessage | Quarantined]
    last_uid: int  # of the last message fetched (0: none)
    bytes_read: int
    error: str | None = None  # fetching stopped there: the rest waits for the next run
