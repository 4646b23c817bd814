"""The command line as a user meets it: exit codes, one-line errors, quiet runs."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from tests.conftest import make_message

runner = CliRunner()


def write_mbox(path, count=3):
    path.write_bytes(
        b"".join(
            b"From a@b Tue Mar 14 10:00:00 2023\n" + make_message(message_id=f"<{n}@x>") + b"\n"
            for n in range(count)
        )
    )
    return path


def test_ingest_then_stats(tmp_path):
    archive = write_mbox(tmp_path / "a.mbox")
    result = runner.invoke(app, ["ingest", str(archive), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "messages_read = parsed + quarantined: 3 = 3 + 0" in result.output
    stats = runner.invoke(app, ["stats", "--store", str(tmp_path / "s"), "--json"])
    assert stats.exit_code == 0, stats.output
    summary = json.loads(stats.output)
    assert summary["messages"] == 3
    assert summary["top_senders"] == [["alice@example.org", 3]]
    assert summary["encryption"]["plaintext"] == 3


def test_quiet_prints_nothing(tmp_path):
    archive = write_mbox(tmp_path / "a.mbox")
    result = runner.invoke(app, ["ingest", str(archive), "--store", str(tmp_path / "s"), "-q"])
    assert result.exit_code == 0
    assert result.output == ""


def test_unreadable_input_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope.mbox"), "--store", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0
    assert "no such file or folder" in result.output


def test_stats_on_a_folder_that_is_no_store(tmp_path):
    result = runner.invoke(app, ["stats", "--store", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no mxa store" in result.output


def test_python_dash_m_runs_the_same_command(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stdout.startswith("mxa ")


def test_demo_runs_the_audit_on_the_sample_and_refuses_foreign_folders(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "findings.json").exists() and (out / "graphs" / "identities.graphml").exists()
    assert "findings:" in result.output
    again = runner.invoke(app, ["demo", "--out", str(out), "-q"])  # a demo folder is remade
    assert again.exit_code == 0, again.output
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("x")
    refused = runner.invoke(app, ["demo", "--out", str(foreign)])
    assert refused.exit_code == 2 and "not made by mxa demo" in refused.output
    assert (foreign / "chapter1.tex").exists()


def test_every_command_is_documented_with_an_example():
    for command in ("ingest", "stats", "audit", "links", "graph", "demo"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Example:" in result.output, command


def _links_store(tmp_path):
    """Bob writes from two addresses under one name, Jane answers: no receiving headers."""
    mails = [
        make_message(sender="Bob Smith <bob@home.example>", to="jane@example.org",
                     message_id="<b1@home.example>"),
        make_message(sender="Bob Smith <bob@work.example>", to="jane@example.org",
                     message_id="<b2@work.example>", date="Wed, 15 Mar 2023 10:00:00 +0100"),
        make_message(sender="Jane <jane@example.org>", to="bob@home.example",
                     message_id="<j1@example.org>", extra="In-Reply-To: <b1@home.example>"),
    ]  # fmt: skip
    archive = tmp_path / "a.mbox"
    archive.write_bytes(b"".join(b"From a@b Tue Mar 14 10:00:00 2023\n" + m + b"\n" for m in mails))
    store = tmp_path / "s"
    assert runner.invoke(app, ["ingest", str(archive), "--store", str(store), "-q"]).exit_code == 0
    return store


def test_links_without_an_owner_says_how_to_name_one_and_lists_other_peoples(tmp_path):
    store = _links_store(tmp_path)
    result = runner.invoke(app, ["links", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "No owner" in result.output and "--me" in result.output
    assert "Your identities" not in result.output and "about your identities" not in result.output
    assert "Other people's addresses that look like one person" in result.output
    assert "bob@home.example  ↔  bob@work.example" in result.output


def test_links_with_an_owner_suggests_and_keeps_other_people_apart(tmp_path):
    store = _links_store(tmp_path)
    mine = runner.invoke(app, ["links", "--store", str(store), "--me", "bob@home.example"])
    assert mine.exit_code == 0, mine.output
    assert "These look like you too" in mine.output
    suggestion = next(line for line in mine.output.splitlines() if "bob@work.example" in line)
    assert "ties to bob@home.example" in suggestion and "the same name" in suggestion
    payload = json.loads(
        runner.invoke(app, ["links", "--store", str(store), "--me", "jane@example.org", "--json"])
        .output
    )  # fmt: skip
    assert payload["schema"] == "mxa.findings/2"
    assert {p["relation"] for p in payload["pairs"]} <= {"owner", "suggestion"}
    everyone = runner.invoke(
        app, ["links", "--store", str(store), "--me", "jane@example.org", "--all", "--json"]
    )
    relations = {p["relation"] for p in json.loads(everyone.output)["pairs"]}
    assert "others" in relations


def test_links_output_never_cuts_an_address_when_piped_into_a_narrow_width(tmp_path):
    store = _links_store(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "links", "--store", str(store), "--all"],
        capture_output=True, text=True, check=False, env={"COLUMNS": "30", "PATH": ""},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    for address in ("bob@home.example", "bob@work.example"):
        assert any(address in line for line in lines), address
    assert max(len(line) for line in lines) > 30  # the terminal wraps, rich does not


def _no_store(tmp_path):
    return ["--store", str(tmp_path / "missing")]


# each command with arguments that make the library raise an MxaError, and what it says
LIBRARY_ERRORS = {
    "ingest": (lambda t: ["ingest", str(t / "nope.mbox"), *_no_store(t)], "no such file"),
    "stats": (lambda t: ["stats", *_no_store(t)], "no mxa store"),
    "audit": (lambda t: ["audit", str(t / "nope.mbox"), "--out", str(t / "o")], "no such file"),
    "links": (lambda t: ["links", *_no_store(t)], "no mxa store"),
    "aliases": (lambda t: ["aliases", *_no_store(t), "--json"], "no mxa store"),
    "graph": (lambda t: ["graph", *_no_store(t), "--out", str(t / "o")], "no mxa store"),
    "report": (lambda t: ["report", *_no_store(t), "--out", str(t / "o")], "no mxa store"),
    "diff": (lambda t: ["diff", str(t / "old"), str(t / "new")], "does not exist"),
    "export": (lambda t: ["export", *_no_store(t), "--out", str(t / "o")], "no mxa store"),
    "demo": (lambda t: ["demo", "--sample", str(t / "nope.mbox"), "--out", str(t / "o")],
             "no such file"),
}  # fmt: skip


def test_every_command_is_in_the_library_error_cases():
    assert {command.name for command in app.registered_commands} == set(LIBRARY_ERRORS)


@pytest.mark.parametrize("command", sorted(LIBRARY_ERRORS))
def test_a_library_error_in_any_command_is_one_line_on_stderr_and_exit_2(tmp_path, command):
    arguments, said = LIBRARY_ERRORS[command]
    result = runner.invoke(app, arguments(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    said_line = result.stderr.strip()  # after the blank line a progress bar leaves in a pipe
    assert said_line.startswith("error: ") and "\n" not in said_line, result.stderr
    assert said in said_line


def test_reports_errors_keeps_the_command_and_turns_only_library_errors_into_exit_2(capsys):
    import typer

    from analyzer.cli.failures import reports_errors
    from analyzer.errors import MxaError

    @reports_errors
    def command(name: str, *, fails: Exception | None = None) -> str:
        """Greets."""
        if fails:
            raise fails
        return f"hello {name}"

    assert command("you") == "hello you" and command.__doc__ == "Greets."
    with pytest.raises(typer.Exit) as stopped:
        command("you", fails=MxaError("the store is locked\nby another run"))
    assert stopped.value.exit_code == 2
    assert capsys.readouterr().err == "error: the store is locked\\nby another run\n"
    with pytest.raises(KeyError):  # a bug is not a library error: it stays a traceback
        command("you", fails=KeyError("x"))


def test_the_audit_names_each_phase_after_reading_with_its_counts(tmp_path):
    # a long analysis never sits under a finished "reading mail" bar: each phase is told
    from analyzer.audit import run_audit
    from analyzer.demo import sample_mailbox

    told: list[str] = []
    result = run_audit([sample_mailbox()], tmp_path / "audit", jobs=1, phases=told.append)
    from analyzer.store import read_frame

    addresses = read_frame(result.out / "store", "participants")["address"].nunique()
    assert f"comparing {addresses:,} addresses" in told
    order = ["classifying", "finding who wrote", "comparing", "imagining", "summing up",
             "drawing the graphs", "writing the report"]  # fmt: skip
    starts = [next(i for i, p in enumerate(told) if p.startswith(o)) for o in order]
    assert starts == sorted(starts)


def test_the_audit_summary_fits_two_screens_and_verbose_prints_every_pair(tmp_path):
    # the verdict, where the report is and what to open next; every pair under --verbose
    from analyzer.demo import sample_mailbox

    brief = runner.invoke(app, ["audit", str(sample_mailbox()), "--out", str(tmp_path / "a")])
    assert brief.exit_code == 0, brief.output
    lines = brief.stdout.splitlines()
    assert len(lines) <= 60
    assert any(line.startswith("People you wrote to or heard from can tie") for line in lines)
    assert "mxa links --store" in brief.stdout and "↔" not in brief.stdout
    # the worst exposures, each with its fix, as the report's verdict ranks them
    ranked = brief.stdout.split("What gives you away, worst first:")[1]
    assert "1. 7 of your correspondents" in " ".join(ranked.split())
    assert ranked.count("Fix:") == 3 and "more in the report" in ranked
    full = runner.invoke(app, ["audit", str(sample_mailbox()), "--out", str(tmp_path / "b"),
                               "--verbose"])  # fmt: skip
    assert full.exit_code == 0 and full.stdout.count("↔") >= 13
