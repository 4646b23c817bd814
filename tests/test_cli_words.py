"""``mxa links`` speaks plainly by default: evidence and who can tell in the report's words,
no rule id, level, class id or bits; ``--verbose`` prints those, and ``--json`` keeps its
ids (issue 23, item 6)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from analyzer.audit import run_audit
from analyzer.cli import app
from analyzer.demo import sample_mailbox
from analyzer.linkability import CATALOG
from analyzer.vocabulary import EvidenceId

runner = CliRunner()
# ids a reader could not take for words: the evidence ids and levels with a hyphen (a
# header name such as Delivered-To is a word of the mail itself), and the class "inference"
HEADER_NAMES = {"reply-to", "return-path", "delivered-to", "x-forwarded-to"}
IDS = sorted(
    ({str(e) for e in EvidenceId if "-" in e}
     | {level for rule in CATALOG for level in rule.levels if "-" in level}
     | {"inference"}) - HEADER_NAMES
)  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    audit = run_audit([sample_mailbox()], tmp_path_factory.mktemp("cli-words") / "a", jobs=1)
    return str(audit.out / "store")


def _links(store: str, *options: str) -> str:
    result = runner.invoke(app, ["links", "--store", store, *options])
    assert result.exit_code == 0, result.output
    return result.stdout


def _ids_in(text: str) -> list[str]:
    return [word for word in IDS if re.search(rf"(?<![\w-]){word}(?![\w-])", text)]


def test_links_by_default_names_no_id_class_or_bits(store):
    shown = _links(store)
    assert _ids_in(shown) == []
    assert "bits" not in shown.lower()
    # who can tell, in the report's words: no bare class id
    assert not re.search(r"(?<!mail )\bproviders\b", shown)
    assert not re.search(r"(?<!your )(?<!same )(?<!shared )\bcorrespondents\b", shown)
    assert "mail providers can tell" in shown and "your correspondents can tell" in shown
    assert "the same computer name (your correspondents, 52 messages)" in shown
    assert "anyone comparing" in shown


def test_links_verbose_names_ids_levels_and_bits(store):
    shown = _links(store, "--verbose")
    assert {"message-id-host", "machine-name", "inference"} <= set(_ids_in(shown))
    assert "weighed (bits)" in shown
    assert "; correspondents can tell" in shown


def test_links_json_keeps_its_ids(store):
    plain, verbose = _links(store, "--json"), _links(store, "--json", "--verbose")
    assert plain == verbose
    payload = json.loads(plain)
    assert "message-id-host" in {link["evidence"] for link in payload["links"]}
    assert "inference" in {link["observer_class"] for link in payload["links"]}
