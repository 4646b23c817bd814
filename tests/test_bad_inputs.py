"""Bad input at the command line: one line and exit code 2, and nothing left out unnamed.

Each test is an attack that once ended in a traceback, an empty audit or a folder
left out with nothing but a count to show for it.
"""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.errors import SourceError
from analyzer.ingest import ingest
from analyzer.sources import discover_sources
from analyzer.store import read_frame
from tests.conftest import REPO, make_message

runner = CliRunner()
SEPARATOR = b"From sender@example.org Tue Mar 14 10:00:00 2023\n"


def mbox(path: Path, count: int = 3, start: int = 0) -> Path:
    path.write_bytes(
        b"".join(
            SEPARATOR + make_message(message_id=f"<{n}@example.org>") + b"\n"
            for n in range(start, start + count)
        )
    )
    return path


def maildir(folder: Path, *names: str) -> Path:
    for leaf in ("cur", "new", "tmp"):
        (folder / leaf).mkdir(parents=True)
    for n, name in enumerate(names):
        (folder / "cur" / name).write_bytes(make_message(message_id=f"<{name}.{n}@example.org>"))
    return folder


def one_line_error(result) -> str:
    """The output of a refused command: exactly one line, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = result.output.strip()
    assert text.count("\n") == 0, text
    return text


def mxa(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args],
        capture_output=True, text=True, check=False, cwd=REPO, timeout=120, **kwargs,
    )  # fmt: skip


# -- 1. a folder that cannot be read is named, with the reason ------------------------
def _without_root_powers() -> None:
    """In the child, before exec: root without the capabilities that read past file
    permissions, so that chmod 000 stops it as it stops anyone else."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def test_a_maildir_folder_that_cannot_be_read_is_named_not_just_counted(tmp_path):
    inbox = maildir(tmp_path / "Maildir", "1.M1:2,S")
    maildir(inbox / ".Sent", "2.M2:2,S")
    (inbox / ".Sent").chmod(0)
    as_root = {"preexec_fn": _without_root_powers} if os.geteuid() == 0 else {}
    try:
        completed = mxa("ingest", str(inbox), "--store", str(tmp_path / "store"), **as_root)
        quiet = mxa("ingest", str(inbox), "--store", str(tmp_path / "again"), "-q", **as_root)
    finally:
        (inbox / ".Sent").chmod(0o755)
    assert completed.returncode == 0, completed.stderr  # the rest is read
    assert "Traceback" not in completed.stderr
    (line,) = [line for line in completed.stderr.splitlines() if ".Sent" in line]
    assert "cannot read the folder" in line and "Permission denied" in line
    assert len(read_frame(tmp_path / "store", "messages")) == 1
    assert quiet.stdout == "" and line in quiet.stderr  # named even with --quiet


def test_every_skipped_path_says_why(tmp_path):
    inbox = maildir(tmp_path / "Maildir", "1.M1:2,S")
    (inbox / ".Sent").symlink_to(tmp_path / "gone", target_is_directory=True)
    (inbox / "README").write_text("not mail\n")
    (inbox / ".dovecot.index").write_bytes(b"\0\1\2")
    result = ingest([inbox], tmp_path / "store", jobs=1)
    reasons = {Path(skipped.path).name: skipped.reason for skipped in result.skipped_files}
    assert reasons == {
        ".Sent": "a broken link",
        "README": "not mail",
        ".dovecot.index": "a hidden file",
    }
    assert [s.path for s in result.skipped_files if s.may_hold_mail] == [str(inbox / ".Sent")]
    shown = runner.invoke(app, ["ingest", str(inbox), "--store", str(tmp_path / "store")])
    assert shown.exit_code == 0, shown.output
    assert f"not read: {inbox / '.Sent'}: a broken link" in shown.output
    assert f"skipped {inbox / 'README'}: not mail" in shown.output
    # the audit's summary counts what is not mail; --verbose names it
    audited = runner.invoke(app, ["audit", str(inbox), "--out", str(tmp_path / "audit")])
    assert "2 files skipped as not mail (--verbose names them)" in audited.output
    assert f"skipped {inbox / 'README'}" not in audited.output
    assert f"not read: {inbox / '.Sent'}: a broken link" in audited.output


