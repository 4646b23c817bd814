"""``mxa diff OLD NEW`` and ``mxa audit --since OLD`` on the sample mailbox cut at a date.

Two real Maildirs are made from the sample's: the messages dated before the cut, then all
of them, as a mailbox looks a month apart. Everything the later one shows that the earlier
cannot (the address first used after the cut, both planted leaks, which start later) is
new; nothing is gone, since the later mailbox holds every message of the earlier one.
"""

from __future__ import annotations

import dataclasses
import email.utils
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.audit import run_audit
from analyzer.cli import app
from analyzer.diff import diff_audits, diff_findings
from analyzer.findings import READABLE_SCHEMAS, SCHEMA

REPO = Path(__file__).resolve().parent.parent
MAILDIR = REPO / "sample_data" / "persona" / "maildir"
TRUTH = json.loads((REPO / "sample_data" / "persona" / "truth.json").read_text("utf-8"))
CUT = "2024-03-01"  # before it: 7 of Maya's 8 addresses, no leak yet
runner = CliRunner()


def _date(message: Path) -> str:
    """The message's Date as a UTC day."""
    for line in message.read_bytes().split(b"\n\n", 1)[0].decode("utf-8", "replace").splitlines():
        if line.lower().startswith("date:"):
            when = email.utils.parsedate_to_datetime(line.split(":", 1)[1].strip())
            return when.astimezone(email.utils.datetime.timezone.utc).date().isoformat()
    raise AssertionError(f"{message} has no Date")


def _maildir(target: Path, before: str | None) -> Path:
    """A copy of the sample's Maildir (cur, new, .Sent) with only mail dated before ``before``."""
    for folder in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
        (target / folder).mkdir(parents=True, exist_ok=True)
    for message in MAILDIR.rglob("*"):
        if message.is_file() and (before is None or _date(message) < before):
            shutil.copy(message, target / message.relative_to(MAILDIR))
    return target


@pytest.fixture(scope="module")
def audits(tmp_path_factory):
    """The earlier audit (mail before the cut), and the later one made with --since it."""
    root = tmp_path_factory.mktemp("monthly")
    earlier = _maildir(root / "mail-before", CUT)
    later = _maildir(root / "mail-all", None)
    assert 0 < sum(1 for f in earlier.rglob("*") if f.is_file()) < 274
    old = run_audit([earlier], root / "audit-old", jobs=1)
    new = run_audit([later], root / "audit-new", jobs=1, since=old.out)
    return old, new


def _shown_pairs(findings: dict) -> dict[tuple[str, str], str]:
    return {(p["a"], p["b"]): p["id"] for p in findings["pairs"] if p["id"]}


def test_what_only_the_later_mail_shows_is_new(audits):
    old, new = audits
    diff = new.changes
    # the same as mxa diff of the two folders (which also knows when each file was written)
    assert diff is not None
    assert dataclasses.replace(diff_audits(old.out, new.out), later=diff.later) == diff
    # Maya's personal custom-domain address is first used after the cut
    first_seen = {i["address"]: i["first_seen"][:10] for i in new.findings["identities"]}
    later = {address for address, day in first_seen.items() if day >= CUT}
    assert {i.address for i in diff.identities.new} == later == {"maya@maya-l.example"}
    # the pairs it joins are new; the pairs tied before are matched by their addresses
    # even where the runs numbered them differently
    assert {(p.a, p.b) for p in diff.pairs.new} == set(_shown_pairs(new.findings)) - set(
        _shown_pairs(old.findings)
    )
    assert diff.pairs.new and all("maya@maya-l.example" in (p.a, p.b) for p in diff.pairs.new)
    renumbered = [k for k, fid in _shown_pairs(old.findings).items()
                  if _shown_pairs(new.findings)[k] != fid]  # fmt: skip
    assert renumbered, "the runs should number some pairs differently: the test's point"
    # both planted leaks start after the cut, and are new
    planted = {(leak["alias"], leak["leaked_to"]) for leak in TRUTH["leaks"]}
    assert {(k.address, k.organisation) for k in diff.leaks.new} == planted
    assert all(k.first >= CUT for k in diff.leaks.new)
    # evidence came for a pair tied before too: the work address in Cc of private mail
    kept = {(k.a, k.b, k.evidence) for k in diff.links_of_pairs_kept.new}
    assert ("m.lindqvist@kestrel-analytics.example", "maya.lindqvist@gmail.com",
            "co-recipient") in kept  # fmt: skip
    # observers who can now tie something: each can tie more now than before
    assert diff.observers.new
    shown_now = set(_shown_pairs(new.findings))
    for ties in diff.observers.new:
        assert ties.now > ties.before and set(ties.pairs) <= shown_now


