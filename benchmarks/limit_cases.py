#!/usr/bin/env python3
"""Hostile archives at the limits, and how much time and memory ``mxa ingest`` takes on each.

Each case writes one archive, runs ``python -m analyzer ingest ARCHIVE --store TMP -q`` in
a child process with one worker, and reads its peak memory (maximum resident set size,
from the kernel) and wall time. ``tests/test_limits.py`` runs the same cases and checks
the bounds; this script prints the table the project's notes quote::

    python benchmarks/limit_cases.py
"""

from __future__ import annotations

import gzip
import json
import lzma
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEPARATOR = b"From sender@example.org Mon Jan  1 00:00:00 2024\n"


def _message(extra: bytes = b"", body: bytes = b"Hello.\n", subject: bytes = b"hi") -> bytes:
    return (
        b"From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: " + subject + b"\n"
        b"Date: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <x@example.org>\n"
        + extra + b"\n" + body
    )  # fmt: skip


def header_block_50_mb(path: Path) -> None:
    lines = b"".join(b"X-Padding-%d: %s\n" % (n, b"v" * 40) for n in range(1_000_000))
    path.write_bytes(SEPARATOR + _message(lines))


def recipients_100_000(path: Path) -> None:
    to = b", ".join(b"person%d@example.com" % n for n in range(100_000))
    path.write_bytes(SEPARATOR + _message(b"Cc: " + to + b"\n"))


def received_10_000(path: Path) -> None:
    hops = b"".join(
        b"Received: from relay%d.example.net (relay%d.example.net [192.0.2.%d]) by "
        b"relay%d.example.net with ESMTP id X%d; Mon, 1 Jan 2024 00:00:%02d +0000\n"
        % (n, n, n % 250, n + 1, n, n % 60)
        for n in range(10_000)
    )
    path.write_bytes(SEPARATOR + _message(hops))


def multipart_nested_10_000(path: Path) -> None:
    depth = 10_000
    opening = b"".join(
        b'--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' % (n, n + 1)
        for n in range(depth)
    )
    body = opening + b"--b%d\nContent-Type: text/plain\n\ndeep\n" % depth
    header = b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b0"\n'
    path.write_bytes(SEPARATOR + _message(header, body))


def header_line_10_mb(path: Path) -> None:
    path.write_bytes(SEPARATOR + b"X-Long: " + b"a" * (10 << 20))


def one_message_2_gb(path: Path) -> None:
    """A sparse file: a header, then 2 GiB of NUL bytes the disk never stores."""
    path.write_bytes(SEPARATOR + _message())
    with open(path, "r+b") as stream:
        stream.truncate(2 << 30)


def garbage_between_messages(path: Path) -> None:
    rng = random.Random(7)
    parts = []
    for n in range(200):
        parts.append(SEPARATOR + _message(subject=b"message %d" % n) + b"\n")
        parts.append(bytes(rng.getrandbits(8) for _ in range(300)) + b"\x00" * 50 + b"\n\n")
    path.write_bytes(b"".join(parts))


def gzip_bomb_4_gb(path: Path) -> None:
    """4 GiB of NUL bytes after an mbox header, as 4,096 gzip members of 1 MiB each."""
    member = gzip.compress(b"\x00" * (1 << 20), compresslevel=9)
    head = gzip.compress(SEPARATOR + _message())
    path.write_bytes(head + member * 4096)


def xz_bomb_4_gb(path: Path) -> None:
    """The same as xz: one stream of 64 MiB of NUL bytes, repeated 64 times."""
    stream = lzma.compress(b"\x00" * (64 << 20), preset=1)
    path.write_bytes(lzma.compress(SEPARATOR + _message()) + stream * 64)


CASES: dict[str, Callable[[Path], None]] = {
    "a 50 MB header block": header_block_50_mb,
    "one message to 100,000 recipients": recipients_100_000,
    "10,000 Received headers": received_10_000,
    "multipart nested 10,000 deep": multipart_nested_10_000,
    "a 10 MB header line, no newline": header_line_10_mb,
    "a 2 GB mbox holding one message": one_message_2_gb,
    "binary garbage between 200 messages": garbage_between_messages,
    "a .gz expanding to 4 GB": gzip_bomb_4_gb,
    "an .xz expanding to 4 GB": xz_bomb_4_gb,
}
_SUFFIX = {"a .gz expanding to 4 GB": ".mbox.gz", "an .xz expanding to 4 GB": ".mbox.xz"}


@dataclass
class Measured:
    case: str
    seconds: float
    peak_mb: float
    returncode: int
    totals: dict
    stderr: str


def measure(case: str, folder: Path) -> Measured:
    """Write the case's archive in ``folder``, ingest it in a child, and measure that child."""
    archive = folder / ("archive" + _SUFFIX.get(case, ".mbox"))
    CASES[case](archive)
    store = folder / "store"
    command = [sys.executable, "-c", _CHILD, str(archive), str(store)]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    seconds = time.perf_counter() - started
    report = json.loads(completed.stdout or "{}")
    archive.unlink()
    return Measured(
        case, seconds, report.get("peak_kb", 0) / 1024, completed.returncode,
        report.get("totals", {}), completed.stderr[-2000:],
    )  # fmt: skip


# In the child: ingest, then report the child's own peak memory (its workers included).
# Its own is VmHWM, the high-water mark of this process image: ru_maxrss of a process
# started by a big parent (a test run) starts at the parent's peak, carried over exec.
_CHILD = """
import json, resource, sys
from analyzer import ingest, read_frame
result = ingest([sys.argv[1]], sys.argv[2], jobs=1)
status = open("/proc/self/status").read()
own = int(status.split("VmHWM:")[1].split()[0])
peak = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
messages = read_frame(sys.argv[2], "messages")
defects = [f"{d['kind']}: {d['header']} {d['detail']}" for row in messages["defects"] for d in row]
print(json.dumps({"peak_kb": peak, "totals": {
    "read": result.messages_read, "parsed": result.parsed, "quarantined": result.quarantined,
    "reasons": [q.reason for q in result.quarantine][:5], "defects": defects[:5]}}))
"""


def baseline_mb() -> float:
    """The peak memory of a child that only imports what the measuring child imports."""
    code = (
        "from analyzer import ingest, read_frame; import pandas; "
        "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               cwd=REPO, check=True)  # fmt: skip
    return int(completed.stdout) / 1024


def main() -> None:
    print(f"imports alone: {baseline_mb():.0f} MB peak")
    print(f"{'case':<38} {'seconds':>8} {'peak MB':>8}  read = parsed + quarantined")
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            found = measure(case, Path(tmp))
        totals = found.totals
        print(
            f"{case:<38} {found.seconds:>8.1f} {found.peak_mb:>8.0f}  "
            f"{totals.get('read')} = {totals.get('parsed')} + {totals.get('quarantined')}"
            + ("" if found.returncode == 0 else f"  exit {found.returncode}")
        )
    print(f"\ncores: {os.cpu_count()}, python {sys.version.split()[0]}, "
          f"{resource.getpagesize()}-byte pages")  # fmt: skip


if __name__ == "__main__":
    main()
