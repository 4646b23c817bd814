#!/usr/bin/env python3
"""Does the analysis stay linear? Time and peak memory of ``mxa audit``, in one run.

Two measurements, each against a baseline from the same run:

1. ``mxa audit`` of the generated 20,000-message archive, without ``--me`` (owner
   detected) and with it, against ``mxa ingest`` of the same archive: seconds, the
   ratio to ingest, and the peak resident memory of the biggest process.
2. One message to k of the owner's addresses (at a ``--me-domain``) for growing k:
   ``mxa links`` time against the smallest k. Linear growth doubles the time when k
   doubles; the all-pairs analysis this replaced grew four-fold.

Usage::

    python benchmarks/analysis_scale.py [--messages 20000] [--sizes 2000 4000 8000 16000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from ingest_speed import generated_mbox  # noqa: E402


def run(*args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one mxa command: the biggest of its processes (wait4
    reports the largest of the command and the workers it waited for)."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "analyzer", *args]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        whole_archive(args.messages, Path(tmp))
        one_message_to_many(args.sizes, Path(tmp))


if __name__ == "__main__":
    main()
