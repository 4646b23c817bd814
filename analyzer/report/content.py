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
from typing import TYPE_CHECKING, Any

from analyzer.analysis import (
    ADVICE,
    CATALOG,
    MESSAGES_PER_EVIDENCE,
    SAME_PERSON,
    Analysis,
    Habits,
    Link,
    MessageRef,
    ObserverView,
    PairVerdict,
    Person,
)
from analyzer.report.verdict import RiskShown, risks_shown, verdict
from analyzer.report.words import OBSERVER_WORDS
from analyzer.vocabulary import ENCRYPTED, OWN_WORDS, Said

if TYPE_CHECKING:  # made by the audit (analyzer.diff) and handed to the report as it is
    from analyzer.diff import FindingsDiff

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
    "RiskShown",
    "build_report",
]


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
    # people who send for the owner: "address (how mxa knows)", never the owner's addresses
    owner_delegates: tuple[str, ...]
    sources: tuple[str, ...]
    messages: int
    quarantined: int
    first_date: str
    last_date: str
    verdict: tuple[Said, ...]  # a redacted copy keeps the words, replaces names in them
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
    communities: tuple[tuple[str, ...], ...]  # each community's members, as the nodes' labels
    clusters: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    redaction: str = ""  # what was replaced, when the report is made to be shared
    people: tuple[Person, ...] = ()  # an archive's people with more than one address
    aliases: tuple[AliasRow, ...] = ()
    what_if: dict[str, Any] = field(default_factory=dict)  # findings.json's counterfactual
    ego_nodes: tuple[Any, ...] = ()  # analysis.network's NetworkNode: who each node is
    risks: tuple[RiskShown, ...] = ()  # the owner's exposures in words, worst first
    changes: FindingsDiff | None = None  # what changed since an earlier audit (--since)


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


def _recommendations(findings: Sequence[Finding]) -> list[Recommendation]:
    removes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for finding in findings:
        for piece in finding.evidence:
            advice = ADVICE.get(piece.evidence)
            change = (advice.title, advice.why) if advice else None
            if change and finding.id not in removes[change]:
                removes[change].append(finding.id)
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
        owner_delegates=tuple(f"{d.address} ({d.how})" for d in analysis.owner.delegates),
        sources=analysis.inputs.sources,
        messages=analysis.inputs.parsed,
        quarantined=analysis.inputs.quarantined,
        first_date=analysis.first_date,
        last_date=analysis.last_date,
        verdict=tuple(verdict(analysis)),
        risks=tuple(risks_shown(analysis)),
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
        communities=analysis.network.community_labels(),
        ego_nodes=analysis.network.nodes,
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
