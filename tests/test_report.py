"""The report as its readers meet it: the files, their content, and a real browser on them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analyzer.audit import analyze_store, run_audit
from analyzer.demo import sample_mailbox
from analyzer.report import build_report
from tests.conftest import make_message

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def persona_audit(tmp_path_factory):
    out = tmp_path_factory.mktemp("persona")
    return run_audit([sample_mailbox()], out, jobs=1)


class _Links(HTMLParser):
    """Every id, every href and src, every tag of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.references: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)
            if name in ("href", "src"):
                self.references.append(value)


def _parsed(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def test_audit_writes_the_report_beside_findings_and_graphs(persona_audit):
    out = persona_audit.out
    html = (out / "report.html").read_text("utf-8")
    markdown = (out / "report.md").read_text("utf-8")
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == ["activity.png", "alias-leaks.png", "aliases-what-if.png",
                       "communication.png", "encryption.png", "identities.png",
                       "time-zones.png"]  # fmt: skip
    assert all((out / "figures" / name).read_bytes().startswith(PNG) for name in figures)
    # the verdict first, in plain words, in both renderings
    assert html.index('id="verdict"') < html.index('id="identity-graph"')
    first = "can tie 4 of your 8 addresses together as one person"
    assert first in html and first in markdown
    assert "Encryption hid none of this: 36 of your 274 messages (13%) were encrypted" in html
    for name in figures:
        assert f"](figures/{name})" in markdown


def test_the_html_is_one_file_that_asks_nothing_of_the_network(persona_audit):
    html = (persona_audit.out / "report.html").read_text("utf-8")
    page = _parsed(html)
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    for reference in page.references:  # a figure links to its PNG beside the report
        assert reference.startswith(("#", "data:image/png;base64,")) or re.fullmatch(
            r"figures/[\w-]+\.png|explore\.html", reference
        ), reference[:60]
    assert "default-src 'none'" in html  # a Content-Security-Policy as a second wall
    assert not re.search(r"url\(|@import|https?://", html.split("<body>")[0])


def test_every_finding_links_to_its_evidence(persona_audit):
    html = (persona_audit.out / "report.html").read_text("utf-8")
    page = _parsed(html)
    anchors = [r[1:] for r in page.references if r.startswith("#")]
    assert anchors and all(anchor in page.ids for anchor in anchors)
    report_findings = re.findall(r'<article class="finding" id="(F\d+)">', html)
    assert len(report_findings) == len(persona_audit.analysis.pairs_of("owner")) - sum(
        1 for p in persona_audit.analysis.pairs_of("owner")
        if not p.same_person.evidence and not (p.known_together and p.known_together.evidence)
    )  # fmt: skip
    # each piece of evidence shows its header line and the messages behind it
    assert "Delivered-To: maya.lindqvist@gmail.com on mail to flights@maya-l.example" in html
    assert "Booking confirmation ARN-KIX" in html
    # and each recommendation names findings that exist
    recommendations = html[html.index('id="recommendations"') : html.index('id="evidence"')]
    named = re.findall(r'href="#(F\d+)"', recommendations)
    assert named and set(named) <= set(report_findings)


def test_mxa_report_makes_the_same_report_again_from_the_store(persona_audit, tmp_path):
    store = persona_audit.out / "store"
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "report", "--store", str(store), "--out",
         str(tmp_path)], capture_output=True, text=True,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    for name in ("report.html", "report.md", "figures/identities.png"):
        assert (tmp_path / name).read_bytes() == (persona_audit.out / name).read_bytes(), name


