"""The one analysis of a run: made once by :func:`analyze`, frozen, read by every output.

``findings.json``, the report, the graph files, the CLI and a notebook all read an
:class:`Analysis`; none of them computes from the frames. A number any of them shows is
computed here once, so the outputs cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from analyzer.aliases.counterfactual import Counterfactual, counterfactual
from analyzer.aliases.kinds import identity_kinds, kind_of
from analyzer.aliases.leaks import Exposure, find_leaks
from analyzer.analysis.conversations import Conversations, Months, conversations, pair_months
from analyzer.analysis.habits import Habits, habits
from analyzer.analysis.identities import Identity, identity_rows
from analyzer.analysis.inputs import InputCounts, encryption_counts, input_counts
from analyzer.analysis.messages import MessageRef, message_refs, messages_behind, refs_of
from analyzer.analysis.names import display_names
from analyzer.analysis.network import Network, network
from analyzer.analysis.observers import ObserverView, observer_views
from analyzer.analysis.ranking import Risk, rank_risks
from analyzer.analysis.summary import Summary, summarise
from analyzer.frames import Frames
from analyzer.linkability import Link, Linkability, PairVerdict
from analyzer.linkability import analyze as link_identities
from analyzer.linkability.model import Model
from analyzer.mailing_lists import list_addresses
from analyzer.memory import release_freed_memory
from analyzer.owner import Owner, received_keys, sent_keys
from analyzer.readable import iso_day, readable_frames, usable_dates
from analyzer.vocabulary import Relation

__all__ = ["Analysis", "Progress", "analyze", "no_progress"]

Progress = Callable[[str], None]  # told each phase as it starts, in words with counts


@dataclass(frozen=True)
class Analysis:
    """Everything any output shows of one archive, for one owner."""

    owner: Owner
    identities: tuple[Identity, ...]
    linkability: Linkability = field(repr=False)  # links, pairs, clusters, suggestions
    exposures: tuple[Exposure, ...]
    counterfactual: Counterfactual | None
    views: tuple[ObserverView, ...]
    habits: Habits
    network: Network = field(repr=False)
    encryption: dict[str, int]
    inputs: InputCounts
    first_date: str  # the archive's first and last usable day, "" without one
    last_date: str
    messages: Mapping[str, MessageRef] = field(default_factory=dict, repr=False)
    finding_ids: Mapping[tuple[str, str], str] = field(default_factory=dict, repr=False)
    leak_ids: Mapping[tuple[str, str], str] = field(default_factory=dict, repr=False)
    summary: Summary = field(default_factory=lambda: Summary(0, 0, 0))
    # the name each address goes by in its mail, for a reader to know a person by
    names: Mapping[str, str] = field(default_factory=dict, repr=False)
    risks: tuple[Risk, ...] = ()  # the owner's exposures, worst first
    # the communication graph explore.html draws, with the messages behind each edge
    conversations: Conversations = field(default_factory=Conversations, repr=False)
    # per shown pair (finding_ids), its links' messages per month (explore.html's slider)
    pair_months: Mapping[tuple[str, str], Months] = field(default_factory=dict, repr=False)

    # -- what linkability found ---------------------------------------------------------
    @property
    def links(self) -> tuple[Link, ...]:
        return self.linkability.links

    @property
    def pairs(self) -> tuple[PairVerdict, ...]:
        return self.linkability.pairs

    @property
    def clusters(self):
        return self.linkability.clusters

    @property
    def suggestions(self):
        return self.linkability.suggestions

    @property
    def model(self) -> Model:
        return self.linkability.model

    @property
    def discovered_prior(self) -> float:
        return self.linkability.discovered_prior

    def pairs_of(self, relation: str) -> list[PairVerdict]:
        return self.linkability.pairs_of(relation)

    def links_of(self, a: str, b: str) -> list[Link]:
        return self.linkability.links_of(a, b)

    def messages_behind(self, a: str, b: str) -> int:
        """How many messages show the evidence that ties ``a`` and ``b``."""
        return messages_behind(self.links_of(a, b))

    # -- identities ---------------------------------------------------------------------
    @cached_property
    def kinds(self) -> dict[str, str]:
        """Each identity's kind (``alias:<service>`` for an alias)."""
        return {identity.address: identity.kind for identity in self.identities}

    def kind_of(self, address: str) -> str:
        """An address's kind: the identity's, or for another address the owner owns (a
        catch-all domain's), what the same classifier says of it."""
        return self.kinds.get(address) or kind_of(address, self.owner)

    def refs(self, shown_ids) -> list[MessageRef]:
        """The messages behind ids a link or leak shows, oldest first."""
        return refs_of(self.messages, shown_ids)

    # -- what the documents show, by id -------------------------------------------------
    def shown_pairs(self) -> list[tuple[str, PairVerdict]]:
        """The pairs a reader is shown, with their ids: ``F1``… then ``S1``…"""
        return [(self.finding_ids[(p.a, p.b)], p) for p in self.pairs
                if (p.a, p.b) in self.finding_ids]  # fmt: skip


