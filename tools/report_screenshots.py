"""Screenshots of a report, one PNG per section or of the whole page, taken by headless Chromium.

Used to look at a report as a reader does before calling a change to it done:

    python tools/report_screenshots.py mxa-demo/report.html --out mxa-demo/screenshots
    python tools/report_screenshots.py mxa-demo/report.html --full-page --widths 1280,390 \
        --name sample-report --out mxa-demo/screenshots/full-page
    python tools/report_screenshots.py --terminal "mxa audit sample_data --me x@gmial.com" \
        --expect-exit 2 --widths 1280,390 --name mistyped-me --out mxa-demo/screenshots/full-page
    make screenshots        # all of these: the demo's report, a real list archive's, a typo

For each ``<section id=…>`` of the report, a copy of the page that shows only that
section (and the page title) is opened at ``--width`` px (1200), and the screenshot is cut
below the last drawn row. Very long sections (the evidence of a big archive) are cut at
``--max-height`` pixels. ``--full-page`` takes the whole page instead, one PNG per width
(``NAME-1280px.png``). ``--terminal COMMAND`` runs the command, records what a terminal
shows of it (stdout and stderr as they come, in colour, and the exit status) as an HTML
page beside the PNGs, and takes that page. Nothing is fetched: the page makes no request,
and Chromium is started with the network disabled as well.
"""

from __future__ import annotations

import argparse
import html
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from rich.console import Console
from rich.text import Text

SECTION = re.compile(r'<section id="([\w-]+)"')


def sections(html: str) -> list[str]:
    return SECTION.findall(html)


def only(html: str, section: str) -> str:
    """The page with every other section hidden (the report allows inline style)."""
    hidden = f"main > section:not(#{section})"
    if section != "verdict":  # the title and the contents show once, with the verdict
        hidden += ", main > header, main > nav"
    style = f"<style>{hidden} {{ display: none; }}</style>"
    return html.replace("</head>", style + "</head>", 1)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("chromium is not installed: `make test` installs Debian's chromium package")
    return found


def screenshot(page: Path, shot: Path, width: int, height: int) -> None:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        f"--window-size={width},{height}", f"--screenshot={shot}", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=180, check=True)


def trim(shot: Path) -> tuple[int, int]:
    """Cut the empty page below the content; returns the size kept."""
    with Image.open(shot) as image:
        picture = image.convert("RGB")
    pixels = picture.load()
    last = picture.height - 1  # the empty page: margins and the column, as drawn below all
    bottom = picture.height
    while bottom > 1 and all(
        pixels[x, bottom - 1] == pixels[x, last] for x in range(0, picture.width, 3)
    ):
        bottom -= 1
    kept = picture.crop((0, 0, picture.width, min(picture.height, bottom + 24)))
    kept.save(shot)
    return kept.size


FIRST_HEIGHT = 8000  # px: a full page is taken this tall, then twice as tall until it fits


END_MARK = (255, 0, 255)  # a colour no report draws: the line marking the page's end
_END_MARK_LINE = '<div style="clear:both;margin-top:12px;height:4px;background:#ff00ff"></div>'


def end_marked(html: str) -> str:
    """The page with a line of :data:`END_MARK` after everything it shows."""
    at = html.rfind("</body>")
    return html[:at] + _END_MARK_LINE + html[at:] if at >= 0 else html + _END_MARK_LINE


