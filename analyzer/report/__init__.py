"""The report a person reads: ``report.html``, ``report.md`` and ``figures/*.png``.

:func:`build_report` turns one run's analysis into a :class:`Report` (plain data);
:func:`write_report` draws the figures and writes both renderings. ``mxa audit`` and
``mxa report`` call these, and so can a notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

from analyzer.errors import OutputError
from analyzer.output_folder import atomic_file, ensure_folder, sub_folder
from analyzer.report.content import Report, build_report

__all__ = ["REPORT_FILES", "Report", "build_report", "write_report"]

REPORT_FILES = ("report.html", "report.md")


def _write(target: Path, data: bytes) -> None:
    """Beside the target, then renamed into place: a reader never sees half a file, and
    nothing is written through a link (:func:`~analyzer.output_folder.atomic_file`)."""
    with atomic_file(target) as file:
        file.write(data)


def write_report(report: Report, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``out/report.html`` (self-contained), ``out/report.md`` and ``out/figures/``."""
    from analyzer.report.figures import draw_figures
    from analyzer.report.render import render_html, render_markdown

    folder = ensure_folder(Path(out))
    figures = draw_figures(report)
    written = []
    try:
        sub_folder(folder, "figures")
        paths = {}
        for name, data in figures.items():
            target = folder / "figures" / f"{name}.png"
            _write(target, data)
            written.append(target)
            paths[name] = f"figures/{name}.png"
        html, markdown = folder / "report.html", folder / "report.md"
        _write(html, render_html(report, figures).encode("utf-8"))
        _write(markdown, render_markdown(report, paths).encode("utf-8"))
    except OSError as error:
        raise OutputError(
            f"cannot write the report into {folder}: {error.strerror or error}"
        ) from None
    return [html, markdown, *written]
