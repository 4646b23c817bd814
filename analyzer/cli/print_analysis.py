"""An analysis as the terminal shows it: ``mxa links``, ``mxa aliases`` and the end of an audit.

The terminal lists the first :data:`MAX_PAIRS_SHOWN` of each kind; ``--json`` and
``findings.json`` hold them all. By default it names evidence and who can tell in the
report's words; ``verbose`` prints the ids, levels and bits instead, as findings.json has them.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from analyzer.analysis import (
    KNOWN_TOGETHER,
    SAME_PERSON,
    VISIBILITY_ORDER,
    Analysis,
    PairVerdict,
    confidence_word,
)
from analyzer.cli.printing import line
from analyzer.report.words import EVIDENCE_NAMES, OBSERVER_NAMES

if TYPE_CHECKING:
    from analyzer.aliases import Exposure
    from analyzer.report import Report

# the terminal lists this many pairs per section; --json and findings.json hold them all
MAX_PAIRS_SHOWN = 25


def _score(score: float) -> str:
    return f"{confidence_word(score)} ({score:.2f})"


def _who(observer_class: str, *, verbose: bool) -> str:
    """Who can tell: the class id under ``verbose``, else the report's words."""
    return observer_class if verbose else OBSERVER_NAMES.get(observer_class, observer_class)


def _evidence(evidence: tuple[str, ...] | list[str], *, verbose: bool) -> str:
    """Kinds of evidence: their ids under ``verbose``, else the report's words."""
    return ", ".join(e if verbose else EVIDENCE_NAMES.get(e, e) for e in evidence)


def _messages(count: int) -> str:
    return f"{count} {'message' if count == 1 else 'messages'}"


def _print_same_person(analysis: Analysis, pair: PairVerdict, *, verbose: bool) -> None:
    same = pair.same_person
    who = _who(same.observer_class, verbose=verbose) if same.observer_class else ""
    seen = f"; {who} can tell" if who else ""
    line(Text(f"  {pair.a}  ↔  {pair.b}", style="bold"), f"  {_score(same.score)}{seen}")
    weighed = ", ".join(
        f"{comparison} {level} {same.weights.get(comparison, 0):+.1f}"
        for comparison, level in sorted(same.levels.items())
    )
    if weighed and verbose:
        line(f"    weighed (bits): {weighed}")
    for link in analysis.links_of(pair.a, pair.b):
        if link.question != SAME_PERSON:
            continue
        if verbose:
            shown = f"{link.evidence} ({link.level}; {link.observer_class}, "
            shown += f"{link.messages_total} msg): "
        else:
            shown = f"{_evidence([link.evidence], verbose=False)} "
            shown += f"({_who(link.observer_class, verbose=False)}, "
            shown += f"{_messages(link.messages_total)}): "
        line(f"      {shown}", Text(link.detail))


def _parties(observers: tuple[str, ...], total: int, shown: int = 4) -> str:
    more = total - min(shown, len(observers))
    return ", ".join(observers[:shown]) + (f" and {more} more" if more > 0 else "")


def _some(addresses: tuple[str, ...] | list[str], shown: int = 12) -> str:
    """A list for the terminal: the first few, then how many more (--json has them all)."""
    more = len(addresses) - shown
    return ", ".join(addresses[:shown]) + (f" … and {more} more" if more > 0 else "")


def _widening(analysis: Analysis, question: str) -> list:
    """Clusters of one question, each observer class only where it joins more than the last."""
    shown, previous = [], set()
    for observer_class in VISIBILITY_ORDER:
        level = [c for c in analysis.clusters
                 if c.question == question and c.observer_class == observer_class]  # fmt: skip
        groups = {c.identities for c in level}
        if groups != previous:
            shown += level
        previous = groups
    return shown


def name_yourself(command: str, store: Path) -> str:
    """The command to run again with your addresses: on the store the user gave, quoted for
    the shell, so that it works when pasted (with the example addresses replaced)."""
    addresses = "--me you@example.org --me you@work.example"
    return f"mxa {command} --store {shlex.quote(str(store))} {addresses}"


