"""What the report says, as plain data: built once from a store's analysis, rendered twice.

Everything here lays out the :class:`~analyzer.analysis.Analysis` (the object made once per
run that findings and graphs also read) and computes nothing from the mail. The HTML and Markdown
renderers and the figures only lay it out; a notebook can read the same :class:`Report`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.analysis import (
    CATALOG,
    KNOWN_TOGETHER,
    MESSAGES_PER_EVIDENCE,
    SAME_PERSON,
    VISIBILITY_ORDER,
    Analysis,
    Habits,
    Link,
    MessageRef,
    ObserverView,
    PairVerdict,
    Person,
)
from analyzer.vocabulary import ENCRYPTED, OWN_WORDS

__all__ = [
    "ENCRYPTED",
    "OBSERVER_WORDS",
    "AliasRow",
    "EvidenceShown",
    "Finding",
    "Habits",
    "IdentityRow",
    "LeakShown",
    "MessageRef",
    "ObserverView",
    "Recommendation",
    "Report",
    "build_report",
]

# who each observer class is, in words a person reads
OBSERVER_WORDS = {
    "correspondents": "people you wrote to or heard from",
    "providers": "your mail providers and the servers in between",
    "inference": "anyone who holds enough of your mail to compare it",
}


@dataclass(frozen=True)
class EvidenceShown:
    """One kind of evidence behind a finding, with the header line and messages that show it."""

    evidence: str
    summary: str = field(metadata=OWN_WORDS)
    question: str
    level: str
    observer_class: str
    observers: tuple[str, ...]
    observers_total: int
    header_line: str
    messages: tuple[MessageRef, ...]
    messages_total: int


@dataclass(frozen=True)
class Finding:
    """A pair of addresses and what ties them: one anchor (``F3``) the report links to."""

    id: str
    a: str
    b: str
    relation: str
    score: float
    confidence: str
    seen_by: str | None  # the most visible class that can claim one person, if any
    by_observer: dict[str, float]
    known_together_by: str | None
    evidence: tuple[EvidenceShown, ...]


@dataclass(frozen=True)
class IdentityRow:
    address: str
    kind: str
    messages: int
    sent: int
    people: int  # distinct correspondents who saw it
    organisations: int  # their domains that are no public mail provider
    domains: int  # their registrable domains
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class LeakShown:
    """An organisation that wrote to an address given to another one: ``L1``, ``L2``, …"""

    id: str
    organisation: str
    first: str
    messages_total: int
    senders: tuple[str, ...]
    via: tuple[str, ...]
    messages: tuple[MessageRef, ...]


@dataclass(frozen=True)
class AliasRow:
    """One of the owner's addresses: what it is, whom it was given to, who leaked it."""

    address: str
    kind: str
    dedicated: bool
    given_to: str
    given_on: str
    first_message: MessageRef | None
    parties: int
    strength: str
    leaks: tuple[LeakShown, ...]
    # (UTC date, organisation, whether it is a leak) of each message it got
    timeline: tuple[tuple[str, str, bool], ...] = ()


@dataclass(frozen=True)
class Recommendation:
    title: str = field(metadata=OWN_WORDS)
    why: str = field(metadata=OWN_WORDS)
    removes: tuple[str, ...]  # finding ids


@dataclass(frozen=True)
class Report:
    """Everything the report shows, in reading order."""

    has_owner: bool
    owner: tuple[str, ...]
    owner_how: str = field(metadata=OWN_WORDS)
    sources: tuple[str, ...]
    messages: int
    quarantined: int
    first_date: str
    last_date: str
    verdict: tuple[str, ...] = field(metadata=OWN_WORDS)
    identities: tuple[IdentityRow, ...]
    findings: tuple[Finding, ...]
    suggestions: tuple[Finding, ...]
    views: tuple[ObserverView, ...]
    habits: Habits
    encryption: dict[str, int]
    # one sentence per section: how much encryption hid
    encryption_hid: tuple[str, ...] = field(metadata=OWN_WORDS)
    recommendations: tuple[Recommendation, ...]
    ego_edges: tuple[tuple[str, str, int], ...]  # (you or correspondent, correspondent, messages)
    communities: tuple[tuple[str, ...], ...]
    clusters: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    redaction: str = ""  # what was replaced, when the report is made to be shared
    people: tuple[Person, ...] = ()  # an archive's people with more than one address
    aliases: tuple[AliasRow, ...] = ()
    what_if: dict[str, Any] = field(default_factory=dict)  # findings.json's counterfactual


