"""Shared fixtures: where the real-world corpora live, and small mail builders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The real-world corpora ship with the repository (tests/corpora, big mboxes as .xz);
# MXA_CORPORA points the suite at another copy of the same sets.
CORPORA = Path(os.environ.get("MXA_CORPORA", REPO / "tests" / "corpora"))


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The read-only real-world corpora (never edited)."""
    if not (CORPORA / "README.txt").exists():
        pytest.fail(f"corpora not found at {CORPORA}; set MXA_CORPORA to their folder")
    return CORPORA


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