# -- 2. deep folders -------------------------------------------------------------------
def test_fifteen_hundred_nested_folders_are_walked_without_recursion(tmp_path):
    folders = [tmp_path]
    for _ in range(1500):  # Path.mkdir(parents=True) and shutil.rmtree recurse: not here
        folders.append(folders[-1] / "d")
        folders[-1].mkdir()
    deepest = folders[-1]
    try:
        (deepest / "deep.eml").write_bytes(make_message())
        (deepest / "up").symlink_to(folders[1], target_is_directory=True)  # a loop, far down
        files, skipped = discover_sources([tmp_path])
        assert [f.path for f in files] == [deepest / "deep.eml"]
        assert [s.reason for s in skipped] == ["a link back to a folder already read"]
        store = str(tmp_path.parent / f"{tmp_path.name}-store")
        result = runner.invoke(app, ["ingest", str(tmp_path), "--store", store])
        assert result.exit_code == 0, result.output[-2000:]
    finally:
        (deepest / "up").unlink(missing_ok=True)
        (deepest / "deep.eml").unlink(missing_ok=True)
        for folder in reversed(folders[1:]):
            folder.rmdir()


# -- 3. stores with nothing, and manifests that lie -------------------------------------
def test_stats_of_a_store_without_messages_shows_zero(tmp_path):
    archive = tmp_path / "broken.mbox"
    archive.write_bytes(SEPARATOR + b"\x00\x01 no header here\n\n")
    assert ingest([archive], tmp_path / "store", jobs=1).quarantined == 1
    shown = runner.invoke(app, ["stats", "--store", str(tmp_path / "store"), "--json"])
    assert shown.exit_code == 0, shown.output
    stats = json.loads(shown.output)
    assert (stats["messages"], stats["quarantined"], stats["top_domains"]) == (0, 1, [])
    assert runner.invoke(app, ["stats", "--store", str(tmp_path / "store")]).exit_code == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("parts", "x"),
        ("parts", {"messages": 5}),
        ("parts", {"messages": [1]}),
        ("parts", {"messages": ["../../../elsewhere.parquet"]}),
        ("files", []),
        ("files", {"/a.mbox": {"size": "big"}}),
        ("files", {"/a.mbox": {"complete": "yes"}}),
        ("files", {"/a.mbox": 3}),
        ("runs", "x"),
        ("runs", [{"parsed": "many"}]),
        ("totals", []),
    ],
)
def test_a_manifest_with_wrong_types_is_one_line(tmp_path, field, value):
    store = tmp_path / "store"
    ingest([mbox(tmp_path / "a.mbox")], store, jobs=1)
    manifest = json.loads((store / "mxa-store.json").read_text())
    manifest[field] = value
    (store / "mxa-store.json").write_text(json.dumps(manifest))
    for command in (["stats"], ["links"]):
        line = one_line_error(runner.invoke(app, [*command, "--store", str(store)]))
        assert "mxa-store.json" in line and field in line and "rebuild" in line
    refused = runner.invoke(app, ["ingest", str(tmp_path / "a.mbox"), "--store", str(store)])
    assert "rebuild" in one_line_error(refused)
    assert (tmp_path / "a.mbox").exists()


def test_totals_that_are_no_counts_are_left_out_of_stats(tmp_path):
    """The totals are sums each commit works out again from the runs (readers take the
    counts they can; tests/test_analysis_bounds.py): stats shows the counts, not a traceback."""
    store = tmp_path / "store"
    ingest([mbox(tmp_path / "a.mbox")], store, jobs=1)
    manifest = json.loads((store / "mxa-store.json").read_text())
    manifest["totals"] = {"parsed": "x", "duplicates": -3, "messages_read": 3}
    (store / "mxa-store.json").write_text(json.dumps(manifest))
    shown = runner.invoke(app, ["stats", "--store", str(store)])
    assert shown.exit_code == 0, shown.output
    assert "read over all runs" in shown.output
    assert json.loads(runner.invoke(app, ["stats", "--store", str(store), "--json"]).output)[
        "totals"
    ] == {"messages_read": 3}


