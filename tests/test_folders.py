"""Which folder a message was filed in: the role's one home, localised and IMAP-encoded
folder names, and a message filed in two folders (issue 24, after review)."""

from __future__ import annotations

import analyzer.extract.folders
from analyzer import vocabulary
from tests.test_imports import _imports_of


def test_the_sent_role_lives_with_the_other_roles_and_the_extractor_still_names_it():
    assert vocabulary.SENT == "sent"
    assert analyzer.extract.folders.SENT is vocabulary.SENT  # owner_sent imports it there


def test_the_imap_source_takes_the_role_from_the_vocabulary_not_the_extractor():
    assert not any(m.startswith("analyzer.extract") for m in _imports_of("analyzer.sources.imap"))
