"""What removes each kind of evidence: the one place the report's advice, the verdict's
fixes and the counterfactual's "what aliases would not remove" read.

Each :class:`Advice` has a title (the change, as a heading), why it works, and the fix as
a phrase that fits after "Fix:" in a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.linkability.catalog import CATALOG
from analyzer.vocabulary import EvidenceId

__all__ = [
    "ADVICE",
    "FIRMEST_FIRST",
    "GROUNDS",
    "GROUNDS_ORDER",
    "Advice",
    "firmest_first",
    "grounds_of",
]


@dataclass(frozen=True)
class Advice:
    title: str
    why: str
    fix: str


_ONE_KEY = Advice(
    "One key per identity",
    "One OpenPGP key under two addresses (as a recipient, a signer or in an Autocrypt "
    "header) is one person to anyone who sees it.",
    "one OpenPGP key per identity",
)
_NO_OTHER_ADDRESS = Advice(
    "No Reply-To or Sender naming another of your addresses",
    "The header names both addresses in one message.",
    "no Reply-To or Sender naming another of your addresses",
)
_E = EvidenceId
ADVICE: dict[str, Advice] = {
    _E.SUBADDRESS: Advice(
        "An alias per service, not a +tag",
        "A +tag or another spelling delivers to the same mailbox, and anyone can "
        "strip it. A separate alias per service shows nothing of the mailbox.",
        "a separate alias per service instead of a +tag",
    ),
    _E.CO_RECIPIENT: Advice(
        "Never address one message to two of your identities",
        "Everyone who receives it holds both addresses at once.",
        "never addressing one message to two of your identities",
    ),
    _E.THREAD: Advice(
        "Answer from the address that was written to",
        "Replying from another identity shows whoever wrote that both are yours.",
        "answering from the address that was written to",
    ),
    _E.REPLY_TO: _NO_OTHER_ADDRESS,
    _E.SENDER: _NO_OTHER_ADDRESS,
    _E.FORWARDING: Advice(
        "A separate mailbox for identities that must stay apart",
        "Forwarding writes the mailbox an alias delivers to into the headers your "
        "providers and relays read (Delivered-To).",
        "a separate mailbox for identities that must stay apart: providers see where an "
        "alias delivers",
    ),
    _E.CLIENT_IP: Advice(
        "A client or provider that hides your IP address",
        "Your machine's address in the first Received hop or X-Originating-IP is "
        "the same under several identities. Webmail, a VPN or a provider that "
        "strips it removes it.",
        "a client or provider that hides your IP address (webmail, a VPN)",
    ),
    _E.MESSAGE_ID_HOST: Advice(
        "A Message-ID without a host name",
        "Your client writes your machine's name after the @ of every "
        "Message-ID. Most clients can be set to use the mail domain instead.",
        "a Message-ID without your machine's name",
    ),
    _E.TIMING: Advice(
        "UTC dates",
        "Your Date header gives your time zone and, over many messages, your hours. "
        "A client set to UTC gives neither.",
        "no way around it but sending at other hours, or later",
    ),
    _E.CLIENT_FINGERPRINT: Advice(
        "A common mail client, or one that sends no User-Agent",
        "A rare client build in your time zone marks your messages under every identity.",
        "a common mail client, or one that sends no User-Agent",
    ),
    _E.DISPLAY_NAME: Advice(
        "No name on an alias",
        "The same name on two addresses ties them. An alias with no name, or "
        "another one, does not.",
        "no name, or another one, on each alias",
    ),
    _E.LOCAL_PART: Advice(
        "A different user name per identity",
        "The same name before the @ at two domains ties them.",
        "no name in the alias itself",
    ),
    _E.PGP_KEY: _ONE_KEY,
    _E.AUTOCRYPT: _ONE_KEY,
    _E.SMIME_CERTIFICATE: Advice(
        "One certificate per identity",
        "A certificate names its addresses; one certificate under two addresses is one person.",
        "one S/MIME certificate per identity",
    ),
    _E.SOCIAL_OVERLAP: Advice(
        "Keep each identity's correspondents apart",
        "The same rare correspondents on two addresses suggest one person.",
        "other correspondents for each identity",
    ),
}

# What a tie rests on, from the firmest: the headers state it (a deterministic rule of the
# catalog); machines and habits fingerprint it; a name alone, which anyone can write on
# any address, hints at it.
GROUNDS_ORDER = ("stated", "fingerprint", "name")
_NAMES = frozenset({_E.DISPLAY_NAME, _E.LOCAL_PART})
GROUNDS: dict[str, str] = {
    rule.evidence: "stated"
    if rule.strength == "deterministic"
    else "name"
    if rule.evidence in _NAMES
    else "fingerprint"
    for rule in CATALOG
}

# within the same grounds, what a reader can least explain away first: a key or certificate
# is a signature, a +tag or forwarding is the mailbox itself, a header naming both is a
# choice someone made once (GROUNDS says which group each is in, this the order inside)
FIRMEST_FIRST: tuple[str, ...] = (
    _E.SMIME_CERTIFICATE, _E.PGP_KEY, _E.AUTOCRYPT, _E.SUBADDRESS, _E.FORWARDING, _E.SENDER,
    _E.REPLY_TO, _E.THREAD, _E.CO_RECIPIENT, _E.CLIENT_IP, _E.MESSAGE_ID_HOST,
    _E.CLIENT_FINGERPRINT, _E.SOCIAL_OVERLAP, _E.TIMING, _E.DISPLAY_NAME, _E.LOCAL_PART,
)  # fmt: skip


def firmest_first(evidence: Iterable[str]) -> tuple[str, ...]:
    """Kinds of evidence, each once, the firmest first."""
    rank = {e: n for n, e in enumerate(FIRMEST_FIRST)}
    return tuple(sorted(set(evidence), key=lambda e: rank.get(e, len(rank))))


def grounds_of(evidence: list[str] | tuple[str, ...]) -> str:
    """The firmest grounds among pieces of evidence ("name" when there is none)."""
    ranks = [GROUNDS_ORDER.index(GROUNDS[e]) for e in evidence if e in GROUNDS]
    return GROUNDS_ORDER[min(ranks)] if ranks else GROUNDS_ORDER[-1]
