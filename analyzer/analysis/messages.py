"""The messages a reader checks a finding against: date, subject, sender, Message-ID.

The analysis looks up only the messages its links and leaks show (a report shows a few
thousand of a million), once, so that no document reads the frames again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzer.frames import Frames
from analyzer.linkability import Link
from analyzer.readable import iso_minute, text_or_empty
from analyzer.vocabulary import ENCRYPTED

__all__ = ["MessageRef", "message_refs", "messages_behind", "refs_of"]


@dataclass(frozen=True)
class MessageRef:
    """One message as a reader checks it: when, what about, and its Message-ID."""

    message_id: str
    date: str  # YYYY-MM-DD HH:MM (UTC), or "" when the message has no date
    subject: str
    sender: str
    encrypted: bool


def message_refs(frames: Frames, shown_ids: Iterable[str]) -> dict[str, MessageRef]:
    """The messages behind the ids links show (a Message-ID, or the message key of a
    message without one): the first message that carries each id."""
    wanted = set(shown_ids)
    messages = frames.messages
    ids = messages["message_id"].astype(object)
    shown = ids.where(ids.notna() & (ids != ""), messages["message_key"].astype(object))
    rows = pd.Series(np.arange(len(messages)), index=pd.Index(shown, dtype=object))
    rows = rows[~rows.index.duplicated(keep="first")]
    rows = rows[rows.index.isin(wanted)]
    found = {}
    for shown_id, row in zip(rows.index, rows.tolist(), strict=True):
        message = messages.iloc[row]
        found[shown_id] = MessageRef(
            shown_id, iso_minute(message["date_utc"]), text_or_empty(message["subject"]),
            text_or_empty(message["from_addr"]), message["encryption"] in ENCRYPTED,
        )  # fmt: skip
    return found


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
