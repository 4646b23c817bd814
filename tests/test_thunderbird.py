"""Thunderbird profiles: ``mxa ingest --thunderbird`` finds the default profile and reads
every account's mail in it, saying which it read.

The profiles are real ones in layout (profiles.ini, prefs.js, Mail/, ImapMail/, mboxes
without extensions beside their .msf indexes, .sbd folders of subfolders), made here, and
read by the real command.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.errors import SourceError
from analyzer.ingest import ingest
from analyzer.sources.thunderbird import (
    default_profile,
    profile_mail_folders,
    thunderbird_homes,
    thunderbird_profiles,
)
from analyzer.store import load_frames, read_frame
from tests.conftest import make_message

runner = CliRunner()

# a .msf index is a Mork database, not mail
MSF = (
    b'// <!-- <mdb:mork:z v="1.4"/> -->\n'
    b"< <(a=c)> // (f=iso-8859-1)\n  (B8=ns:msg:db:row:scope:msgs:all)>\n"
)


def _mbox(path: Path, message_ids: list[str], sender: str = "Alice <alice@example.org>") -> Path:
    """An mbox as Thunderbird writes it: "From - DATE" separators, X-Mozilla-Status."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"".join(
            b"From - Tue Mar 14 10:00:00 2023\nX-Mozilla-Status: 0001\n"
            + make_message(sender=sender, message_id=f"<{mid}@example.org>")
            + b"\n"
            for mid in message_ids
        )
    )
    path.with_name(path.name + ".msf").write_bytes(MSF)
    return path


def _profiles_ini(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "profiles.ini").write_text(text, encoding="utf-8")


def _prefs(profile: Path, servers: dict[str, dict[str, str]]) -> None:
    lines = ["// Mozilla User Preferences"]
    for server, prefs in servers.items():
        for key, value in prefs.items():
            lines.append(f'user_pref("mail.server.{server}.{key}", {json.dumps(value)});')
    (profile / "prefs.js").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home folder with Thunderbird's profiles.ini: two profiles, the install's default
    the second; its mail in Local Folders, a POP account, an IMAP cache and an account
    kept outside the profile."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    thunderbird = home / ".thunderbird"
    _profiles_ini(
        thunderbird,
        "[Install4F96D1932A9F858E]\nDefault=k2.default-release\nLocked=1\n\n"
        "[Profile1]\nName=default-release\nIsRelative=1\nPath=k2.default-release\n\n"
        "[Profile0]\nName=default\nIsRelative=1\nPath=a1.default\nDefault=1\n\n"
        "[General]\nStartWithLastProfile=1\nVersion=2\n",
    )
    (thunderbird / "a1.default" / "Mail" / "Local Folders").mkdir(parents=True)
    _mbox(thunderbird / "a1.default" / "Mail" / "Local Folders" / "Inbox", ["old-profile"])
    profile = thunderbird / "k2.default-release"
    local = profile / "Mail" / "Local Folders"
    _mbox(local / "Inbox", ["in1", "in2"])
    _mbox(local / "Sent", ["sent1", "sent2"], sender="Me <me@example.org>")
    _mbox(local / "Archives.sbd" / "2024", ["arch1"])
    (local / "Archives").write_bytes(b"")  # the parent folder of Archives.sbd: no mail itself
    (local / "Trash").write_bytes(b"")
    (local / "msgFilterRules.dat").write_text('version="9"\nlogging="no"\n')
    _mbox(profile / "Mail" / "pop.example.com" / "Inbox", ["pop1"])
    (profile / "Mail" / "pop.example.com" / "popstate.dat").write_text("# POP3 State File\n")
    imap = profile / "ImapMail" / "imap.example.org"
    _mbox(imap / "INBOX", ["imap1", "imap2"])
    (imap / "filterlog.html").write_text("<html></html>")
    gmail = profile / "ImapMail" / "imap.gmail.com"
    _mbox(gmail / "[Gmail].sbd" / "Sent Mail", ["gsent"], sender="Me <me@gmail.com>")
    (gmail / "[Gmail]").write_bytes(b"")
    elsewhere = tmp_path / "mail-on-another-disk" / "work.example.net"
    _mbox(elsewhere / "INBOX", ["work1"])
    _prefs(
        profile,
        {
            "server1": {"directory-rel": "[ProfD]Mail/Local Folders", "type": "none"},
            "server2": {"directory": str(elsewhere), "type": "imap"},
            "server3": {"directory-rel": "[ProfD]ImapMail/imap.example.org", "type": "imap"},
            "server4": {"directory": str(tmp_path / "gone"), "type": "imap"},
        },
    )
    return home