def cut_at_end_mark(shot: Path) -> tuple[int, int] | None:
    """Keep the shot above the end mark; None when the mark is not in it (the window was
    shorter than the page)."""
    with Image.open(shot) as image:
        picture = image.convert("RGB")
    pixels = picture.load()
    across = [picture.width * share // 8 for share in (3, 4, 5)]  # the page may have a margin

    def marked(row: int) -> bool:
        return all(pixels[x, row] == END_MARK for x in across)

    row = picture.height - 1
    while row >= 0 and not marked(row):
        row -= 1
    if row < 0:
        return None
    while row > 0 and marked(row - 1):  # up to the mark's first row
        row -= 1
    kept = picture.crop((0, 0, picture.width, row))
    kept.save(shot)
    return kept.size


def full_page(page: Path, shot: Path, width: int, max_height: int) -> tuple[int, int]:
    """The whole page at ``width``: a window tall enough to show the line marking the page's
    end (a taller window costs Chromium more time, so it grows only as needed)."""
    height = min(FIRST_HEIGHT, max_height)
    with tempfile.TemporaryDirectory() as scratch:
        marked = Path(scratch) / page.name
        marked.write_text(end_marked(page.read_text("utf-8")), "utf-8")
        while True:
            screenshot(marked, shot, width, height)
            kept = cut_at_end_mark(shot)
            if kept:
                return kept
            if height >= max_height:
                print(f"{shot}: cut at --max-height {max_height} px", file=sys.stderr)
                return trim(shot)
            height = min(2 * height, max_height)


TERMINAL_COLUMNS = 100
TERMINAL_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{{stylesheet}}
body {{{{ color: {{foreground}}; background-color: {{background}}; margin: 0; padding: 12px; }}}}
pre {{{{ white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; font-size: 14px; }}}}
</style>
</head>
<body>
<pre style="font-family:'DejaVu Sans Mono',Menlo,consolas,monospace"><code>{{code}}</code></pre>
</body>
</html>
"""


# the moves rich makes to redraw a transient progress bar: return, erase the line, go up
_CURSOR = re.compile(r"\r|\n|\x1b\[2K|\x1b\[(\d*)A|\x1b\[\?25[lh]")


def as_the_terminal_leaves_it(raw: str) -> str:
    """What stays on the screen once ``raw`` is written: a line returned to or erased is
    drawn again (rich erases each line it returns to), a line gone up to is written over."""
    lines, row = [""], 0
    position = 0
    for move in _CURSOR.finditer(raw):
        lines[row] += raw[position : move.start()]
        position = move.end()
        token = move.group()
        if token == "\n":
            row += 1
            lines += [""] * (row + 1 - len(lines))
        elif token.endswith("A"):
            row = max(0, row - int(move.group(1) or 1))
        elif token in ("\r", "\x1b[2K"):
            lines[row] = ""
    lines[row] += raw[position:]
    return "\n".join(lines).rstrip("\n") + "\n"


def terminal_page(command: str) -> tuple[str, int]:
    """What a terminal shows of ``command`` (run here, in colour, stdout and stderr as they
    come, at :data:`TERMINAL_COLUMNS`), as an HTML page; and its exit status."""
    environment = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": str(TERMINAL_COLUMNS),
                   "TERM": "xterm-256color"}  # fmt: skip
    environment.pop("NO_COLOR", None)
    ran = subprocess.run(
        shlex.split(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=environment, timeout=600, check=False,
    )  # fmt: skip
    shown = as_the_terminal_leaves_it(ran.stdout.decode("utf-8", "replace"))
    recorder = Console(record=True, width=TERMINAL_COLUMNS, force_terminal=True,
                       color_system="truecolor", file=io.StringIO())  # fmt: skip
    recorder.print(Text.assemble(("$ ", "bold green"), (command, "bold")), soft_wrap=True)
    recorder.print(Text.from_ansi(shown), end="", soft_wrap=True)
    recorder.print(Text(f"[exit status {ran.returncode}]", style="dim"))
    title = html.escape(f"$ {command}").replace("{", "{{").replace("}", "}}")
    page = TERMINAL_PAGE.format(title=title)  # rich fills in the rest
    return recorder.export_html(code_format=page, inline_styles=True), ran.returncode


def _widths(text: str) -> list[int]:
    return [int(width) for width in text.split(",") if width.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, nargs="?", help="a report.html written by mxa")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--sections", help="comma-separated section ids (default: all)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--widths", type=_widths, help="with --full-page: e.g. 1280,390")
    parser.add_argument("--max-height", type=int, help="px (8000; a full page: 131072)")
    parser.add_argument("--full-page", action="store_true", help="the whole page, per width")
    parser.add_argument("--name", help="the full page's file name before -WIDTHpx.png")
    parser.add_argument("--terminal", metavar="COMMAND", help="run it and take its output")
    parser.add_argument("--expect-exit", type=int, metavar="N", help="the command's status")
    options = parser.parse_args(argv)
    if (options.report is None) == (options.terminal is None):
        parser.error("give a report.html or --terminal COMMAND")
    if options.terminal or options.full_page:
        return _full_pages(options)
    options.max_height = options.max_height or 8000
    html = options.report.read_text("utf-8")
    wanted = options.sections.split(",") if options.sections else sections(html)
    unknown = sorted(set(wanted) - set(sections(html)))
    if unknown:
        parser.error(f"no such section in {options.report}: {', '.join(unknown)}")
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for number, section in enumerate(wanted, 1):
            page = Path(scratch) / f"{section}.html"
            page.write_text(only(html, section), "utf-8")
            shot = options.out / f"{number:02d}-{section}.png"
            screenshot(page, shot, options.width, options.max_height)
            width, height = trim(shot)
            print(f"{shot}  {width}x{height}")
    return 0


def _full_pages(options: argparse.Namespace) -> int:
    """The whole page (a report's, or a command's as a terminal shows it) at each width."""
    options.out.mkdir(parents=True, exist_ok=True)
    name = options.name or (options.report.stem if options.report else "terminal")
    page = options.report
    if options.terminal:
        shown, status = terminal_page(options.terminal)
        if options.expect_exit is not None and status != options.expect_exit:
            sys.exit(f"{options.terminal!r} exited {status}, not {options.expect_exit}")
        page = options.out / f"{name}.html"
        page.write_text(shown, "utf-8")
        print(f"{page}  (exit status {status})")
    for width in options.widths or [options.width]:
        shot = options.out / f"{name}-{width}px.png"
        kept = full_page(page.resolve(), shot, width, options.max_height or 131072)
        print(f"{shot}  {kept[0]}x{kept[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
