#!/usr/bin/env python3
"""Messages per second of ``mxa ingest`` against a plain mail-parser loop, in one run.

Two inputs: the largest mbox of the real corpora (beside the repository,
``tests/real_mail.py``; decompressed once into the cache) and a generated mbox of
realistic messages (``make_mbox.py``: several Received headers each, some large
attachments). For each, the same file is

- ingested by ``python -m analyzer ingest FILE --store TMP -q`` in a subprocess,
  timed end to end (interpreter start, reading, extraction, Parquet writing);
- split into messages with the standard library (not timed), then parsed by a loop
  of ``mailparser.parse_from_bytes`` (timed), the baseline.

The ratio of the two rates is the figure to quote; absolute rates depend on the
machine. Usage::

    python benchmarks/ingest_speed.py                 # 20,000 generated messages
    python benchmarks/ingest_speed.py --messages 2000 # a quick look
"""

from __future__ import annotations

import argparse
import json
import logging
import lzma
import mailbox
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mailparser

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"

sys.path[:0] = [str(REPO), str(HERE)]
from make_mbox import write_mbox  # noqa: E402

from tests.real_mail import TEST_SETS, corpora_folder, why_absent  # noqa: E402

DEFAULT_CORPORA = corpora_folder()


def _plain(path: Path) -> Path:
    """An mbox as a plain file: .xz ones decompressed once into the cache."""
    if path.suffix != ".xz":
        return path
    CACHE.mkdir(exist_ok=True)
    plain = CACHE / path.stem
    if not plain.exists():
        plain.write_bytes(lzma.decompress(path.read_bytes()))
    return plain


def largest_corpus_mbox(corpora: Path | None) -> Path:
    """The largest mbox of the corpus sets the tests read, as a plain file (both sides
    read the same bytes)."""
    if corpora is None:
        raise SystemExit(why_absent())
    found = (p for name in TEST_SETS for p in (corpora / name).rglob("*.mbox*"))
    candidates = [p for p in found if p.suffix in (".mbox", ".xz")]
    if not candidates:
        raise SystemExit(f"no .mbox or .mbox.xz file under {corpora}")
    return max((_plain(p) for p in candidates), key=lambda p: p.stat().st_size)


def generated_mbox(messages: int, seed: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"generated-{messages}-seed{seed}.mbox"
    if not path.exists():
        started = time.perf_counter()
        write_mbox(path, messages, seed)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return path


def time_mxa(path: Path, jobs: int | None) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        command = [sys.executable, "-m", "analyzer", "ingest", str(path), "--store", str(store)]
        command += ["-q"] + (["--jobs", str(jobs)] if jobs else [])
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=REPO)
        elapsed = time.perf_counter() - started
        manifest = json.loads((store / "mxa-store.json").read_text())
        return manifest["totals"]["messages_read"], elapsed


def time_mailparser(path: Path) -> tuple[int, float, int]:
    archive = mailbox.mbox(path)
    messages = [archive.get_bytes(key) for key in archive.iterkeys()]
    failures = 0
    logging.disable(logging.WARNING)  # mail-parser logs every part type it skips
    started = time.perf_counter()
    for data in messages:
        try:
            mailparser.parse_from_bytes(data)
        except Exception:  # the baseline's own failures are counted, not fatal
            failures += 1
    return len(messages), time.perf_counter() - started, failures


def measure(label: str, path: Path, jobs: int | None) -> dict[str, object]:
    print(f"measuring {label}: {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    baseline_count, baseline_seconds, failures = time_mailparser(path)
    mxa_count, mxa_seconds = time_mxa(path, jobs)
    mxa_rate = mxa_count / mxa_seconds
    baseline_rate = baseline_count / baseline_seconds
    return {
        "input": label,
        "path": str(path),
        "megabytes": round(path.stat().st_size / 1e6, 1),
        "messages_mxa": mxa_count,
        "messages_mailparser": baseline_count,
        "mailparser_failures": failures,
        "mxa_seconds": round(mxa_seconds, 2),
        "mailparser_seconds": round(baseline_seconds, 2),
        "mxa_msgs_per_s": round(mxa_rate),
        "mailparser_msgs_per_s": round(baseline_rate),
        "ratio": round(mxa_rate / baseline_rate, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="generated messages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--jobs", type=int, default=None, help="mxa worker processes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    rows = [
        measure("largest corpus", largest_corpus_mbox(args.corpora), args.jobs),
        measure(
            f"generated ({args.messages:,})", generated_mbox(args.messages, args.seed), args.jobs
        ),
    ]
    print(f"\ncores: {os.cpu_count()}, python {sys.version.split()[0]}")
    header = (
        f"{'input':<22} {'MB':>7} {'messages':>9} {'mxa msg/s':>10} "
        f"{'mail-parser msg/s':>18} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['input']:<22} {row['megabytes']:>7} {row['messages_mxa']:>9,} "
            f"{row['mxa_msgs_per_s']:>10,} {row['mailparser_msgs_per_s']:>18,} {row['ratio']:>5}x"
        )
        if row["messages_mxa"] != row["messages_mailparser"]:
            print(f"  note: message counts differ ({row['messages_mailparser']:,} by mailbox.mbox)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
