"""Shared fixtures: where the real-world corpora live, and small mail builders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.real_mail import TEST_SETS, corpora_folder, corpora_required, why_absent

REPO = Path(__file__).resolve().parent.parent
SKIPPED_FOR_REAL_MAIL = "real mail not found"  # the start of why_absent()'s line


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The read-only real-world corpora (never edited), beside the repository.

    Absent, a test that needs them is skipped with one line (failed where CI requires
    them); present, every set the tests name must be there.
    """
    folder = corpora_folder()
    if folder is None:
        if corpora_required():
            pytest.fail(why_absent() + " (MXA_REQUIRE_CORPORA is set)")
        pytest.skip(why_absent())
    missing = [name for name in TEST_SETS if not (folder / name).is_dir()]
    if missing:
        pytest.fail(f"{folder} lacks the corpus sets {', '.join(missing)}")
    return folder


def pytest_terminal_summary(terminalreporter) -> None:
    """The run ends with how many tests went without real mail, and why."""
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = [str(report.longrepr[-1]) for report in skipped if isinstance(report.longrepr, tuple)]
    without_mail = [r for r in reasons if r.startswith("Skipped: " + SKIPPED_FOR_REAL_MAIL)]
    if without_mail:
        terminalreporter.write_line(
            f"real-mail tests skipped: {len(without_mail)} "
            f"({without_mail[0].removeprefix('Skipped: ')})"
        )
    else:
        terminalreporter.write_line("real-mail tests skipped: 0")


@pytest.fixture(scope="module")
def gnupg():
    """Real OpenPGP with the persona's keys (GnuPG in a throwaway home)."""
    keys = REPO / "sample_data" / "keys"
    sys.path.insert(0, str(keys.parent))
    from persona_crypto import OpenPgp

    pgp = OpenPgp(keys)
    yield pgp
    pgp.close()


def make_message(
    *,
    sender: str = "Alice Example <alice@example.org>",
    to: str = "bob@example.net",
    subject: str = "hello",
    date: str = "Tue, 14 Mar 2023 10:00:00 +0100",
    message_id: str | None = "<1@alice.example.org>",
    extra: str = "",
    body: str = "Hi Bob,\nsee you.\n",
    newline: str = "\n",
) -> bytes:
    """A small, valid message; ``extra`` holds more header lines."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines += [line for line in extra.splitlines() if line]
    text = newline.join(lines) + newline + newline + body.replace("\n", newline)
    return text.encode("utf-8")


@pytest.fixture(scope="session")
def dovecot():
    """A real IMAP server on loopback (Dovecot, tests/imap_server.py), one for the run."""
    from tests.imap_server import Dovecot

    server = Dovecot()
    yield server
    server.stop()