# -- 4. a source with no mail in it ----------------------------------------------------
@pytest.mark.parametrize("kind", ["random", "elf", "empty"])
def test_a_file_with_no_mail_in_it_is_an_error_not_an_empty_audit(tmp_path, kind):
    junk = tmp_path / f"{kind}.bin"
    junk.write_bytes(
        random.Random(7).randbytes(5000) if kind == "random"
        else Path(sys.executable).resolve().read_bytes()[:20000] if kind == "elf"
        else b""
    )  # fmt: skip
    out = tmp_path / "audit"
    line = one_line_error(runner.invoke(app, ["audit", str(junk), "--out", str(out), "-q"]))
    assert f"no mail found in {junk}" in line
    assert "not an mbox, .eml, PST, Outlook or Apple Mail message" in line or "empty" in line
    assert not (out / "findings.json").exists()


def test_an_empty_maildir_is_no_mail_either(tmp_path):
    inbox = maildir(tmp_path / "Maildir")
    line = one_line_error(
        runner.invoke(app, ["ingest", str(inbox), "--store", str(tmp_path / "s")])
    )
    assert f"no mail found in {inbox}" in line


def test_one_source_without_mail_stops_the_run_before_anything_is_read(tmp_path):
    good = mbox(tmp_path / "good.mbox")
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping list\n")
    store = tmp_path / "store"
    refused = runner.invoke(app, ["ingest", str(good), str(junk), "--store", str(store)])
    line = one_line_error(refused)
    assert str(junk) in line and str(good) not in line
    assert not store.exists()  # nothing half done: name the sources again without it
    with pytest.raises(SourceError, match=r"notes\.txt"):
        discover_sources([good, junk])


def test_a_mail_file_that_is_all_garbage_is_quarantined_not_refused(tmp_path):
    archive = tmp_path / "one.mbox"
    archive.write_bytes(SEPARATOR + random.Random(3).randbytes(300).replace(b"\n", b" ") + b"\n")
    named = tmp_path / "named.eml"
    named.write_bytes(b"\n\njust a body, no header at all\n")
    result = ingest([archive, named], tmp_path / "store", jobs=1)
    assert (result.parsed, result.quarantined) == (0, 2)


def test_a_grown_mbox_with_nothing_new_is_fine(tmp_path):
    archive, store = mbox(tmp_path / "a.mbox"), tmp_path / "store"
    ingest([archive], store, jobs=1)
    again = runner.invoke(app, ["ingest", str(archive), "--store", str(store)])
    assert again.exit_code == 0, again.output


# -- 5. --me must be an address ----------------------------------------------------------
@pytest.mark.parametrize("given", ["not an address", "me@", "@example.org", "a@b@c", "me"])
def test_me_must_be_an_address(tmp_path, given):
    store = tmp_path / "store"
    ingest([mbox(tmp_path / "a.mbox")], store, jobs=1)
    line = one_line_error(runner.invoke(app, ["links", "--store", str(store), "--me", given]))
    assert "--me" in line and given in line
    out = tmp_path / "audit"
    refused = runner.invoke(app, ["audit", str(tmp_path / "a.mbox"), "--out", str(out), "--me",
                                  "alice@example.org", "--me", given, "-q"])  # fmt: skip
    assert "--me" in one_line_error(refused)
    assert not out.exists()


@pytest.mark.parametrize("given", ["alice@example.org", "<Alice@Example.org>", "raju@bhairavi"])
def test_me_takes_an_address_as_people_write_it(tmp_path, given):
    store = tmp_path / "store"
    ingest([mbox(tmp_path / "a.mbox")], store, jobs=1)
    shown = runner.invoke(app, ["links", "--store", str(store), "--me", given, "--json"])
    if given == "raju@bhairavi":  # taken as written, and not in this mail: said so, exit 2
        assert shown.exit_code == 2 and "raju@bhairavi" in shown.stderr
        assert "appears in any header" in shown.stderr
    else:
        assert shown.exit_code == 0, shown.output


