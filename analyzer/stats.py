"""A summary of a store: what a user wants to see first after ingesting."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.analysis.inputs import encryption_counts
from analyzer.analysis.network import relay_parties
from analyzer.frames import to_pandas
from analyzer.owner import Owner
from analyzer.readable import usable_dates
from analyzer.store import Store, read_frame

__all__ = ["StoreStats", "store_stats"]


@dataclass
class StoreStats:
    messages: int
    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    top_senders: list[tuple[str, int]]
    top_domains: list[tuple[str, int]]
    encryption: dict[str, int]
    quarantined: int
    totals: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "first_date": self.first_date.isoformat() if self.first_date is not None else None,
            "last_date": self.last_date.isoformat() if self.last_date is not None else None,
            "top_senders": self.top_senders,
            "top_domains": self.top_domains,
            "encryption": self.encryption,
            "quarantined": self.quarantined,
            "totals": self.totals,
            "quarantine_reasons": self.quarantine_reasons,
        }


def _top(series: pd.Series, limit: int) -> list[tuple[str, int]]:
    counts = series.dropna().value_counts()
    # ties broken by name so that the table is the same on every run
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(str(name), int(count)) for name, count in ordered[:limit]]


def _counts(totals: dict[str, Any]) -> dict[str, int]:
    """The totals that are counts: each commit works them out again, and a hand-edited
    one that is no count is left out rather than shown."""
    return {
        name: value
        for name, value in totals.items()
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0
    }


def _who_sent(messages: pd.DataFrame, participants: pd.DataFrame) -> pd.Series:
    """Each message's sender as a reader knows it: its From address, or, where an alias
    service wrote its own stand-in there, the party behind it, by the one rule the
    communication graph follows (:func:`~analyzer.analysis.network.relay_parties`)."""
    parties = relay_parties(participants, Owner(()))  # a count of the store: no owner
    return messages["from_addr"].map(lambda a: parties.get(a, a) if isinstance(a, str) else a)


def _from_names(store: Store) -> pd.DataFrame:
    """The From rows' address and display name: all the relay rule reads, a part at a
    time (the whole participants frame of a million messages is gigabytes)."""

    def from_rows(part: pa.Table) -> pa.Table:
        return part.filter(pc.equal(part["role"], "from")).select(["address", "display_name"])

    table = store.read_table("participants", ["role", "address", "display_name"], from_rows)
    return to_pandas(table)


def store_stats(store: str | os.PathLike[str], top: int = 10) -> StoreStats:
    """Counts, date range, top senders and domains, encryption mix, quarantine. A sender
    behind an alias service's stand-in address counts as its organisation."""
    opened = Store.open(store, create=False)
    messages = read_frame(store, "messages")
    quarantine = read_frame(store, "quarantine")
    dates = usable_dates(messages["date_utc"]).dropna()  # as the report: years 1 to 9999
    senders = _who_sent(messages, _from_names(opened))
    # what follows the last @, or an organisation as it is (no columns without senders)
    domains = senders.dropna().astype(str).str.rsplit("@", n=1).str[-1].replace("", pd.NA)
    encryption = encryption_counts(messages["encryption"])  # as findings.json counts them
    return StoreStats(
        messages=len(messages),
        first_date=dates.min() if len(dates) else None,
        last_date=dates.max() if len(dates) else None,
        top_senders=_top(senders, top),
        top_domains=_top(domains, top),
        encryption=encryption,
        quarantined=len(quarantine),
        totals=_counts(opened.manifest.get("totals", {})),
        quarantine_reasons=_top(quarantine["code"], top),
    )
