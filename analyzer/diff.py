"""What changed between two audits: ``mxa diff OLD NEW`` and ``mxa audit --since OLD``.

Two ``findings.json`` documents are compared by what they say, never by their ids: ``F3``,
``S1`` and ``L2`` are numbered afresh on each run, so a pair is its two addresses, a link
its pair and evidence id, a leak its address and the organisation it reached, a suggestion
its address, an observer its name. Everything is read from the documents alone (no store,
no mail), so an audit from last month compares with today's.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Generic, TypeVar

from analyzer.findings import FindingsError, FindingsFile, read_findings
from analyzer.vocabulary import ObserverClass, Question

__all__ = [
    "DIFF_SCHEMA",
    "AuditSeen",
    "Changes",
    "ConfidenceChange",
    "FindingsDiff",
    "IdentitySeen",
    "LeakSeen",
    "LinkSeen",
    "ObserverTies",
    "ObserversCut",
    "PairSeen",
    "SuggestionSeen",
    "diff_audits",
    "diff_files",
    "diff_findings",
]

DIFF_SCHEMA = "mxa.diff/1"
_VISIBILITY = tuple(ObserverClass)  # from the most to the least visible

T = TypeVar("T")


@dataclass(frozen=True)
class AuditSeen:
    """One side of the comparison: which findings, how much mail, and up to when."""

    path: str
    messages: int
    has_owner: bool
    # the newest mail's day: input.last_date, or in findings written before it the last
    # day the owner's addresses or observers show mail
    newest_mail: str | None
    written_on: str | None  # the day findings.json was written (its file's time), UTC

    @property
    def name(self) -> str:
        """The audit as a report names it: its folder's name, never the local path (a
        report is shared); a findings file named otherwise by its own name."""
        given = PurePath(self.path)
        return (
            given.parent.name if given.name == "findings.json" and given.parent.name else given.name
        )

    @property
    def date(self) -> str | None:
        """The day the audit stands for: its newest mail, else when it was written (older
        findings of an archive hold no dates)."""
        return self.newest_mail or self.written_on


@dataclass(frozen=True)
class IdentitySeen:
    address: str
    kind: str


@dataclass(frozen=True)
class PairSeen:
    """A pair the report shows (it has an ``F`` or ``S`` id): something ties its addresses."""

    a: str
    b: str
    relation: str
    confidence: str
    score: float
    seen_by: str | None  # the most visible class that can claim one person, if any
    known_together_by: str | None
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ConfidenceChange:
    """A pair both audits show whose confidence word moved (``possible`` to ``certain``)."""

    a: str
    b: str
    relation: str
    before: str
    after: str
    score_before: float
    score_after: float
    seen_by_before: str | None
    seen_by_after: str | None


@dataclass(frozen=True)
class LinkSeen:
    """One piece of evidence between two addresses."""

    a: str
    b: str
    evidence: str
    question: str
    level: str
    observer_class: str
    messages: int


@dataclass(frozen=True)
class LeakSeen:
    """An organisation that wrote to an address given to another one."""

    address: str
    given_to: str
    organisation: str
    first: str
    messages: int
    senders: tuple[str, ...]


@dataclass(frozen=True)
class SuggestionSeen:
    """An address not given as the owner's that evidence ties to theirs."""

    address: str
    ties_to: tuple[str, ...]
    confidence: str
    score: float


@dataclass(frozen=True)
class ObserverTies:
    """A party (a correspondent, a provider) and the pairs it can tie as one person that
    changed: ``pairs`` it can tie now and could not before (or the reverse, when gone);
    ``before`` and ``now`` count all the pairs it can tie in each audit."""

    observer: str
    observer_class: str
    pairs: tuple[tuple[str, str], ...]
    before: int
    now: int


@dataclass(frozen=True)
class ObserversCut:
    """A link whose observers findings.json names only in part (the most involved first,
    at most 25): who can tie its pair is not compared, since the cut list's order and
    cut change from run to run while nothing else does."""

    a: str
    b: str
    evidence: str
    listed: int
    total: int