def test_nothing_is_gone_when_the_later_mail_holds_the_earlier(audits):
    diff = audits[1].changes
    for kind in ("identities", "pairs", "links", "leaks", "suggestions", "observers"):
        assert getattr(diff, kind).gone == (), kind
    assert diff.confidence == ()
    assert diff.earlier.newest_mail < CUT <= diff.later.newest_mail


def test_the_same_audit_twice_is_unchanged_and_reversed_swaps_new_and_gone(audits):
    old, new = audits
    assert diff_audits(new.out, new.out / "findings.json").unchanged
    forward, backward = diff_audits(old.out, new.out), diff_audits(new.out, old.out)
    for kind in ("identities", "pairs", "links", "leaks", "observers"):
        there, back = getattr(forward, kind), getattr(backward, kind)
        assert len(there.new) == len(back.gone) and not back.new, kind
    assert [(k.address, k.organisation) for k in backward.leaks.gone] == [
        (k.address, k.organisation) for k in forward.leaks.new
    ]


def test_diff_json_has_every_kind_new_and_gone(audits):
    old, new = audits
    result = runner.invoke(app, ["diff", str(old.out), str(new.out), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["schema"] == "mxa.diff/1" and shown["unchanged"] is False
    assert shown["earlier"]["path"] == str(old.out / "findings.json")
    assert shown["earlier"]["date"] == shown["earlier"]["newest_mail"] < CUT
    for kind in ("identities", "pairs", "links", "leaks", "suggestions", "observers"):
        assert set(shown[kind]) == {"new", "gone"}, kind
        assert shown["counts"][kind]["new"] == len(shown[kind]["new"]), kind
    assert shown["confidence_changed"] == []
    leak = shown["leaks"]["new"][0]
    assert set(leak) == {"address", "given_to", "organisation", "first", "messages", "senders"}
    pair = shown["pairs"]["new"][0]
    assert {"a", "b", "relation", "confidence", "score", "seen_by", "evidence"} <= set(pair)
    ties = shown["observers"]["new"][0]
    assert set(ties) == {"observer", "observer_class", "pairs", "before", "now"}


def test_diff_says_what_changed_in_the_reports_words(audits):
    old, new = audits
    result = runner.invoke(app, ["diff", str(old.out), str(new.out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Changes from {old.out / 'findings.json'} (")
    assert "New: 1 address of yours, 4 pairs tied, " in result.stdout
    assert lines[2].endswith("Gone: nothing.")
    assert "  + maya@maya-l.example  (custom-domain)" in lines
    assert ("  + k7q2xm9v@mozmail.com, given to fjallbutiken.example: written to by "
            "dealshub-mail.example from 2024-09-19 (3 messages)") in lines  # fmt: skip
    assert any(line.startswith("  + maya.lindqvist@gmail.com ↔ maya@maya-l.example  certain")
               and "one OpenPGP key" in line for line in lines)  # fmt: skip
    assert not any(line.startswith("  - ") for line in lines)
    same = runner.invoke(app, ["diff", str(new.out), str(new.out)])
    assert same.exit_code == 0 and "Nothing changed" in same.stdout


def test_the_later_report_says_what_changed_since_the_earlier_audit(audits):
    old, new = audits
    day = new.changes.earlier.newest_mail
    markdown = (new.out / "report.md").read_text("utf-8")
    html = (new.out / "report.html").read_text("utf-8")
    section = markdown.split(f"## What changed since {day}\n", 1)[1].split("\n## ", 1)[0]
    assert "| new | `maya@maya-l.example` | custom-domain |" in section
    assert (
        "| new | `k7q2xm9v@mozmail.com` | `fjallbutiken.example` | `dealshub-mail.example` |"
        in (section)
    )
    assert "| gone |" not in section
    # the earlier audit by its folder's name: a shared report shows no local path
    assert f"earlier audit's findings ({old.out.name}):" in section
    assert f"earlier audit's findings ({old.out.name}):" in html
    assert str(old.out) not in markdown and str(old.out) not in html
    assert '<section id="changes">' in html and 'href="#changes"' in html
    assert f"What changed since {day}</h2>" in html
    assert "<script" not in html
    # after "How to read", which stays right after the verdict
    assert (
        html.index('id="reading"') < html.index('id="changes"') < html.index('id="identity-graph"')
    )
    for folder in (old.out,):  # an audit without --since has no such section
        assert "What changed since" not in (folder / "report.md").read_text("utf-8")
        assert 'id="changes"' not in (folder / "report.html").read_text("utf-8")


def test_the_diff_reads_the_schema_findings_are_written_in():
    assert SCHEMA in READABLE_SCHEMAS


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.output.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    return message


def test_a_missing_unreadable_or_foreign_findings_is_one_line(audits, tmp_path):
    good = str(audits[1].out)
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "someone.else/1"}))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "findings.json").write_text(json.dumps({"schema": SCHEMA, "pairs": "no list"}))
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = {
        str(tmp_path / "nowhere"): "does not exist",
        str(empty): "holds no findings.json",
        str(not_json): "is no JSON",
        str(other): "schema 'someone.else/1'",
        str(broken): "does not hold what mxa.findings/2 says",
    }
    for path, said in cases.items():
        assert said in _one_line_error(runner.invoke(app, ["diff", path, good])), path
        assert said in _one_line_error(runner.invoke(app, ["diff", good, path])), path


def test_audit_since_a_missing_audit_stops_before_reading_mail(tmp_path):
    out = tmp_path / "audit"
    result = runner.invoke(
        app, ["audit", str(MAILDIR), "--out", str(out), "--since", str(tmp_path / "nowhere"), "-q"]
    )
    assert "does not exist" in _one_line_error(result)
    assert not out.exists()


def test_an_archive_audit_is_named_by_its_newest_mail(tmp_path):
    """An archive's findings name no owner's addresses to date it by: the input's own
    first and last day do (findings.json ``input.last_date``)."""
    earlier = _maildir(tmp_path / "mail-before", CUT)
    old = run_audit([earlier], tmp_path / "audit-old", jobs=1, archive=True)
    findings = json.loads((old.out / "findings.json").read_text("utf-8"))
    newest = max(_date(f) for f in earlier.rglob("*") if f.is_file())
    assert findings["input"]["last_date"] == newest < CUT
    assert diff_audits(old.out, old.out).earlier.newest_mail == newest


def _findings_with_observers(observers: list[str], total: int, whole: list[str]) -> dict:
    """A findings document of one pair tied by two links: one naming ``observers`` of
    ``total`` (findings.json lists at most 25), one naming all of ``whole``."""
    a, b = "me@home.example", "me@work.example"
    link = {"a": a, "b": b, "question": "same-person", "level": "certain",
            "observer_class": "correspondents", "messages_total": 40}  # fmt: skip
    return {
        "schema": SCHEMA,
        "input": {"messages_stored": 40},
        "owner": {"identities": [a, b]},
        "identities": [{"address": a, "kind": "personal"}, {"address": b, "kind": "work"}],
        "observers": [],
        "pairs": [{"id": "F1", "a": a, "b": b, "relation": "owner",
                   "same_person": {"confidence": "certain", "score": 0.99,
                                   "observer_class": "correspondents", "evidence": ["reply-to"]}}],
        "links": [
            {**link, "evidence": "reply-to", "observers": observers, "observers_total": total},
            {**link, "evidence": "signature", "observers": whole, "observers_total": len(whole)},
        ],
        "alias_leaks": [],
        "suggestions": [],
    }  # fmt: skip


def test_observers_of_a_cut_list_are_not_compared_and_the_diff_says_so(tmp_path):
    """A link names its 25 most involved observers; when their order changes (a tie broken
    otherwise, one more message), others fall off the list though nothing changed."""
    everyone = [f"person{n:02}@example.net" for n in range(30)]
    earlier = _findings_with_observers(everyone[:25], 30, ["friend@example.net"])
    later = _findings_with_observers(everyone[5:], 30, ["friend@example.net"])
    diff = diff_findings(earlier, later)
    assert not diff.observers and diff.unchanged
    cut = diff.observers_cut
    assert [(k.a, k.b, k.evidence, k.listed, k.total) for k in cut] == [
        ("me@home.example", "me@work.example", "reply-to", 25, 30)
    ]
    # a whole list is still compared
    whole = _findings_with_observers(everyone[:3], 3, ["friend@example.net"])
    assert not diff_findings(whole, whole).observers_cut
    changed = diff_findings(whole, _findings_with_observers(everyone[:3], 3, ["new@example.net"]))
    assert [t.observer for t in changed.observers.new] == ["new@example.net"]
    # said in the terminal and in --json
    (tmp_path / "old.json").write_text(json.dumps(earlier))
    (tmp_path / "new.json").write_text(json.dumps(later))
    paths = [str(tmp_path / "old.json"), str(tmp_path / "new.json")]
    shown = runner.invoke(app, ["diff", *paths])
    assert shown.exit_code == 0, shown.output
    assert "Nothing changed" in shown.stdout
    assert "Observers compared in part: 1 link of 1 pair" in shown.stdout
    as_json = json.loads(runner.invoke(app, ["diff", *paths, "--json"]).stdout)
    assert as_json["observers"] == {"new": [], "gone": []}
    assert as_json["observers_cut"] == [
        {"a": "me@home.example", "b": "me@work.example", "evidence": "reply-to",
         "listed": 25, "total": 30}
    ]  # fmt: skip


def test_the_diff_and_the_sqlite_export_read_findings_alike(tmp_path):
    """One reader of findings.json: a schema this mxa cannot read is refused by both in
    the same line, an MxaError the CLI shows as such."""
    from analyzer import export_sqlite
    from analyzer.errors import MxaError
    from analyzer.findings import FindingsError, read_findings

    future = tmp_path / "findings.json"
    future.write_text(json.dumps({"schema": "mxa.findings/9"}))
    said = []
    for reader in (read_findings, export_sqlite.read_findings):
        with pytest.raises(FindingsError) as refused:
            reader(tmp_path)
        said.append(str(refused.value))
    assert isinstance(refused.value, MxaError)
    assert said[0] == said[1] and "\n" not in said[0] and "'mxa.findings/9'" in said[0]


def test_the_report_says_when_observers_were_compared_in_part(audits):
    from analyzer.diff import ObserversCut
    from analyzer.report.render import render_html, render_markdown

    report = audits[1].report
    cut = (ObserversCut("a@example.org", "b@example.org", "reply-to", 25, 30),)
    changes = dataclasses.replace(report.changes, observers_cut=cut)
    shown = dataclasses.replace(report, changes=changes)
    said = (
        "Observers compared in part: findings.json names only the 25 most involved "
        "observers of 1 piece of evidence,"
    )
    assert said in render_markdown(shown, {})
    assert said in render_html(shown, {})
    assert "Observers compared in part" not in render_markdown(report, {})


def test_the_redacted_copy_has_no_changes_and_its_page_says_what_it_holds(audits, tmp_path):
    """A change can name an address only the earlier audit holds, which the redactor (it
    reads this store's mail) cannot pseudonymise: the shared copy leaves the section out,
    and docs/redaction.md says so and lists every file of the copy."""
    old = audits[0]
    later = run_audit([MAILDIR], tmp_path / "audit", jobs=1, since=old.out,
                      redact=True)  # fmt: skip
    assert later.changes is not None
    copy = tmp_path / "audit" / "redacted"
    assert "What changed since" not in (copy / "report.md").read_text("utf-8")
    page = (REPO / "docs" / "redaction.md").read_text("utf-8")
    shared = sorted(p.name for p in copy.iterdir() if not p.name.startswith("."))
    for name in shared:
        if name.endswith((".html", ".md", ".json")) and name != "MANIFEST.json":
            assert f"`{name}`" in page, name
    assert 'no "What changed since" section' in page
