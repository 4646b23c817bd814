#!/usr/bin/env python3
"""Does the analysis stay linear? Time and peak memory of ``mxa audit``, in one run.

Three measurements, each against a baseline from the same run:

1. ``mxa audit`` of the generated 20,000-message archive, without ``--me`` (owner
   detected) and with it, against ``mxa ingest`` of the same archive: seconds, the
   ratio to ingest, and the peak resident memory of the biggest process.
2. The many-owner case: ``mxa audit`` (owner detected) of the generated archive in which
   each message is delivered to a mailbox of its own (``make_mbox.py
   --each-to-another-mailbox``: a server's Maildir, a journal), against ``mxa ingest``
   of it and against the targets (under 240 s, under 1 GB). It is read as an archive of
   many people's mail; detection once took thousands of its addresses for one person's
   and the audit ran for over 20 minutes. ``--limit-seconds`` and ``--limit-mb`` stop a
   run that gets away (a stopped run is reported, not waited for).
3. One message to k of the owner's addresses (at a ``--me-domain``) for growing k:
   ``mxa links`` time against the smallest k. Linear growth doubles the time when k
   doubles; the all-pairs analysis this replaced grew four-fold.

Usage::

    python benchmarks/analysis_scale.py [--messages 20000] [--sizes 2000 4000 8000 16000]
    python benchmarks/analysis_scale.py --cases many-mailboxes [--limit-seconds 900]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from ingest_speed import CACHE, generated_mbox  # noqa: E402
from make_mbox import write_mbox  # noqa: E402

# the many-owner case must be audited within these (issue 22)
TARGET_SECONDS, TARGET_MB = 240, 1024


class Stopped(Exception):
    """A command stopped at a limit: over its seconds, or out of its memory."""


def run(
    *args: str, limit_s: float | None = None, limit_mb: float | None = None
) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one mxa command: the biggest of its processes (wait4
    reports the largest of the command and the workers it waited for).

    ``limit_s`` stops it (its whole process group) after so many seconds, ``limit_mb``
    caps each of its processes' address space, so that a runaway cannot take the machine:
    either raises :class:`Stopped`.
    """
    started = time.perf_counter()
    command = [sys.executable, "-m", "analyzer", *args]

    def cap() -> None:
        if limit_mb:
            limit = int(limit_mb * 2**20)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=cap if limit_mb else None,
    )  # fmt: skip
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG if limit_s else 0)
        if pid:
            break
        if time.perf_counter() - started > limit_s:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            raise Stopped(f"stopped after {limit_s:.0f} s, peak {usage.ru_maxrss / 1024:,.0f} MB")
        time.sleep(0.5)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        if limit_mb:
            raise Stopped(f"exit code {process.returncode} with {limit_mb:,.0f} MB of address "
                          f"space, peak {usage.ru_maxrss / 1024:,.0f} MB")  # fmt: skip
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def many_mailboxes_mbox(messages: int, seed: int) -> Path:
    """The generated archive of ``messages``, each delivered to a mailbox of its own (cached)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"generated-{messages}-seed{seed}-each-to-another-mailbox.mbox"
    if not path.exists():
        started = time.perf_counter()
        write_mbox(path, messages, seed, each_to_another_mailbox=True)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return path


def whole_archive(messages: int, tmp: Path) -> None:
    archive = generated_mbox(messages, seed=1)
    size_mb = archive.stat().st_size / 1e6
    print(f"{archive.name}: {messages:,} messages, {size_mb:,.0f} MB")
    ingest_s, ingest_mb = run("ingest", str(archive), "--store", str(tmp / "store"), "-q")
    print(f"  mxa ingest (baseline)       {ingest_s:7.1f} s  peak {ingest_mb:6.0f} MB")
    detected_s, detected_mb = run("audit", str(archive), "--out", str(tmp / "detected"), "-q")
    print(f"  mxa audit, owner detected   {detected_s:7.1f} s  peak {detected_mb:6.0f} MB"
          f"  ({detected_s / ingest_s:.2f}x ingest)")  # fmt: skip
    me = ["--me", "bob@example.org", "--me", "ben.archer.mail@gmail.com"]
    given_s, given_mb = run("audit", str(archive), "--out", str(tmp / "given"), "-q", *me)
    print(f"  mxa audit --me (2 given)    {given_s:7.1f} s  peak {given_mb:6.0f} MB"
          f"  ({given_s / ingest_s:.2f}x ingest)")  # fmt: skip


def many_mailboxes(
    messages: int, tmp: Path, limit_s: float | None, limit_mb: float | None
) -> dict[str, object]:
    """The many-owner case (2. above): its row, also as JSON for the README."""
    archive = many_mailboxes_mbox(messages, seed=1)
    size_mb = archive.stat().st_size / 1e6
    print(f"{archive.name}: {messages:,} messages, each to another mailbox, {size_mb:,.0f} MB")
    out = tmp / "many-mailboxes"
    ingest_s, ingest_mb = run("ingest", str(archive), "--store", str(out / "store"), "-q")
    print(f"  mxa ingest (baseline)       {ingest_s:7.1f} s  peak {ingest_mb:6.0f} MB")
    row: dict[str, object] = {"messages": messages, "ingest_s": ingest_s, "ingest_mb": ingest_mb}
    try:
        audit_s, audit_mb = run("audit", str(archive), "--out", str(out), "-q",
                                limit_s=limit_s, limit_mb=limit_mb)  # fmt: skip
    except Stopped as stopped:
        print(f"  mxa audit, owner detected   {stopped}")
        return {**row, "stopped": str(stopped)}
    met = audit_s < TARGET_SECONDS and audit_mb < TARGET_MB
    print(f"  mxa audit, owner detected   {audit_s:7.1f} s  peak {audit_mb:6.0f} MB"
          f"  ({audit_s / ingest_s:.2f}x ingest; target < {TARGET_SECONDS} s, "
          f"< {TARGET_MB} MB: {'met' if met else 'NOT met'})")  # fmt: skip
    findings = json.loads((out / "findings.json").read_text("utf-8"))
    how = findings["owner"]["how"]
    print(f"  owner: {len(findings['owner']['identities'])} identities; how: {how}")
    return {**row, "audit_s": audit_s, "audit_mb": audit_mb, "how": how}


def one_message_to_many(sizes: list[int], tmp: Path) -> None:
    print("one message to k of the owner's addresses (mxa links --me-domain corp.example)")
    baseline = None
    for k in sizes:
        # a thousand to a To line: one field is read up to 64 Ki characters
        lines = "".join(
            "To: " + ", ".join(f"user{i}@corp.example" for i in range(start, min(k, start + 1000)))
            + "\n"
            for start in range(0, k, 1000)
        )  # fmt: skip
        archive = tmp / f"to-{k}.mbox"
        archive.write_text(
            "From x@y Mon Jan  1 00:00:00 2024\nFrom: Boss <boss@partner.example>\n"
            f"{lines}Subject: all hands\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
            f"Message-ID: <all-{k}@partner.example>\n\nhi\n"
        )
        store = tmp / f"store-{k}"
        run("ingest", str(archive), "--store", str(store), "-q")
        seconds, peak = run("links", "--store", str(store), "--me-domain", "corp.example")
        baseline = baseline or (k, seconds)
        ratio = seconds / baseline[1]
        growth = f"{ratio:4.1f}x the k={baseline[0]:,} time (k is {k / baseline[0]:.0f}x)"
        print(f"  k={k:5,}  {seconds:6.2f} s  peak {peak:6.0f} MB  {growth}")


CASES = ["whole", "many-mailboxes", "one-message"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=CASES)
    parser.add_argument("--limit-seconds", type=float, default=900,
                        help="stop the many-mailbox audit after so many seconds")  # fmt: skip
    parser.add_argument("--limit-mb", type=float, default=None,
                        help="address space of each of its processes, in MB")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the many-mailbox row to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if "whole" in args.cases:
            whole_archive(args.messages, Path(tmp))
        if "many-mailboxes" in args.cases:
            row = many_mailboxes(args.messages, Path(tmp), args.limit_seconds, args.limit_mb)
            if args.json:
                args.json.write_text(json.dumps(row, indent=2) + "\n")
        if "one-message" in args.cases:
            one_message_to_many(args.sizes, Path(tmp))


if __name__ == "__main__":
    main()