def _print_owner(analysis: Analysis, store: Path) -> None:
    """Whose mailbox it is and how mxa knows, or how to say so when nothing tells."""
    owner = analysis.owner
    if owner.identities:
        line("owner: ", Text(_some(owner.identities)))
        line("how: ", Text(owner.how))
    else:
        line("No owner: nothing in the headers says whose mailbox this is.", style="bold")
        line("  (", Text(owner.how), ") Name your addresses with --me, for example:")
        line("  ", name_yourself("links", store))


def _print_owner_pairs(analysis: Analysis, *, verbose: bool) -> None:
    """Both questions about each pair of the owner's addresses, then the groups."""
    mine = analysis.pairs_of("owner")
    line("")
    line("Same person? What an observer can conclude about your identities",
         style="bold underline")  # fmt: skip
    with_evidence = [p for p in mine if p.same_person.evidence]
    for pair in with_evidence[:MAX_PAIRS_SHOWN]:
        _print_same_person(analysis, pair, verbose=verbose)
    if len(with_evidence) > MAX_PAIRS_SHOWN:
        line(f"  … and {len(with_evidence) - MAX_PAIRS_SHOWN} more pairs (--json lists them)")
    if not with_evidence:
        line("  no evidence ties any two of them")
    elif len(mine) > len(with_evidence):
        line(f"  ({len(mine) - len(with_evidence)} other pairs: no evidence)")
    line("")
    line("Known together: who holds both addresses", style="bold underline")
    together = [p for p in mine if p.known_together and p.known_together.evidence]
    for pair in together[:MAX_PAIRS_SHOWN]:
        known = pair.known_together
        observers = _parties(known.observers, known.observers_total)
        line(
            Text(f"  {pair.a}  ↔  {pair.b}", style="bold"),
            f"  {_evidence(known.evidence, verbose=verbose)}, "
            f"seen by {_who(known.observer_class, verbose=verbose)}",
            Text(f": {observers}" if observers else ""),
        )
    if len(together) > MAX_PAIRS_SHOWN:
        line(f"  … and {len(together) - MAX_PAIRS_SHOWN} more pairs (--json lists them)")
    shown_together = bool(together)
    for cluster in _widening(analysis, KNOWN_TOGETHER):
        shown_together = True
        who = _who(cluster.observer_class, verbose=verbose)
        line(f"  {who} hold {len(cluster.identities)} of them: ",
             Text(_some(cluster.identities)))  # fmt: skip
    if not shown_together:
        line("  nobody holds two of them")
    joined = _widening(analysis, SAME_PERSON)
    if joined:
        line("")
        line("Who can tie them together as one person", style="bold underline")
    for cluster in joined:
        who = _who(cluster.observer_class, verbose=verbose)
        line(f"  {who} ({_score(cluster.score or 0.0)}): ",
             Text(_some(cluster.identities)))  # fmt: skip


def _print_suggestions(analysis: Analysis, *, verbose: bool) -> None:
    """Addresses that look like the owner's too, with what ties them."""
    line("")
    line("These look like you too", style="bold underline")
    for suggestion in analysis.suggestions[:MAX_PAIRS_SHOWN]:
        line(
            Text(f"  {suggestion.address}", style="bold"),
            f"  {_score(suggestion.score)}: {_evidence(suggestion.evidence, verbose=verbose)}; "
            "ties to ",
            Text(_some(suggestion.ties_to)),
        )
    if len(analysis.suggestions) > MAX_PAIRS_SHOWN:
        more = len(analysis.suggestions) - MAX_PAIRS_SHOWN
        line(f"  … and {more} more addresses (--json lists them)")


def _print_others(analysis: Analysis, *, everyone: bool, verbose: bool) -> None:
    """Other people's pairs: listed with --all or when no owner is known, else counted."""
    others = analysis.pairs_of("others")
    if others and (everyone or not analysis.owner.identities):
        line("")
        line("Other people's addresses that look like one person", style="bold underline")
        for pair in others:
            _print_same_person(analysis, pair, verbose=verbose)
    elif others:
        line("")
        line(f"… and {len(others)} pairs of other people's addresses that look like one "
             "person (--all lists them)")  # fmt: skip


def print_links(analysis: Analysis, *, everyone: bool, store: Path, verbose: bool = False) -> None:
    """The owner, the pairs of their addresses, suggestions, and other people's pairs
    (``store``: the one the hints name); ``verbose``: with evidence ids, levels and bits."""
    _print_owner(analysis, store)
    if analysis.owner.identities:
        _print_owner_pairs(analysis, verbose=verbose)
    if analysis.suggestions:
        _print_suggestions(analysis, verbose=verbose)
    _print_others(analysis, everyone=everyone, verbose=verbose)


