"""What linkability answers: links, both questions per pair, clusters and suggestions.

Each is frozen and lays itself out for ``findings.json`` (``as_dict``). :class:`Linkability`
holds one run's answer; the whole run's :class:`analyzer.analysis.Analysis` wraps it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from analyzer.linkability.catalog import CLAIM, VISIBILITY_ORDER
from analyzer.linkability.model import Model, confidence_word, posterior
from analyzer.owner import Owner

__all__ = [
    "Cluster",
    "KnownTogether",
    "Link",
    "Linkability",
    "PairVerdict",
    "SamePerson",
    "Suggestion",
]


@dataclass(frozen=True)
class Link:
    """Two addresses joined by one kind of evidence, and who can see it."""

    a: str
    b: str
    evidence: str
    strength: str
    question: str
    level: str  # the strongest level found
    observer_class: str  # the most visible class that sees that level
    observers: tuple[str, ...]  # the parties of that class, the most involved first
    observers_total: int
    messages: tuple[str, ...]  # Message-IDs of the messages that show it (the oldest 1000)
    messages_total: int
    detail: str
    owner: bool  # both addresses are the owner's
    by_observer: dict[str, str] = field(default_factory=dict)  # the level each class sees

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "evidence": self.evidence,
            "strength": self.strength,
            "question": self.question,
            "level": self.level,
            "level_by_observer": dict(self.by_observer),
            "observer_class": self.observer_class,
            "observers": list(self.observers),
            "observers_total": self.observers_total,
            "messages": list(self.messages),
            "messages_total": self.messages_total,
            "detail": self.detail,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class SamePerson:
    """How sure an observer can be that two addresses are one person's."""

    prior: float  # declared by the owner, or found among the archive's addresses
    bits: dict[str, float]  # the evidence each observer class sees, in bits
    levels: dict[str, str]  # comparison → level, with everything
    evidence: tuple[str, ...]
    weights: dict[str, float] = field(default_factory=dict)  # comparison → bits it adds

    @property
    def by_observer(self) -> dict[str, float]:
        """The score from what each observer class sees."""
        return {c: round(posterior(self.prior, bits), 3) for c, bits in self.bits.items()}

    @property
    def score(self) -> float:
        """The score from everything anyone can see (inference)."""
        return self.by_observer[VISIBILITY_ORDER[-1]]

    @property
    def confidence(self) -> str:
        return confidence_word(self.score)

    @property
    def observer_class(self) -> str | None:
        """The most visible class that can claim it (score ≥ 0.5), if any."""
        return next((c for c in VISIBILITY_ORDER if self.by_observer[c] >= CLAIM), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "confidence": self.confidence,
            "observer_class": self.observer_class,
            "by_observer": self.by_observer,
            "prior": self.prior,
            "bits": round(self.bits[VISIBILITY_ORDER[-1]], 2),
            "levels": dict(self.levels),
            "weights": {c: round(w, 2) for c, w in self.weights.items()},
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class KnownTogether:
    """Who holds both addresses."""

    observer_class: str
    observers: tuple[str, ...]
    observers_total: int
    evidence: tuple[str, ...]  # co-recipient, thread when one message shows both

    def as_dict(self) -> dict[str, Any]:
        return {
            "observer_class": self.observer_class,
            "observers": list(self.observers),
            "observers_total": self.observers_total,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class PairVerdict:
    """Both questions for one pair of addresses."""

    a: str
    b: str
    relation: str  # owner (both the owner's), suggestion (one is, or both suggested), others
    same_person: SamePerson
    known_together: KnownTogether | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "relation": self.relation,
            "same_person": self.same_person.as_dict(),
            "known_together": self.known_together.as_dict() if self.known_together else None,
        }


@dataclass(frozen=True)
class Cluster:
    """The owner's identities one observer class can join, for one question."""

    identities: tuple[str, ...]
    question: str
    observer_class: str
    score: float | None  # same person: the weakest pair on the strongest chain

    def as_dict(self) -> dict[str, Any]:
        return {
            "identities": list(self.identities),
            "question": self.question,
            "observer_class": self.observer_class,
            "score": self.score,
        }


@dataclass(frozen=True)
class Suggestion:
    """An address not given as the owner's that same-person evidence ties to theirs."""

    address: str
    ties_to: tuple[str, ...]
    score: float
    evidence: tuple[str, ...]

    @property
    def confidence(self) -> str:
        return confidence_word(self.score)

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "ties_to": list(self.ties_to),
            "score": self.score,
            "confidence": self.confidence,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Linkability:
    """One run's linkability: made once by :func:`~analyzer.linkability.analyze`, read
    through :class:`analyzer.analysis.Analysis`."""

    owner: Owner
    links: tuple[Link, ...]
    pairs: tuple[PairVerdict, ...]
    clusters: tuple[Cluster, ...]
    suggestions: tuple[Suggestion, ...]
    model: Model = field(repr=False)
    discovered_prior: float = 0.0  # the archive's own prior for pairs found in it

    def pairs_of(self, relation: str) -> list[PairVerdict]:
        return [pair for pair in self.pairs if pair.relation == relation]

    def links_of(self, a: str, b: str) -> list[Link]:
        return self._links_by_pair.get((a, b) if a < b else (b, a), [])

    @cached_property
    def _links_by_pair(self) -> dict[tuple[str, str], list[Link]]:
        grouped: dict[tuple[str, str], list[Link]] = defaultdict(list)
        for link in self.links:
            grouped[(link.a, link.b)].append(link)
        return dict(grouped)