# -- findings -------------------------------------------------------------------------------
_SUMMARY = {rule.evidence: rule.summary for rule in CATALOG}


def _evidence_shown(links: Sequence[Link], analysis: Analysis) -> tuple[EvidenceShown, ...]:
    order = {rule.evidence: n for n, rule in enumerate(CATALOG)}
    shown = []
    for link in sorted(links, key=lambda lk: (lk.question != SAME_PERSON, order[lk.evidence])):
        refs = analysis.refs(link.messages)
        shown.append(
            EvidenceShown(
                link.evidence,
                _SUMMARY[link.evidence],
                link.question,
                link.level,
                link.observer_class,
                link.observers,
                link.observers_total,
                link.detail,
                tuple(refs[:MESSAGES_PER_EVIDENCE]),
                link.messages_total,
            )
        )
    return tuple(shown)


def _finding(finding_id: str, pair: PairVerdict, analysis: Analysis) -> Finding:
    same = pair.same_person
    return Finding(
        finding_id,
        pair.a,
        pair.b,
        pair.relation,
        same.score,
        same.confidence,
        same.observer_class,
        same.by_observer,
        pair.known_together.observer_class if pair.known_together else None,
        _evidence_shown(analysis.links_of(pair.a, pair.b), analysis),
    )


def _findings(analysis: Analysis) -> tuple[list[Finding], list[Finding]]:
    """The pairs the analysis numbered for a reader: findings, then suggestions."""
    shown = [_finding(fid, pair, analysis) for fid, pair in analysis.shown_pairs()]
    by_number = sorted(shown, key=lambda f: int(f.id[1:]))
    return (
        [f for f in by_number if f.id.startswith("F")],
        [f for f in by_number if f.id.startswith("S")],
    )


# -- the verdict ----------------------------------------------------------------------------
def _groups(analysis: Analysis, question: str, observer_class: str) -> list[tuple[str, ...]]:
    return sorted(
        (
            c.identities
            for c in analysis.clusters
            if c.question == question and c.observer_class == observer_class
        ),
        key=len,
        reverse=True,
    )


def _tied(groups: list[tuple[str, ...]]) -> str:
    joined = sum(len(g) for g in groups)
    if len(groups) == 1:
        return f"{joined}"
    sizes = " and ".join(str(len(g)) for g in groups)
    return f"{joined} (in {len(groups)} groups of {sizes})"


def _people_sentence(people: Sequence[Person]) -> list[str]:
    if not people:
        return []
    addresses = sum(len(p.addresses) for p in people)
    largest = len(people[0].addresses)
    return [
        f"Together they make {len(people)} {'person' if len(people) == 1 else 'people'} "
        f"with {addresses} addresses between them; the one with most has {largest}."
    ]


def _verdict(analysis: Analysis) -> list[str]:
    seen = analysis.summary.addresses_seen
    encryption = analysis.encryption
    if not analysis.owner.identities:
        others = len(analysis.pairs_of("others"))
        owner = analysis.owner
        if owner.mailboxes:
            opening = (
                f"{owner.mailboxes:,} mailboxes receive mail in this archive, more than one "
                "person has: it reads as an archive of many people's mail (name yours with "
                "--me to audit your own)."
            )
        elif owner.archive_asked:
            opening = (
                "Read as an archive of many people's mail, as --archive asks: no address in "
                "it is taken for yours."
            )
        elif owner.archived_by:
            opening = (
                f"This is a mailing list's archive, kept by {', '.join(owner.archived_by)}, "
                "which wrote none of it: it reads as many people's mail, not as that "
                "mailbox's owner's (name yours with --me to audit your own)."
            )
        else:
            opening = (
                "Nothing in the headers says whose mailbox this is: it reads as an archive "
                "of many people's mail, such as a mailing list."
            )
        return [
            opening,
            f"{others} pairs of addresses in it look like one person each, by what the "
            "headers alone show."
            if others
            else "No two addresses in it look like one person.",
            *_people_sentence(analysis.summary.people),
        ]
    sentences = []
    previous = 0
    for observer_class in VISIBILITY_ORDER:
        groups = _groups(analysis, SAME_PERSON, observer_class)
        joined = sum(len(g) for g in groups)
        if joined and joined > previous:
            everyone = joined == seen and len(groups) == 1
            amount = "all" if everyone else _tied(groups)
            sentences.append(
                f"{OBSERVER_WORDS[observer_class].capitalize()} can tie {amount} of your "
                f"{seen} addresses together as one person."
            )
        previous = max(previous, joined)
    if not sentences:
        sentences.append(
            f"Nothing in the headers ties your {seen} addresses together as one person."
        )
    holders = _groups(analysis, KNOWN_TOGETHER, "correspondents")
    if holders:
        sentences.append(
            f"Some of your correspondents hold {max(len(g) for g in holders)} of your addresses "
            "at once, from messages that carry both."
        )
    total = sum(encryption.values())
    encrypted = sum(encryption.get(c, 0) for c in ENCRYPTED)
    if total:
        behind = analysis.summary.evidence_shown_encrypted
        if encrypted:
            share = f"{encrypted} of your {total} messages ({encrypted / total:.0%}) were encrypted"
            shown = (
                f" ({behind} pieces of evidence are shown by encrypted messages)" if behind else ""
            )
            sentences.append(
                f"Encryption hid none of this: {share}, and every link here comes from headers "
                f"that encryption leaves readable{shown}."
            )
        else:
            sentences.append(
                f"None of your {total} messages was encrypted, and encrypting them would have "
                "hidden none of this: every link here comes from headers, which encryption "
                "leaves readable."
            )
    return sentences


