"""The verdict in words: what the top of the report says, and the exposures worst first.

The numbers and the ranking are the analysis's (:mod:`analyzer.analysis.ranking`,
:mod:`analyzer.analysis.summary`); this module only says them. A tie that the headers
state reads as a fact, one that a name alone suggests reads as a hint, and every exposure
ends with its fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.analysis import (
    ADVICE,
    GROUNDS,
    GROUNDS_ORDER,
    KNOWN_TOGETHER,
    SAME_PERSON,
    VISIBILITY_ORDER,
    Analysis,
    Person,
    Risk,
)
from analyzer.report.words import EVIDENCE_NAMES, OBSERVER_WORDS
from analyzer.vocabulary import ENCRYPTED, Said

__all__ = [
    "RiskShown",
    "mode_sentence",
    "risks_shown",
    "verdict",
]

FIXES_NAMED = 2  # fixes a tie names; the rest are under "What would change it"
NAMED = 6  # addresses or observers a sentence names; the rest are counted


@dataclass(frozen=True)
class RiskShown:
    """One exposure as the verdict says it: what, then its fix, with the ids to look up."""

    kind: str
    ids: tuple[str, ...]
    text: Said  # a redacted copy replaces the addresses in it, and only those
    fix: Said


# -- the opening: whose mail, and why mxa reads it so -----------------------------------------
def mode_sentence(analysis: Analysis) -> str | Said:
    """Which report this is and why: the owner's, and how mxa knows; or an archive's."""
    owner = analysis.owner
    if owner.identities and owner.how.startswith("given"):
        return "Read as your mailbox, with the addresses you gave (--me)."
    if owner.identities:
        return (
            "Read as your mailbox: the headers show whose mail this is (how, under “Your "
            "addresses”); give yours with --me to choose them."
        )
    if owner.mailboxes:
        return (
            f"{owner.mailboxes:,} mailboxes receive mail in this archive, more than one person "
            "has: it reads as an archive of many people's mail (name yours with --me to audit "
            "your own)."
        )
    if owner.archive_asked:
        return (
            "Read as an archive of many people's mail, as --archive asks: no address in it is "
            "taken for yours."
        )
    if owner.archived_by:
        v = _Values()
        return v.said(
            f"This is a mailing list's archive, kept by {_named(v, owner.archived_by)}, which "
            "wrote none of it: it reads as many people's mail, not as that mailbox's owner's "
            "(name yours with --me to audit your own)."
        )
    unsigned = analysis.inputs.sent_without_headers
    if unsigned:
        messages = f"{unsigned:,} message" + ("s" if unsigned != 1 else "")
        return (
            f"Outlook kept no headers on the {messages} of this mailbox's sent folder (it "
            "keeps none on what you send), so nothing says whose mailbox it is: it is read as "
            "many people's mail until you name yours with --me."
        )
    return (
        "Nothing in the headers says whose mailbox this is: it reads as an archive of many "
        "people's mail, such as a mailing list."
    )


# -- the headline numbers ----------------------------------------------------------------------
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


def _people_sentence(people: Sequence[Person]) -> list[Said]:
    if not people:
        return []
    addresses = sum(len(p.addresses) for p in people)
    v = _Values()
    return [
        v.said(
            f"Together they make {len(people)} {'person' if len(people) == 1 else 'people'} "
            f"with {addresses} addresses between them; the one with most, "
            f"{v(people[0].name or people[0].addresses[0])}, has {len(people[0].addresses)}."
        )
    ]


def _archive_verdict(analysis: Analysis) -> list[str]:
    others = len(analysis.pairs_of("others"))
    return [
        mode_sentence(analysis),
        f"{others} pairs of addresses in it look like one person each, by what the headers "
        "alone show."
        if others
        else "No two addresses in it look like one person.",
        *_people_sentence(analysis.summary.people),
    ]


def verdict(analysis: Analysis) -> list[Said]:
    """The sentences at the top of the report: the mode, who can tie how much, what
    encryption hid. Each is a :class:`~analyzer.vocabulary.Said`: a redacted copy keeps
    the words and replaces the addresses and names."""
    said = _archive_verdict(analysis) if not analysis.owner.identities else _owner_verdict(analysis)
    return [s if isinstance(s, Said) else Said(s) for s in said]


def _owner_verdict(analysis: Analysis) -> list[str]:
    seen = analysis.summary.addresses_seen
    sentences = [mode_sentence(analysis)]
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
    if len(sentences) == 1:
        sentences.append(
            f"Nothing in the headers ties your {seen} addresses together as one person."
        )
    holders = _groups(analysis, KNOWN_TOGETHER, "correspondents")
    if holders:
        sentences.append(
            f"Some of your correspondents hold {max(len(g) for g in holders)} of your addresses "
            "at once, from messages that carry both."
        )
    sentences.extend(_encryption_sentence(analysis))
    return sentences


def _encryption_sentence(analysis: Analysis) -> list[str]:
    encryption = analysis.encryption
    total = sum(encryption.values())
    encrypted = sum(encryption.get(c, 0) for c in ENCRYPTED)
    if not total:
        return []
    if not encrypted:
        return [
            f"None of your {total} messages was encrypted, and encrypting them would have "
            "hidden none of this: every link here comes from headers, which encryption "
            "leaves readable."
        ]
    behind = analysis.summary.evidence_shown_encrypted
    share = f"{encrypted} of your {total} messages ({encrypted / total:.0%}) were encrypted"
    shown = f" ({behind} pieces of evidence are shown by encrypted messages)" if behind else ""
    return [
        f"Encryption hid none of this: {share}, and every link here comes from headers that "
        f"encryption leaves readable{shown}."
    ]


# -- the exposures, worst first ----------------------------------------------------------------
class _Values:
    """The values from mail a sentence names, collected as its words are written: each
    stands in the words as ``{n}`` (see :class:`~analyzer.vocabulary.Said`)."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def __call__(self, value: str) -> str:
        self.values.append(value)
        return f"{{{len(self.values) - 1}}}"

    def said(self, words: str) -> Said:
        return Said(words, self.values)


