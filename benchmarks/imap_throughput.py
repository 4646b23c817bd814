#!/usr/bin/env python3
"""Header-only ingestion over IMAP: messages per second and bytes on the wire.

Starts a Dovecot on loopback (``tests/imap_server.py``), puts the generated archive's
messages into one folder (straight into its Maildir), then times ``mxa ingest
imaps://…/FOLDER`` end to end and reads from Dovecot's logout line how many bytes went
to mxa, against the archive's size. For comparison, in the same run: ``mxa ingest`` of
the same messages as an mbox. Usage::

    python benchmarks/imap_throughput.py                    # 20,000 generated messages
    python benchmarks/imap_throughput.py --messages 2000    # a quicker look
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
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from make_mbox import write_mbox  # noqa: E402

from analyzer.sources.mbox import MboxReader  # noqa: E402
from tests.imap_server import PASSWORD, Dovecot  # noqa: E402


def _settled(server: Dovecot) -> int:
    """How many sessions Dovecot has logged, once it logs no more (a logout is logged a
    moment after it)."""
    count, still = len(server.sessions()), 0
    while still < 10:
        time.sleep(0.1)
        now = len(server.sessions())
        count, still = now, still + 1 if now == count else 0
    return count


def _sessions_total(sessions: list[dict[str, int]]) -> dict[str, int]:
    """mxa's sessions (its own, and one per worker process) added up."""
    keys = ("out", "in", "hdr_count", "hdr_bytes", "body_count", "body_bytes")
    return {key: sum(s.get(key, 0) for s in sessions) for key in keys}


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    archive = HERE / ".cache" / f"generated-{args.messages}-seed{args.seed}.mbox"
    if not archive.exists():
        archive.parent.mkdir(exist_ok=True)
        write_mbox(archive, args.messages, args.seed)
    with open(archive, "rb") as stream:
        messages = [message.data for message in MboxReader(stream, "bench")]
    server = Dovecot()
    try:
        server.fill_maildir("Bench", messages)
        client = server.client()  # let Dovecot index the folder before the clock starts
        client.select_folder("Bench", readonly=True)
        client.logout()
        before = _settled(server)
        env = dict(os.environ, MXA_IMAP_PASSWORD=PASSWORD)
        mxa = [sys.executable, "-m", "analyzer", "ingest", "-q"]
        with tempfile.TemporaryDirectory() as scratch:
            imap_seconds = _timed(
                [*mxa, server.address("Bench"), "--cafile", server.cafile,
                 "--store", f"{scratch}/imap"], env,
            )  # fmt: skip
            mbox_seconds = _timed([*mxa, str(archive), "--store", f"{scratch}/mbox"], env)
        sessions = server.sessions()[before : _settled(server)]
        counts = _sessions_total(sessions)
    finally:
        server.stop()
    size = archive.stat().st_size
    count = len(messages)
    print(f"`{archive.name}`: {count:,} messages, {size / 1e6:,.0f} MB")
    print()
    print("| read | seconds | messages/s | bytes to mxa | of the archive |")
    print("|---|--:|--:|--:|--:|")
    print(f"| IMAP, Dovecot on loopback | {imap_seconds:.1f} | {count / imap_seconds:,.0f} "
          f"| {counts['out']:,} | {counts['out'] / size:.1%} |")  # fmt: skip
    print(f"| the same messages as an mbox | {mbox_seconds:.1f} | {count / mbox_seconds:,.0f} "
          f"| {size:,} | 100% |")  # fmt: skip
    print()
    print(f"Dovecot's count over mxa's {len(sessions)} sessions: "
          f"{counts.get('hdr_count', 0):,} header blocks "
          f"({counts.get('hdr_bytes', 0):,} bytes), {counts.get('body_count', 0):,} body parts "
          f"({counts.get('body_bytes', 0):,} bytes)")  # fmt: skip


if __name__ == "__main__":
    main()