MESSAGE_IDS = {"in1", "in2", "sent1", "sent2", "arch1", "pop1", "imap1", "imap2", "gsent", "work1"}


def _ingest(*args: str):
    return runner.invoke(app, ["ingest", "--thunderbird", *args])


# -- where the profiles are -----------------------------------------------------------------
def test_homes_on_each_system():
    linux = thunderbird_homes({"HOME": "/home/me"}, "linux")
    assert linux[:3] == [
        Path("/home/me/.thunderbird"),
        Path("/home/me/snap/thunderbird/common/.thunderbird"),
        Path("/home/me/.var/app/org.mozilla.Thunderbird/.thunderbird"),
    ]
    assert thunderbird_homes({"HOME": "/Users/me"}, "darwin") == [
        Path("/Users/me/Library/Thunderbird")
    ]
    windows = thunderbird_homes({"APPDATA": "/c/Users/me/AppData/Roaming"}, "win32")
    assert windows == [Path("/c/Users/me/AppData/Roaming/Thunderbird")]


def test_the_install_default_wins_over_the_profile_marked_default(home):
    assert default_profile([home / ".thunderbird"]) == home / ".thunderbird" / "k2.default-release"


def test_without_an_install_section_the_profile_marked_default(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    _profiles_ini(
        tmp_path,
        "[Profile0]\nName=a\nIsRelative=1\nPath=a\n\n"
        "[Profile1]\nName=b\nIsRelative=1\nPath=b\nDefault=1\n",
    )
    assert default_profile([tmp_path]) == tmp_path / "b"


def test_the_only_profile_at_an_absolute_path(tmp_path):
    profile = tmp_path / "elsewhere" / "x.default"
    profile.mkdir(parents=True)
    _profiles_ini(tmp_path / "tb", f"[Profile0]\nName=default\nIsRelative=0\nPath={profile}\n")
    assert default_profile([tmp_path / "nothing", tmp_path / "tb"]) == profile


def test_a_profiles_ini_saved_with_a_byte_order_mark(tmp_path):
    (tmp_path / "Profiles" / "x.default").mkdir(parents=True)
    (tmp_path / "profiles.ini").write_bytes(
        b"\xef\xbb\xbf[Profile0]\r\nName=default\r\nIsRelative=1\r\nPath=Profiles/x.default\r\n"
    )
    assert default_profile([tmp_path]) == tmp_path / "Profiles" / "x.default"


def test_an_install_default_that_is_gone_falls_back_to_the_marked_one(tmp_path):
    (tmp_path / "a").mkdir()
    _profiles_ini(
        tmp_path,
        "[InstallABC]\nDefault=gone\n\n[Profile0]\nName=a\nIsRelative=1\nPath=a\nDefault=1\n",
    )
    assert default_profile([tmp_path]) == tmp_path / "a"


def test_no_profile_says_where_it_looked(tmp_path):
    homes = [tmp_path / ".thunderbird", tmp_path / "snap"]
    with pytest.raises(SourceError, match=r"no profiles\.ini in") as raised:
        default_profile(homes)
    assert all(str(home) in str(raised.value) for home in homes)


def test_several_profiles_and_no_default_asks_for_one(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    _profiles_ini(
        tmp_path, "[Profile0]\nPath=a\nIsRelative=1\n\n[Profile1]\nPath=b\nIsRelative=1\n"
    )
    with pytest.raises(SourceError, match="lists 2 profiles and makes none the default"):
        default_profile([tmp_path])


# -- which folders are mail -----------------------------------------------------------------
def test_each_account_folder_once_and_those_prefs_keep_elsewhere(home, tmp_path):
    profile = home / ".thunderbird" / "k2.default-release"
    assert profile_mail_folders(profile) == [
        profile / "Mail" / "Local Folders",
        profile / "Mail" / "pop.example.com",
        profile / "ImapMail" / "imap.example.org",
        profile / "ImapMail" / "imap.gmail.com",
        tmp_path / "mail-on-another-disk" / "work.example.net",
    ]


def test_newsgroups_and_feeds_are_no_ones_mail(tmp_path):
    _mbox(tmp_path / "Mail" / "Feeds" / "Planet", ["feed"])
    _mbox(tmp_path / "News" / "news.example.org" / "comp.mail", ["news"])
    _mbox(tmp_path / "Mail" / "Local Folders" / "Inbox", ["mine"])
    _prefs(
        tmp_path,
        {
            "server1": {"directory-rel": "[ProfD]Mail/Feeds", "type": "rss"},
            "server2": {"directory-rel": "[ProfD]News/news.example.org", "type": "nntp"},
        },
    )
    assert profile_mail_folders(tmp_path) == [tmp_path / "Mail" / "Local Folders"]


def test_a_windows_prefs_path_is_read_as_javascript_writes_it(tmp_path):
    (tmp_path / "Mail").mkdir()
    account = tmp_path / "back\\slash"  # on Linux a backslash is part of a name
    account.mkdir()
    (tmp_path / "prefs.js").write_text(
        'user_pref("mail.server.server1.directory", "'
        + str(account).replace("\\", "\\\\")
        + '");\n'
    )
    assert profile_mail_folders(tmp_path) == [account]


def test_a_folder_that_is_no_profile(tmp_path):
    with pytest.raises(SourceError, match="not a Thunderbird profile"):
        thunderbird_profiles([tmp_path])


# -- the command ----------------------------------------------------------------------------
def test_ingest_reads_every_mbox_of_the_default_profile(home, tmp_path):
    store = tmp_path / "store"
    result = _ingest("--store", str(store))
    assert result.exit_code == 0, result.output
    messages = load_frames(store).messages
    assert {mid.strip("<>").split("@")[0] for mid in messages["message_id"]} == MESSAGE_IDS
    roles = dict(zip(messages["message_id"], messages["folder_role"], strict=True))
    sent = {mid for mid, role in roles.items() if role == "sent"}
    assert sent == {"sent1@example.org", "sent2@example.org", "gsent@example.org"}
    assert len(read_frame(store, "quarantine")) == 0  # no .msf index was read as mail
    assert not messages["source"].str.endswith(".msf").any()
    out = result.output
    assert f"Thunderbird profile {home / '.thunderbird' / 'k2.default-release'}" in out
    for folder in ("Mail/Local Folders", "Mail/pop.example.com", "ImapMail/imap.example.org"):
        assert f"reading {folder}" in out
    assert f"reading {tmp_path / 'mail-on-another-disk' / 'work.example.net'}" in out
    assert "read 5 messages from 3 mail folders in Mail/Local Folders" in out
    assert "2  Sent" in out and "1  Archives.sbd/2024" in out
    assert "1  [Gmail].sbd/Sent Mail" in out
    assert "old-profile" not in json.dumps(list(messages["message_id"]))


def test_a_profile_named_and_a_second_run_reads_nothing_again(home, tmp_path):
    profile = home / ".thunderbird" / "a1.default"
    store = tmp_path / "store"
    first = _ingest(str(profile), "--store", str(store))
    assert first.exit_code == 0, first.output
    assert list(load_frames(store).messages["message_id"]) == ["old-profile@example.org"]
    again = _ingest(str(profile), "--store", str(store))
    assert "read 0 messages from 0 mail folders in Mail/Local Folders" in again.output


def test_the_folder_of_profiles_ini_stands_for_its_default(home, tmp_path):
    profile = home / ".thunderbird" / "k2.default-release"
    result = _ingest(str(home / ".thunderbird"), str(profile), "--store", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert result.output.count("Thunderbird profile") == 1  # the same profile, read once
    assert len(load_frames(tmp_path / "s").messages) == len(MESSAGE_IDS)


def test_maildir_storage_is_read_too(tmp_path, monkeypatch):
    profile = tmp_path / "p"
    inbox = profile / "Mail" / "Local Folders" / "Inbox"
    for leaf in ("cur", "new", "tmp"):
        (inbox / leaf).mkdir(parents=True)
    for n in range(3):
        message = make_message(message_id=f"<md{n}@example.org>")
        (inbox / "cur" / f"{n}.eml").write_bytes(message)
    result = _ingest(str(profile), "--store", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert "read 3 messages from 1 mail folder in Mail/Local Folders" in result.output
    assert "3  Inbox" in result.output


def test_quiet_stays_quiet(home, tmp_path):
    result = _ingest("--store", str(tmp_path / "s"), "--quiet")
    assert result.exit_code == 0
    assert result.output == ""


def test_audit_reads_the_default_profile(home, tmp_path):
    out = tmp_path / "audit"
    result = runner.invoke(app, ["audit", "--thunderbird", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(load_frames(out / "store").messages) == len(MESSAGE_IDS)


def test_no_profile_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    result = _ingest("--store", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "no Thunderbird profile found" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_a_missing_profile_named_is_one_line_and_exit_2(tmp_path):
    result = _ingest(str(tmp_path / "nope"), "--store", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "no such Thunderbird profile folder" in result.output


@pytest.mark.parametrize("command", ["ingest", "audit"])
def test_sources_are_needed_without_thunderbird(command, tmp_path):
    result = runner.invoke(app, [command, "--store", str(tmp_path / "s")] if command == "ingest"
                           else [command, "--out", str(tmp_path / "a")])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "no source given" in result.output and "--thunderbird" in result.output


def test_indexes_and_empty_folders_are_skipped_one_line_per_reason(home, tmp_path):
    local = home / ".thunderbird" / "k2.default-release" / "Mail" / "Local Folders"
    mork = b'// <!-- <mdb:mork:z v="1.4"/> -->\n< <(a=c)> // (f=iso-8859-1)\n'
    for name in ("Inbox", "Sent", "Trash", "Drafts", "Templates", "Junk", "Archives"):
        (local / f"{name}.msf").write_bytes(mork)
    for name in ("Drafts", "Templates", "Junk", "Unsent Messages"):
        (local / name).write_bytes(b"")
    result = _ingest("--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.output.splitlines() if "skipped" in line]
    index = [line for line in skipped if line.endswith("a Thunderbird index (.msf), not mail")]
    # with those beside each mbox of the profile read (not of the other profile, a1)
    indexes = sum("a1.default" not in str(path) for path in tmp_path.rglob("*.msf"))
    assert len(index) == 1 and f"and {indexes - 1} more like it" in index[0]
    empty = [line for line in skipped if line.endswith(": empty")]
    # and the profile's Trash, Archives (beside Archives.sbd) and [Gmail]
    assert len(empty) == 1 and "and 6 more like it" in empty[0]
    assert len(read_frame(tmp_path / "store", "quarantine")) == 0


def test_a_message_moved_between_folders_is_one_message(tmp_path):
    """Thunderbird marks the moved-from copy expunged (0x0008) and leaves it in the file
    until it compacts the folder; the copy it moved to carries other state bits and tags.
    Both are one message, stored once."""
    message = make_message(message_id="<moved@example.org>")
    local = tmp_path / "Local Folders"
    local.mkdir()
    for name, state in (("Inbox", b"0009\nX-Mozilla-Status2: 00000000"),
                        ("Archives", b"0001\nX-Mozilla-Status2: 10000000\n"
                                     b"X-Mozilla-Keys: $label1" + b" " * 72)):  # fmt: skip
        (local / name).write_bytes(
            b"From - Tue Mar 14 10:00:00 2023\nX-Mozilla-Status: " + state + b"\n" + message
        )
    result = ingest([local], tmp_path / "store", jobs=1)
    assert (result.parsed, result.duplicates, result.stored) == (2, 1, 1)
    assert list(load_frames(tmp_path / "store").messages["message_id"]) == ["moved@example.org"]


def _fresh_profile(tmp_path: Path) -> Path:
    """A new profile: Local Folders holds only empty folders and their indexes."""
    profile = tmp_path / "fresh.default-release"
    local = profile / "Mail" / "Local Folders"
    local.mkdir(parents=True)
    for name in ("Trash", "Unsent Messages"):
        (local / name).write_bytes(b"")
        (local / f"{name}.msf").write_bytes(MSF)
    return profile


def test_an_account_without_mail_is_said_and_the_others_read(tmp_path):
    profile = _fresh_profile(tmp_path)
    _mbox(profile / "ImapMail" / "imap.example.org" / "INBOX", ["only"])
    result = _ingest(str(profile), "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    assert "no mail in Mail/Local Folders" in result.output
    assert "reading ImapMail/imap.example.org" in result.output
    assert list(load_frames(tmp_path / "store").messages["message_id"]) == ["only@example.org"]


def test_a_profile_without_any_mail_is_one_line_and_exit_2(tmp_path):
    result = _ingest(str(_fresh_profile(tmp_path)), "--store", str(tmp_path / "store"))
    assert result.exit_code == 2
    assert "no mail in the Thunderbird profile" in result.output
    assert "hold only indexes and empty folders" in result.output


def test_verbose_names_each_skipped_file(home, tmp_path):
    local = home / ".thunderbird" / "k2.default-release" / "Mail" / "Local Folders"
    for name in ("Drafts", "Templates", "Junk", "Unsent Messages", "Outbox", "Notes"):
        (local / name).write_bytes(b"")
    result = _ingest("--store", str(tmp_path / "store"), "--verbose")
    assert result.exit_code == 0, result.output
    empty = [line for line in result.output.splitlines() if line.endswith(": empty")]
    assert len(empty) == 9 and not any("more like it" in line for line in empty)
