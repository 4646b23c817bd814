"""The report as HTML (one self-contained file) and as Markdown, from one :class:`Report`.

Both come from Jinja2 templates in ``templates/``. Every value is shown as text: in HTML
it is escaped by Jinja's autoescaping, in Markdown by :func:`markdown_text`, and in both
its control characters and bidirectional marks are first made visible
(:func:`~analyzer.safe_output.printable`) and very long values clipped. Only values the
templates mark ``|safe`` (figures mxa drew) pass as they are.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from analyzer.linkability import CLAIM, VISIBILITY_ORDER
from analyzer.linkability.model import CONFIDENCE
from analyzer.report.content import OBSERVER_WORDS, Report
from analyzer.safe_output import printable

__all__ = ["markdown_text", "render_html", "render_markdown"]

MAX_SHOWN = 600  # characters of one value from mail; a 10,000-character name is cut
# what Markdown (and the HTML it passes through) reads as syntax inside a line. Values never
# start a line in the templates, and never hold one (printable() shows a newline as \n),
# so block syntax (#, -, 1.) cannot start; parentheses only matter after an escaped "]"
_MARKDOWN_SYNTAX = re.compile(r"[\\`*_\[\]<>|&~]")


def _shown(value: object) -> str:
    text = printable(value)
    if len(text) > MAX_SHOWN:
        text = f"{text[:MAX_SHOWN]}… ({len(text):,} characters)"
    return text


def markdown_text(value: object) -> str:
    """A value as literal Markdown text: no syntax, no HTML, no line break, no control."""
    return _MARKDOWN_SYNTAX.sub(lambda match: "\\" + match.group(), _shown(value))


def _finalize_html(value: object) -> object:
    if isinstance(value, Markup) or value is None:
        return "" if value is None else value
    return _shown(value)


def _finalize_markdown(value: object) -> object:
    if isinstance(value, Markup) or value is None:
        return "" if value is None else str(value)
    return markdown_text(value)


def _environment(kind: str) -> Environment:
    html = kind == "html"
    environment = Environment(
        loader=PackageLoader("analyzer.report", "templates"),
        autoescape=html,
        finalize=_finalize_html if html else _finalize_markdown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # items shown one by one, so that each is made printable before it is escaped
    environment.filters["join"] = lambda items, separator="": separator.join(
        _shown(item) for item in items
    )
    environment.filters["percent"] = lambda share: f"{share:.0%}"
    environment.filters["score"] = lambda score: f"{score:.2f}"
    return environment


def _context(report: Report) -> dict[str, Any]:
    return {
        "report": report,
        "observer_words": OBSERVER_WORDS,
        "visibility": VISIBILITY_ORDER,
        "claim": CLAIM,
        "confidence": [(word, low) for low, word in CONFIDENCE],
        "weekday_hour": report.habits.by_weekday_hour,
    }


def render_html(report: Report, figures: dict[str, bytes]) -> str:
    """One HTML file: inline CSS, figures as data URIs, no script, no external request."""
    images = {
        name: Markup(f"data:image/png;base64,{base64.b64encode(data).decode('ascii')}")
        for name, data in figures.items()
    }
    return (
        _environment("html")
        .get_template("report.html.j2")
        .render(**_context(report), figures=images)
    )


def render_markdown(report: Report, figure_paths: dict[str, str]) -> str:
    """The same report in Markdown, the figures as PNG files beside it."""
    paths = {name: Markup(path) for name, path in figure_paths.items()}
    return (
        _environment("markdown")
        .get_template("report.md.j2")
        .render(**_context(report), figures=paths)
    )
