#!/usr/bin/env python3
"""How close ``mxa ingest`` comes to the disk: four readers of the same mbox, in one run.

Each contender runs as its own process on the same generated archive and is timed end to
end (interpreter start included), with its peak resident memory from ``wait4``; the file
is read once before, so that each finds it in the page cache:

- ``split``: the floor. The file is read in blocks and cut at every ``\\nFrom `` line;
  nothing is parsed.
- ``headers``: a single-process loop of ``mailbox.mbox`` with
  ``email.parser.BytesHeaderParser`` (headers only, the standard library).
- ``mail-parser``: a single-process loop of ``mailparser.parse_from_bytes`` over the
  messages ``mailbox.mbox`` returns (the stack's own parsing library).
- ``mxa ingest``: default settings, into a fresh store.

It prints messages per second, peak memory and the ratios the targets are stated in
(mxa against each other reader), and writes them as a Markdown table. Usage::

    python benchmarks/throughput.py                    # 200,000 generated messages
    python benchmarks/throughput.py --messages 20000   # a quicker look
    python benchmarks/throughput.py --skip mail-parser # when the slowest loop is known

The generated archives are cached in ``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
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

CONTENDERS = ("split", "headers", "mail-parser", "mxa ingest")


# -- the contenders, each run in a process of its own ---------------------------------------
def split(path: Path) -> int:
    """Messages in an mbox, by cutting at each From line: the least any reader must do.
    Read in 16 MB blocks, so that its memory is the block, not the file."""
    count, tail = 0, b"\n"  # the file's start counts as a line start
    with open(path, "rb") as handle:
        while block := handle.read(1 << 24):
            data = tail + block
            count += data.count(b"\nFrom ")
            tail = data[-5:]  # a separator cut by the block edge is found next time
    return count


def headers(path: Path) -> int:
    import mailbox
    from email.parser import BytesHeaderParser

    parser = BytesHeaderParser()
    archive = mailbox.mbox(path, create=False)
    count = 0
    for key in archive.iterkeys():
        parser.parsebytes(archive.get_bytes(key))
        count += 1
    return count


def mail_parser(path: Path) -> int:
    import logging
    import mailbox

    import mailparser

    logging.disable(logging.WARNING)  # it logs every part type it skips
    archive = mailbox.mbox(path, create=False)
    count = 0
    for key in archive.iterkeys():
        with contextlib.suppress(Exception):  # its own failures still count as work done
            mailparser.parse_from_bytes(archive.get_bytes(key))
        count += 1
    return count


LOOPS = {"split": split, "headers": headers, "mail-parser": mail_parser}


# -- the harness ----------------------------------------------------------------------------
def run(command: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a command, the largest of its processes."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status:
        raise SystemExit(f"{command} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def measure(name: str, path: Path) -> dict[str, float]:
    if name == "mxa ingest":
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "store"
            seconds, peak = run([sys.executable, "-m", "analyzer", "ingest", str(path),
                                 "--store", str(store), "-q"])  # fmt: skip
            manifest = json.loads((store / "mxa-store.json").read_text())
            messages = manifest["totals"]["messages_read"]
    else:
        out = Path(tempfile.mkstemp(suffix=".count")[1])
        try:
            seconds, peak = run([sys.executable, __file__, "--contender", name, str(path),
                                 "--count-to", str(out)])  # fmt: skip
            messages = int(out.read_text())
        finally:
            out.unlink()
    return {"messages": messages, "seconds": seconds, "rate": messages / seconds, "peak": peak}


def warm_page_cache(path: Path) -> None:
    """Read the file once, untimed, so that every reader finds it in the page cache: the
    first would otherwise also time the disk (the split took 13.5 s instead of 3)."""
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


def table(results: dict[str, dict[str, float]], path: Path) -> str:
    mxa = results.get("mxa ingest")
    lines = [
        f"`{path.name}`: {path.stat().st_size / 1e6:,.0f} MB, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}",
        "",
        "| reader | messages | seconds | messages/s | peak MB | mxa ingest against it |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, row in results.items():
        against = f"{mxa['rate'] / row['rate']:.2f}×" if mxa and name != "mxa ingest" else ""
        lines.append(
            f"| {name} | {row['messages']:,} | {row['seconds']:.1f} | {row['rate']:,.0f} | "
            f"{row['peak']:.0f} | {against} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="generated messages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", nargs="*", default=[], choices=CONTENDERS)
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--contender", choices=tuple(LOOPS), help=argparse.SUPPRESS)
    parser.add_argument("--count-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:  # a child: one loop, its count to the file the parent reads
        args.count_to.write_text(str(LOOPS[args.contender](args.path)))
        return
    path = generated_mbox(args.messages, args.seed)
    warm_page_cache(path)
    results = {}
    for name in CONTENDERS:
        if name in args.skip:
            continue
        print(f"{name} …", file=sys.stderr, flush=True)
        results[name] = measure(name, path)
    text = table(results, path)
    print(text)
    counts = {row["messages"] for row in results.values()}
    if len(counts) > 1:
        print(f"\nnote: the readers counted different messages: {sorted(counts)}")
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