def print_aliases(exposures: Sequence[Exposure], *, store: Path) -> None:
    """Each address: its kind, whom it was given to, and the leaks, one line each."""
    if not exposures:
        line("No owner identities: name each of your addresses with --me, for example:")
        line("  ", name_yourself("aliases", store))
        return
    for exposure in exposures:
        given = (
            f"{'given to' if exposure.dedicated else 'first mail with'} {exposure.given_to} "
            f"on {exposure.given_on}"
            if exposure.given_to
            else "no dated mail"  # mail whose Date cannot be read gives no first party
            if exposure.parties
            else "no mail with anyone"
        )
        verdict = (
            f"leaked: {exposure.strength}"
            if exposure.leaks
            else "no leak"
            if exposure.dedicated
            else "used with many: not judged"
        )
        line(
            Text(exposure.address, style="bold"),
            f"  {exposure.kind}  {given}; {exposure.parties} "
            f"{'party' if exposure.parties == 1 else 'parties'} wrote to it; {verdict}",
        )
        for leak in exposure.leaks:
            via = f", via {', '.join(leak.via)}" if leak.via else ""
            since = f" from {leak.first}" if leak.first else ", undated"  # no readable Date
            ids = ", ".join(f"<{m}>" for m in leak.message_ids)
            line(
                f"    {leak.organisation}: {leak.messages} "
                f"{'message' if leak.messages == 1 else 'messages'}{since} "
                f"({', '.join(leak.senders) or 'sender unnamed'}{via})"
                + (f": {ids}" if ids else "")
            )


def print_counterfactual(what_if: dict) -> None:
    """Now and with one alias per organisation, over the same organisations, and what
    aliases leave standing."""
    if not what_if:
        return
    organisations = what_if["organisations"]
    now, after = organisations["now"], organisations["after"]
    line("")
    line(Text(f"With one alias per organisation, of the {organisations['total']} organisations "
              "you exchange mail with (now -> with one alias each):", style="bold"))  # fmt: skip
    rows = [
        ("see two or more of your addresses", "see_several"),
        ("can tie two or more of your addresses as one person", "tie_several"),
        *([(f"know your real mailbox {what_if['primary']}", "know_primary")]
          if what_if["primary"] else []),
        ("could match you with another organisation by comparing notes", "matched"),
    ]  # fmt: skip
    for label, key in rows:
        line(f"  {label}: {now[key]} -> {after[key]}")
    after_pairs = what_if["after"]
    if what_if["remaining"]:
        line(
            f"What aliases would not remove: comparing all the organisations' mail, someone "
            f"could still tie {after_pairs['same_person_pairs']} of {after_pairs['pairs']} "
            "pairs among your aliases and your real mailbox as one person:"
        )
    for item in what_if["remaining"]:
        name = EVIDENCE_NAMES.get(item["evidence"], item["evidence"])
        line(f"  {name}: {item['pairs']} pairs; fix: {item['fix']}")


RISKS_PRINTED = 3  # the worst exposures the audit prints; the report lists them all


def print_verdict(report: Report, *, has_owner: bool, store: Path) -> None:
    """The end of an audit on two screens at most: the report's verdict, in its words, and
    where every pair is (``mxa links``, ``--verbose``, the report)."""
    line("")
    for sentence in report.verdict:
        line(Text(sentence, style="bold"))
    if report.risks:
        line("")
        line(Text("What gives you away, worst first:", style="bold"))
    for number, risk in enumerate(report.risks[:RISKS_PRINTED], 1):
        line(f"{number}. {risk.text} Fix: {risk.fix}. ({', '.join(risk.ids)})")
    if len(report.risks) > RISKS_PRINTED:
        line(f"… and {len(report.risks) - RISKS_PRINTED} more in the report.")
    shown = len(report.findings) + len(report.suggestions)
    if shown:
        line(
            f"{shown} pairs in the report; each with its evidence: "
            f"mxa links --store {shlex.quote(str(store))}" + ("" if has_owner else " --all")
        )
    line("")
