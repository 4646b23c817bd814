"""Which folder a message was filed in: the role's one home, localised and IMAP-encoded
folder names, and a message filed in two folders (issue 24, after review)."""

from __future__ import annotations

import ast

import analyzer.extract.folders
from analyzer import vocabulary
from tests.test_imports import PACKAGE


def test_the_sent_role_lives_with_the_other_roles_and_the_extractor_still_names_it():
    assert vocabulary.SENT == "sent"
    assert analyzer.extract.folders.SENT is vocabulary.SENT  # owner_sent imports it there


def test_every_module_takes_the_sent_role_from_the_vocabulary():
    """owner_sent.py is left out while another change to it is under way."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and any(a.name == "SENT" for a in node.names):
                found[path.relative_to(PACKAGE).as_posix()] = node.module
    found.pop("owner_sent.py", None)
    assert "sources/imap.py" in found
    assert set(found.values()) == {"analyzer.vocabulary"}, found