@dataclass(frozen=True)
class Changes(Generic[T]):
    """What the later audit shows and the earlier did not (``new``), and the reverse."""

    new: tuple[T, ...] = ()
    gone: tuple[T, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.new or self.gone)


@dataclass(frozen=True)
class FindingsDiff:
    """Everything that changed between two audits, each kind new and gone."""

    earlier: AuditSeen
    later: AuditSeen
    identities: Changes[IdentitySeen]
    pairs: Changes[PairSeen]
    confidence: tuple[ConfidenceChange, ...]
    links: Changes[LinkSeen]
    leaks: Changes[LeakSeen]
    suggestions: Changes[SuggestionSeen]
    observers: Changes[ObserverTies]
    # links either audit names only some observers of: their pairs' observers not compared
    observers_cut: tuple[ObserversCut, ...] = ()

    @property
    def links_of_pairs_kept(self) -> Changes[LinkSeen]:
        """The evidence that came or went between pairs tied in both audits (a new or gone
        pair brings or takes all of its own: :attr:`pairs` names them)."""
        moved = {(p.a, p.b) for p in (*self.pairs.new, *self.pairs.gone)}
        return Changes(
            tuple(k for k in self.links.new if (k.a, k.b) not in moved),
            tuple(k for k in self.links.gone if (k.a, k.b) not in moved),
        )

    @property
    def unchanged(self) -> bool:
        return not any(self.counts()[kind]["total"] for kind in self.counts())

    def counts(self) -> dict[str, dict[str, int]]:
        """How many of each kind are new and gone (confidence changes count as new)."""
        kinds = {"identities": self.identities, "pairs": self.pairs, "links": self.links,
                 "leaks": self.leaks, "suggestions": self.suggestions,
                 "observers": self.observers}  # fmt: skip
        counts = {
            kind: {"new": len(c.new), "gone": len(c.gone), "total": len(c.new) + len(c.gone)}
            for kind, c in kinds.items()
        }
        changed = len(self.confidence)
        counts["confidence_changed"] = {"new": changed, "gone": 0, "total": changed}
        return counts

    def as_dict(self) -> dict[str, Any]:
        """The diff as JSON (``mxa diff --json``): lists sorted, tuples as lists."""
        shown = dataclasses.asdict(self)
        confidence = shown.pop("confidence")
        return {
            "schema": DIFF_SCHEMA,
            "earlier": {**shown.pop("earlier"), "date": self.earlier.date},
            "later": {**shown.pop("later"), "date": self.later.date},
            "unchanged": self.unchanged,
            "counts": self.counts(),
            **shown,
            "confidence_changed": confidence,
        }


# -- reading (the file itself: analyzer.findings.read_findings) ----------------------------
def _audit_seen(document: Mapping[str, Any], path: str, written_on: str | None) -> AuditSeen:
    days = [str(i.get("last_seen") or "")[:10] for i in document.get("identities", [])]
    days += [str(v.get("last_seen") or "")[:10] for v in document.get("observers", [])]
    return AuditSeen(
        path=path,
        messages=int(document.get("input", {}).get("messages_stored", 0)),
        has_owner=bool(document.get("owner", {}).get("identities")),
        newest_mail=document.get("input", {}).get("last_date")
        or max((day for day in days if day), default=None),
        written_on=written_on,
    )


# -- what each document says, keyed by content ----------------------------------------------
def _identities(document: Mapping[str, Any]) -> dict[str, IdentitySeen]:
    return {i["address"]: IdentitySeen(i["address"], i["kind"]) for i in document["identities"]}


