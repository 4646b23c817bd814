"""The report's figures, drawn with matplotlib: the only module of mxa that imports it.

Each figure stands alone on a slide: a title that says what it shows, a caption-sized
note of where it comes from, readable labels, and the Okabe–Ito palette, which people
with any common colour-vision deficiency tell apart. Figures are returned as PNG bytes.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analyzer.analysis import CLAIM
from analyzer.report.content import ENCRYPTED, OBSERVER_WORDS, Report
from analyzer.safe_output import printable

__all__ = ["FIGURES", "draw_figures", "png"]

# Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
OBSERVER_COLOURS = {"correspondents": "#D55E00", "providers": "#E69F00", "inference": "#0072B2"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DPI = 110
MAX_LABEL = 48  # characters of a label from mail; a 10,000-character name would be the figure


def _label(text: object) -> str:
    """Text from mail as a label: escapes for what shows as nothing, cut short, and no
    ``$`` that matplotlib would read as the start of a formula."""
    shown = printable(text)
    if len(shown) > MAX_LABEL:
        shown = shown[: MAX_LABEL - 1] + "…"
    return shown.replace("$", r"\$")


def _days(isoformat_days: list[str]) -> list[datetime.date | None]:
    """ISO days as dates; None for an empty or unreadable one (a message without a date)."""
    days = []
    for day in isoformat_days:
        try:
            days.append(datetime.date.fromisoformat(day))
        except (TypeError, ValueError):
            days.append(None)
    return days


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of its own, outside pyplot: no global state, no backend, nothing to close,
    and a notebook shows it as it is."""
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def _titled(figure: Figure, title: str, note: str) -> Figure:
    """A title above, and a note below everything the axes draw (labels and legend too)."""
    figure.suptitle(title, fontsize=13, fontweight="bold", x=0.02, ha="left")
    renderer = FigureCanvasAgg(figure).get_renderer()
    bottom = min(
        axes.get_tightbbox(renderer).transformed(figure.transFigure.inverted()).y0
        for axes in figure.axes
    )
    figure.text(0.02, bottom - 0.02, note, fontsize=8.5, color="#444444", ha="left", va="top",
                wrap=True)  # fmt: skip
    return figure


