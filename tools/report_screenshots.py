"""Screenshots of a report, one PNG per section, taken by headless Chromium.

Used to look at a report as a reader does before calling a change to it done:

    python tools/report_screenshots.py mxa-demo/report.html --out mxa-demo/screenshots
    make screenshots        # the demo's report, and the redacted report of a real list archive

For each ``<section id=…>`` of the report, a copy of the page that shows only that
section (and the page title) is opened at 1200 px wide, and the screenshot is cut below
the last drawn row. Very long sections (the evidence of a big archive) are cut at
``--max-height`` pixels. Nothing is fetched: the page makes no request, and Chromium is
started with the network disabled as well.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a report.html written by mxa")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--sections", help="comma-separated section ids (default: all)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--max-height", type=int, default=8000)
    options = parser.parse_args(argv)
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


if __name__ == "__main__":
    raise SystemExit(main())
