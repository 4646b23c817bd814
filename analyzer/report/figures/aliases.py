"""Aliases: who wrote to each, and what one alias per organisation would change."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analyzer.report.content import Report
from analyzer.report.figures.drawing import (
    OBSERVER_COLOURS,
    OKABE_ITO,
    iso_days,
    label,
    new_figure,
    titled,
)

__all__ = ["alias_counterfactual", "alias_timeline"]


def alias_timeline(report: Report) -> Figure | None:
    """Who wrote to each address made for one party, over time: a leak shows as a new colour."""
    rows = [row for row in report.aliases if row.dedicated and row.timeline]
    if not rows:
        return None
    figure, axes = new_figure(10, 1.2 + 0.55 * len(rows))
    for y, row in enumerate(rows):
        for leak in (False, True):
            days = [d for d in iso_days([d for d, _, is_leak in row.timeline if is_leak == leak])
                    if d is not None]  # fmt: skip
            axes.scatter(days, [y] * len(days), s=36, marker="o" if not leak else "X",
                         color=OBSERVER_COLOURS["correspondents"] if leak else OKABE_ITO[4],
                         alpha=0.85, zorder=3)  # fmt: skip
        for leak, day in zip(row.leaks, iso_days([leak.first for leak in row.leaks]), strict=True):
            if day is None:  # none of its messages has a date: the table lists it
                continue
            axes.annotate(label(f"{leak.id}: {leak.organisation}"), (day, y), xytext=(6, 8),
                          textcoords="offset points", fontsize=8.5,
                          color=OBSERVER_COLOURS["correspondents"])  # fmt: skip
    axes.set_yticks(range(len(rows)),
                    [f"{label(r.address)}\n(given to {label(r.given_to)})" for r in rows],
                    fontsize=8.5)  # fmt: skip
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.invert_yaxis()
    axes.grid(axis="x", color="#EEEEEE")
    axes.spines[["top", "right"]].set_visible(False)
    figure.autofmt_xdate()
    handles = [
        Line2D([], [], marker="o", linestyle="", color=OKABE_ITO[4],
               label="from the organisation it was given to"),
        Line2D([], [], marker="X", linestyle="", color=OBSERVER_COLOURS["correspondents"],
               label="from an unrelated organisation: a leak"),
    ]  # fmt: skip
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.25), frameon=False,
                ncol=2, fontsize=8.5)  # fmt: skip
    return titled(
        figure,
        "Who wrote to each address you made for one party",
        "One mark per message received. Mailing lists, bounces and your own mail are left out; "
        "the sender is the organisation behind the alias service or bulk platform.",
    )


def alias_counterfactual(report: Report) -> Figure | None:
    """The same organisations now and with one alias each: how many see, tie and know
    what of you, each bar out of the same total."""
    what_if = report.what_if
    organisations = what_if.get("organisations") if what_if else None
    if not organisations or not organisations["total"]:
        return None
    total = organisations["total"]
    rows = [
        ("see two or more\nof your addresses", "see_several"),
        ("can tie two or more\nas one person", "tie_several"),
        ("know your\nreal mailbox", "know_primary"),
        ("could match you with\nanother organisation", "matched"),
    ]
    if not what_if["primary"]:  # no mailbox of the owner's the headers name as theirs
        rows = [row for row in rows if row[1] != "know_primary"]
    figure, axes = new_figure(6.4, 3.8)
    positions = range(len(rows))
    for offset, side, colour, name in (
        (-0.2, "now", "#BBBBBB", "now"),
        (0.2, "after", OKABE_ITO[4], "with one alias each"),
    ):
        counts = [organisations[side][key] for _, key in rows]
        bars = axes.barh([p + offset for p in positions], counts, height=0.38, color=colour,
                         label=name)  # fmt: skip
        axes.bar_label(bars, [f" {n} of {total}" for n in counts], fontsize=9.5)
    axes.set_yticks(list(positions), [text for text, _ in rows], fontsize=10)
    axes.set_xlim(0, total * 1.3)
    axes.invert_yaxis()
    axes.set_xlabel(f"organisations, of the {total} you exchange mail with", fontsize=9.5)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", bbox_to_anchor=(0, -0.22), frameon=False, ncol=2,
                fontsize=9.5)  # fmt: skip
    return titled(
        figure,
        "What one alias per organisation would change",
        f"The same {total} organisations on both sides: now, and with an alias of its own "
        "in place of your addresses where each sees them; names, clients, machines, keys "
        "and time zones kept.",
    )