def identity_graph(report: Report) -> Figure | None:
    """Your addresses, joined where evidence ties them, coloured by who can tell."""
    graph = nx.Graph()
    graph.add_nodes_from(report.owner)
    for finding in report.findings:
        if finding.relation != "owner":
            continue
        if finding.seen_by:
            graph.add_edge(
                finding.a,
                finding.b,
                colour=OBSERVER_COLOURS[finding.seen_by],
                style="solid",
                width=1.2 + 2.5 * finding.score,
            )
        elif finding.known_together_by:
            graph.add_edge(finding.a, finding.b, colour="#999999", style="dashed", width=1.0)
    if len(graph) < 2:
        return None
    figure, axes = _figure(9, min(6.5, 2.5 + 0.5 * len(graph)))
    layout = nx.circular_layout(graph) if len(graph) <= 12 else nx.spring_layout(graph, seed=1)
    # the strongest edges last, on top
    edges = sorted(graph.edges(data=True), key=lambda e: e[2]["style"] == "solid")
    for a, b, data in edges:
        nx.draw_networkx_edges(
            graph,
            layout,
            edgelist=[(a, b)],
            ax=axes,
            width=data["width"],
            edge_color=data["colour"],
            style=data["style"],
            alpha=0.85,
        )
    nx.draw_networkx_nodes(
        graph,
        layout,
        ax=axes,
        node_color="#FFFFFF",
        edgecolors="#222222",
        node_size=260,
        linewidths=1.2,
    )
    for node, (x, y) in layout.items():
        axes.annotate(
            _label(node),
            (x, y),
            xytext=(0, -16),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8.5,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    legend = [
        Line2D(
            [0], [0], color=OBSERVER_COLOURS[c], lw=3, label=f"one person to {OBSERVER_WORDS[c]}"
        )
        for c in OBSERVER_WORDS
    ] + [Line2D([0], [0], color="#999999", lw=1, ls="--", label="known together only")]
    axes.legend(
        handles=legend,
        loc="upper left",
        bbox_to_anchor=(0, -0.02),
        fontsize=8.5,
        frameon=False,
        ncol=2,
    )
    axes.set_axis_off()
    axes.margins(0.18)
    return _titled(
        figure,
        "Which of your addresses can be tied together, and by whom",
        f"An edge: evidence in the headers says both addresses are one person's (score ≥ {CLAIM}), "
        "coloured by the most widely placed observers who can tell. Source: mxa linkability.",
    )


def ego_network(report: Report) -> Figure | None:
    """You and the people mail went between, coloured by community."""
    graph = nx.Graph()
    graph.add_weighted_edges_from(report.ego_edges)
    if len(graph) < 2:
        return None
    community = {node: n for n, members in enumerate(report.communities) for node in members}
    figure, axes = _figure(9, 7)
    layout = nx.spring_layout(graph, seed=1, weight="weight", k=1.2 / max(len(graph), 1) ** 0.5)
    colours = [
        "#222222" if node == "you" else OKABE_ITO[community.get(node, 7) % len(OKABE_ITO)]
        for node in graph
    ]
    sizes = [
        900 if node == "you" else 60 + 25 * graph.degree(node, weight="weight") ** 0.5
        for node in graph
    ]
    widths = [0.4 + 0.6 * d["weight"] ** 0.5 for _, _, d in graph.edges(data=True)]
    nx.draw_networkx_edges(graph, layout, ax=axes, width=widths, edge_color="#BBBBBB", alpha=0.7)
    nx.draw_networkx_nodes(
        graph,
        layout,
        ax=axes,
        node_color=colours,
        node_size=sizes,
        edgecolors="white",
        linewidths=0.6,
    )
    busiest = sorted(graph.degree(weight="weight"), key=lambda kv: -kv[1])[:12]
    for node, _ in busiest:
        x, y = layout[node]
        if node == "you":
            axes.text(x, y, "you", ha="center", va="center", color="white", fontsize=9,
                      fontweight="bold", zorder=5)  # fmt: skip
            continue
        axes.annotate(
            _label(node),
            (x, y),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=7.5,
        )
    axes.set_axis_off()
    return _titled(
        figure,
        "Who your mail goes between" if "you" in graph else "Who mail in this archive goes between",
        "Nodes: people in From, To and Cc (the busiest 40); edges: messages they share; colours: "
        "communities (Louvain). Your addresses are one node, 'you'. Labels: the 12 busiest.",
    )


def activity_heatmap(report: Report) -> Figure | None:
    """When you write, in your own local time: weekday × hour."""
    if not report.habits.dated:
        return None
    figure, axes = _figure(10, 3.6)
    image = axes.imshow(report.habits.by_weekday_hour, aspect="auto", cmap="cividis")
    axes.set_yticks(range(7), WEEKDAYS)
    axes.set_xticks(range(0, 24, 2), [f"{h:02}:00" for h in range(0, 24, 2)], fontsize=8)
    axes.set_xlabel("local hour (from the Date header's own offset)")
    figure.colorbar(image, ax=axes, label="messages you sent", fraction=0.03)
    return _titled(
        figure,
        "When you write: your weekly rhythm, readable by anyone you write to",
        f"{report.habits.dated} messages you sent with a date and an offset. "
        "Every Date header carries both, encrypted or not.",
    )


def timezone_timeline(report: Report) -> Figure | None:
    """The UTC offsets you wrote from, over time: travel shows."""
    dated = [
        (day, minutes / 60)
        for day, (_, minutes) in zip(_days([d for d, _ in report.habits.offsets]),
                                     report.habits.offsets, strict=True)
        if day is not None
    ]  # fmt: skip
    if not dated:
        return None
    days, hours = [day for day, _ in dated], [hour for _, hour in dated]
    figure, axes = _figure(10, 3.2)
    axes.scatter(days, hours, s=14, color=OKABE_ITO[4], alpha=0.75)
    axes.set_ylabel("UTC offset (hours)")
    axes.grid(axis="y", color="#DDDDDD")
    low, high = min(hours), max(hours)
    axes.set_ylim(low - 1.5, high + 1.5)
    figure.autofmt_xdate()
    return _titled(
        figure,
        "Where you were: the time zone of every message you sent",
        "One dot per sent message: its Date header's UTC offset. A change of offset is a "
        "change of place or of season (summer time).",
    )


def encryption_mix(report: Report) -> Figure | None:
    """How many messages each kind of protection covered."""
    if not report.encryption:
        return None
    names = {
        "plaintext": "not encrypted",
        "smime_signed": "S/MIME signed",
        "smime_encrypted": "S/MIME encrypted",
        "pgp_signed": "OpenPGP signed",
        "pgp_encrypted": "OpenPGP encrypted",
    }
    classes = [c for c in names if report.encryption.get(c)]
    counts = [report.encryption[c] for c in classes]
    colours = [OKABE_ITO[2] if c in ENCRYPTED else "#BBBBBB" for c in classes]
    figure, axes = _figure(8, 0.6 + 0.5 * len(classes))
    axes.barh([names[c] for c in classes], counts, color=colours)
    for y, count in enumerate(counts):
        axes.text(count, y, f" {count}", va="center", fontsize=9)
    axes.invert_yaxis()
    axes.set_xlabel("messages")
    axes.spines[["top", "right"]].set_visible(False)
    return _titled(
        figure,
        "Encryption hid the bodies, not the headers",
        "Green: encrypted. Every finding in this report comes from headers, which S/MIME and "
        "OpenPGP leave readable.",
    )


def alias_timeline(report: Report) -> Figure | None:
    """Who wrote to each address made for one party, over time: a leak shows as a new colour."""
    rows = [row for row in report.aliases if row.dedicated and row.timeline]
    if not rows:
        return None
    figure, axes = _figure(10, 1.2 + 0.55 * len(rows))
    for y, row in enumerate(rows):
        for leak in (False, True):
            days = [d for d in _days([d for d, _, is_leak in row.timeline if is_leak == leak])
                    if d is not None]  # fmt: skip
            axes.scatter(days, [y] * len(days), s=36, marker="o" if not leak else "X",
                         color=OBSERVER_COLOURS["correspondents"] if leak else OKABE_ITO[4],
                         alpha=0.85, zorder=3)  # fmt: skip
        for leak, day in zip(row.leaks, _days([leak.first for leak in row.leaks]), strict=True):
            if day is None:  # none of its messages has a date: the table lists it
                continue
            axes.annotate(_label(f"{leak.id}: {leak.organisation}"), (day, y), xytext=(6, 8),
                          textcoords="offset points", fontsize=8.5,
                          color=OBSERVER_COLOURS["correspondents"])  # fmt: skip
    axes.set_yticks(range(len(rows)),
                    [f"{_label(r.address)}\n(given to {_label(r.given_to)})" for r in rows],
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
    return _titled(
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
    return _titled(
        figure,
        "What one alias per organisation would change",
        f"The analysis again, with {what_if['aliases']} aliases in place of your addresses "
        "where correspondents see them; names, clients, machines, keys and time zones kept.",
    )


FIGURES: dict[str, Callable[[Report], Figure | None]] = {
    "identities": identity_graph,
    "communication": ego_network,
    "activity": activity_heatmap,
    "time-zones": timezone_timeline,
    "encryption": encryption_mix,
    "alias-leaks": alias_timeline,
    "aliases-what-if": alias_counterfactual,
}


def draw_figures(report: Report) -> dict[str, bytes]:
    """Every figure that has something to show, as PNG bytes by name."""
    drawn = {}
    for name, draw in FIGURES.items():
        figure = draw(report)
        if figure is not None:
            drawn[name] = png(figure)
    return drawn