def _finding_ids(linkability: Linkability, owner: Owner) -> dict[tuple[str, str], str]:
    """``F1``… for the owner's pairs that anything ties (any question), or with no owner
    for every pair claimed; ``S1``… for suggestions. The report and findings.json share
    them, so a reader can go from one to the other."""
    if owner.identities:
        found = [
            p
            for p in linkability.pairs_of(Relation.OWNER)
            if p.same_person.evidence or (p.known_together and p.known_together.evidence)
        ]
    else:
        found = list(linkability.pairs_of(Relation.OTHERS))
    ids = {(p.a, p.b): f"F{n}" for n, p in enumerate(found, 1)}
    suggested = linkability.pairs_of(Relation.SUGGESTION)
    ids.update({(p.a, p.b): f"S{n}" for n, p in enumerate(suggested, 1)})
    return ids


def _leak_ids(exposures: tuple[Exposure, ...]) -> dict[tuple[str, str], str]:
    numbered = [(e.address, leak.organisation) for e in exposures for leak in e.leaks]
    return {key: f"L{n}" for n, key in enumerate(numbered, 1)}


def _shown_message_ids(linkability: Linkability, exposures: tuple[Exposure, ...]) -> set[str]:
    shown = {m for link in linkability.links for m in link.messages}
    shown |= {m for e in exposures for leak in e.leaks for m in leak.message_ids}
    shown |= {e.first_message_id for e in exposures if e.first_message_id}
    return shown


def no_progress(_: str) -> None:
    """A :data:`Progress` that tells nobody."""


def analyze(
    frames: Frames,
    owner: Owner,
    *,
    model: Model | None = None,
    inputs: InputCounts | None = None,
    aggregates: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """The analysis of ``frames`` for ``owner``: made once per run, read by every output.

    ``inputs`` is the store's input accounting (:func:`~analyzer.analysis.inputs.input_counts`;
    by default, the frames' messages alone); ``aggregates`` the communication graph's
    aggregates when computed elsewhere (on a Dask cluster); ``progress`` is told each
    phase as it starts.
    """
    tell = progress or no_progress
    frames = readable_frames(frames)
    lists = list_addresses(frames)
    tell(f"classifying {len(owner.identities):,} of your addresses")
    kinds = identity_kinds(frames, owner)
    # before the linkability context: each holds hundreds of megabytes at a million messages
    tell("finding who wrote to your aliases")
    exposures = tuple(find_leaks(frames, owner, kinds))
    tell(f"comparing {frames.participants['address'].nunique():,} addresses")
    linkability = link_identities(frames, owner, model)
    release_freed_memory()  # the linkability context: the counterfactual builds another
    what_if = None
    if owner.identities:
        tell("imagining one alias per organisation")
        what_if = counterfactual(frames, linkability, kinds)
        release_freed_memory()
    tell("summing up identities, observers, habits and the network")
    sent, received = sent_keys(frames, owner), received_keys(frames, owner)
    dates = usable_dates(frames.messages["date_utc"]).dropna()
    identities = identity_rows(frames, owner, kinds, sent, lists)
    shown = message_refs(frames, _shown_message_ids(linkability, exposures))
    finding_ids = _finding_ids(linkability, owner)
    shown_pairs = [(fid, p) for p in linkability.pairs if (fid := finding_ids.get((p.a, p.b)))]
    found = [(fid, p) for fid, p in shown_pairs if fid.startswith("F")]
    links_of = {(p.a, p.b): linkability.links_of(p.a, p.b) for _, p in found}
    names = display_names(frames)
    leak_ids = _leak_ids(exposures)
    drawn = network(frames, owner, lists, aggregates, linkability.pairs, names, kinds)
    behind_shown = {
        (p.a, p.b): [m for link in linkability.links_of(p.a, p.b) for m in link.messages]
        for _, p in shown_pairs
    }
    return Analysis(
        owner=owner,
        identities=identities,
        linkability=linkability,
        exposures=exposures,
        counterfactual=what_if,
        views=observer_views(frames, owner, linkability.pairs, sent, received, lists),
        habits=habits(frames, sent),
        network=drawn,
        encryption=encryption_counts(frames.messages["encryption"]),
        inputs=inputs or input_counts(len(frames.messages)),
        first_date=iso_day(dates.min()) if len(dates) else "",
        last_date=iso_day(dates.max()) if len(dates) else "",
        messages=shown,
        finding_ids=finding_ids,
        leak_ids=leak_ids,
        summary=summarise(identities, found, links_of, shown, bool(owner.identities), names),
        names=names,
        risks=rank_risks(shown_pairs, linkability.links_of, exposures, leak_ids)
        if owner.identities
        else (),
        conversations=conversations(frames, drawn, names),
        pair_months=pair_months(frames, behind_shown),
    )
