"""Output folders that cannot be turned against the user.

Each test drives the real command (``python -m analyzer`` or typer's runner) into a folder
that someone prepared: symbolic links planted inside it, the user's own files in it, a run
killed or out of disk space halfway, a second run at the same time, a redacted copy aimed
at the private originals, and the modes of what is written.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.errors import OutputError
from analyzer.findings import write_findings
from analyzer.graphs import write_graphs
from analyzer.output_folder import write_outputs
from tests.conftest import make_message

REPO = Path(__file__).resolve().parent.parent
ME = "me@home.example"
OUTPUTS = ("findings.json", "report.html", "report.md")
runner = CliRunner()


def _mbox(path: Path, count: int = 30) -> Path:
    mails = [
        b"From a@b Tue Mar 14 10:00:00 2023\n"
        + make_message(
            sender=f"Person {n % 5} <p{n % 5}@d{n % 3}.example>",
            to=f"Me <{ME}>",
            message_id=f"<{n}@example.org>",
            date=f"Tue, 14 Mar 2023 1{n % 10}:00:00 +0100",
        )
        + b"\n"
        for n in range(count)
    ]
    path.write_bytes(b"".join(mails))
    return path


def _mxa(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analyzer", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )  # fmt: skip


def _run(*args: str, **popen) -> subprocess.CompletedProcess:
    child = _mxa(*args, **popen)
    stdout, stderr = child.communicate(timeout=300)
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def _audit(mbox: Path, out: Path, *more: str) -> None:
    result = runner.invoke(app, ["audit", str(mbox), "--out", str(out), "--me", ME, "-q", *more])
    assert result.exit_code == 0, result.output


def _one_line_refusal(output: str, *words: str) -> None:
    assert "Traceback" not in output
    assert output.strip().count("\n") == 0, output
    for word in words:
        assert word in output, output


def _snapshot(out: Path) -> dict[str, bytes]:
    """Every output file (the store aside) by its path in the folder."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and not path.relative_to(out).as_posix().startswith(("store/", "."))
    }


# -- 1. symbolic links inside --out are never followed -----------------------------------


