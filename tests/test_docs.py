"""The documentation stands on its own: every page a user reads points inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = sorted(
    [
        REPO / "README.md",
        REPO / "sample_data" / "README.md",
        REPO / "benchmarks" / "README.md",
        REPO / "evaluation" / "README.md",
        *(REPO / "docs").glob("*.md"),
    ]
)
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PATH_IN_CODE = re.compile(r"`(\.\./[^`\s]+)`")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_links_and_paths_stay_inside_the_repository(page):
    text = page.read_text("utf-8")
    targets = MARKDOWN_LINK.findall(text) + PATH_IN_CODE.findall(text)
    for target in targets:
        if re.match(r"[a-z]+://", target):
            continue
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(REPO), f"{target} points outside the repository"
        assert resolved.exists(), f"{target} does not exist"
    assert "../shared" not in text


def test_every_corpus_set_says_where_it_comes_from():
    corpora = REPO / "tests" / "corpora"
    sets = [folder for folder in corpora.iterdir() if folder.is_dir()]
    assert len(sets) >= 19
    for folder in sets:
        source = (folder / "SOURCE.txt").read_text("utf-8")
        assert re.search(r"licen[cs]e", source, re.IGNORECASE), folder.name
