"""The evidence rules read the linkability context, never the frames.

The context (:mod:`analyzer.linkability.context`) is the one place that turns frames into
what rules compare; a rule that reads ``ctx.frames`` (or any frames) builds an index of
its own, which the context neither bounds nor shares. Read from the rules' source with
``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import analyzer.linkability.context as context
import analyzer.vocabulary as vocabulary

LINKABILITY = Path(__file__).resolve().parent.parent / "analyzer" / "linkability"
# every module of linkability but the context's own, which builds the indexes
RULE_MODULES = ("deterministic.py", "fingerprints.py", "names.py", "catalog.py", "links.py",
                "verdicts.py", "clusters.py", "run.py", "results.py")  # fmt: skip
# what the context keeps to itself: the frames, and reading columns of them
FRAME_ATTRIBUTES = frozenset({"frames", "_frames", "frame_columns", "_frame_columns"})


def _frame_reads(source: str) -> list[str]:
    return [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in FRAME_ATTRIBUTES
    ]


@pytest.mark.parametrize("module", RULE_MODULES)
def test_rules_read_the_context_not_the_frames(module):
    assert _frame_reads((LINKABILITY / module).read_text("utf-8")) == []


def test_the_reader_sees_a_rule_that_reads_the_frames():
    # the rule above is only as good as this reader
    assert _frame_reads("def rule(ctx):\n    return ctx.frames.keys\n") == ["line 2: .frames"]
    assert _frame_reads("def rule(ctx):\n    return ctx.keys\n") == []


def test_the_context_speaks_the_vocabulary():
    # one list of the party roles, not one per module
    assert context.PARTY_ROLES is vocabulary.PARTY_ROLES


@pytest.mark.parametrize(
    "name",
    ["PARTY_ROLES", "BROADCAST_PARTIES", "is_person_address", "Context", "Evidence", "Messages",
     "group_pairs"],
)  # fmt: skip
def test_the_context_keeps_the_names_others_import(name):
    assert name in context.__all__ and hasattr(context, name)
