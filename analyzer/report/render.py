"""The report as HTML (one self-contained file) and as Markdown, from one :class:`Report`.

Both come from Jinja2 templates in ``templates/``. Every value is shown as text, very long
values clipped, and each control or invisible character in it (a zero-width space, a
bidirectional mark: :data:`~analyzer.safe_output.HIDDEN`) as its escape, ``\\u200b``: in
HTML escaped by :func:`html_text` and the escapes marked, in Markdown by
:func:`markdown_text`, where anything a renderer could make a link of (an address, a URL, a
domain) is a code span. Only values the templates mark ``|safe`` (figures mxa drew) pass
as they are.
"""

from __future__ import annotations

import base64
import re
import string
import unicodedata
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from markupsafe import Markup, escape

from analyzer.analysis import CLAIM, CONFIDENCE, VISIBILITY_ORDER
from analyzer.report.content import Report
from analyzer.report.words import (
    ARCHIVE_OBSERVER_NAMES,
    ARCHIVE_OBSERVER_WORDS,
    EVIDENCE_NAMES,
    OBSERVER_NAMES,
    OBSERVER_WORDS,
)
from analyzer.safe_output import visible_parts
from analyzer.vocabulary import Said

__all__ = ["address_html", "html_text", "markdown_text", "render_html", "render_markdown"]

MAX_SHOWN = 600  # characters of one value from mail; a 10,000-character name is cut
# what Markdown (and the HTML it passes through) reads as syntax inside a line. Values never
# start a line in the templates, and never hold one (a newline is shown as \n), so block
# syntax (#, -, 1.) cannot start; parentheses only matter after an escaped "]"
_MARKDOWN_SYNTAX = re.compile(r"[\\`*_\[\]<>|&~]")
# a word that some Markdown renderer turns into a link: GitHub's autolinks (www., http://,
# an address) and the looser linkifiers of editors (any scheme, //, a bare domain)
_LINK_LIKE = re.compile(r"@|//|[^\W\d_]:\S|\w\.[^\W\d_]")
_BACKTICKS = re.compile(r"`+")
_OUTSIDE_CODE = re.compile(r"([|<>])")


def _clipped(value: object) -> list[tuple[str, bool]]:
    """:func:`~analyzer.safe_output.visible_parts`, cut after :data:`MAX_SHOWN` characters
    with the length said."""
    parts = visible_parts(value)
    total = sum(len(part) for part, _ in parts)
    if total <= MAX_SHOWN:
        return parts
    kept, room = [], MAX_SHOWN
    for part, hidden in parts:
        if room <= 0 or (hidden and len(part) > room):
            break
        kept.append((part[:room], hidden))
        room -= len(part)
    kept.append((f"… ({total:,} characters)", False))
    return kept


def _hidden_span(escape_text: str) -> str:
    """An escape marked as one, the character's name on hover (``U+200B ZERO WIDTH SPACE``)."""
    character = escape_text.encode("ascii").decode("unicode_escape")
    title = f"U+{ord(character):04X} {unicodedata.name(character, '')}".strip()
    # single quotes: nothing here can end a double-quoted attribute it might stand in
    return f"<span class='hidden-char' title='{escape(title)}'>{escape(escape_text)}</span>"


def html_text(value: object) -> Markup:
    """A value as HTML text, its invisible characters shown as marked escapes."""
    return Markup(
        "".join(_hidden_span(part) if hidden else str(escape(part)) for part, hidden in
                _clipped(value))
    )  # fmt: skip


# where an address may wrap: after its @ and after each dot, never inside a word
_ADDRESS_BREAK = re.compile(r"([@.])")


def address_html(value: object) -> Markup:
    """An address as :func:`html_text`, with a ``<wbr>`` after each ``@`` and ``.``: a
    narrow screen wraps it there (with ``overflow-wrap: normal``), not mid-word."""
    return Markup(
        "".join(
            _hidden_span(part) if hidden else _ADDRESS_BREAK.sub(r"\1<wbr>", str(escape(part)))
            for part, hidden in _clipped(value)
        )
    )


_OPTION = re.compile(r"(--[a-z][a-z-]*)")


def _pieces(text: object) -> list[tuple[str, bool]]:
    """A sentence as (piece, from mail) pieces: a :class:`~analyzer.vocabulary.Said` keeps
    the values from mail apart from mxa's words; any other text is all mxa's."""
    if not isinstance(text, Said):
        return [(str(text), False)]
    pieces = []
    for words, field, _, _ in string.Formatter().parse(text.words):
        if words:
            pieces.append((words, False))
        if field is not None:
            pieces.append((text.values[int(field)], True))
    return pieces


def _is_address(value: str) -> bool:
    return "@" in value or ("." in value and " " not in value)  # an address or a domain


