"""The names a reader knows people by: what each address calls itself in its mail."""

from __future__ import annotations

from analyzer import ingest
from analyzer.analysis.names import display_names
from analyzer.linkability.names import shown_name
from analyzer.store import load_frames
from tests.conftest import make_message


def _names_of(tmp_path, *messages: bytes) -> dict[str, str]:
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"".join(b"From x Tue Mar 14 10:00:00 2023\n" + m + b"\n" for m in messages))
    ingest([mbox], tmp_path / "store", jobs=1)
    return display_names(load_frames(tmp_path / "store"))


def test_an_address_goes_by_the_name_it_gives_itself_over_what_others_call_it(tmp_path):
    names = _names_of(
        tmp_path,
        make_message(sender="Jane Doe <jane@example.org>", to="Bob <bob@example.net>",
                     message_id="<1@x>"),
        make_message(sender="Bob <bob@example.net>", to="Janie <jane@example.org>",
                     message_id="<2@x>"),
        make_message(sender="Carol <carol@example.net>", to="Janie <jane@example.org>",
                     message_id="<3@x>"),
    )  # fmt: skip
    assert names["jane@example.org"] == "Jane Doe"
    assert names["bob@example.net"] == "Bob"


def test_a_lists_via_suffix_quotes_and_address_names_are_no_names(tmp_path):
    names = _names_of(
        tmp_path,
        make_message(sender='"Jane Doe via linux-mips" <list@example.org>',
                     to="'Bob Smith' <bob@example.net>", message_id="<1@x>"),
        make_message(sender="carol@example.net <carol@example.net>", to="dave@example.net",
                     message_id="<2@x>"),
    )  # fmt: skip
    assert names["list@example.org"] == "Jane Doe"
    assert names["bob@example.net"] == "Bob Smith"
    assert "carol@example.net" not in names
    assert "dave@example.net" not in names


def test_a_google_groups_name_loses_its_suffix_before_its_quotes():
    assert shown_name("'Jane Doe' via linux-mips") == "Jane Doe"
    assert shown_name('"Jane Doe" via list') == "Jane Doe"
    assert shown_name("Jane  Doe") == "Jane Doe"
    assert shown_name("Support Team") == ""


def test_a_redacted_copy_replaces_a_name_as_the_report_shows_it(tmp_path):
    """The report shows "Jane Doe" for "'Jane  Doe' via linux-mips": the redactor knows
    that form too, so a redacted archive report never shows it."""
    from analyzer.owner import detect_owner
    from analyzer.redact import Redactor

    names = _names_of(
        tmp_path,
        make_message(sender="'Jane  Doe' via linux-mips <linux-mips@example.org>",
                     to="Bob Smith <bob@example.net>", message_id="<1@x>"),
    )  # fmt: skip
    assert names["linux-mips@example.org"] == "Jane Doe"
    frames = load_frames(tmp_path / "store")
    redactor = Redactor(frames, detect_owner(frames), b"k" * 32)
    assert "Jane" not in redactor.text("the one with most, Jane Doe, has 2")
