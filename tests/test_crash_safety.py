"""Crash safety: kills at random points, concurrent runs, torn and foreign stores.

``mxa ingest`` and ``mxa audit`` run as real child processes and are killed with SIGKILL
at random moments; each next run completes, the store (and the findings) end up equal
to those of a run that was never interrupted, work committed before a kill is kept,
and no worker process outlives its parent.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analyzer import ingest, read_frame
from analyzer.errors import StoreError
from tests.conftest import make_message

REPO = Path(__file__).resolve().parent.parent
KILLS = 10
SEPARATOR = b"From sender@example.org Mon Jan  1 00:00:00 2024\n"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> list[Path]:
    """An mbox of 8,000 messages and a folder of 150 one-message files."""
    folder = tmp_path_factory.mktemp("archive")
    rng = random.Random(11)
    mails = []
    for n in range(8000):
        hop = (
            f"Received: from host{n % 97}.example.net (host{n % 97}.example.net "
            f"[192.0.2.{n % 250}]) by mx.example.org with ESMTPS id {n}; "
            f"Mon, 1 Jan 2024 00:{n % 60:02d}:00 +0000"
        )
        mails.append(
            SEPARATOR
            + make_message(
                sender=f"Person {n % 211} <p{n % 211}@d{n % 13}.example>",
                to=f"p{rng.randrange(211)}@d{rng.randrange(13)}.example",
                subject=f"message {n}",
                message_id=f"<{n}@example.org>",
                extra=hop,
                body="x" * rng.randrange(2000) + "\n",
            )
            + b"\n"
        )
    mailbox = folder / "big.mbox"
    mailbox.write_bytes(b"".join(mails))
    eml = folder / "eml"
    eml.mkdir()
    for n in range(150):
        (eml / f"{n:03}.eml").write_bytes(make_message(message_id=f"<eml{n}@example.org>"))
    return [mailbox, eml]


def _mxa(*args: str, env: dict | None = None) -> subprocess.Popen:
    environment = {**os.environ, "MXA_COMMIT_MESSAGES": "250", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "analyzer", *args],
        cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _frames(store: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for name in ("messages", "participants", "hops", "keys", "quarantine"):
        frame = read_frame(store, name)
        frame = frame.sort_values(list(frame.columns[:4]), kind="stable").reset_index(drop=True)
        frames[name] = frame.astype(str)
    return frames


def _survivors(marker: str) -> list[int]:
    """Processes whose command line names ``marker`` (a store or output folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in command and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def _committed_messages(store: Path) -> int:
    """The message parts the store's manifest names: what a kill cannot take back."""
    try:
        manifest = json.loads((store / "mxa-store.json").read_text())
    except (OSError, ValueError):  # not there yet, or being replaced this instant
        return 0
    return len(manifest.get("parts", {}).get("messages", []))


def _kill_at_random(command: list[str], marker: str, store: Path, seed: int) -> int:
    """Start the command and SIGKILL it at a random moment, until KILLS kills have hit a
    running process (or the work is done); return how many did.

    A kill comes only once the store shows committed work, then after a random pause, so
    every kill tests that committed work survives it, whatever the machine's speed.
    """
    rng = random.Random(seed)
    hits = 0
    for _ in range(KILLS * 3):
        if hits == KILLS:
            break
        child = _mxa(*command, "--jobs", "2")
        deadline = time.monotonic() + 120
        while not _committed_messages(store) and child.poll() is None:
            assert time.monotonic() < deadline, "no work was committed in two minutes"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 1.0))
        committed = _committed_messages(store)
        if child.poll() is None:
            hits += 1
            child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        child.stderr.close()
        assert _committed_messages(store) >= committed, "a kill took back committed work"
        deadline = time.monotonic() + 5
        while _survivors(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _survivors(marker), "a worker outlived its parent"
    return hits


def test_ingest_killed_at_random_points_ends_equal_to_an_uninterrupted_run(archive, tmp_path):
    reference = tmp_path / "reference"
    ingest(archive, reference, jobs=1)
    store = tmp_path / "store"
    sources = [str(p) for p in archive]
    command = ["ingest", *sources, "--store", str(store), "-q"]
    assert _kill_at_random(command, str(store), store, 5) == KILLS
    final = _mxa("ingest", *sources, "--store", str(store), "-q")
    assert final.wait() == 0, final.stderr.read().decode()
    expected, got = _frames(reference), _frames(store)
    for name in expected:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)


