"""The messages behind each edge of the owner's network, for a reader to open an edge.

The network (:mod:`analyzer.analysis.network`) counts the messages two drawn nodes share;
explore.html shows which they are and when. Counted the same way: a message ties every
pair of drawn nodes among its parties (From, To, Cc, …), a broadcast to more than
:data:`~analyzer.linkability.context.BROADCAST_PARTIES` parties ties nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analyzer.analysis.messages import MessageRef
from analyzer.analysis.network import Network
from analyzer.frames import Frames
from analyzer.linkability.context import BROADCAST_PARTIES
from analyzer.readable import iso_minute, text_or_empty, usable_dates
from analyzer.vocabulary import ENCRYPTED, PARTY_ROLES

__all__ = ["SHOWN_PER_EDGE", "Conversation", "conversations"]

SHOWN_PER_EDGE = 25  # the newest messages listed for an edge; the months count them all


@dataclass(frozen=True)
class Conversation:
    """The messages two nodes of the network share: how many each month, the newest few."""

    a: str  # node ids, as in Network.edges
    b: str
    months: tuple[tuple[str, int], ...]  # ("YYYY-MM", messages), oldest first; "" undated
    messages: tuple[MessageRef, ...]  # the newest SHOWN_PER_EDGE, newest first


def conversations(frames: Frames, network: Network) -> tuple[Conversation, ...]:
    """One :class:`Conversation` per edge of ``network``, in its edges' order."""
    node_of = {address: node.id for node in network.nodes for address in node.addresses}
    if not network.edges or not node_of:
        return ()
    people = frames.participants
    parties = people[people["role"].isin(PARTY_ROLES)][["message_key", "address"]].dropna()
    parties = parties.astype({"address": object}).drop_duplicates()
    size = parties.groupby("message_key", observed=True)["address"].transform("size")
    parties = parties[size <= BROADCAST_PARTIES]
    drawn = pd.DataFrame({"message_key": parties["message_key"].to_numpy(),
                          "node": parties["address"].map(node_of).to_numpy()})  # fmt: skip
    drawn = drawn.dropna().drop_duplicates()
    both = drawn.merge(drawn, on="message_key", suffixes=("_a", "_b"))
    both = both[both["node_a"] < both["node_b"]]
    edges = pd.DataFrame([(a, b) for a, b, _ in network.edges], columns=["node_a", "node_b"])
    both = both.merge(edges, on=["node_a", "node_b"])
    messages = frames.messages
    both = both.merge(messages[["message_key", "message_id", "date_utc"]], on="message_key",
                      how="left")  # fmt: skip
    dates = usable_dates(both["date_utc"])
    both["month"] = dates.dt.strftime("%Y-%m").fillna("").astype(object)
    both["when"] = dates
    edge = ["node_a", "node_b"]
    counted = both.groupby([*edge, "month"], sort=True).size()
    months: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for (a, b, month), n in zip(counted.index, counted.tolist(), strict=True):
        months.setdefault((a, b), []).append((month, n))
    ids = both["message_id"].astype(object)  # a message without one goes by its key
    both["shown"] = ids.where(ids.notna() & (ids != ""), both["message_key"].astype(object))
    newest = both.sort_values([*edge, "when"], ascending=[True, True, False], na_position="last")
    newest = newest[~newest.duplicated([*edge, "shown"])]  # one message in two folders: once
    newest = newest.groupby(edge, sort=False).head(SHOWN_PER_EDGE)
    rest = ["message_key", "subject", "from_addr", "encryption"]  # for the few listed only
    newest = newest.merge(messages[rest], on="message_key", how="left", sort=False)
    listed: dict[tuple[str, str], list[MessageRef]] = {}
    for row in newest.itertuples(index=False):
        listed.setdefault((row.node_a, row.node_b), []).append(_ref(row))
    return tuple(
        Conversation(a, b, tuple(months.get((a, b), ())), tuple(listed.get((a, b), ())))
        for a, b, _ in network.edges
    )


def _ref(row) -> MessageRef:
    """A message as a reader checks it (its key stands in for a missing Message-ID)."""
    return MessageRef(str(row.shown), iso_minute(row.date_utc), text_or_empty(row.subject),
                      text_or_empty(row.from_addr), row.encryption in ENCRYPTED)  # fmt: skip
