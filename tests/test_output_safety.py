"""What mail says is shown and saved as text: it never drives the terminal or a spreadsheet."""

import csv
import json
import os
import subprocess
import sys
import unicodedata

import pytest

from analyzer.safe_output import HIDDEN, json_text, printable, spreadsheet_cell
from tests.conftest import make_message

EVIL_NAMES = {
    "eve": "Eve [link=https://evil.example/]click[/link] [bold red]x[/]",
    "mallory": "Mallory \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ \x1b[2J",
    "trudy": "Trudy \u202egnp.exe\u202c \x9b31m",
    "victor": "Victor \x1b]0;owned\x07",
}
# what a terminal would act on if mail reached it raw
RAW_SEQUENCES = ("\x1b]8;", "\x1b[2J", "\x1b]0;", "\x9b", "\u202e", "\x07")


def _hostile_mbox(path):
    messages = []
    for n in range(12):
        who = list(EVIL_NAMES)[n % 4]
        extra = f"Cc: {EVIL_NAMES[who]} <{who}-alt@evil.example>\n"
        sender = f"{EVIL_NAMES[who]} <{who}@evil.example>"
        if n == 11:
            sender = "x <[/]@evil.example>"  # rich markup in the address itself
        message = make_message(
            sender=sender,
            to="Owner <owner@home.example>",
            subject="hi \x1b[31m red",
            message_id=f"<{n}@evil.example>",
            date=f"Mon, 1 Jan 2024 0{n % 10}:00:00 +0000",
            extra=extra,
        )
        messages.append(b"From x@y Mon Jan  1 00:00:00 2024\n" + message + b"\n")
    path.write_bytes(b"".join(messages))
    return path


def _mxa(*args):
    """The CLI as a terminal sees it: rich believes it is on a colour terminal."""
    env = dict(os.environ, FORCE_COLOR="1", TERM="xterm-256color", COLUMNS="200")
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, env=env
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def hostile_audit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    archive = _hostile_mbox(folder / "evil.mbox")
    output = _mxa("audit", str(archive), "--out", str(folder / "out"), "--me", "owner@home.example")
    return folder / "out", output


def test_markup_and_escapes_in_names_reach_no_terminal(hostile_audit):
    out, audit_output = hostile_audit
    store = str(out / "store")
    outputs = {
        "audit": audit_output,
        "stats": _mxa("stats", "--store", store),
        "links": _mxa("links", "--store", store, "--all"),
    }
    for command, output in outputs.items():
        for sequence in RAW_SEQUENCES:
            assert sequence not in output, (command, sequence)
    # the names are shown as written, escapes made visible, markup left as text
    links = outputs["links"]
    assert "[link=https://evil.example/]click[/link]" in links
    assert "Mallory \\x1b]8;;https://evil.example/" in links
    assert "Trudy \\u202egnp.exe\\u202c \\x9b31m" in links
    assert "[/]@evil.example" in outputs["stats"]


def test_json_output_and_findings_keep_names_exact_but_escaped(hostile_audit):
    out, _ = hostile_audit
    printed = _mxa("links", "--store", str(out / "store"), "--all", "--json")
    saved = (out / "findings.json").read_text("utf-8")
    for text in (printed, saved):
        assert not any(sequence in text for sequence in RAW_SEQUENCES)
        details = [link["detail"] for link in json.loads(text)["links"]]
        assert any(EVIL_NAMES["trudy"] in detail for detail in details)
        assert any(EVIL_NAMES["mallory"] in detail for detail in details)