def _shown_pairs(document: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The pairs the report shows: those with an id (a pair of the owner's that nothing
    ties has none)."""
    return {(p["a"], p["b"]): p for p in document["pairs"] if p.get("id")}


def _pair_seen(pair: Mapping[str, Any]) -> PairSeen:
    same, together = pair["same_person"], pair.get("known_together") or {}
    evidence = (*same.get("evidence", ()), *together.get("evidence", ()))
    return PairSeen(pair["a"], pair["b"], pair["relation"], same["confidence"], same["score"],
                    same.get("observer_class"), together.get("observer_class"),
                    tuple(evidence))  # fmt: skip


def _links(document: Mapping[str, Any]) -> dict[tuple[str, str, str], LinkSeen]:
    return {
        (lk["a"], lk["b"], lk["evidence"]): LinkSeen(lk["a"], lk["b"], lk["evidence"],
                                                     lk["question"], lk["level"],
                                                     lk["observer_class"], lk["messages_total"])
        for lk in document["links"]
    }  # fmt: skip


def _leaks(document: Mapping[str, Any]) -> dict[tuple[str, str], LeakSeen]:
    return {
        (alias["address"], leak["organisation"]): LeakSeen(
            alias["address"],
            alias.get("given_to") or "",
            leak["organisation"],
            leak.get("first") or "",
            leak["messages"],
            tuple(leak.get("senders", ())),
        )
        for alias in document["alias_leaks"]
        for leak in alias["leaks"]
    }


def _suggestions(document: Mapping[str, Any]) -> dict[str, SuggestionSeen]:
    return {
        s["address"]: SuggestionSeen(s["address"], tuple(s["ties_to"]), s["confidence"], s["score"])
        for s in document["suggestions"]
    }


def _can_claim(link_class: str, pair_class: str | None) -> bool:
    """Whether a class sees enough to claim the pair: it is the pair's most visible class
    that reaches the claim, or a less visible one (which sees all it sees, and more)."""
    if pair_class not in _VISIBILITY or link_class not in _VISIBILITY:
        return False
    return _VISIBILITY.index(link_class) >= _VISIBILITY.index(pair_class)


def _claiming_links(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The same-person links whose class sees enough to claim their pair."""
    claimed = {(p["a"], p["b"]): p["same_person"].get("observer_class") for p in document["pairs"]}
    return [
        link
        for link in document["links"]
        if link["question"] == Question.SAME_PERSON
        and _can_claim(link["observer_class"], claimed.get((link["a"], link["b"])))
    ]


def _is_cut(link: Mapping[str, Any]) -> bool:
    return int(link.get("observers_total", 0)) > len(link["observers"])


def _observers_cut(document: Mapping[str, Any]) -> dict[tuple[str, str, str], ObserversCut]:
    """The claiming links whose observers list is cut (``observers_total`` counts more)."""
    return {
        (lk["a"], lk["b"], lk["evidence"]): ObserversCut(
            lk["a"], lk["b"], lk["evidence"], len(lk["observers"]), int(lk["observers_total"])
        )
        for lk in _claiming_links(document)
        if _is_cut(lk)
    }


def _observer_ties(
    document: Mapping[str, Any], partial: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, tuple[str, set[tuple[str, str]]]]:
    """Each named party (a link's observers) and the pairs it can tie as one person: it
    sees same-person evidence of a pair, and its class sees enough to claim the pair.
    Pairs in ``partial`` (a link of theirs names only some observers) are left out."""
    ties: dict[str, set[tuple[str, str]]] = defaultdict(set)
    classes: dict[str, str] = {}
    for link in _claiming_links(document):
        pair = (link["a"], link["b"])
        if pair in partial:
            continue
        for observer in link["observers"]:
            ties[observer].add(pair)
            # its most visible class, where it is named under several
            known = classes.get(observer)
            if known is None or _VISIBILITY.index(link["observer_class"]) < _VISIBILITY.index(
                known
            ):
                classes[observer] = link["observer_class"]
    return {observer: (classes[observer], pairs) for observer, pairs in ties.items()}


# -- comparing ------------------------------------------------------------------------------
K = TypeVar("K", bound=Hashable)


def _compare(before: Mapping[K, T], after: Mapping[K, T]) -> Changes[T]:
    new = [after[key] for key in sorted(after.keys() - before.keys())]  # type: ignore[type-var]
    gone = [before[key] for key in sorted(before.keys() - after.keys())]  # type: ignore[type-var]
    return Changes(tuple(new), tuple(gone))


def _pairs_compared(
    before: Mapping[Any, dict], after: Mapping[Any, dict]
) -> tuple[Changes[PairSeen], tuple[ConfidenceChange, ...]]:
    changes = _compare(
        {k: _pair_seen(p) for k, p in before.items()}, {k: _pair_seen(p) for k, p in after.items()}
    )
    moved = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key]["same_person"], after[key]["same_person"]
        if old["confidence"] != new["confidence"]:
            moved.append(ConfidenceChange(
                key[0], key[1], after[key]["relation"], old["confidence"], new["confidence"],
                old["score"], new["score"], old.get("observer_class"), new.get("observer_class"),
            ))  # fmt: skip
    return changes, tuple(moved)


