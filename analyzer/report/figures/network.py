"""Who mail goes between: one node per person, lists drawn as lists, communities in colour.

:func:`drawn_network` decides what is drawn (each node's label, shape and colour, and the
legend) as plain data; :func:`ego_network` only draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.text import Text

from analyzer.report.content import Report
from analyzer.report.figures.drawing import OKABE_ITO, label, new_figure, titled

__all__ = ["COMMUNITY_COLOURS", "DrawnNetwork", "DrawnNode", "drawn_network", "ego_network"]

# one colour per community, numbered as the list under the figure (which lists as many);
# black is kept for "you"
COMMUNITY_COLOURS = OKABE_ITO[:7]
NO_COMMUNITY = "#B8B8B8"
YOU = "#222222"
LIST_COLOUR = "#FFFFFF"
MARKERS = {"you": "o", "person": "o", "organisation": "D", "relay": "D", "list": "s"}
KIND_WORDS = {
    "person": "a person (their linked addresses merged)",
    "organisation": "an organisation behind a relay address",
    "relay": "a relay address that names nobody",
    "list": "a mailing list",
}
MAX_LABELS = 18  # the busiest nodes are labelled, where a label fits
# where a label may go, in order: above, below, right, left, the corners, then as much
# again further out (beside a tight cluster)
_NEAR = (
    (0, 1, "center", "bottom"), (0, -1, "center", "top"), (1, 0, "left", "center"),
    (-1, 0, "right", "center"), (0.8, 0.8, "left", "bottom"), (-0.8, 0.8, "right", "bottom"),
    (0.8, -0.8, "left", "top"), (-0.8, -0.8, "right", "top"),
)  # fmt: skip
_BESIDE = _NEAR + tuple((2.5 * dx, 2.5 * dy, ha, va) for dx, dy, ha, va in _NEAR)


@dataclass(frozen=True)
class DrawnNode:
    id: str
    label: str
    kind: str
    colour: str
    marker: str
    messages: int


@dataclass(frozen=True)
class DrawnNetwork:
    nodes: tuple[DrawnNode, ...]
    edges: tuple[tuple[str, str, int], ...]
    legend: tuple[tuple[str, str, str], ...]  # (words, colour, marker)


def _colour(kind: str, community: int) -> str:
    if kind == "you":
        return YOU
    if kind == "list":
        return LIST_COLOUR
    if 0 < community <= len(COMMUNITY_COLOURS):
        return COMMUNITY_COLOURS[community - 1]
    return NO_COMMUNITY


def drawn_network(report: Report) -> DrawnNetwork:
    """Each node as drawn (its label, kind, colour and marker) and the legend: one entry
    per coloured community ("community 1"), then one per kind of node shown."""
    nodes = tuple(
        DrawnNode(n.id, n.label, n.kind, _colour(n.kind, n.community), MARKERS[n.kind],
                  n.messages)
        for n in report.ego_nodes
    )  # fmt: skip
    drawn = {n.community for n in report.ego_nodes}
    legend = [
        (f"community {number}", colour, "o")
        for number, colour in enumerate(COMMUNITY_COLOURS, 1)
        if number in drawn
    ]
    if any(n.colour == NO_COMMUNITY for n in nodes):
        legend.append(("in no community shown", NO_COMMUNITY, "o"))
    kinds = {n.kind for n in nodes}
    if "you" in kinds:
        legend.append(("you (all your addresses)", YOU, "o"))
    legend += [
        (words, NO_COMMUNITY if kind != "list" else LIST_COLOUR, MARKERS[kind])
        for kind, words in KIND_WORDS.items()
        if kind in kinds and kind != "person"
    ]
    return DrawnNetwork(nodes, report.ego_edges, tuple(legend))


def ego_network(report: Report):
    """You and the people, organisations and lists mail went between."""
    network = drawn_network(report)
    graph = nx.Graph()
    graph.add_weighted_edges_from(network.edges)
    if len(graph) < 2:
        return None
    figure, axes = new_figure(8.5, 7.5)
    figure.subplots_adjust(left=0.01, right=0.99, top=0.94, bottom=0.01)
    nodes = {n.id: n for n in network.nodes if n.id in graph}
    layout = _layout(graph, nodes)
    edge_colour = ["#E2E2E2" if "list" in (nodes[a].kind, nodes[b].kind) else "#A8A8A8"
                   for a, b in graph.edges]  # fmt: skip
    widths = [0.3 + 0.5 * d["weight"] ** 0.4 for _, _, d in graph.edges(data=True)]
    nx.draw_networkx_edges(graph, layout, ax=axes, width=widths, edge_color=edge_colour,
                           alpha=0.6)  # fmt: skip
    busiest = max((n.messages for n in nodes.values() if n.kind not in ("you", "list")),
                  default=1)  # fmt: skip
    for marker in sorted({n.marker for n in nodes.values()}):
        shown = [n for n in nodes.values() if n.marker == marker]
        nx.draw_networkx_nodes(
            graph,
            layout,
            ax=axes,
            nodelist=[n.id for n in shown],
            node_color=[n.colour for n in shown],
            node_shape=marker,
            node_size=[_size(n, busiest) for n in shown],
            edgecolors=["#333333" if n.kind == "list" else "white" for n in shown],
            linewidths=[1.2 if n.kind == "list" else 0.6 for n in shown],
        )
    axes.set_axis_off()
    axes.margins(0.06)
    _labels(figure, axes, nodes, layout, busiest)
    axes.legend(
        handles=[
            Line2D([], [], marker=marker, linestyle="", markersize=9, markerfacecolor=colour,
                   markeredgecolor="#333333" if colour == LIST_COLOUR else colour, label=words)
            for words, colour, marker in network.legend
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=2,
        frameon=False,
        fontsize=9,
    )  # fmt: skip
    has_owner = "you" in graph
    return titled(
        figure,
        "Who your mail goes between" if has_owner else "Who mail in this archive goes between",
        "Nodes: the busiest people in From, To and Cc, one node per person (the addresses "
        "the analysis ties together merged), the organisations behind relay addresses, and "
        "mailing lists (squares). Edges: messages they share. Colours: communities (Louvain), "
        "numbered as in the list below. Labels: the busiest, where they fit.",
    )


def _layout(graph: nx.Graph, nodes: dict[str, DrawnNode]) -> dict:
    """People spread by a spring layout, each group that shares no mail with the others
    beside the largest, and the lists on a ring around them: a list every poster writes
    to would otherwise pull everyone into one knot."""
    people = graph.subgraph([n for n in graph if nodes[n].kind != "list"])
    lists = sorted((n for n in graph if nodes[n].kind == "list"), key=lambda n: nodes[n].id)
    layout: dict = {}
    groups = sorted(nx.connected_components(people), key=lambda g: (-len(g), min(g)))
    if groups:
        layout.update(_spread(people.subgraph(groups[0]), nodes, (0.0, 0.0), 1.0))
        # the others in a column to its right, each in a box as big as its share
        top = 1.0
        for group in groups[1:]:
            side = max(0.25, (len(group) / len(groups[0])) ** 0.5)
            layout.update(_spread(people.subgraph(group), nodes, (1.5, top - side / 2), side / 2))
            top -= side + 0.1
    spread = [p for p in layout.values()]
    cx = sum(x for x, _ in spread) / max(len(spread), 1)
    cy = sum(y for _, y in spread) / max(len(spread), 1)
    layout = {n: (x - cx, y - cy) for n, (x, y) in layout.items()}
    radius = 1.2 * max((math.hypot(x, y) for x, y in layout.values()), default=1.0)
    for n, name in enumerate(lists):
        angle = 2 * math.pi * (n + 0.5) / len(lists) + math.pi / 2
        layout[name] = (radius * math.cos(angle), radius * math.sin(angle))
    return layout


def _spread(group: nx.Graph, nodes: dict[str, DrawnNode], centre, scale: float) -> dict:
    """One connected group by a spring layout; a community holds together, ties across
    communities pull less."""
    if len(group) == 1:
        return {next(iter(group)): centre}
    pull = nx.Graph()
    pull.add_nodes_from(group)
    pull.add_weighted_edges_from(
        (a, b, 0.5 if nodes[a].colour == nodes[b].colour != NO_COMMUNITY else 0.1)
        for a, b in group.edges
    )
    k = 3.5 / len(pull) ** 0.5
    return dict(nx.spring_layout(pull, seed=1, k=k, iterations=300, center=centre, scale=scale))


def _size(node: DrawnNode, busiest: int) -> float:
    """A node's area in points², by its share of the busiest person's messages."""
    if node.kind == "you":
        return 900
    if node.kind == "list":
        return 160
    return 40 + 420 * (node.messages / max(busiest, 1)) ** 0.5


def _node_box(axes, position, node: DrawnNode, busiest: int):
    """Where a node is drawn, in pixels: a label must not cover it."""
    from matplotlib.transforms import Bbox

    x, y = axes.transData.transform(position)
    half = 0.5 * _size(node, busiest) ** 0.5 * axes.figure.dpi / 72
    return Bbox.from_extents(x - half, y - half, x + half, y + half)


def _labels(figure, axes, nodes: dict[str, DrawnNode], layout, busiest: int) -> None:
    """Label you, the lists, each community's busiest node, then the busiest others, each
    beside its node where it covers no node or label already placed; a label that fits
    nowhere is left out."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    placed = [_node_box(axes, layout[n.id], n, busiest) for n in nodes.values()
              if n.kind != "you"]  # fmt: skip
    busiest_first = sorted(nodes.values(), key=lambda n: (-n.messages, n.id))
    leaders = {}  # each colour's busiest node: every community gets a name
    for node in busiest_first:
        leaders.setdefault(node.colour, node.id)
    order = sorted(busiest_first, key=lambda n: (n.kind != "you", n.kind != "list",
                                                 n.id not in leaders.values()))  # fmt: skip
    shown = 0
    for node in order:
        x, y = layout[node.id]
        if node.kind == "you":
            text = axes.text(x, y, "you", ha="center", va="center", color="white",
                             fontsize=9, fontweight="bold", zorder=5)  # fmt: skip
            placed.append(text.get_window_extent(renderer).expanded(1.6, 2.2))
            continue
        if shown >= MAX_LABELS and node.kind != "list":
            break
        gap = 3 + 0.5 * _size(node, busiest) ** 0.5  # points from the node's centre
        for dx, dy, ha, va in _BESIDE:
            dx, dy = dx * gap, dy * gap
            text = axes.annotate(
                label(node.label), (x, y), xytext=(dx, dy), textcoords="offset points",
                ha=ha, va=va, fontsize=8, zorder=6,
                fontstyle="italic" if node.kind == "list" else "normal",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85,
                      "edgecolor": node.colour if node.colour != LIST_COLOUR else "none",
                      "linewidth": 0.9},  # framed in its node's colour: whose label it is
                arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.6,
                            "shrinkA": 0, "shrinkB": 4} if abs(dx) + abs(dy) > 2 * gap else None,
            )  # fmt: skip
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer)  # the words, not the leader line
            if not any(box.overlaps(other) for other in placed):
                placed.append(box.expanded(1.04, 1.15))
                shown += node.kind != "list"
                break
            text.remove()
