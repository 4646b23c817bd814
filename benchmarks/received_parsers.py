#!/usr/bin/env python3
"""mxa's Received parser against mail-parser's, on every Received header in the corpora.

Measures, in one run on the same headers, the time per header of
``mailparser.utils.receiveds_parsing`` (mail-parser's clause splitter plus its date
parsing) and of ``analyzer.extract.received.parse_received``, and how often the two
agree on what both report: the ``by`` host, the first token of the ``from`` clause
(the HELO name for Postfix and sendmail) and the timestamp. Usage::

    python benchmarks/received_parsers.py [--corpora ../shared/corpora]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from mailparser.utils import receiveds_parsing

from analyzer.extract.headers import header_block_end, parse_header_block
from analyzer.extract.received import parse_received
from analyzer.sources import SourceReader, discover_sources

DEFAULT_CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def received_headers(corpora: Path) -> list[str]:
    files, _ = discover_sources([corpora])
    headers: list[str] = []
    for source_file in files:
        for raw in SourceReader(source_file):
            end, _ = header_block_end(raw.data)
            headers += parse_header_block(raw.data[:end]).get_all("received")
    return headers


def _first(text: str | None) -> str | None:
    if not text:
        return None
    token = text.split()[0].strip("();").lower().rstrip(".")
    return token or None


def _mailparser_timestamp(parsed: dict) -> float | None:
    value = parsed.get("date_utc")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = parser.parse_args(argv)
    headers = received_headers(args.corpora)

    started = time.perf_counter()
    theirs = []
    for header in headers:
        try:
            theirs.append(receiveds_parsing([header])[0])
        except Exception:
            theirs.append({})
    their_seconds = time.perf_counter() - started

    started = time.perf_counter()
    ours = [parse_received(header) for header in headers]
    our_seconds = time.perf_counter() - started

    same_by = same_from = same_time = both_by = both_from = both_time = 0
    for mine, other in zip(ours, theirs, strict=True):
        if mine.by_host and other.get("by"):
            both_by += 1
            same_by += mine.by_host == _first(other["by"])
        if other.get("from") and (mine.from_helo or mine.from_ip):
            both_from += 1
            # Exim and qmail put the HELO in a comment: the first token is then
            # the reverse host or the bracketed address, which mxa also reports
            names = {mine.from_helo, mine.from_host, mine.from_ip, f"[{mine.from_ip}]"}
            same_from += _first(other["from"]) in {n.lower().rstrip(".") for n in names if n}
        their_time = _mailparser_timestamp(other)
        if mine.timestamp_utc is not None and their_time is not None:
            both_time += 1
            same_time += abs(mine.timestamp_utc - their_time) < 1

    count = len(headers)
    print(f"{count:,} Received headers from {args.corpora}")
    print(f"mail-parser: {their_seconds / count * 1e6:6.1f} µs per header")
    print(f"mxa:         {our_seconds / count * 1e6:6.1f} µs per header")
    print(f"speed-up:    {their_seconds / our_seconds:6.1f}x")
    print(f"agreement on 'by' host:        {same_by / both_by:.2%} of {both_by:,}")
    print(f"agreement on the 'from' clause: {same_from / both_from:.2%} of {both_from:,}")
    print(f"agreement on timestamp:        {same_time / both_time:.2%} of {both_time:,}")
    unparsed = sum(1 for hop in ours if not hop.parsed)
    print(f"hops mxa keeps only as raw text: {unparsed:,} ({unparsed / count:.2%})")
    print(f"hops that also give an address: {sum(1 for h in ours if h.from_ip):,}")


if __name__ == "__main__":
    main()
