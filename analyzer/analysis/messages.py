"""The messages a reader checks a finding against: date, subject, sender, Message-ID.

The analysis looks up only the messages its links and leaks show (a report shows a few
thousand of a million), once, so that no document reads the frames again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzer.frames import Frames
from analyzer.linkability import Link
from analyzer.readable import iso_minute, text_or_empty
from analyzer.vocabulary import ENCRYPTED

__all__ = [
    "MessageRef",
    "message_ref",
    "message_refs",
    "messages_behind",
    "refs_of",
    "shown_ids",
]


@dataclass(frozen=True)
class MessageRef:
    """One message as a reader checks it: when, what about, and its Message-ID."""

    message_id: str
    date: str  # YYYY-MM-DD HH:MM (UTC), or "" when the message has no date
    subject: str
    sender: str
    encrypted: bool


def shown_ids(messages: pd.DataFrame) -> pd.Series:
    """The id a reader checks each message by: its Message-ID, or its key where it has
    none (links show the same)."""
    ids = messages["message_id"].astype(object)
    return ids.where(ids.notna() & (ids != ""), messages["message_key"].astype(object))


def message_ref(shown_id: str, message: Any) -> MessageRef:
    """One message as a reader checks it, from a row of the messages frame (a Series, or
    a named tuple of ``itertuples``: both read columns as attributes)."""
    return MessageRef(
        str(shown_id), iso_minute(message.date_utc), text_or_empty(message.subject),
        text_or_empty(message.from_addr), message.encryption in ENCRYPTED,
    )  # fmt: skip


def message_refs(frames: Frames, shown: Iterable[str]) -> dict[str, MessageRef]:
    """The messages behind the ids links show (a Message-ID, or the message key of a
    message without one): the first message that carries each id."""
    wanted = set(shown)
    messages = frames.messages
    rows = pd.Series(np.arange(len(messages)), index=pd.Index(shown_ids(messages), dtype=object))
    rows = rows[~rows.index.duplicated(keep="first")]
    rows = rows[rows.index.isin(wanted)]
    return {
        shown_id: message_ref(shown_id, messages.iloc[row])
        for shown_id, row in zip(rows.index, rows.tolist(), strict=True)
    }


def refs_of(known: dict[str, MessageRef], shown_ids: Iterable[str]) -> list[MessageRef]:
    """The known messages among ``shown_ids``, oldest first."""
    found = [known[i] for i in dict.fromkeys(shown_ids) if i in known]
    return sorted(found, key=lambda ref: (ref.date or "9999", ref.message_id))


def messages_behind(links: Iterable[Link]) -> int:
    """How many messages show the evidence of a pair's links: their Message-IDs, each once,
    or the most one link counts where that is more (a link lists only its oldest 1,000
    Message-IDs, 20 for a pair of other people's)."""
    links = list(links)
    shown = {m for link in links for m in link.messages}
    return max([len(shown), *(link.messages_total for link in links)])