def test_an_archive_without_an_owner_gets_an_archive_report(corpora, tmp_path):
    archive = corpora / "list-open-iscsi-2021-2022"
    keeper = "lists+open-iscsi@lfdr.de"  # --me makes the archive's keeper the owner
    audit = run_audit([archive], tmp_path, me=[keeper], jobs=1)
    html = (tmp_path / "report.html").read_text("utf-8")
    assert audit.analysis.owner.identities == (keeper,)
    assert "What your mail headers give away" in html
    bare = run_audit([corpora / "list-linux-mips-1996-1999"], tmp_path / "mips", jobs=1)
    assert not bare.analysis.owner.identities
    html = (tmp_path / "mips" / "report.html").read_text("utf-8")
    assert "What this archive's headers give away" in html
    assert "Nothing in the headers says whose mailbox this is" in html
    shown = re.findall(r'<article class="finding" id="F\d+">', html)
    assert len(shown) == len(bare.analysis.pairs_of("others")) > 10
    assert 'id="habits"' not in html  # nobody's habits to show
    # people first: each group of addresses the findings join, every finding in one group
    report = build_report(analyze_store(tmp_path / "mips" / "store").analysis)
    grouped = [f for person in report.people for f in person.findings]
    assert sorted(grouped) == sorted(f.id for f in report.findings)
    sizes = [len(person.addresses) for person in report.people]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 2
    assert "People with more than one address" in html
    assert f"Together they make {len(report.people)} people" in html


# -- hostile mail in a real browser ---------------------------------------------------------
HOSTILE = {
    "script": '<script>document.title="PWNED";document.body.id="pwned"</script>',
    "onerror": "<img src=x onerror=\"document.body.id='pwned'\">",
    "javascript": "<a href=\"javascript:document.body.id='pwned'\">click</a>",
    "css": "</style><style>body{display:none}</style>",
    "bidi": "Trudy \u202egnp.exe\u202c",
    "long": "L" * 10_000,
}


def _hostile_archive(path: Path) -> Path:
    mails = []
    for n, (kind, text) in enumerate(HOSTILE.items()):
        for m in range(3):
            name = text.replace('"', "'")
            mails.append(
                b"From a@b Tue Mar 14 10:00:00 2023\n"
                + make_message(
                    sender=f'"{name}" <{kind}@evil.example>',
                    to=f'"{HOSTILE["long"]}" <me@home.example>, "{name}" <me@work.example>',
                    subject=text,
                    message_id=f"<{n}.{m}@evil.example>",
                    date=f"Tue, 14 Mar 2023 1{m}:00:00 +0100",
                    extra="Delivered-To: me@home.example",
                )
                + b"\n"
            )
    path.write_bytes(b"".join(mails))
    return path


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package")
    return found


