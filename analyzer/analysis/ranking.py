"""The owner's exposures, worst first: the order the verdict tells them in.

First the ties between the owner's addresses, grouped where the same observers tie them
on the same grounds: the most widely placed observers first, then what the headers state
before what fingerprints suggest before what a name alone hints. Then the aliases that
reached someone they were not given to. Then addresses that look like the owner's. Each
names the finding, leak or suggestion ids the rest of the report and findings.json use,
and the evidence whose fix comes first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.aliases.leaks import Exposure
from analyzer.linkability import KNOWN_TOGETHER, SAME_PERSON, VISIBILITY_ORDER, Link, PairVerdict
from analyzer.linkability.advice import GROUNDS_ORDER, firmest_first, grounds_of

__all__ = ["Risk", "rank_risks"]

_TIE_GROUNDS = (*GROUNDS_ORDER, "held")
OBSERVERS_NAMED = 3  # observers a risk names; the rest are counted


@dataclass(frozen=True)
class Risk:
    """One exposure the verdict states, with what shows it and who can see it.

    ``kind``: ``tie`` (addresses someone can take for one person), ``held`` (addresses
    someone holds together), ``leak`` (an alias that reached another organisation) or
    ``lookalike`` (an address that looks like the owner's).
    """

    kind: str
    ids: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]  # tie, held: the addresses; leak: (alias, to whom)
    observer_class: str  # who can tell (ties); "" otherwise
    observers: tuple[str, ...]  # the most involved first
    observers_total: int
    evidence: tuple[str, ...]  # firmest first: the first one's fix comes first
    grounds: str  # stated | fingerprint | name (ties); the kind otherwise
    given_to: str = ""  # leak: whom the alias was given to
    messages: int = 0  # leak: messages from the organisation it leaked to

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ids": list(self.ids),
            "pairs": [list(pair) for pair in self.pairs],
            "observer_class": self.observer_class,
            "observers": list(self.observers),
            "observers_total": self.observers_total,
            "evidence": list(self.evidence),
            "grounds": self.grounds,
            "given_to": self.given_to,
            "messages": self.messages,
        }


def _observers(links: Iterable[Link], observer_class: str) -> tuple[tuple[str, ...], int]:
    """The parties of one class behind some links: named in order, and how many at least."""
    named: dict[str, None] = {}
    total = 0
    for link in links:
        if link.observer_class == observer_class:
            named.update(dict.fromkeys(link.observers))
            total = max(total, link.observers_total)
    return tuple(named), max(total, len(named))


def _ties(
    found: Sequence[tuple[str, PairVerdict]],
    links_of: Callable[[str, str], Sequence[Link]],
) -> list[Risk]:
    """The owner's pairs, grouped by who can tell, on what grounds, through what evidence
    first: "mail providers can tie these four aliases to your mailbox by forwarding"."""
    groups: dict[tuple[str, str, str, str], list[tuple[str, PairVerdict, list[Link]]]]
    groups = defaultdict(list)
    for finding_id, pair in found:
        same = pair.same_person
        if same.observer_class:  # claimed as one person by someone
            question, observer_class = SAME_PERSON, same.observer_class
        elif pair.known_together:
            question, observer_class = KNOWN_TOGETHER, pair.known_together.observer_class
        else:
            continue
        links = [
            link
            for link in links_of(pair.a, pair.b)
            if link.question == question and observer_class in link.by_observer
        ]
        evidence = firmest_first(link.evidence for link in links)
        if not evidence:
            continue
        grounds = grounds_of(evidence) if question == SAME_PERSON else "held"
        groups[(question, observer_class, grounds, evidence[0])].append((finding_id, pair, links))
    risks = []
    for (question, observer_class, grounds, _), members in groups.items():
        links = [link for _, _, pair_links in members for link in pair_links]
        observers, total = _observers(links, observer_class)
        risks.append(
            Risk(
                kind="tie" if question == SAME_PERSON else "held",
                ids=tuple(fid for fid, _, _ in members),
                pairs=tuple((pair.a, pair.b) for _, pair, _ in members),
                observer_class=observer_class,
                observers=observers[:OBSERVERS_NAMED],
                observers_total=total,
                evidence=firmest_first(link.evidence for link in links),
                grounds=grounds,
            )
        )
    order = {c: n for n, c in enumerate(VISIBILITY_ORDER)}
    return sorted(
        risks,
        key=lambda r: (
            r.kind != "tie",
            order[r.observer_class],
            _TIE_GROUNDS.index(r.grounds),
            -len(r.pairs),
            int(r.ids[0][1:]),
        ),
    )


def _leaks(exposures: Sequence[Exposure], leak_ids: dict[tuple[str, str], str]) -> list[Risk]:
    """Each alias that reached an organisation it was not given to, most messages first."""
    risks = [
        Risk(
            kind="leak",
            ids=(leak_ids[(exposure.address, leak.organisation)],),
            pairs=((exposure.address, leak.organisation),),
            observer_class="",
            observers=leak.senders[:OBSERVERS_NAMED],
            observers_total=len(leak.senders),
            evidence=(),
            grounds="leak",
            given_to=exposure.given_to or "",
            messages=leak.messages,
        )
        for exposure in exposures
        for leak in exposure.leaks
    ]
    return sorted(risks, key=lambda r: (-r.messages, int(r.ids[0][1:])))


def _lookalikes(
    suggested: Sequence[tuple[str, PairVerdict]],
    links_of: Callable[[str, str], Sequence[Link]],
) -> list[Risk]:
    """Addresses that look like the owner's, one risk per suggestion id."""
    risks = []
    for suggestion_id, pair in suggested:
        links = [link for link in links_of(pair.a, pair.b) if link.question == SAME_PERSON]
        risks.append(
            Risk(
                kind="lookalike",
                ids=(suggestion_id,),
                pairs=((pair.a, pair.b),),
                observer_class=pair.same_person.observer_class or "",
                observers=(),
                observers_total=0,
                evidence=firmest_first(link.evidence for link in links),
                grounds="lookalike",
            )
        )
    return risks


def rank_risks(
    shown: Sequence[tuple[str, PairVerdict]],
    links_of: Callable[[str, str], Sequence[Link]],
    exposures: Sequence[Exposure],
    leak_ids: dict[tuple[str, str], str],
) -> tuple[Risk, ...]:
    """The owner's exposures, worst first. ``shown``: the pairs a reader is shown, with
    their ids (``F`` findings, ``S`` suggestions)."""
    found = [(i, p) for i, p in shown if i.startswith("F")]
    suggested = [(i, p) for i, p in shown if i.startswith("S")]
    return (
        *_ties(found, links_of),
        *_leaks(exposures, leak_ids),
        *_lookalikes(suggested, links_of),
    )