def prose_html(text: object) -> Markup:
    """A sentence of mxa's: each address or domain from mail wraps only after its ``@``
    and dots, like an address in a table, and an option (``--me``) not at all."""
    return Markup("").join(
        (_address_span(piece) if _is_address(piece) else html_text(piece))
        if from_mail
        else _options_kept_whole(piece)
        for piece, from_mail in _pieces(text)
    )


def _options_kept_whole(text: str) -> Markup:
    parts = _OPTION.split(text)
    return Markup("").join(
        Markup('<span class="option">') + html_text(part) + Markup("</span>")
        if n % 2
        else html_text(part)
        for n, part in enumerate(parts)
    )


def prose_markdown(text: object) -> Markup:
    """A sentence of mxa's in Markdown: each address or domain from mail in a code span of
    its own, the punctuation around it left outside."""
    # markdown_text puts an address or domain in a code span, and shows what hides
    return Markup("".join(markdown_text(piece) for piece, _ in _pieces(text)))


def _address_span(value: object) -> Markup:
    if value is None:
        return Markup("")
    return Markup('<span class="address">') + address_html(value) + Markup("</span>")


def _code_span(word: str) -> str:
    """A word as inline code, which no Markdown renderer links or reads as syntax. A ``|``
    (a table's cell separator) and ``<`` and ``>`` stay outside, escaped, so that the word
    can sit in a table cell and the file holds no tag."""
    shown = []
    for piece in _OUTSIDE_CODE.split(word):
        if not piece:
            continue
        if _OUTSIDE_CODE.fullmatch(piece):
            shown.append("\\" + piece)
            continue
        fence = "`" * (max((len(run) for run in _BACKTICKS.findall(piece)), default=0) + 1)
        padded = f" {piece} " if piece.startswith("`") or piece.endswith("`") else piece
        shown.append(f"{fence}{padded}{fence}")
    return "".join(shown)


def markdown_text(value: object) -> str:
    """A value as literal Markdown text: no syntax, no HTML, no link, no line break, no
    control or invisible character."""
    text = "".join(part for part, _ in _clipped(value))
    words = re.split(r"(\s+)", text)
    return "".join(
        _code_span(word)
        if _LINK_LIKE.search(word)
        else _MARKDOWN_SYNTAX.sub(lambda match: "\\" + match.group(), word)
        for word in words
    )


def _finalize_html(value: object) -> object:
    if isinstance(value, Markup) or value is None:
        return "" if value is None else value
    return html_text(value)


def _finalize_markdown(value: object) -> object:
    if isinstance(value, Markup) or value is None:
        return "" if value is None else str(value)
    return markdown_text(value)


@pass_context
def _who(context: Any, observer_class: str) -> str:
    """Who can tell, in a few words: "your correspondents" in your report, "their
    correspondents" in an archive's, where nobody is you."""
    has_owner = context["report"].has_owner
    return (OBSERVER_NAMES if has_owner else ARCHIVE_OBSERVER_NAMES)[observer_class]


@cache  # one per kind: its templates are compiled once
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
    # items shown one by one: each clipped, escaped and (in Markdown) kept from linking
    shown = html_text if html else markdown_text
    environment.filters["join"] = lambda items, separator="": Markup(
        shown(separator).join(shown(item) for item in items)
    )
    if html:  # an address wraps only after @ and . (Markdown leaves wrapping to its reader)
        environment.filters["address"] = _address_span
        environment.filters["prose"] = prose_html
        environment.filters["addresses"] = lambda items, separator=", ": Markup(
            html_text(separator).join(_address_span(item) for item in items)
        )
    else:
        environment.filters["prose"] = prose_markdown
    environment.filters["percent"] = lambda share: f"{share:.0%}"
    environment.filters["score"] = lambda score: f"{score:.2f}"
    environment.filters["evidence_name"] = lambda evidence: EVIDENCE_NAMES[evidence]
    environment.filters["who"] = _who
    environment.filters["sentence"] = lambda text: text[:1].upper() + text[1:]
    return environment


def _context(report: Report) -> dict[str, Any]:
    return {
        "report": report,
        "observer_words": OBSERVER_WORDS if report.has_owner else ARCHIVE_OBSERVER_WORDS,
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
    # each figure opens full size from its PNG beside the report, where write_report puts
    # it: Chromium refuses to open a link to a data: URI
    files = {name: Markup(f"figures/{name}.png") for name in figures}
    return (
        _environment("html")
        .get_template("report.html.j2")
        .render(**_context(report), figures=images, figure_files=files)
    )


def render_markdown(report: Report, figure_paths: dict[str, str]) -> str:
    """The same report in Markdown, the figures as PNG files beside it."""
    paths = {name: Markup(path) for name, path in figure_paths.items()}
    return (
        _environment("markdown")
        .get_template("report.md.j2")
        .render(**_context(report), figures=paths)
    )
