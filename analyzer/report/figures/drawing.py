"""What every figure shares: the palette, labels made safe from mail, and a titled figure.

The figures are the only part of mxa that imports matplotlib.
"""

from __future__ import annotations

import datetime
import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analyzer.safe_output import printable

__all__ = ["MAX_LABEL", "OBSERVER_COLOURS", "OKABE_ITO", "WEEKDAYS", "iso_days", "label",
           "new_figure", "png", "titled"]  # fmt: skip

# Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
OBSERVER_COLOURS = {"correspondents": "#D55E00", "providers": "#E69F00", "inference": "#0072B2"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DPI = 110
MAX_LABEL = 48  # characters of a label from mail; a 10,000-character name would be the figure


def label(text: object) -> str:
    """Text from mail as a label: escapes for what shows as nothing, cut short, and no
    ``$`` that matplotlib would read as the start of a formula."""
    shown = printable(text)
    if len(shown) > MAX_LABEL:
        shown = shown[: MAX_LABEL - 1] + "…"
    return shown.replace("$", r"\$")


def iso_days(isoformat_days: list[str]) -> list[datetime.date | None]:
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


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of its own, outside pyplot: no global state, no backend, nothing to close,
    and a notebook shows it as it is."""
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def titled(figure: Figure, title: str, note: str) -> Figure:
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