def test_audit_killed_at_random_points_ends_with_the_same_findings(archive, tmp_path):
    sources = [str(p) for p in archive]
    reference = _mxa("audit", *sources, "--out", str(tmp_path / "reference"), "-q")
    assert reference.wait() == 0, reference.stderr.read().decode()
    out = tmp_path / "audit"
    command = ["audit", *sources, "--out", str(out), "-q"]
    assert _kill_at_random(command, str(out), out / "store", 6) == KILLS
    final = _mxa("audit", *sources, "--out", str(out), "-q")
    assert final.wait() == 0, final.stderr.read().decode()
    expected = json.loads((tmp_path / "reference" / "findings.json").read_text())
    got = json.loads((out / "findings.json").read_text())
    assert got == expected


def test_a_second_writer_is_refused_in_one_line_and_readers_never_fail(archive, tmp_path):
    store = tmp_path / "store"
    # copies of the mbox (their messages are duplicates) keep the first run going for
    # long enough, however fast the machine, for the second to find it at work
    copies = [tmp_path / f"copy{n}.mbox" for n in range(3)]
    for copy in copies:
        shutil.copyfile(archive[0], copy)
    sources = [*map(str, archive), *map(str, copies)]
    first = _mxa("ingest", *sources, "--store", str(store), "-q", "--jobs", "1")
    while not (store / "mxa-store.json").exists():
        assert first.poll() is None, first.stderr.read().decode()
        time.sleep(0.01)
    second = subprocess.run(
        [sys.executable, "-m", "analyzer", "ingest", str(archive[1]), "--store", str(store)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert second.returncode == 2
    assert "being written by another mxa run" in second.stderr
    assert second.stderr.strip().count("\n") == 0 and "Traceback" not in second.stderr
    reads = 0
    while first.poll() is None:
        read_frame(store, "messages")  # never a torn part, never a missing one
        read_frame(store, "hops")
        reads += 1
    assert first.returncode == 0 and reads > 0
    assert len(read_frame(store, "messages")) == 8150


def test_a_dead_runs_uncommitted_parts_are_ignored_then_removed(tmp_path):
    archive = tmp_path / "a.mbox"
    archive.write_bytes(SEPARATOR + make_message() + b"\n")
    store = tmp_path / "store"
    ingest([archive], store, jobs=1)
    torn = store / "messages.parquet" / "part-0099-00000.parquet"
    torn.write_bytes(b"PAR1 a part cut short by a kill")
    (store / "participants.parquet" / ".part-0099-00001.parquet.tmp").write_bytes(b"PAR1")
    assert len(read_frame(store, "messages")) == 1  # readers see committed parts only
    archive.write_bytes(archive.read_bytes() + SEPARATOR + make_message(subject="two") + b"\n")
    ingest([archive], store, jobs=1)
    assert not torn.exists() and not list((store / "participants.parquet").glob(".part-*"))
    assert len(read_frame(store, "messages")) == 2


@pytest.mark.parametrize("damage", ["manifest", "part"])
def test_a_damaged_store_is_a_one_line_error_that_says_how_to_rebuild(tmp_path, damage):
    archive = tmp_path / "a.mbox"
    archive.write_bytes(SEPARATOR + make_message() + b"\n")
    store = tmp_path / "store"
    ingest([archive], store, jobs=1)
    if damage == "manifest":
        (store / "mxa-store.json").write_text('{"schema": "mxa.store/2", "parts": ')
    else:
        part = next((store / "messages.parquet").glob("part-*.parquet"))
        part.write_bytes(part.read_bytes()[:50])
    with pytest.raises(StoreError, match="rebuild"):
        read_frame(store, "messages")
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "stats", "--store", str(store)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 2 and "rebuild" in completed.stderr
    assert "Traceback" not in completed.stderr and completed.stderr.strip().count("\n") == 0


def test_a_foreign_folder_is_no_store(tmp_path):
    (tmp_path / "mxa-store.json").write_text('{"schema": "something else"}')
    with pytest.raises(StoreError, match="not an mxa store"):
        read_frame(tmp_path, "messages")
