"""What a new user meets first: the help, the hints mxa prints, --store on an audit folder,
and the Makefile's demo, which needs only Python."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.cli.app import COMMANDS

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent

PYTHON_TYPES = ("<bool>", "<list[", "<str>", "<path>", "<int>", "<float>")


@pytest.mark.parametrize("command", ["", *(name for name, _ in COMMANDS)])
def test_help_shows_what_to_type_not_python_types(command):
    result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for placeholder in PYTHON_TYPES:
        assert placeholder not in result.output, (command, placeholder)


def test_help_names_the_values_options_take():
    result = runner.invoke(app, ["audit", "--help"], env={"COLUMNS": "200"})
    for option, metavar in (("--me", "ADDRESS"), ("--me-domain", "DOMAIN"), ("--out", "DIR"),
                            ("--jobs", "N")):  # fmt: skip
        assert re.search(rf"{option}\s.*\b{metavar}\b", result.output), option


@pytest.fixture(scope="module")
def audit_folder(tmp_path_factory):
    """``mxa audit --out DIR`` of the sample mailbox: DIR holds the store in DIR/store."""
    from analyzer.demo import sample_mailbox

    out = tmp_path_factory.mktemp("audit") / "audit"
    result = runner.invoke(app, ["audit", str(sample_mailbox()), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_store_resolves_an_audit_folder_to_its_store(audit_folder):
    from analyzer.store import store_folder

    assert store_folder(audit_folder) == audit_folder / "store"
    assert store_folder(audit_folder / "store") == audit_folder / "store"
    assert store_folder(audit_folder / "graphs") == audit_folder / "graphs"  # no store: as given


@pytest.mark.parametrize(
    "command",
    [["stats", "--json"], ["links", "--json"], ["aliases", "--json"], ["graph", "--format", "gexf"],
     ["report"], ["export", "--frame", "keys"]],
    ids=lambda command: command[0],
)  # fmt: skip
def test_every_store_command_takes_an_audit_folder(audit_folder, tmp_path, command):
    out = ["--out", str(tmp_path / "out")] if command[0] in ("graph", "report", "export") else []
    given = runner.invoke(app, [*command, "--store", str(audit_folder), *out])
    assert given.exit_code == 0, given.output
    assert "no mxa store" not in given.output
    if command[0] in ("stats", "links", "aliases"):  # the same answer as from DIR/store
        inner = runner.invoke(app, [*command, "--store", str(audit_folder / "store")])
        assert given.stdout == inner.stdout


def _store_without_an_owner(folder):
    """Two people writing to each other, no receiving header: nothing names an owner."""
    from tests.conftest import make_message

    mails = [make_message(sender="Bob <bob@home.example>", to="jane@example.org",
                          message_id="<b1@home.example>"),
             make_message(sender="Jane <jane@example.org>", to="bob@home.example",
                          message_id="<j1@example.org>")]  # fmt: skip
    archive = folder / "a.mbox"
    archive.write_bytes(b"".join(b"From a@b Tue Mar 14 10:00:00 2023\n" + m + b"\n" for m in mails))
    store = folder / "my store"  # a space: the hint quotes it for the shell
    assert runner.invoke(app, ["ingest", str(archive), "--store", str(store), "-q"]).exit_code == 0
    return store


@pytest.mark.parametrize("command", ["links", "aliases"])
def test_the_no_owner_hint_names_the_store_given(tmp_path, command):
    import shlex

    store = _store_without_an_owner(tmp_path)
    result = runner.invoke(app, [command, "--store", str(store)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    hint = next(line.strip() for line in result.output.splitlines() if "--me you@" in line)
    assert hint.startswith(f"mxa {command} --store {shlex.quote(str(store))} --me "), hint
    assert "STORE" not in result.output
    assert shlex.split(hint)[3] == str(store)  # pasted into a shell: the store itself


def test_the_missing_store_hint_quotes_the_path(tmp_path):
    result = runner.invoke(app, ["stats", "--store", str(tmp_path / "no store")])
    assert result.exit_code == 2
    assert f"--store '{tmp_path / 'no store'}'" in result.output


def test_the_demo_hint_runs_when_pasted(tmp_path):
    import shlex

    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "my demo"), "-q"])
    assert result.exit_code == 0, result.output
    hint = re.search(r"\((mxa stats --store .+)\)$", result.output, re.MULTILINE).group(1)
    pasted = runner.invoke(app, shlex.split(hint)[1:])
    assert pasted.exit_code == 0, pasted.output


def _make_plan(target, tmp_path):
    """What ``make TARGET`` would run on a fresh machine (a new venv), as make itself says."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    return subprocess.run(
        ["make", "-n", "-B", "-C", str(REPO), target, f"VENV={tmp_path / 'venv'}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_make_demo_needs_only_python(tmp_path):
    demo = _make_plan("demo", tmp_path)
    assert "mxa demo" in demo
    for test_tool in ("apt-get", "chromium", "dovecot", "gnupg", "[dev]"):
        assert test_tool not in demo, test_tool


def test_make_test_still_installs_what_the_tests_run(tmp_path):
    test = _make_plan("test", tmp_path)
    assert "apt-get install" in test
    for test_tool in ("gnupg", "chromium", "gcc", "dovecot-imapd", "-e '.[dev]'", "pytest"):
        assert test_tool in test, test_tool


def test_the_exports_the_readme_names_are_read_as_given(tmp_path):
    """README "Getting your mail out": a Thunderbird profile's ImapMail (mbox files with no
    extension beside .msf indexes) and an Apple Mail export (NAME.mbox/mbox + Info.plist)."""
    from tests.conftest import make_message

    def mbox(message_id):
        return b"From a@b Tue Mar 14 10:00:00 2023\n" + make_message(message_id=message_id) + b"\n"

    thunderbird = tmp_path / "profile" / "ImapMail" / "imap.example.org"
    thunderbird.mkdir(parents=True)
    (thunderbird / "INBOX").write_bytes(mbox("<t@x>"))
    (thunderbird / "INBOX.msf").write_bytes(b'// <!-- <mdb:mork:z v="1.4"/> -->\n< <(a=c)> >\n')
    apple = tmp_path / "export" / "INBOX.mbox"
    apple.mkdir(parents=True)
    (apple / "mbox").write_bytes(mbox("<a@x>"))
    (apple / "Info.plist").write_bytes(
        b'<?xml version="1.0"?>\n<plist version="1.0"><dict/></plist>\n'
    )
    store = tmp_path / "s"
    sources = [str(tmp_path / "profile" / "ImapMail"), str(tmp_path / "export")]
    result = runner.invoke(app, ["ingest", *sources, "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "messages_read = parsed + quarantined: 2 = 2 + 0" in result.output


def test_readme_says_how_to_run_mxa_and_how_to_get_mail_out():
    readme = (REPO / "README.md").read_text("utf-8")
    setup = readme[readme.index("## Set up and run") : readme.index("### Real mail for the tests")]
    assert ". .venv/bin/activate" in setup and "pipx install ." in setup
    export = readme[readme.index("## Getting your mail out") : readme.index("## Use")]
    for needed in ("Gmail", "Takeout", "Thunderbird", "--thunderbird", "ImapMail",
                   "Apple Mail", "~/Library/Mail", ".emlx", "Export Mailbox", "Outlook",
                   ".pst", ".ost", ".msg", "mxa[outlook]", "imaps://"):  # fmt: skip
        assert needed in export, needed