def test_hostile_names_and_subjects_stay_text_in_a_real_browser(tmp_path):
    archive = _hostile_archive(tmp_path / "evil.mbox")
    run_audit([archive], tmp_path / "out", me=["me@home.example", "me@work.example"], jobs=1)
    report = tmp_path / "out" / "report.html"
    html = report.read_text("utf-8")
    assert "<script>" not in html and "<img src=x" not in html and "</style><style>" not in html
    browser = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--window-size=1200,3000"]  # fmt: skip
    dumped = subprocess.run(
        [*browser, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120
    )
    dom = dumped.stdout
    assert "What your mail headers give away" in dom  # the page rendered
    # no script ran: the body and the title are as mxa wrote them
    assert re.search(r"<body>\s*<main>", dom)
    assert (
        re.search(r"<title>(.*?)</title>", dom).group(1)
        == "What your mail headers give away — mxa report"
    )
    assert dom.count("<script") == 0 and dom.count("<style") == 1  # no element was injected
    assert "&lt;script&gt;document.title" in dom  # the names show, as text
    assert "\u202e" not in dom and "\\u202e" in dom  # bidi overrides shown, not obeyed
    assert "L" * 1_000 not in dom and re.search(r"L… \(10,\d{3} characters\)", dom)
    shot = tmp_path / "hostile.png"
    subprocess.run([*browser, f"--screenshot={shot}", report.as_uri()], capture_output=True,
                   timeout=120, check=True)  # fmt: skip
    assert shot.read_bytes().startswith(PNG) and shot.stat().st_size > 20_000
    markdown = (tmp_path / "out" / "report.md").read_text("utf-8")
    # a tag is text: escaped, or (beside a name a renderer would link) in a code span
    assert "<script>" not in markdown and "\\<`script`\\>`document.title" in markdown


def test_the_screenshot_tool_shows_each_section_alone(persona_audit, tmp_path):
    tool = Path(__file__).resolve().parent.parent / "tools" / "report_screenshots.py"
    report = persona_audit.out / "report.html"
    command = [sys.executable, str(tool), str(report), "--out", str(tmp_path),
               "--sections", "verdict,habits"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shots = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in shots] == ["01-verdict.png", "02-habits.png"]
    from PIL import Image

    with Image.open(shots[1]) as habits:  # the heatmap and the timeline, cut below them
        assert habits.width == 1200 and 600 < habits.height < 3000
    unknown = subprocess.run([*command[:-1], "nonesuch"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "no such section" in unknown.stderr


def test_the_alias_section_names_each_leak_with_its_messages(persona_audit):
    html = (persona_audit.out / "report.html").read_text("utf-8")
    section = html[
        html.index('<section id="aliases">') : html.index('<section id="recommendations">')
    ]
    parsed = _parsed(section)
    leak_ids = sorted(i for i in parsed.ids if re.fullmatch(r"L\d+", i))
    assert leak_ids == ["L1", "L2"]
    assert {f"#{i}" for i in leak_ids} <= set(parsed.references)  # the table links to each
    assert "dealshub-mail.example" in section and "cryptovault-news.example" in section
    assert "cc40bd1a-1d93-65bf-70ad-5f16a6a6d541@dealshub-mail.example" in section
    what_if = persona_audit.findings["counterfactual"]
    after = what_if["after"]
    assert f"{after['same_person_pairs']} of {after['pairs']}" in section
    assert "no name, or another one, on each alias" in section
    markdown = (persona_audit.out / "report.md").read_text("utf-8")
    assert "## Your aliases: who leaked them, what aliases would change" in markdown
    assert "### L1: `k7q2xm9v@mozmail.com`, given to `fjallbutiken.example`" in markdown


# -- links from mail in report.md -----------------------------------------------------------
LINK_BAIT = (
    "Claim at www.evil.example/prize or https://evil.example/login?next=%2F "
    "http://evil.example mailto:win@evil.example ftp://evil.example/x //evil.example/y "
    "win@evil.example <https://evil.example/angle> [click](https://evil.example/md) evil.example"
)


def test_no_url_or_address_from_mail_becomes_a_link_in_report_md(tmp_path):
    """GitHub's renderer (cmark-gfm, autolinks on) makes links of bare URLs, www. names and
    addresses in text: report.md shows each in a code span, which it never links."""
    import cmarkgfm

    mails = [
        b"From a@b Tue Mar 14 10:00:00 2023\n"
        + make_message(
            sender=f'"Prize http://evil.example/{n}" <win{n}@evil.example>',
            to="Me <me@home.example>, me@work.example",
            subject=f"{LINK_BAIT} |{n}|",
            message_id=f"<{n}.www.evil.example@evil.example>",
            date=f"Tue, 14 Mar 2023 1{n}:00:00 +0100",
            extra="Delivered-To: me@home.example",
        )
        + b"\n"
        for n in range(3)
    ]
    (tmp_path / "a.mbox").write_bytes(b"".join(mails))
    run_audit([tmp_path / "a.mbox"], tmp_path / "out", me=["me@home.example", "me@work.example"])
    markdown = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "www.evil.example/prize" in markdown  # the subject is in it
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "<a " not in rendered, re.findall(r"<a [^>]*>", rendered)[:5]
    # and it still reads as the mail said, addresses and all
    assert "<code>me@home.example</code>" in rendered
    assert "<code>www.evil.example/prize</code>" in rendered
    assert "<code>0.www.evil.example@evil.example</code>" in rendered
    table_rows = [line for line in rendered.splitlines() if line.startswith("<td>")]
    assert any("|0|" in row for row in table_rows)  # a | in a cell stays in its cell
