"""The report's figures, drawn with matplotlib: the only package of mxa that imports it.

Each figure stands alone on a slide: a title that says what it shows, a caption-sized
note of where it comes from, readable labels, and the Okabe–Ito palette, which people
with any common colour-vision deficiency tell apart. Figures are returned as PNG bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from analyzer.report.content import Report
from analyzer.report.figures.aliases import alias_counterfactual, alias_timeline
from analyzer.report.figures.drawing import png
from analyzer.report.figures.encryption import encryption_mix
from analyzer.report.figures.habits import activity_heatmap, timezone_timeline
from analyzer.report.figures.identities import identity_graph
from analyzer.report.figures.network import ego_network

__all__ = ["FIGURES", "draw_figures", "png"]


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