def test_display_names_with_specials_stay_one_mailbox(hostile_audit):
    out, _ = hostile_audit
    exported = out / "csv"
    _mxa("export", "--store", str(out / "store"), "--out", str(exported))
    with (exported / "participants.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    addresses = {row["address"] for row in rows}
    assert "eve@evil.example" in addresses
    assert all("@" in address for address in addresses)  # no "click", "x", "/" fragments
    names = {row["address"]: row["display_name"] for row in rows}
    assert names["eve@evil.example"] == EVIL_NAMES["eve"]


def test_csv_export_neutralises_formulas_and_keeps_everything_else(tmp_path):
    names = ["=cmd|' /C calc'!A0", "+1 555", "-2+3", "@SUM(A1)", "Ann"]
    mails = [
        b"From a@b Tue Mar 14 10:00:00 2023\n"
        + make_message(sender=f'"{name}" <p{n}@example.org>', message_id=f"<{n}@x>")
        + b"\n"
        for n, name in enumerate(names)
    ]
    (tmp_path / "a.mbox").write_bytes(b"".join(mails))
    _mxa("ingest", str(tmp_path / "a.mbox"), "--store", str(tmp_path / "s"))
    _mxa("export", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "csv"))
    with (tmp_path / "csv" / "messages.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    shown = sorted(row["from_name"] for row in rows)
    assert shown == sorted(["'" + name for name in names[:4]] + ["Ann"])
    assert {row["message_id"] for row in rows} == {f"{n}@x" for n in range(5)}
    assert all(json.loads(row["references"]) == [] for row in rows)
    # beside mxa's own lock and list of outputs (.mxa-*), no temporary file is left
    written = sorted(p.name for p in (tmp_path / "csv").iterdir() if not p.name.startswith(".mxa-"))
    assert written == ["hops.csv", "keys.csv", "messages.csv", "participants.csv", "quarantine.csv"]


def test_export_errors_are_one_line(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "export", "--store", str(tmp_path / "none")],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "no mxa store" in completed.stderr


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_spreadsheet_cell(cell, shown):
    assert spreadsheet_cell(cell) == shown


def test_printable_makes_every_control_visible_and_keeps_letters():
    assert printable("Zoë \x1b[2J\u202e\x9b\udcff") == "Zoë \\x1b[2J\\u202e\\x9b\\udcff"
    assert all(ord(c) >= 32 for c in printable("".join(map(chr, range(0x00, 0xA0)))))


def test_json_text_round_trips_and_holds_no_raw_control():
    payload = {"name": "Zoë \x1b \u202e \x85 \udcff"}
    text = json_text(payload)
    assert json.loads(text) == payload
    text.encode("utf-8")  # valid UTF-8, even with an undecodable byte in the data
    assert not any(c in text for c in "\x1b\u202e\x85")
    assert "Zoë" in text


def test_no_file_name_from_mail_is_ever_written(tmp_path):
    """Attachment names, subjects and Message-IDs that look like paths write nothing."""
    work = tmp_path / "work"
    work.mkdir()
    hostile_names = ["../../escaped.txt", "/tmp/mxa-absolute-escape.txt", "..\\..\\win.txt"]
    mails = []
    for name in hostile_names:
        body = (
            "--b\nContent-Type: text/plain\n\nhi\n--b\n"
            f'Content-Type: application/octet-stream; name="{name}"\n'
            f'Content-Disposition: attachment; filename="{name}"\n\nAAAA\n--b--\n'
        )
        mails.append(
            b"From a@b Tue Mar 14 10:00:00 2023\n"
            + make_message(
                subject=name,
                message_id=f"<{name}>",
                extra='MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"',
                body=body,
            )
            + b"\n"
        )
    (work / "a.mbox").write_bytes(b"".join(mails))
    before = set(tmp_path.rglob("*"))
    _mxa("audit", str(work / "a.mbox"), "--out", str(work / "out"))
    _mxa("export", "--store", str(work / "out" / "store"), "--out", str(work / "csv"))
    written = {p.relative_to(work).as_posix() for p in set(tmp_path.rglob("*")) - before}
    assert all(p.startswith(("out", "csv")) for p in written), written
    assert not any("escape" in p or "win" in p for p in written)
    assert not os.path.exists("/tmp/mxa-absolute-escape.txt")


# -- characters that show as nothing: two addresses that differ by one look the same --------
# a pick of Unicode's Bidi_Control and Default_Ignorable_Code_Point characters
INVISIBLE = {
    "zero width space": "\u200b",
    "arabic letter mark": "\u061c",
    "zero width non-joiner": "\u200c",
    "zero width joiner": "\u200d",
    "word joiner": "\u2060",
    "invisible plus": "\u2064",
    "byte order mark": "\ufeff",
    "mongolian vowel separator": "\u180e",
    "soft hyphen": "\u00ad",
    "left-to-right isolate": "\u2066",
    "variation selector": "\ufe0f",
    "hangul filler": "\u3164",
    "tag latin capital a": "\U000e0041",
}


def _look_alike_mbox(path):
    """One message to ``bob@evil.example`` and to each look-alike of it, and mail from them."""
    look_alikes = [f"bob{c}@evil.example" for c in INVISIBLE.values()]
    messages = [
        make_message(
            sender="Friend <friend@else.example>",
            to=", ".join(["bob@evil.example", *look_alikes]),
            subject="sale\u200b now \u2764\ufe0f",
            message_id="<all@else.example>",
        )
    ] + [
        make_message(sender=f"Bob\u2060 Smith <{address}>", to="friend@else.example",
                     subject=f"re{c}: hi", message_id=f"<{n}@evil.example>")
        for n, (address, c) in enumerate(zip(look_alikes, INVISIBLE.values(), strict=True))
    ]  # fmt: skip
    path.write_bytes(b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in messages))
    return path