# -- encryption and recommendations ---------------------------------------------------------
def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _encryption_hid(analysis: Analysis) -> list[str]:
    encryption, views, habits = analysis.encryption, analysis.views, analysis.habits
    total = sum(encryption.values())
    encrypted = sum(encryption.get(c, 0) for c in ENCRYPTED)
    if not total:
        return []
    pieces, behind = analysis.summary.evidence, analysis.summary.evidence_shown_encrypted
    whose = "your addresses" if views else "addresses"
    lines = [
        f"{encrypted} of {total} messages ({encrypted / total:.0%}) were encrypted "
        "(S/MIME or OpenPGP): their bodies are hidden, their headers are not."
        if encrypted
        else f"None of the {total} messages was encrypted (S/MIME or OpenPGP); had they been, "
        "their bodies would be hidden, their headers would not.",
        f"Links between {whose}: {_count(pieces, 'piece')} of evidence, "
        f"{behind} of them shown by encrypted messages too. Encryption hid none.",
    ]
    if views:
        lines.append(
            "What observers see: addresses, client IP addresses, mail clients and time zones "
            "all come from headers. Encryption hid none."
        )
    if habits.dated:
        lines.append(
            f"Your habits: {habits.dated} dated messages you sent, encrypted or not, give "
            "your hours and time zones. Encryption hid none."
        )
    return lines


_ONE_KEY = (
    "One key per identity",
    "One OpenPGP key under two addresses (as a recipient, a signer or in an Autocrypt "
    "header) is one person to anyone who sees it.",
)
# evidence → the change that removes it (title, why)
_ADVICE: dict[str, tuple[str, str]] = {
    "subaddress": (
        "An alias per service, not a +tag",
        "A +tag or another spelling delivers to the same mailbox, and anyone can "
        "strip it. A separate alias per service shows nothing of the mailbox.",
    ),
    "co-recipient": (
        "Never address one message to two of your identities",
        "Everyone who receives it holds both addresses at once.",
    ),
    "thread": (
        "Answer from the address that was written to",
        "Replying from another identity shows whoever wrote that both are yours.",
    ),
    "reply-to": (
        "No Reply-To or Sender naming another of your addresses",
        "The header names both addresses in one message.",
    ),
    "sender": (
        "No Reply-To or Sender naming another of your addresses",
        "The header names both addresses in one message.",
    ),
    "forwarding": (
        "A separate mailbox for identities that must stay apart",
        "Forwarding writes the mailbox an alias delivers to into the headers your "
        "providers and relays read (Delivered-To).",
    ),
    "client-ip": (
        "A client or provider that hides your IP address",
        "Your machine's address in the first Received hop or X-Originating-IP is "
        "the same under several identities. Webmail, a VPN or a provider that "
        "strips it removes it.",
    ),
    "message-id-host": (
        "A Message-ID without a host name",
        "Your client writes your machine's name after the @ of every "
        "Message-ID. Most clients can be set to use the mail domain instead.",
    ),
    "timing": (
        "UTC dates",
        "Your Date header gives your time zone and, over many messages, your hours. "
        "A client set to UTC gives neither.",
    ),
    "client-fingerprint": (
        "A common mail client, or one that sends no User-Agent",
        "A rare client build in your time zone marks your messages under every identity.",
    ),
    "display-name": (
        "No name on an alias",
        "The same name on two addresses ties them. An alias with no name, or "
        "another one, does not.",
    ),
    "local-part": (
        "A different user name per identity",
        "The same name before the @ at two domains ties them.",
    ),
    "pgp-key": _ONE_KEY,
    "autocrypt": _ONE_KEY,
    "smime-certificate": (
        "One certificate per identity",
        "A certificate names its addresses; one certificate under two addresses is one person.",
    ),
    "social-overlap": (
        "Keep each identity's correspondents apart",
        "The same rare correspondents on two addresses suggest one person.",
    ),
}


