"""The report on a phone (390 px) and on a laptop (1280 px), measured by Chromium's layout.

The measuring is done from the test through the DevTools protocol (tests/browser.py): the
report itself stays a file with no script.
"""

from __future__ import annotations

import json
import re

import pytest

from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox
from tests.browser import Browser

WIDTHS = (390, 1280)

# what reaches past the right edge of the window: the page's width, and the first elements
OVERFLOW = """JSON.stringify({
  page: document.documentElement.scrollWidth, window: window.innerWidth,
  past: Array.from(document.querySelectorAll('main *'))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                 && !e.closest('.scroll'))
    .slice(0, 5).map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 60))})"""


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    run_audit([sample_mailbox()], out, jobs=1)
    return out / "report.html"


@pytest.fixture(scope="module")
def archive_report(corpora, tmp_path_factory):
    out = tmp_path_factory.mktemp("mips")
    run_audit([corpora / "list-linux-mips-1996-1999"], out, jobs=1)
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    chromium = Browser()
    yield chromium
    chromium.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["sample_report", "archive_report"])
def test_the_page_never_scrolls_sideways(request, browser, which, width):
    """Tables scroll in their own box, figures fit: the page is never wider than the window."""
    browser.open(request.getfixturevalue(which), width)
    measured = json.loads(browser.evaluate(OVERFLOW))
    assert measured["window"] == width
    assert measured["page"] <= width, measured
    assert measured["past"] == [], measured
    # a table of many columns scrolls in its box instead of squeezing them to a letter wide
    squeezed = browser.evaluate(
        "Array.from(document.querySelectorAll('table')).filter(t => t.offsetParent"
        " && t.rows[0].cells.length >= 4 && t.getBoundingClientRect().width < 600).length"
    )
    assert squeezed == 0


def test_figures_fit_the_window_and_open_full_size(browser, sample_report):
    html = sample_report.read_text("utf-8")
    images = re.findall(r"<img [^>]*>", html)
    linked = re.findall(
        r'<a class="figure-link" href="(figures/[\w-]+\.png)"[^>]*>'
        r'<img src="data:image/png;base64,[^"]+"',
        html,
    )
    assert images and len(linked) == len(images)
    assert all((sample_report.parent / href).is_file() for href in linked)
    browser.open(sample_report, 390)
    widest = browser.evaluate(
        "Math.max(...Array.from(document.images).map(i => i.getBoundingClientRect().right))"
    )
    assert 0 < widest <= 390
    # a click opens the PNG itself (Chromium would refuse a link to a data: URI)
    browser.click("a.figure-link")
    opened = browser.evaluate("document.contentType")
    assert opened == "image/png"


def test_an_address_breaks_only_after_at_or_dot():
    from analyzer.report.render import address_html

    shown = str(address_html("maya.lindqvist+nordicgear@gmail.com"))
    assert shown == "maya.<wbr>lindqvist+nordicgear@<wbr>gmail.<wbr>com"
    # the address stays text: markup in it is escaped, only mxa's <wbr> is a tag
    hostile = str(address_html('"<b>x</b>".y@evil.example'))
    assert "<b>" not in hostile and "&lt;b&gt;" in hostile
    assert re.sub(r"<wbr>", "", hostile).count("<") == 0


def test_addresses_in_the_report_break_only_after_at_or_dot(browser, sample_report):
    html = sample_report.read_text("utf-8")
    assert "maya.<wbr>lindqvist@<wbr>gmail.<wbr>com" in html
    assert re.search(r"\.address\s*\{[^}]*overflow-wrap:\s*normal;\s*word-break:\s*normal", html)
    browser.open(sample_report, 390)
    # in every address, the browser breaks nowhere but at mxa's <wbr>: no cell of one overflows
    overflowing = browser.evaluate(
        "Array.from(document.querySelectorAll('.address'))"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    assert overflowing == 0
    mid_word = browser.evaluate(
        "getComputedStyle(document.querySelector('td.address')).overflowWrap"
    )
    assert mid_word == "normal"


def test_how_to_read_comes_right_after_the_verdict(sample_report):
    html = sample_report.read_text("utf-8")
    markdown = sample_report.with_name("report.md").read_text("utf-8")
    assert (
        html.index('id="verdict"') < html.index('id="reading"') < html.index('id="identity-graph"')
    )
    assert html.index('href="#reading"') < html.index('href="#identity-graph"')
    sections = re.findall(r"^## (.*)$", markdown, re.MULTILINE)
    # the verdict's own list of exposures, then how to read the rest
    assert sections[:2] == ["What gives you away, worst first", "How to read this report"]


def test_the_evidence_of_each_finding_folds_away(sample_report):
    html = sample_report.read_text("utf-8")
    findings = re.findall(r'<article class="finding" id="(F\d+)">', html)
    folded = re.findall(r"<details class=\"evidence\">\s*<summary>[^<]*?(F\d+)", html)
    assert findings and folded == findings
    assert "<script" not in html
