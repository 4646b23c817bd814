"""Discovering sources: files, folders, Maildirs, and what is skipped."""

import pytest

from analyzer.errors import SourceError
from analyzer.sources import SourceReader, discover_sources
from tests.conftest import make_message


def test_folder_of_eml_files_recursively_and_readmes_skipped(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b").mkdir()
    (tmp_path / "one.eml").write_bytes(make_message(subject="one"))
    (tmp_path / "a" / "b" / "two.eml").write_bytes(make_message(subject="two"))
    (tmp_path / "README.md").write_text("# not mail\n")
    (tmp_path / "SOURCE.txt").write_text("Repository: https://example.org\nCommit: 1\n")
    files, skipped = discover_sources([tmp_path])
    assert sorted(f.path.name for f in files) == ["one.eml", "two.eml"]
    assert sorted(s.path.split("/")[-1] for s in skipped) == ["README.md", "SOURCE.txt"]
    assert all(f.source == str(tmp_path) for f in files)


def test_maildir_reads_cur_and_new_but_not_tmp(tmp_path):
    for leaf in ("cur", "new", "tmp"):
        (tmp_path / leaf).mkdir()
    (tmp_path / "cur" / "1700000000.M1P2.host:2,S").write_bytes(make_message(subject="seen"))
    (tmp_path / "new" / "1700000001.M2P3.host").write_bytes(make_message(subject="new"))
    (tmp_path / "tmp" / "1700000002.M3P4.host").write_bytes(make_message(subject="half"))
    files, _ = discover_sources([tmp_path])
    subjects = [next(iter(SourceReader(f))).data for f in files]
    assert len(files) == 2
    assert not any(b"half" in s for s in subjects)
    # one-message files are located by their path
    assert next(iter(SourceReader(files[0]))).offset == str(files[0].path)


def test_mail_files_without_extension_are_sniffed(tmp_path):
    (tmp_path / "12").write_bytes(make_message())  # an MH folder's message
    (tmp_path / "Inbox").write_bytes(b"From a@b Tue Mar 14 10:00:00 2023\n" + make_message())
    (tmp_path / "Inbox.msf").write_bytes(b'// <!-- <mdb:mork:z v="1.4"/> -->\n')
    files, skipped = discover_sources([tmp_path])
    assert {(f.path.name, f.kind) for f in files} == {("12", "message"), ("Inbox", "mbox")}
    assert [s.path.split("/")[-1] for s in skipped] == ["Inbox.msf"]


def test_missing_path_is_a_source_error():
    with pytest.raises(SourceError, match="no such file or folder"):
        discover_sources(["/nonexistent/archive.mbox"])
    with pytest.raises(SourceError, match="no source"):
        discover_sources([])


def test_linked_folders_are_followed_once_and_loops_are_listed(tmp_path):
    archive = tmp_path / "archive"
    elsewhere = tmp_path / "elsewhere"
    (archive / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (archive / "one.eml").write_bytes(make_message(subject="one"))
    (elsewhere / "two.eml").write_bytes(make_message(subject="two"))
    (archive / "linked").symlink_to(elsewhere, target_is_directory=True)
    (archive / "sub" / "loop").symlink_to(archive, target_is_directory=True)
    (archive / "dangling.eml").symlink_to(tmp_path / "gone.eml")
    files, skipped = discover_sources([archive])
    assert sorted(f.path.name for f in files) == ["one.eml", "two.eml"]
    assert any("loop" in s and "already read" in s for s in skipped)
    assert any("dangling.eml" in s and "broken link" in s for s in skipped)


def test_a_file_that_vanishes_while_reading_is_quarantined_and_the_rest_stored(tmp_path):
    from analyzer import ingest

    folder = tmp_path / "mail"
    folder.mkdir()
    for n in range(450):
        (folder / f"{n:03}.eml").write_bytes(make_message(message_id=f"<{n}@x>"))

    def remove_the_last(done, total):
        (folder / "449.eml").unlink(missing_ok=True)

    result = ingest([folder], tmp_path / "store", jobs=1, progress=remove_the_last)
    assert (result.parsed, result.quarantined) == (449, 1)
    (entry,) = result.quarantine
    assert entry.offset.endswith("449.eml") and "unreadable" in entry.reason
