"""The owner's habits: when they write, and from which time zone."""

from __future__ import annotations

from matplotlib.figure import Figure

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
    """The UTC offsets you wrote from, over time: travel shows."""
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
    axes.scatter(days, hours, s=14, color=OKABE_ITO[4], alpha=0.75)
    axes.set_ylabel("UTC offset (hours)")
    axes.grid(axis="y", color="#DDDDDD")
    low, high = min(hours), max(hours)
    axes.set_ylim(low - 1.5, high + 1.5)
    figure.autofmt_xdate()
    return titled(
        figure,
        "Where you were: the time zone of every message you sent",
        "One dot per sent message: its Date header's UTC offset. A change of offset is a "
        "change of place or of season (summer time).",
    )