# -- 6. Ctrl-C ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_mbox(tmp_path_factory) -> Path:
    """Enough mail that an audit runs for seconds on two cores."""
    path = tmp_path_factory.mktemp("big") / "big.mbox"
    with open(path, "wb") as stream:
        for n in range(5_000):
            stream.write(SEPARATOR + make_message(
                sender=f"Person {n % 700} <p{n % 700}@example{n % 37}.org>",
                to=f"q{n % 300}@example{n % 11}.net", message_id=f"<{n}@example.org>",
                extra=f"Received: from host{n % 50}.example.org ([192.0.2.{n % 200}]) by mx"
            ) + b"\n")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def big_store(big_mbox, tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("big") / "store"
    ingest([big_mbox], store, jobs=1)
    return store


def _first_output(process: subprocess.Popen) -> None:
    assert process.stdout.readline()  # audit prints once all is done: it is on its way out


def _mapped(library: str):
    """Until the process has loaded ``library`` (Linux: its memory map)."""

    def wait(process: subprocess.Popen) -> None:
        maps = Path(f"/proc/{process.pid}/maps")
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if library in maps.read_text():
                    return
            time.sleep(0.002)

    return wait


def _store_begun(out: Path):
    def wait(process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while not (out / "store" / "mxa-store.json").exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    return wait


def _python_started(process: subprocess.Popen) -> None:
    """Until env has reset Ctrl-C and become Python (a signal before then may be ignored)."""
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    python = os.fsencode(sys.executable) + b"\0-m\0analyzer\0"
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if cmdline.read_bytes().startswith(python):
                return
        time.sleep(0.001)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


MOMENTS = {
    "at once": lambda out: lambda process: None,
    "0.1 s": lambda out: lambda process: time.sleep(0.1),
    "0.3 s": lambda out: lambda process: time.sleep(0.3),
    "loading pyarrow": lambda out: _mapped("libarrow"),  # the heavy imports
    "reading": _store_begun,  # ingest, with its workers
    "analysing": lambda out: _mapped("pandas/_libs"),  # mxa links on a store
    "first output": lambda out: _first_output,
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_ctrl_c_at_any_moment_exits_130_without_a_traceback(tmp_path, big_mbox, big_store, moment):
    out = tmp_path / "audit"
    command = (
        ["links", "--store", str(big_store)] if moment == "analysing"
        else ["audit", str(big_mbox), "--out", str(out), "-j", "2"]
    )  # fmt: skip
    # as from a terminal, whatever started this test run: a script's background job, for
    # one, starts with Ctrl-C ignored, and so would mxa (env resets it before Python starts)
    process = subprocess.Popen(
        ["env", "--default-signal=INT", sys.executable, "-m", "analyzer", *command],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True,
    )  # fmt: skip
    try:
        _python_started(process)
        MOMENTS[moment](out)(process)
        assert process.poll() is None, "the run ended before it could be interrupted"
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the workers get it too
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    # At once, the signal comes before Python has set up its handlers, and after the last
    # output maybe after it has put them away on its way out: either way SIGINT stops it,
    # which a shell reports as 130 too. Within Python's own start-up (site, runpy: a few
    # hundredths of a second, before any line of mxa runs) Python would print a traceback:
    # that window is Python's, and not tested.
    either = moment in ("at once", "first output")
    assert process.returncode in ((130, -signal.SIGINT) if either else (130,)), stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.strip() in ("", "interrupted"), stderr
    deadline = time.monotonic() + 10  # and no worker outlives it
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(process.pid)
    if moment == "reading":  # what was committed stays, and the next run goes on from it
        again = ingest([big_mbox], out / "store", jobs=1)
        assert again.files_resumed + again.files_new == 1
        assert len(read_frame(out / "store", "messages")) == 5_000


def test_a_run_started_with_ctrl_c_ignored_keeps_ignoring_it(tmp_path, big_mbox):
    """``nohup mxa …`` or a script's ``mxa … &``: Ctrl-C is not meant for it."""
    out = tmp_path / "audit"
    command = f"trap '' INT; exec {sys.executable} -m analyzer audit {big_mbox} --out {out} -q"
    process = subprocess.Popen(
        ["sh", "-c", command], stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True,
    )  # fmt: skip
    try:
        _store_begun(out)(process)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, stderr
    assert (out / "findings.json").is_file()


def test_the_entry_point_takes_ctrl_c_in_hand_before_the_heavy_imports():
    """``mxa`` and ``python -m analyzer`` start in analyzer.__main__, which loads neither
    pyarrow nor pandas before it has set the handler."""
    with open(REPO / "pyproject.toml", "rb") as stream:
        scripts = tomllib.load(stream)["project"]["scripts"]
    assert scripts["mxa"] == "analyzer.__main__:main"
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, analyzer.__main__; print(sorted(sys.modules))"],
        capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout  # fmt: skip
    assert "pyarrow" not in loaded and "pandas" not in loaded and "typer" not in loaded
