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
    """Before and after one alias per organisation."""
    what_if = report.what_if
    if not what_if:
        return None
    before, after = what_if["before"], what_if["after"]
    figure = Figure(figsize=(10, 3.4))
    shares, counts = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2], "wspace": 0.55})

    def share(side: dict, key: str) -> float:
        return 100 * side[key] / side["pairs"] if side["pairs"] else 0.0

    share_labels = ("tied as one person", "held together")
    share_keys = ("same_person_pairs", "known_together_pairs")
    count_labels = ("largest group tied\nas one person", "organisations that\nknow your mailbox")
    count_keys = ("largest_same_person", "know_primary")
    for axes, labels, values in (
        (shares, share_labels, [(share(before, k), share(after, k)) for k in share_keys]),
        (counts, count_labels, [(before[k], after[k]) for k in count_keys]),
    ):
        positions = range(len(labels))
        for offset, side, colour, name in (
            (-0.2, 0, "#BBBBBB", "now"),
            (0.2, 1, OKABE_ITO[4], "one alias per organisation"),
        ):
            heights = [v[side] for v in values]
            bars = axes.barh([p + offset for p in positions], heights, height=0.38,
                             color=colour, label=name)  # fmt: skip
            unit = "%" if axes is shares else ""
            axes.bar_label(bars, [f" {h:.0f}{unit}" for h in heights], fontsize=8.5)
        axes.set_yticks(list(positions), labels, fontsize=9)
        axes.invert_yaxis()
        axes.spines[["top", "right"]].set_visible(False)
    shares.set_xlabel("share of pairs of your addresses")
    shares.set_xlim(0, 115)
    counts.set_xlabel("addresses / organisations")
    counts.margins(x=0.25)
    shares.legend(loc="upper left", bbox_to_anchor=(0, -0.3), frameon=False, ncol=2, fontsize=8.5)
    return titled(
        figure,
        "What one alias per organisation would change",
        f"The analysis again, with {what_if['aliases']} aliases in place of your addresses "
        "where correspondents see them; names, clients, machines, keys and time zones kept.",
    )
