"""The verdict ranks what gives the owner away, worst first, each with its fix, before
any table; a tie the headers state reads as a fact, one a name alone suggests as a hint;
and a redacted copy keeps mxa's words while it replaces every address in them."""

from __future__ import annotations

import json
import re

import pytest

from analyzer.addressing import is_public_provider
from analyzer.analysis.summary import people_of
from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox
from analyzer.linkability.advice import ADVICE, GROUNDS, GROUNDS_ORDER, grounds_of
from analyzer.redact import PROVIDER_INFRASTRUCTURE
from analyzer.vocabulary import EvidenceId, Said

WORK = "m.lindqvist@kestrel-analytics.example"
PERSONAL = "maya.lindqvist@gmail.com"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("verdict") / "audit"
    audit = run_audit([sample_mailbox()], out, jobs=1, redact=True)
    markdown = (out / "report.md").read_text("utf-8")
    return audit, markdown, json.loads(audit.findings_path.read_text("utf-8"))


def _ranked(markdown: str) -> list[str]:
    section = markdown.split("## What gives you away, worst first", 1)[1].split("\n## ")[0]
    return [line for line in section.splitlines() if re.match(r"\d+\. ", line)]


def test_the_worst_exposure_comes_first_and_before_any_table(sample):
    _, markdown, findings = sample
    first = findings["risks"][0]
    # the certificate four coworkers hold ties work and personal addresses: the worst
    assert first["kind"] == "tie"
    assert first["pairs"] == [[WORK, PERSONAL]]
    assert first["observer_class"] == "correspondents"
    assert first["evidence"][0] == "smime-certificate"
    ranked = markdown.index("## What gives you away, worst first")
    assert ranked < markdown.index("## How to read this report")
    assert ranked < markdown.index("\n|")  # before the first table
    assert WORK in _ranked(markdown)[0] and "one S/MIME certificate" in _ranked(markdown)[0]


def test_ties_come_first_then_leaks_then_lookalikes_each_with_its_fix(sample):
    _, markdown, findings = sample
    kinds = [r["kind"] for r in findings["risks"]]
    order = ["tie", "held", "leak", "lookalike"]
    assert kinds == sorted(kinds, key=order.index)
    assert "leak" in kinds
    leak = next(r for r in findings["risks"] if r["kind"] == "leak")
    items = _ranked(markdown)
    assert len(items) == len(findings["risks"])
    assert all("**Fix:**" in item for item in items)
    leaked = items[kinds.index("leak")]
    alias, organisation = leak["pairs"][0]
    assert alias in leaked and organisation in leaked and leak["given_to"] in leaked
    # the more widely placed observers first, among ties
    visibility = ["correspondents", "providers", "inference"]
    ties = [visibility.index(r["observer_class"]) for r in findings["risks"] if r["kind"] == "tie"]
    assert ties == sorted(ties)


def test_a_name_alone_reads_as_a_hint_and_a_certificate_as_a_fact(sample):
    _, markdown, findings = sample
    items = _ranked(markdown)
    by_grounds = {r["grounds"]: items[n] for n, r in enumerate(findings["risks"])}
    assert "on a name alone" in by_grounds["name"] and "hint, not proof" in by_grounds["name"]
    assert "say so outright" in by_grounds["stated"]
    assert "say so outright" not in by_grounds["name"]
    assert "name alone" not in by_grounds["stated"]


def test_grounds_are_the_firmest_evidence_behind_a_tie():
    assert grounds_of(["display-name"]) == "name"
    assert grounds_of(["display-name", "client-ip"]) == "fingerprint"
    assert grounds_of(["display-name", "smime-certificate"]) == "stated"
    assert GROUNDS_ORDER[0] == "stated"


