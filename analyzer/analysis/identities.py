"""The owner's identities: what each is, and how much of the mail shows it.

One classifier names each identity's kind (:func:`analyzer.aliases.kinds.identity_kinds`),
and the messages the owner wrote are told apart once (:func:`analyzer.owner.sent_keys`):
an alias service's forward of inbound mail carries the alias in From, yet nobody sent
it from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.addressing import domain_of, is_public_provider, registrable_domain
from analyzer.frames import Frames, key_mask
from analyzer.linkability.context import BROADCAST_PARTIES, is_person_address
from analyzer.owner import Owner
from analyzer.readable import iso_instant, usable_dates
from analyzer.vocabulary import PARTY_ROLES, IdentityKind

__all__ = ["Identity", "identity_rows", "split_kind"]


@dataclass(frozen=True)
class Identity:
    """One of the owner's addresses, with the counts every document shows of it."""

    address: str
    kind: str  # "primary", "work", "alias:firefox-relay", … (see :func:`split_kind`)
    messages: int  # messages that name it in any header
    sent: int  # messages the owner wrote from it (an alias service's forward is not)
    correspondents: int  # other addresses in From/To/Cc beside it, broadcasts left out
    people: int  # of those and on broadcasts too, the persons: no list, no robot
    organisations: int  # the people's registrable domains that are no public provider
    domains: int  # the people's registrable domains
    first_seen: str | None  # ISO instant of its first usable date
    last_seen: str | None

    @property
    def kind_name(self) -> IdentityKind:
        return split_kind(self.kind)[0]

    @property
    def service(self) -> str | None:
        """The alias service of an alias, else None."""
        return split_kind(self.kind)[1]


def split_kind(label: str) -> tuple[IdentityKind, str | None]:
    """``"alias:simplelogin"`` → (``alias``, ``"simplelogin"``); others have no service."""
    kind, _, service = label.partition(":")
    return IdentityKind(kind), service or None


def identity_rows(
    frames: Frames,
    owner: Owner,
    kinds: dict[str, str],
    sent: set[str],
    lists: Iterable[str],
) -> tuple[Identity, ...]:
    """Every identity of the owner's, in the owner's order. Grouped once over the frames,
    not filtered once per identity."""
    lists = frozenset(lists)
    people = frames.participants[["message_key", "role", "address"]]
    mine = people[people["address"].isin(owner.identities)][["message_key", "address"]]
    mine = mine.drop_duplicates().astype({"address": object})
    dates = frames.messages[["message_key", "date_utc"]]
    dated = mine.merge(dates, on="message_key", how="left")
    dated["date_utc"] = usable_dates(dated["date_utc"])
    seen = dated.groupby("address").agg(
        messages=("message_key", "nunique"), first=("date_utc", "min"), last=("date_utc", "max")
    )
    parties = people[people["role"].isin(PARTY_ROLES)][["message_key", "address"]]
    parties = parties.drop_duplicates().astype({"address": object})
    parties = parties[~parties["address"].map(owner.owns).astype(bool)]
    met = mine.merge(parties, on="message_key", suffixes=("", "_other"))
    size = people[people["role"].isin(PARTY_ROLES)][["message_key", "address"]]
    size = size.drop_duplicates().groupby("message_key", observed=True)["address"].transform("size")
    narrow = parties[size.loc[parties.index] <= BROADCAST_PARTIES]
    met_narrow = mine.merge(narrow, on="message_key", suffixes=("", "_other"))
    correspondents = met_narrow.groupby("address")["address_other"].nunique().to_dict()
    person = {a: a not in lists and is_person_address(a) for a in met["address_other"].unique()}
    persons = met[met["address_other"].map(person).astype(bool)]
    people_of = persons.groupby("address")["address_other"].agg(lambda s: set(s)).to_dict()
    from_of = frames.messages[["message_key", "from_addr"]]
    from_of = from_of[key_mask(from_of["message_key"], sent)]
    sent_from = from_of["from_addr"].astype(object).value_counts().to_dict()
    rows = []
    for address in owner.identities:
        found = address in seen.index
        others = people_of.get(address, set())
        domains = {registrable_domain(domain_of(a)) for a in others}
        rows.append(
            Identity(
                address,
                kinds[address],
                int(seen.at[address, "messages"]) if found else 0,
                int(sent_from.get(address, 0)),
                int(correspondents.get(address, 0)),
                len(others),
                sum(1 for d in domains if not is_public_provider(d)),
                len(domains),
                iso_instant(seen.at[address, "first"]) if found else None,
                iso_instant(seen.at[address, "last"]) if found else None,
            )
        )
    return tuple(rows)
