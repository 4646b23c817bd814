"""The documentation stands on its own: every page a user reads points inside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.real_mail import TEST_SETS

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


MAIL_FILE = re.compile(r"\.(mbox|eml|emlx|msg|pst|ost)(\.(xz|gz|bz2))?$", re.IGNORECASE)


def _project_files() -> list[str]:
    """What git tracks; in a copy without git (CI's), every file outside hidden folders."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True)
    if listed.returncode == 0 and (REPO / ".git").exists():
        return [path for path in listed.stdout.decode().split("\0") if path]
    files = (p.relative_to(REPO) for p in REPO.rglob("*") if p.is_file())
    return [f.as_posix() for f in files if not any(part.startswith(".") for part in f.parts)]


def test_no_fetched_mail_is_kept_in_the_repository():
    """Real mail stays beside the repository; only the project's own persona is inside."""
    files = _project_files()
    mail = [path for path in files if MAIL_FILE.search(path)]
    assert mail and all(path.startswith("sample_data/") for path in mail), mail
    assert not any(path.startswith("tests/corpora/") for path in files)


def test_every_corpus_set_the_tests_read_says_where_it_comes_from(corpora):
    for folder in (corpora / name for name in TEST_SETS):
        source = (folder / "SOURCE.txt").read_text("utf-8")
        assert re.search(r"licen[cs]e", source, re.IGNORECASE), folder.name
