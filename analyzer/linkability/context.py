"""What every evidence rule reads: the archive's context, and the evidence a rule yields.

:class:`Context` is built once per analysis from the frames. It is two layers:

- its indexes (:mod:`.context_indexes`), built once: per message, who it names in
  which role, its date, parties and providers, its sender's client and key material;
  per address, on first use, who sent what, where each address appears, the names it
  goes by, its correspondents; archive-wide, the lists and the spam senders;
- its views (:mod:`.context_views`), remembered as they are asked: sides of evidence
  by age, who and which providers saw a side, one header's names, who is a person.

The rules read the context, never the frames (``tests/test_linkability_context.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from analyzer.linkability.address_kinds import (
    GENERIC_LOCAL_PARTS,
    is_person_address,
    is_public_ip,
)
from analyzer.linkability.context_indexes import BROADCAST_PARTIES, NO_MESSAGES, Messages
from analyzer.linkability.context_views import ContextViews
from analyzer.vocabulary import PARTY_ROLES, EvidenceId

__all__ = [
    "BROADCAST_PARTIES",
    "GENERIC_LOCAL_PARTS",
    "NO_MESSAGES",
    "PARTY_ROLES",
    "STAR_ABOVE",
    "Context",
    "Evidence",
    "Messages",
    "group_pairs",
    "is_person_address",
    "is_public_ip",
]

# a group joined by one fact (one message's recipients, one key's holders) with more
# members than this is linked as a star around its first member, not pair by pair
STAR_ABOVE = 12


def group_pairs(members: Sequence[str]) -> Iterator[tuple[str, str]]:
    """The pairs that show one group joined: every pair of a small group, a star for a big one.

    A message to a thousand of the owner's addresses joins them all; half a million pairs
    would say no more than the star does (each tied to the first), and the clusters, which
    are connected components, come out the same. Members come in the order the caller
    wants them (the first is the hub); pairs are ``(smaller, larger)``.
    """
    if len(members) <= STAR_ABOVE:
        pairs = combinations(members, 2)
    else:
        pairs = ((members[0], other) for other in members[1:])
    for a, b in pairs:
        yield (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class Evidence:
    """One observation that joins two addresses, before aggregation into a link.

    ``level`` is how strong this kind of evidence is here (the rule names its levels,
    strongest first). ``visibility`` says who can see it: ``message`` (anyone who sees
    the one message in ``side_a``), ``providers`` (only the relays and mailbox
    providers in ``observers``), ``cross`` (it takes seeing a message of ``side_a`` and
    one of ``side_b``: a correspondent who got both can), or ``inference`` (it takes
    many messages).
    """

    a: str
    b: str
    evidence: str
    level: str
    detail: str
    visibility: str
    side_a: Messages  # see Context.side
    side_b: Messages = field(default_factory=lambda: NO_MESSAGES)
    observers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # a named evidence id: a rule that writes one the vocabulary lacks fails here
        object.__setattr__(self, "evidence", EvidenceId(self.evidence))


@dataclass
class Context(ContextViews):
    """The indexes of one archive's frames, and the answers derived from them.

    Build it with :meth:`Context.build`. A message is its number (its row in the
    frames' messages); a side of evidence numbers its messages by age (:meth:`side`).
    """