def _recommendations(findings: Sequence[Finding]) -> list[Recommendation]:
    removes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for finding in findings:
        for piece in finding.evidence:
            advice = _ADVICE.get(piece.evidence)
            if advice and finding.id not in removes[advice]:
                removes[advice].append(finding.id)
    ranked = sorted(removes.items(), key=lambda kv: (-len(kv[1]), kv[0][0]))
    return [Recommendation(title, why, tuple(ids)) for (title, why), ids in ranked]


# -- the report -----------------------------------------------------------------------------
def _identity_rows(analysis: Analysis) -> list[IdentityRow]:
    """The owner's addresses the mail shows, most messages first."""
    rows = [
        IdentityRow(i.address, i.kind, i.messages, i.sent, i.people, i.organisations,
                    i.domains, (i.first_seen or "")[:10], (i.last_seen or "")[:10])
        for i in analysis.identities
        if i.messages
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (-r.messages, r.address))


def build_report(analysis: Analysis) -> Report:
    """Every section of the report, laid out from one run's analysis."""
    found, suggested = _findings(analysis)
    identity_rows = _identity_rows(analysis)
    encryption = dict(analysis.encryption)
    has_owner = bool(analysis.owner.identities)
    return Report(
        has_owner=has_owner,
        owner=tuple(row.address for row in identity_rows) or analysis.owner.identities,
        owner_how=analysis.owner.how,
        sources=analysis.inputs.sources,
        messages=analysis.inputs.parsed,
        quarantined=analysis.inputs.quarantined,
        first_date=analysis.first_date,
        last_date=analysis.last_date,
        verdict=tuple(_verdict(analysis)),
        identities=tuple(identity_rows),
        findings=tuple(found),
        suggestions=tuple(suggested),
        views=analysis.views,
        habits=analysis.habits,
        encryption=encryption,
        encryption_hid=tuple(_encryption_hid(analysis)),
        # advice is for the owner: an archive's readers cannot act on other people's mail
        recommendations=tuple(_recommendations(found)) if has_owner else (),
        ego_edges=analysis.network.edges,
        communities=analysis.network.communities,
        clusters=tuple(c.as_dict() for c in analysis.clusters),
        people=analysis.summary.people,
        aliases=tuple(_alias_rows(analysis)),
        what_if=analysis.counterfactual.as_dict() if analysis.counterfactual else {},
    )


# -- aliases --------------------------------------------------------------------------------
def _sent_by(leak, analysis: Analysis) -> tuple[MessageRef, ...]:
    """A leak's messages with their real senders: an alias service writes the alias itself
    (or its reverse alias) into From, and a leak is never sent by the alias it leaked."""
    sender = dict(zip(leak.message_ids, leak.message_senders, strict=True))
    return tuple(
        dataclasses.replace(ref, sender=sender.get(ref.message_id) or ref.sender)
        for ref in analysis.refs(leak.message_ids)
    )


def _alias_rows(analysis: Analysis) -> list[AliasRow]:
    rows = []
    for exposure in analysis.exposures:
        leaks = [
            LeakShown(analysis.leak_ids[(exposure.address, leak.organisation)], leak.organisation,
                      leak.first, leak.messages, leak.senders, leak.via, _sent_by(leak, analysis))
            for leak in exposure.leaks
        ]  # fmt: skip
        leaking = {leak.organisation for leak in exposure.leaks}
        first = analysis.refs([exposure.first_message_id] if exposure.first_message_id else [])
        rows.append(
            AliasRow(
                exposure.address,
                exposure.kind,
                exposure.dedicated,
                exposure.given_to or "",
                exposure.given_on or "",
                first[0] if first else None,
                exposure.parties,
                exposure.strength,
                tuple(leaks),
                tuple((day, o, o in leaking) for day, o in exposure.timeline),
            )
        )
    return rows
