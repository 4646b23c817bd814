"""``mxa diff OLD NEW``: what changed between two audits, in the report's words or as JSON.

The comparison is :func:`analyzer.diff.diff_audits`; this module only parses the arguments
and prints. The terminal lists the first :data:`SHOWN` of each kind; ``--json`` has them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from analyzer.cli.failures import reports_errors
from analyzer.cli.printing import line, print_json
from analyzer.report.words import ARCHIVE_OBSERVER_NAMES, EVIDENCE_NAMES, OBSERVER_NAMES

if TYPE_CHECKING:
    from analyzer.diff import AuditSeen, FindingsDiff

SHOWN = 25  # lines per kind; --json holds them all
PAIRS_SHOWN = 3  # pairs named on one observer's line

SinceOption = Annotated[
    Path | None,
    typer.Option(
        "--since",
        metavar="OLD",
        help="An earlier audit folder (or its findings.json): the report says what changed "
        "since, and the last line counts it.",
    ),
]


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _side(seen: AuditSeen) -> str:
    until = f", mail up to {seen.newest_mail}" if seen.newest_mail else ""
    return f"{_plural(seen.messages, 'message')}{until}"


def _evidence(ids: Sequence[str]) -> str:
    return ", ".join(EVIDENCE_NAMES.get(e, e) for e in ids)


class _Words:
    """Who can tell, as the report says it: "your correspondents", or "their" in an archive."""

    def __init__(self, has_owner: bool) -> None:
        self.names = OBSERVER_NAMES if has_owner else ARCHIVE_OBSERVER_NAMES
        self.yours = "yours" if has_owner else "the owner's"
        self.addresses = "your addresses" if has_owner else "addresses"

    def who(self, observer_class: str | None) -> str:
        return self.names.get(observer_class or "", observer_class or "nobody")


def _section(title: str, new: Sequence[Text], gone: Sequence[Text]) -> None:
    if not new and not gone:
        return
    line("")
    line(title, style="bold")
    for mark, rows in (("+ ", new), ("- ", gone)):
        for row in rows[:SHOWN]:
            line("  ", mark, row)
        if len(rows) > SHOWN:
            line(f"  … and {len(rows) - SHOWN} more (mxa diff --json lists them all)")


def _pair(a: str, b: str) -> Text:
    return Text(f"{a} ↔ {b}")


def changes_summary(diff: FindingsDiff) -> str:
    """The counts in one line: "New: 2 leaks, …. Gone: nothing."."""
    counts = diff.counts()
    nouns = {
        "identities": ("address of yours", "addresses of yours"),
        "pairs": ("pair tied", "pairs tied"),
        "confidence_changed": ("pair whose confidence changed", "pairs whose confidence changed"),
        "links": ("piece of evidence", "pieces of evidence"),
        "leaks": ("leak", "leaks"),
        "suggestions": ("address that looks like yours", "addresses that look like yours"),
        "observers": ("observer who can tie more", "observers who can tie more"),
    }

    def said(side: str) -> str:
        parts = [_plural(counts[k][side], *nouns[k]) for k in nouns if counts[k][side]]
        return ", ".join(parts) or "nothing"

    return f"New: {said('new')}. Gone: {said('gone')}."


def cut_observers_note(diff: FindingsDiff) -> str:
    """One line when who can tie some pairs was not compared: findings.json names only the
    most involved observers of a link (``observers_total`` counts them all)."""
    cut = diff.observers_cut
    if not cut:
        return ""
    pairs = sorted({(k.a, k.b) for k in cut})
    shown = "; ".join(f"{a} ↔ {b}" for a, b in pairs[:PAIRS_SHOWN])
    more = len(pairs) - PAIRS_SHOWN
    return (f"Observers compared in part: {_plural(len(cut), 'link')} of "
            f"{_plural(len(pairs), 'pair')} name only their most involved observers "
            f"(findings.json lists at most 25), so who can tie those pairs is not compared: "
            f"{shown}{f' and {more} more' if more > 0 else ''}.")  # fmt: skip


def print_diff(diff: FindingsDiff) -> None:
    """The changes, kind by kind: ``+`` new, ``-`` gone, in the report's words."""
    words = _Words(diff.later.has_owner)
    line("Changes from ", Text(diff.earlier.path), f" ({_side(diff.earlier)})")
    line("          to ", Text(diff.later.path), f" ({_side(diff.later)})")
    note = cut_observers_note(diff)
    if diff.unchanged:
        line("")
        line("Nothing changed: the same addresses, pairs, evidence, leaks, suggestions and "
             "observers.")  # fmt: skip
        if note:
            line(Text(note))
        return
    line(changes_summary(diff), style="bold")
    _section(
        f"Addresses of {words.yours}",
        [Text(f"{i.address}  ({i.kind})") for i in diff.identities.new],
        [Text(f"{i.address}  ({i.kind}): no longer in the mail") for i in diff.identities.gone],
    )

    def tied(p) -> Text:
        if p.seen_by:
            who = f"{words.who(p.seen_by)} can tell"
        else:
            who = f"known together by {words.who(p.known_together_by)}"
        shown = f"  {p.confidence} ({p.score:.2f}); {who}: {_evidence(p.evidence)}"
        return _pair(p.a, p.b) + Text(shown)

    _section(
        "Pairs tied together",
        [tied(p) for p in diff.pairs.new],
        [_pair(p.a, p.b) + Text(f"  nothing ties them now (was {p.confidence}, {p.score:.2f})")
         for p in diff.pairs.gone],
    )  # fmt: skip
    _section(
        "Pairs whose confidence changed",
        [_pair(c.a, c.b) + Text(f"  {c.before} ({c.score_before:.2f}) → {c.after} "
                                f"({c.score_after:.2f})") for c in diff.confidence],
        [],
    )  # fmt: skip
    kept = diff.links_of_pairs_kept
    _section(
        "Evidence between pairs already tied",
        [_pair(k.a, k.b) + Text(f": {_evidence([k.evidence])} ({words.who(k.observer_class)}, "
                                f"{_plural(k.messages, 'message')})")
         for k in kept.new],
        [_pair(k.a, k.b) + Text(f": {_evidence([k.evidence])} no longer shows")
         for k in kept.gone],
    )  # fmt: skip
    _section(
        "Leaks: addresses given to one party, written to by another",
        [Text(f"{k.address}, given to {k.given_to or 'nobody known'}: written to by "
              f"{k.organisation}{f' from {k.first}' if k.first else ''} "
              f"({_plural(k.messages, 'message')})") for k in diff.leaks.new],
        [Text(f"{k.address}: no mail from {k.organisation} now") for k in diff.leaks.gone],
    )  # fmt: skip
    _section(
        "Addresses that look like yours",
        [Text(f"{s.address}  {s.confidence} ({s.score:.2f}), tied to {', '.join(s.ties_to)}")
         for s in diff.suggestions.new],
        [Text(f"{s.address}: no longer looks like yours") for s in diff.suggestions.gone],
    )  # fmt: skip

    def ties(t, verb: str) -> Text:
        before = "none" if not t.before else str(t.before)
        more = len(t.pairs) - PAIRS_SHOWN
        pairs = "; ".join(f"{a} ↔ {b}" for a, b in t.pairs[:PAIRS_SHOWN])
        return Text(f"{t.observer} ({words.who(t.observer_class)}) {verb} "
                    f"{_plural(len(t.pairs), 'pair')} (could tie {before} before, {t.now} now): "
                    f"{pairs}{f' and {more} more' if more > 0 else ''}")  # fmt: skip

    _section(
        f"Who can tie {words.addresses} as one person",
        [ties(t, "can now tie") for t in diff.observers.new],
        [ties(t, "can no longer tie") for t in diff.observers.gone],
    )
    if note:
        line("")
        line(Text(note))


@reports_errors
def diff_command(
    old: Annotated[
        Path, typer.Argument(metavar="OLD", help="The earlier audit folder, or its findings.json.")
    ],
    new: Annotated[
        Path, typer.Argument(metavar="NEW", help="The later audit folder, or its findings.json.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
) -> None:
    """What changed between two audits: addresses, pairs, evidence, leaks, look-alikes, and
    who can now tie your addresses.

    Example: mxa diff audit-2026-11 audit-2026-12
    """
    from analyzer.diff import diff_audits

    diff = diff_audits(old, new)
    if as_json:
        print_json(diff.as_dict())
    else:
        print_diff(diff)