def _ties_compared(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes[ObserverTies]:
    def changed(one, other, *, later: bool) -> list[ObserverTies]:
        shown = []
        for observer in sorted(one):
            observer_class, pairs = one[observer]
            others = other.get(observer, ("", set()))[1]
            different = tuple(sorted(pairs - others))
            if different:
                now, then = (pairs, others) if later else (others, pairs)
                shown.append(ObserverTies(observer, observer_class, different, len(then), len(now)))
        # who can tie the most first, then by name
        return sorted(shown, key=lambda t: (-len(t.pairs), t.observer))

    return Changes(tuple(changed(after, before, later=True)),
                   tuple(changed(before, after, later=False)))  # fmt: skip


def _read(document: Mapping[str, Any], path: str, reader: Callable[[Mapping[str, Any]], T]) -> T:
    """One part of a document, or one line saying the document is not what its schema says."""
    try:
        return reader(document)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise FindingsError(
            f"{path or 'findings.json'} does not hold what {document.get('schema')} "
            f"says ({type(error).__name__}: {error}): was it written by mxa?"
        ) from None


def diff_findings(
    earlier: Mapping[str, Any],
    later: Mapping[str, Any],
    *,
    earlier_path: str = "",
    later_path: str = "",
    earlier_written_on: str | None = None,
    later_written_on: str | None = None,
) -> FindingsDiff:
    """What is new and what is gone from ``earlier`` to ``later`` (two findings documents);
    the paths and days only say where each came from."""

    def both(reader: Callable[[Mapping[str, Any]], Any]) -> tuple[Any, Any]:
        return _read(earlier, earlier_path, reader), _read(later, later_path, reader)

    pairs, confidence = _pairs_compared(*both(_shown_pairs))
    cut_before, cut_after = both(_observers_cut)
    cut = {**cut_before, **cut_after}  # the later audit's counts where both cut a link
    partial = frozenset((a, b) for a, b, _ in cut)
    return FindingsDiff(
        earlier=_read(earlier, earlier_path,
                      lambda d: _audit_seen(d, earlier_path, earlier_written_on)),
        later=_read(later, later_path, lambda d: _audit_seen(d, later_path, later_written_on)),
        identities=_compare(*both(_identities)),
        pairs=pairs,
        confidence=confidence,
        links=_compare(*both(_links)),
        leaks=_compare(*both(_leaks)),
        suggestions=_compare(*both(_suggestions)),
        observers=_ties_compared(*both(lambda d: _observer_ties(d, partial))),
        observers_cut=tuple(cut[key] for key in sorted(cut)),
    )  # fmt: skip


def diff_files(earlier: FindingsFile, later: FindingsFile) -> FindingsDiff:
    """Two findings documents read by :func:`read_findings` (or made in this run) compared."""
    return diff_findings(
        earlier.document, later.document,
        earlier_path=earlier.path, later_path=later.path,
        earlier_written_on=earlier.written_on, later_written_on=later.written_on,
    )  # fmt: skip


def diff_audits(earlier: str | os.PathLike[str], later: str | os.PathLike[str]) -> FindingsDiff:
    """``mxa diff OLD NEW``: two audit folders (or their findings.json) compared."""
    return diff_files(read_findings(earlier), read_findings(later))