@pytest.fixture(scope="module")
def look_alike_audit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("look-alike")
    archive = _look_alike_mbox(folder / "a.mbox")
    mine = ["--me-domain", "evil.example"]
    _mxa("audit", str(archive), "--out", str(folder / "out"), *mine, "--quiet")
    store = str(folder / "out" / "store")
    _mxa("export", "--store", store, "--out", str(folder / "csv"))
    return folder, {
        "links": _mxa("links", "--store", store, "--all", *mine),
        "aliases": _mxa("aliases", "--store", store, *mine),
        "links --json": _mxa("links", "--store", store, "--all", "--json", *mine),
    }


def test_invisible_characters_from_mail_are_shown_as_escapes_everywhere(look_alike_audit):
    folder, printed = look_alike_audit
    written = {
        name: (folder / name).read_text("utf-8-sig")
        for name in ("out/report.html", "out/report.md", "out/findings.json",
                     "csv/participants.csv", "csv/messages.csv")
    }  # fmt: skip
    for where, text in {**printed, **written}.items():
        raw = [name for name, c in INVISIBLE.items() if c in text.replace("\u2764\ufe0f", "")]
        assert not raw, (where, raw)
    # each look-alike reads as itself, its mark as an escape, wherever it is shown
    assert "bob@evil.example  ↔  bob\\u200b@evil.example" in printed["links"]
    assert "bob\\U000e0041@evil.example" in printed["aliases"]
    assert "`bob\\u200b@evil.example`" in written["out/report.md"]
    assert "bob\\u061c@evil.example" in written["csv/participants.csv"]
    assert (
        "bob<span class='hidden-char' title='U+200B ZERO WIDTH SPACE'>\\u200b</span>@evil.example"
        in written["out/report.html"]
    )
    # JSON keeps each address exact: its escapes are JSON's, read back as the characters
    identities = json.loads(written["out/findings.json"])["owner"]["identities"]
    assert {f"bob{c}@evil.example" for c in INVISIBLE.values()} < set(identities)
    assert json.loads(printed["links --json"])["owner"]["identities"] == identities
    # inside an emoji a variation selector is part of the picture, and stays
    assert "sale<span class='hidden-char'" in written["out/report.html"]
    assert "now \u2764\ufe0f" in written["out/report.html"]


def test_every_format_and_invisible_character_is_escaped_and_emoji_stay_whole():
    format_characters = [
        chr(c) for c in range(0x110000)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")
    ]  # fmt: skip
    # Default_Ignorable_Code_Point characters of other categories (DerivedCoreProperties.txt)
    ignorable = ["\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u3164", "\ufe00",
                 "\ufe0f", "\uffa0", "\U000e0100", "\U000e01ef", "\U000e0fff"]  # fmt: skip
    for character in format_characters + ignorable:
        assert HIDDEN.fullmatch(character), f"U+{ord(character):04X}"
        shown = printable(f"a{character}b")
        assert shown == f"a{ascii(character)[1:-1]}b", f"U+{ord(character):04X}"
        saved = json_text({"x": f"a{character}"}, indent=None)
        assert character not in saved and json.loads(saved) == {"x": f"a{character}"}
    emoji = (
        "\u2764\ufe0f \U0001f3f3\ufe0f\u200d\U0001f308 \U0001f468\u200d\U0001f469\u200d\U0001f467"
    )
    assert printable(emoji) == emoji
    assert printable("Zoë, 東京, ДМИТРИЙ, שלום") == "Zoë, 東京, ДМИТРИЙ, שלום"
    assert spreadsheet_cell("\u200b=1+1") == "\\u200b=1+1"
    assert spreadsheet_cell("=\u2066x") == "'=\\u2066x"
