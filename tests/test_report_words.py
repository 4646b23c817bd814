"""The report speaks to people: no rule ids, level names or observer-class ids in its
text. findings.json keeps them for programs."""

from __future__ import annotations

import html
import re

import pytest

from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox
from analyzer.linkability import CATALOG
from analyzer.report.words import EVIDENCE_NAMES, OBSERVER_NAMES
from analyzer.vocabulary import EvidenceId, ObserverClass

# header names are words a reader meets in the mail itself (Delivered-To), not ids
HEADER_NAMES = {"reply-to", "return-path", "delivered-to", "x-forwarded-to"}
# ids a reader could not take for words: every evidence id with a hyphen, every level
# with one, and the observer class a person would not say
WORDS_OF_IDS = (
    {str(e) for e in EvidenceId if "-" in e}
    | {level for rule in CATALOG for level in rule.levels if "-" in level}
    | {"inference"}
)
INTERNAL = sorted(WORDS_OF_IDS - HEADER_NAMES)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return run_audit([sample_mailbox()], tmp_path_factory.mktemp("words") / "audit", jobs=1)


def _text_of(page: str) -> str:
    """What a reader sees of report.html: its text, without tags, styles or class names."""
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_every_kind_of_evidence_and_observer_has_words():
    assert set(EVIDENCE_NAMES) == set(EvidenceId)
    assert set(OBSERVER_NAMES) == set(ObserverClass)


def test_the_report_names_no_rule_level_or_class_id(sample):
    markdown = (sample.out / "report.md").read_text("utf-8")
    seen = _text_of((sample.out / "report.html").read_text("utf-8"))
    for text in (markdown, seen):
        found = [word for word in INTERNAL if re.search(rf"(?<![\w-]){word}(?![\w-])", text)]
        assert found == []
    assert "the same computer name" in markdown and "mail providers" in markdown