def _listed(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _named(v: _Values, values: Sequence[str], total: int | None = None) -> str:
    """Some values from mail, the first few named and the rest counted."""
    total = len(values) if total is None else total
    shown = list(values) if total <= NAMED else list(values[: NAMED - 1])
    more = total - len(shown)
    return _listed([*map(v, shown), *([f"{more} more"] if more > 0 else [])])


def _addresses(v: _Values, pairs: Sequence[tuple[str, str]]) -> str:
    """The addresses of some pairs after "tie", as a reader takes them in: "a and b
    together"; "a, b and c to d" when one address is in every pair; else the addresses
    together and how many pairs."""
    if len(pairs) == 1:
        return f"{_named(v, pairs[0])} together"
    hubs = set(pairs[0]).intersection(*map(set, pairs[1:]))
    if hubs:
        hub = min(hubs)
        return f"{_named(v, [b if a == hub else a for a, b in pairs])} to {v(hub)}"
    every = sorted({a for pair in pairs for a in pair})
    return f"{_named(v, every)} together ({len(pairs)} pairs)"


def _who(v: _Values, risk: Risk) -> str:
    """Who can tell, as the subject of a sentence."""
    names = _named(v, risk.observers, risk.observers_total)
    if risk.observer_class == "correspondents" and not risk.observers:
        return "Your correspondents"  # they see it, though at a weaker level than others do
    if risk.observer_class == "correspondents":
        if risk.observers_total == 1:
            return f"Your correspondent {names}"
        return f"{risk.observers_total} of your correspondents ({names})"
    if risk.observer_class == "providers":
        return f"Mail providers ({names})" if risk.observers else "Mail providers"
    return "Anyone who holds enough of your mail to compare it"


def _evidence_words(evidence: Sequence[str]) -> str:
    return _listed([EVIDENCE_NAMES[e] for e in evidence])


def _tie_text(risk: Risk) -> Said:
    v = _Values()
    who, what = _who(v, risk), _addresses(v, risk.pairs)
    if risk.kind == "held":
        return v.said(
            f"{who} hold {what} ({_evidence_words(risk.evidence)}): they know both "
            "addresses, though not from this alone that one person has them."
        )
    stated, fingerprints, names = (
        [e for e in risk.evidence if GROUNDS.get(e) == grounds] for grounds in GROUNDS_ORDER
    )
    clues = [*fingerprints, *names]
    agree = f"; {_evidence_words(clues)} agree" if clues else ""
    opening = f"{who} can tie {what} as one person"
    if risk.grounds == "stated":
        return v.said(f"{opening}: the headers say so outright ({_evidence_words(stated)}){agree}.")
    if risk.grounds == "fingerprint":
        named = f", and {_evidence_words(names)} agrees" if names else ""
        return v.said(
            f"{opening}: {_evidence_words(fingerprints)} point to one machine or one habit, "
            f"a strong hint{named}."
        )
    return v.said(
        f"{opening} on a name alone ({_evidence_words(names)}): anyone can write any name, "
        "so this is a hint, not proof, but it costs nothing to notice."
    )


def _tie_fix(risk: Risk) -> Said:
    fixes = list(dict.fromkeys(ADVICE[e].fix for e in risk.evidence if e in ADVICE))
    shown = fixes[:FIXES_NAMED]
    more = len(fixes) - len(shown)
    rest = f"; and {more} more under “What would change it”" if more else ""
    return Said("; ".join(shown) + rest)


def _leak_text(risk: Risk) -> tuple[Said, Said]:
    alias, organisation = risk.pairs[0]
    messages = f"{risk.messages} message{'s' if risk.messages != 1 else ''}"
    v = _Values()
    given = v(risk.given_to) if risk.given_to else "one organisation"
    text = v.said(
        f"Your alias {v(alias)}, given to {given}, reached {v(organisation)} ({messages}): "
        f"{given}, or someone it shared the address with, passed it on."
    )
    fix = _Values()
    return text, fix.said(
        f"give {fix(risk.given_to) if risk.given_to else 'them'} a new alias and turn this one off"
    )


def _lookalike_text(risk: Risk) -> tuple[Said, Said]:
    v = _Values()
    a, b = (v(address) for address in risk.pairs[0])
    through = _evidence_words(risk.evidence) or "the headers"
    text = v.said(
        f"The addresses {a} and {b} look like one person's ({through}), and one of them is "
        "not among yours."
    )
    return text, Said("if it is yours too, audit again naming it with --me; if not, nothing to do")


def risks_shown(analysis: Analysis) -> list[RiskShown]:
    """Each of the owner's exposures in words, worst first, with its fix."""
    shown = []
    for risk in analysis.risks:
        if risk.kind in ("tie", "held"):
            text, fix = _tie_text(risk), _tie_fix(risk)
        elif risk.kind == "leak":
            text, fix = _leak_text(risk)
        else:
            text, fix = _lookalike_text(risk)
        shown.append(RiskShown(risk.kind, risk.ids, text, fix))
    return shown
