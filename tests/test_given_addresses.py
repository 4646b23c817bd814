"""Addresses given with --me are checked: a typo is named, with the addresses that look
like it, and a run none of whose given addresses appear stops instead of reporting on
"your 0 addresses"."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.demo import sample_mailbox

TYPO = "maya.lindqvist@gmial.com"
RIGHT = "maya.lindqvist@gmail.com"


def test_a_mistyped_address_alone_stops_the_audit_with_what_it_meant(tmp_path):
    out = tmp_path / "audit"
    run = CliRunner().invoke(app, ["audit", str(sample_mailbox()), "--out", str(out),
                                   "--me", TYPO, "--quiet"])  # fmt: skip
    assert run.exit_code == 2
    assert TYPO in run.stderr and f"did you mean {RIGHT}" in run.stderr
    assert not (out / "report.html").exists() and not (out / "findings.json").exists()
    # mxa links on the store the audit read says the same
    links = CliRunner().invoke(app, ["links", "--store", str(out / "store"), "--me", TYPO])
    assert links.exit_code == 2 and f"did you mean {RIGHT}" in links.stderr


def test_a_mistyped_address_beside_a_right_one_is_a_warning_and_a_finding(tmp_path):
    out = tmp_path / "audit"
    run = CliRunner().invoke(app, ["audit", str(sample_mailbox()), "--out", str(out),
                                   "--me", RIGHT, "--me", TYPO, "--quiet"])  # fmt: skip
    assert run.exit_code == 0
    assert f"warning: {TYPO} (--me) appears in no header" in run.stderr
    assert f"did you mean {RIGHT}" in run.stderr
    owner = json.loads((out / "findings.json").read_text("utf-8"))["owner"]
    assert owner["unseen"] == [{"address": TYPO, "closest": [RIGHT]}]
    assert "not seen: " + TYPO in owner["how"]
    report = (out / "report.md").read_text("utf-8")
    assert "your 0 addresses" not in report and "of your 1 addresses" not in report


def test_an_address_unlike_any_in_the_mail_gets_no_guess(tmp_path):
    out = tmp_path / "audit"
    run = CliRunner().invoke(app, ["audit", str(sample_mailbox()), "--out", str(out),
                                   "--me", "zq@nowhere.invalid", "--quiet"])  # fmt: skip
    assert run.exit_code == 2
    assert "zq@nowhere.invalid" in run.stderr and "did you mean" not in run.stderr


def test_archive_reads_any_mail_as_nobodys_and_says_so(tmp_path):
    out = tmp_path / "audit"
    run = CliRunner().invoke(app, ["audit", str(sample_mailbox()), "--out", str(out),
                                   "--archive", "--quiet"])  # fmt: skip
    assert run.exit_code == 0, run.output
    owner = json.loads((out / "findings.json").read_text("utf-8"))["owner"]
    assert owner["identities"] == [] and "--archive" in owner["how"]
    report = (out / "report.md").read_text("utf-8")
    assert "as --archive asks" in report and "What this archive's headers give away" in report
    # the same store read as Maya's again, and --archive with --me is a contradiction
    links = CliRunner().invoke(app, ["links", "--store", str(out), "--archive", "--me", RIGHT])
    assert links.exit_code == 2 and "--archive" in links.stderr