def test_the_html_verdict_lists_each_exposure_with_its_fix_and_links_its_ids(sample):
    audit, _, findings = sample
    html = (audit.out / "report.html").read_text("utf-8")
    verdict = html.split('<section id="verdict"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r'<li class="risk [a-z]+">(.*?)</li>', verdict, re.S)
    assert len(items) == len(findings["risks"])
    for item, risk in zip(items, findings["risks"], strict=True):
        assert "<strong>Fix:</strong>" in item
        assert all(f'href="#{i}"' in item for i in risk["ids"])
    # an address in a sentence wraps only after its @ and dots
    assert (
        '<span class="address">m.<wbr>lindqvist@<wbr>kestrel-analytics.<wbr>example</span>'
        in verdict
    )


def test_a_redacted_verdict_keeps_the_words_and_replaces_every_address(sample):
    audit, markdown, findings = sample
    redacted = (audit.out / "redacted" / "report.md").read_text("utf-8")
    opening = redacted.split("## How to read this report")[0]
    # other people's addresses and organisations; the owner's stay, as the report says
    others = {o for r in findings["risks"] for o in r["observers"]}
    others |= {r["pairs"][0][1] for r in findings["risks"] if r["kind"] == "leak"}
    others = {o for o in others if not is_public_provider(o) and o not in PROVIDER_INFRASTRUCTURE}
    assert others and [a for a in others if a in opening] == []
    assert WORK in opening
    assert "say so outright" in opening and "on a name alone" in opening
    assert len(_ranked(redacted)) == len(_ranked(markdown))


def test_said_keeps_its_words_and_values_apart():
    said = Said("{0} wrote to {1}.", ("a@example.org", "b@example.org"))
    assert said == "a@example.org wrote to b@example.org."
    assert said.words == "{0} wrote to {1}." and said.values == ("a@example.org", "b@example.org")
    assert Said("no {braces} read as places") == "no {braces} read as places"


def test_an_archives_people_are_called_by_the_name_most_of_their_addresses_go_by(sample):
    _, _, findings = sample
    pairs = {p["id"]: p for p in findings["pairs"] if p.get("id")}

    class Pair:  # the two fields people_of reads
        def __init__(self, a, b):
            self.a, self.b = a, b

    found = [("F1", Pair("jd@a.example", "jane@b.example")),
             ("F2", Pair("jane@b.example", "doe@c.example"))]  # fmt: skip
    names = {"jd@a.example": "J. Doe", "jane@b.example": "Jane Doe", "doe@c.example": "Jane Doe"}
    (person,) = people_of(found, names)
    assert person.name == "Jane Doe"
    assert person.addresses == ("doe@c.example", "jane@b.example", "jd@a.example")
    assert people_of(found[:1], {})[0].name == ""
    assert pairs  # the sample's findings are numbered: the ids the verdict links to


def test_an_archive_report_speaks_of_its_people_not_of_you(tmp_path):
    """Read as an archive, nobody in the mail is "you": who can tell is "their
    correspondents", and no sentence of mxa's addresses the reader as its owner."""
    audit = run_audit([sample_mailbox()], tmp_path / "audit", jobs=1, archive=True)
    markdown = (audit.out / "report.md").read_text("utf-8")
    assert "their correspondents" in markdown
    own_lines = [line for line in markdown.splitlines() if not line.startswith("| 20")]
    addressed = [line for line in own_lines if re.search(r"\b(you|your)\b", line, re.I)]
    assert addressed == []
    assert "## What gives you away" not in markdown


def test_every_kind_of_evidence_has_its_fix_and_its_grounds():
    """The verdict, the advice section and the counterfactual read one table of fixes."""
    assert set(ADVICE) == set(EvidenceId)
    assert set(GROUNDS) == set(EvidenceId)
    assert all(advice.title and advice.why and advice.fix for advice in ADVICE.values())


def _tie(evidence, grounds, observer_class="correspondents", observers=("a@x.example",), total=1):
    from analyzer.analysis import Risk

    return Risk("tie", ("F1",), (("me@home.example", "me@work.example"),), observer_class,
                observers, total, evidence, grounds)  # fmt: skip


def test_a_fingerprint_tie_says_a_name_agrees_and_never_calls_a_name_a_machine():
    from analyzer.report.verdict import _tie_text

    text = _tie_text(_tie(("client-ip", "display-name"), "fingerprint"))
    assert "the same IP address point to one machine or one habit" in text
    assert "and the same name agrees" in text
    assert "the same name point to" not in text


def test_correspondents_who_see_a_tie_only_weakly_are_never_zero_of_them():
    from analyzer.report.verdict import _tie_text

    text = _tie_text(_tie(("subaddress",), "stated", observers=(), total=0))
    assert text.startswith("Your correspondents can tie")
    assert "0 of your" not in text and "()" not in text