@pytest.fixture
def planted(tmp_path):
    """An --out holding links to a victim file and a victim folder outside it."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.json").symlink_to(victim)
    (out / "graphs").symlink_to(elsewhere)
    return out, victim, elsewhere


def test_links_planted_in_out_are_refused_and_never_followed(tmp_path, planted):
    out, victim, elsewhere = planted
    mbox = _mbox(tmp_path / "a.mbox")
    refused = runner.invoke(app, ["audit", str(mbox), "--out", str(out), "-q"])
    assert refused.exit_code == 2
    _one_line_refusal(refused.output, "findings.json")
    assert victim.read_text() == "precious\n" and not any(elsewhere.iterdir())
    # --force replaces the links themselves by the outputs: still nothing written outside
    _audit(mbox, out, "--force")
    assert victim.read_text() == "precious\n" and not any(elsewhere.iterdir())
    assert not (out / "findings.json").is_symlink() and not (out / "graphs").is_symlink()
    assert json.loads((out / "findings.json").read_text())["schema"].startswith("mxa.findings")


def test_a_link_planted_later_in_an_mxa_folder_is_refused(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    _audit(mbox, out)
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"mine")
    figure = next((out / "figures").iterdir())
    figure.unlink()
    figure.symlink_to(victim)
    refused = runner.invoke(app, ["audit", str(mbox), "--out", str(out), "-q"])
    assert refused.exit_code == 2
    _one_line_refusal(refused.output, figure.name)
    assert victim.read_bytes() == b"mine"


def test_a_link_in_place_of_the_store_is_refused(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "store").symlink_to(elsewhere)
    for extra in ([], ["--force"]):
        refused = runner.invoke(app, ["audit", str(mbox), "--out", str(out), "-q", *extra])
        assert refused.exit_code == 2
        _one_line_refusal(refused.output, "store", "symbolic link")
    assert not any(elsewhere.iterdir())


@pytest.mark.parametrize("command", ["graph", "export", "report"])
def test_the_other_commands_never_write_through_a_link(tmp_path, command):
    mbox, audit = _mbox(tmp_path / "a.mbox"), tmp_path / "audit"
    _audit(mbox, audit)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    name = {"graph": "identities.graphml", "export": "messages.csv", "report": "report.md"}
    (out / name[command]).symlink_to(victim)
    args = [command, "--store", str(audit / "store"), "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    _one_line_refusal(refused.output, name[command])
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert victim.read_text() == "precious\n"
    assert (out / name[command]).is_file() and not (out / name[command]).is_symlink()


def test_the_library_writers_never_write_through_a_link(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "findings.json").symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        write_findings({"schema": "x"}, tmp_path / "findings.json")
    import networkx as nx

    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "x.gexf").symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        write_graphs({"x": nx.Graph([(1, 2)])}, tmp_path / "g", ["gexf"])
    assert victim.read_text() == "precious\n"


# -- 2. the user's own files are never replaced without --force ---------------------------


def test_an_out_holding_the_users_own_files_is_refused_unless_forced(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("my own report")
    (out / "notes.txt").write_text("my notes")
    refused = runner.invoke(app, ["audit", str(mbox), "--out", str(out), "-q"])
    assert refused.exit_code == 2
    _one_line_refusal(refused.output, "report.html", "--force")
    assert (out / "report.html").read_text() == "my own report"
    assert not (out / "store").exists()  # refused before anything was read or written
    _audit(mbox, out, "--force")
    assert "my own report" not in (out / "report.html").read_text()
    assert (out / "notes.txt").read_text() == "my notes"  # not an output: left alone
    _audit(mbox, out)  # mxa's own outputs are replaced without --force


def test_an_output_changed_since_mxa_wrote_it_is_not_replaced(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    _audit(mbox, out)
    for path in out.rglob("*"):  # recognised by content, not by time: a copy stays mxa's
        if path.is_file() and not path.is_symlink():
            os.utime(path, (1, 1))
    _audit(mbox, out)
    (out / "report.md").write_text("# my edits\n")
    refused = runner.invoke(app, ["audit", str(mbox), "--out", str(out), "-q"])
    assert refused.exit_code == 2
    _one_line_refusal(refused.output, "report.md", "--force")
    assert (out / "report.md").read_text() == "# my edits\n"
    (out / "graphs" / "mine.txt").write_text("x")
    refused = runner.invoke(app, ["report", "--store", str(out / "store"), "--out", str(out)])
    assert refused.exit_code == 2
    _one_line_refusal(refused.output, "report.md")


# -- 3. a killed or failed run leaves the previous outputs whole --------------------------


def _changed(out: Path, before: dict[str, int]) -> bool:
    """The run has begun writing outputs: into a staging folder, or over an output."""
    for entry in out.iterdir():
        with contextlib.suppress(FileNotFoundError):  # a staging folder going away
            if entry.name.startswith(".mxa-staging") and any(entry.iterdir()):
                return True
    for name, mtime in before.items():
        try:
            if (out / name).stat().st_mtime_ns != mtime:
                return True
        except FileNotFoundError:
            return True
    return False


def test_a_run_killed_while_writing_leaves_the_previous_outputs_whole(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    _audit(mbox, out)
    good = _snapshot(out)
    _mbox(mbox, 45)  # the next run finds more mail: different findings
    before = {name: (out / name).stat().st_mtime_ns for name in OUTPUTS}
    child = _mxa("audit", str(mbox), "--out", str(out), "--me", ME, "-q")
    deadline = time.monotonic() + 120
    while not _changed(out, before):
        assert child.poll() is None, "the run ended before it was seen writing"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    assert _snapshot(out) == good
    json.loads((out / "findings.json").read_text())
    again = _run("audit", str(mbox), "--out", str(out), "--me", ME, "-q")
    assert again.returncode == 0, again.stderr
    assert not [e for e in out.iterdir() if e.name.startswith(".mxa-staging")]
    assert json.loads((out / "findings.json").read_text())["input"]["messages_read"] == 45


def _at_most(size: int):
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails: EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_a_full_disk_is_one_line_and_the_previous_outputs_stay(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    _audit(mbox, out)
    good = _snapshot(out)
    store = [p.stat().st_size for p in (out / "store").rglob("*") if p.is_file()]
    assert len(good["report.html"]) > 100_000 > max(*store, len(good["findings.json"]))
    _mbox(mbox, 45)
    failed = _run("audit", str(mbox), "--out", str(out), "--me", ME, "-q",
                  preexec_fn=_at_most(100_000))  # fmt: skip
    assert failed.returncode == 2, failed.stderr
    # the first file past the limit: a figure or the report, whichever is written first
    too_big = sorted(name for name, data in good.items() if len(data) > 100_000)
    assert "report.html" in too_big
    _one_line_refusal(failed.stderr, f"cannot write {out}", "too large")
    assert any(f"cannot write {out / name}:" in failed.stderr for name in too_big), failed.stderr
    assert _snapshot(out) == good
    assert not [e for e in out.iterdir() if e.name.startswith(".mxa-staging")]


def _written(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _outputs(text: str):
    return lambda staging: [_written(staging / "a.txt", text), _written(staging / "b" / "c", text)]


def test_a_commit_cut_short_is_completed_by_the_next_run(tmp_path):
    """A kill between the renames of one commit: the next run puts the rest in place."""
    out = tmp_path / "out"
    write_outputs(out, ["a.txt", "b"], _outputs("old"))
    child = os.fork()
    if child == 0:  # a run that dies right after its first output is in place
        real_replace = os.replace

        def replace_then_die(source, target, *args, **kwargs):
            real_replace(source, target, *args, **kwargs)
            if Path(target) == out / "a.txt":
                os.kill(os.getpid(), signal.SIGKILL)

        os.replace = replace_then_die
        write_outputs(out, ["a.txt", "b"], _outputs("new"))
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert (out / "a.txt").read_text() == "new" and (out / "b" / "c").read_text() == "old"
    write_outputs(out, ["other.txt"], lambda staging: [_written(staging / "other.txt", "x")])
    assert (out / "b" / "c").read_text() == "new"  # the cut commit was completed first
    assert sorted(p.name for p in out.iterdir()) == [
        ".mxa-lock", ".mxa-outputs.json", "a.txt", "b", "other.txt"
    ]  # fmt: skip
    write_outputs(out, ["a.txt", "b"], _outputs("newer"))  # all of them mxa's, as listed


# -- 4. one run at a time per folder -------------------------------------------------------


def test_a_second_run_into_a_folder_being_written_is_refused(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    _audit(mbox, out)
    good = _snapshot(out)
    before = {name: (out / name).stat().st_mtime_ns for name in OUTPUTS}
    first = _mxa("audit", str(mbox), "--out", str(out), "--me", ME, "-q")
    deadline = time.monotonic() + 120
    while not _changed(out, before):
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)
    first.send_signal(signal.SIGSTOP)  # caught in the middle of writing its outputs
    try:
        for args in (["audit", str(mbox), "--me", ME], ["report", "--store", str(out / "store")]):
            second = _run(*args, "--out", str(out), "-q" if args[0] == "audit" else "--force")
            assert second.returncode == 2, second.stderr
            _one_line_refusal(second.stderr, "another mxa run")
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=120) == 0, first.stderr.read()
    first.communicate()
    assert _snapshot(out).keys() == good.keys()
    again = _run("report", "--store", str(out / "store"), "--out", str(out))
    assert again.returncode == 0, again.stderr  # the lock went with the run


# -- 5. a redacted copy never replaces the private originals ------------------------------


def test_report_redact_into_the_audit_folder_writes_nothing(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    _audit(mbox, out)
    good = _snapshot(out)
    args = ["report", "--store", str(out / "store"), "--out", str(out), "--redact"]
    for extra in ([], ["--force"]):
        refused = runner.invoke(app, [*args, *extra])
        assert refused.exit_code == 2
        _one_line_refusal(refused.output, "private")
        assert _snapshot(out) == good


def test_private_outputs_never_go_into_a_redacted_copy(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    _audit(mbox, out, "--redact")
    shared = _snapshot(out / "redacted")
    refused = runner.invoke(
        app, ["report", "--store", str(out / "store"), "--out", str(out / "redacted")]
    )
    assert refused.exit_code == 2
    _one_line_refusal(refused.output, "redacted")
    assert _snapshot(out / "redacted") == shared
    again = runner.invoke(app, ["report", "--store", str(out / "store"),
                                "--out", str(out / "redacted"), "--redact"])  # fmt: skip
    assert again.exit_code == 0, again.output
    _audit(mbox, out, "--redact")  # and the audit still owns its redacted copy


# -- 6. private modes, unless asked otherwise ---------------------------------------------


def _modes(out: Path) -> dict[str, int]:
    return {
        path.relative_to(out).as_posix(): stat.S_IMODE(path.lstat().st_mode)
        for path in [out, *out.rglob("*")]
        if not path.relative_to(out).as_posix().startswith("store/")
    }


def _umask(mask: int):
    return lambda: os.umask(mask)


def test_outputs_are_private_by_default(tmp_path):
    mbox, out = _mbox(tmp_path / "a.mbox"), tmp_path / "out"
    done = _run("audit", str(mbox), "--out", str(out), "-q", "--redact",
                preexec_fn=_umask(0o022))  # fmt: skip
    assert done.returncode == 0, done.stderr
    modes = _modes(out)
    assert {"findings.json", "report.html", "figures", "graphs", "redacted/store"} <= set(modes)
    for name, mode in modes.items():
        expected = 0o700 if (out / name).is_dir() else 0o600
        assert mode == expected, f"{name} is {mode:o}"
    assert stat.S_IMODE((out / "store").stat().st_mode) == 0o700  # the store, closed too


def test_shared_permissions_follow_the_umask(tmp_path):
    mbox = _mbox(tmp_path / "a.mbox")
    for mask, folders, files in ((0o022, 0o755, 0o644), (0o077, 0o700, 0o600)):
        out = tmp_path / f"out{mask:o}"
        done = _run("audit", str(mbox), "--out", str(out), "-q", "--shared-permissions",
                    preexec_fn=_umask(mask))  # fmt: skip
        assert done.returncode == 0, done.stderr
        for name, mode in _modes(out).items():
            expected = folders if (out / name).is_dir() else files
            assert mode == expected, f"{name} is {mode:o} under umask {mask:o}"
