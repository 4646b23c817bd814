"""The owner's habits: when they write, and from which time zone."""

from __future__ import annotations

import datetime

from matplotlib.figure import Figure

from analyzer.analysis.habits import Trip
from analyzer.report.content import Report
from analyzer.report.figures.drawing import OKABE_ITO, WEEKDAYS, iso_days, new_figure, titled

__all__ = ["activity_heatmap", "timezone_timeline"]


def activity_heatmap(report: Report) -> Figure | None:
    """When you write, in your own local time: weekday × hour."""
    if not report.habits.dated:
        return None
    figure, axes = new_figure(10, 3.6)
    image = axes.imshow(report.habits.by_weekday_hour, aspect="auto", cmap="cividis")
    axes.set_yticks(range(7), WEEKDAYS)
    axes.set_xticks(range(0, 24, 2), [f"{h:02}:00" for h in range(0, 24, 2)], fontsize=8)
    axes.set_xlabel("local hour (from the Date header's own offset)")
    figure.colorbar(image, ax=axes, label="messages you sent", fraction=0.03)
    return titled(
        figure,
        "When you write: your weekly rhythm, readable by anyone you write to",
        f"{report.habits.dated} messages you sent with a date and an offset. "
        "Every Date header carries both, encrypted or not.",
    )


def timezone_timeline(report: Report) -> Figure | None:
    """The UTC offsets you wrote from, over time, each trip shaded and named."""
    dated = [
        (day, minutes / 60)
        for day, (_, minutes) in zip(iso_days([d for d, _ in report.habits.offsets]),
                                     report.habits.offsets, strict=True)
        if day is not None
    ]  # fmt: skip
    if not dated:
        return None
    days, hours = [day for day, _ in dated], [hour for _, hour in dated]
    figure, axes = new_figure(10, 3.2)
    trips = report.habits.trips
    labelled = _labelled(trips)
    low, high = min(hours), max(hours)
    axes.set_ylim(low - 1.5, high + 1.5 + TRIP_LABEL_ROOM * min(len(labelled), LABEL_ROWS))
    for trip in trips:
        first, last = iso_days([trip.first_day, trip.last_day])
        axes.axvspan(first, last + ONE_DAY, color=TRIP_SHADE, alpha=0.35, lw=0, zorder=0)
    start, end = min(days), max(days) + ONE_DAY
    gap = (end - start) / 100  # between a span and its label
    for row, trip in enumerate(sorted(labelled, key=lambda t: t.first_day)):
        first, last = iso_days([trip.first_day, trip.last_day])
        right_half = (first - start) > (end - start) / 2  # the label goes left of the span
        axes.text(
            first - gap if right_half else last + ONE_DAY + gap,
            high + 1.5 + TRIP_LABEL_ROOM * (row % LABEL_ROWS + 0.5),
            trip.label,
            ha="right" if right_half else "left",
            va="center",
            fontsize=8.5,
            color=TRIP_TEXT,
        )
    axes.scatter(days, hours, s=14, color=OKABE_ITO[4], alpha=0.75, zorder=2)
    axes.set_ylabel("UTC offset (hours)")
    axes.grid(axis="y", color="#DDDDDD")
    figure.autofmt_xdate()
    home = report.habits.home_words
    return titled(
        figure,
        "Where you were: the time zone of every message you sent",
        "One dot per sent message: its Date header's UTC offset. "
        + (f"Home is {home}; summer time is not a trip. " if home else "")
        + _trips_note(trips, labelled),
    )


ONE_DAY = datetime.timedelta(days=1)
TRIP_SHADE = OKABE_ITO[0]
TRIP_TEXT = "#8A4B00"  # OKABE_ITO's orange, dark enough for text on white
MOST_LABELS = 6  # labels the figure can hold; the report's text names every trip
LABEL_ROWS = 3  # labels stack in up to three rows above the dots
TRIP_LABEL_ROOM = 1.1  # hours of the y axis each row of labels takes


def _labelled(trips: tuple[Trip, ...]) -> list[Trip]:
    """The trips the figure names: all of them, or the longest when there are many."""
    longest = sorted(trips, key=lambda trip: (-trip.days, trip.first_day))
    return longest[:MOST_LABELS]


def _trips_note(trips: tuple[Trip, ...], labelled: list[Trip]) -> str:
    if not trips:
        return "No trip shows."
    shaded = f"Shaded: {len(trips)} trip{'s' if len(trips) != 1 else ''}"
    if len(labelled) < len(trips):
        return f"{shaded}, the {len(labelled)} longest named; the report lists them all."
    return shaded + "."
