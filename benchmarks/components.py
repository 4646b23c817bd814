#!/usr/bin/env python3
"""Each parsing step of mxa against what mail-parser or the standard library would do.

On the messages of the corpora (beside the repository: ``tests/real_mail.py``), in one run:

- the header block: mxa's one-regex split against ``email.parser.BytesHeaderParser``
  (the standard library, headers only) and ``mailparser.parse_from_bytes`` (whole
  message, what a mail-parser user would call);
- address fields: mxa's fast path against ``email.utils.getaddresses``, and how
  often they give the same addresses and names;
- dates: mxa against ``email.utils.parsedate_to_datetime``;
- Received headers: mxa against mail-parser's ``receiveds_parsing`` (its clause
  splitter plus its date parsing), and how often the two agree on the ``by`` host,
  the ``from`` clause and the timestamp.

These figures are what ``docs/parsing.md`` cites. Usage::

    python benchmarks/components.py [--corpora DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import email.parser
import email.policy
import email.utils
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import mailparser
from mailparser.utils import receiveds_parsing

from analyzer.extract.addresses import parse_address_list
from analyzer.extract.dates import parse_date
from analyzer.extract.headers import header_block_end, parse_header_block
from analyzer.extract.received import parse_received
from analyzer.sources import SourceReader, discover_sources

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.real_mail import TEST_SETS, corpora_folder, why_absent  # noqa: E402

DEFAULT_CORPORA = corpora_folder()


def corpus_messages(corpora: Path | None) -> list[bytes]:
    if corpora is None:
        raise SystemExit(why_absent())
    files, _ = discover_sources([corpora / name for name in TEST_SETS])
    return [raw.data for source_file in files for raw in SourceReader(source_file)]


def _per_item(seconds: float, count: int) -> str:
    return f"{seconds / count * 1e6:7.1f} µs"


def header_blocks(messages: list[bytes]) -> None:
    blocks = [m[: header_block_end(m)[0]] for m in messages]
    started = time.perf_counter()
    for block in blocks:
        parse_header_block(block)
    ours = time.perf_counter() - started
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    started = time.perf_counter()
    for message in messages:
        parser.parsebytes(message)
    stdlib = time.perf_counter() - started
    logging.disable(logging.WARNING)
    sample = messages[:2000]
    started = time.perf_counter()
    for message in sample:
        with contextlib.suppress(Exception):  # the baseline's own failures don't matter here
            mailparser.parse_from_bytes(message)
    whole = (time.perf_counter() - started) / len(sample) * len(messages)
    count = len(messages)
    print(f"\nheader block, per message ({count:,} messages)")
    print(f"  mxa parse_header_block      {_per_item(ours, count)}")
    print(f"  stdlib BytesHeaderParser    {_per_item(stdlib, count)}  ({stdlib / ours:.1f}x)")
    print(f"  mailparser.parse_from_bytes {_per_item(whole, count)}  ({whole / ours:.1f}x)")


def address_fields(messages: list[bytes]) -> None:
    values = []
    for message in messages:
        fields = parse_header_block(message[: header_block_end(message)[0]])
        for name in ("from", "to", "cc", "reply-to", "sender"):
            values += fields.get_all(name)
    started = time.perf_counter()
    ours = [parse_address_list(v) for v in values]
    our_seconds = time.perf_counter() - started
    started = time.perf_counter()
    theirs = []
    for value in values:
        try:
            theirs.append(email.utils.getaddresses([value]))
        except RecursionError:
            theirs.append([])
    their_seconds = time.perf_counter() - started
    same = sum(
        [a for a, _ in mine] == [b.lower() for _, b in other if b]
        for mine, other in zip(ours, theirs, strict=True)
    )
    count = len(values)
    print(f"\naddress fields, per value ({count:,} values)")
    print(f"  mxa parse_address_list      {_per_item(our_seconds, count)}")
    print(f"  stdlib getaddresses         {_per_item(their_seconds, count)}")
    print(f"  same addresses              {same / count:.2%}")


def dates(messages: list[bytes]) -> None:
    values = []
    for message in messages:
        value = parse_header_block(message[: header_block_end(message)[0]]).get("date")
        if value:
            values.append(value)
    started = time.perf_counter()
    ours = [parse_date(v) for v in values]
    our_seconds = time.perf_counter() - started
    started = time.perf_counter()
    theirs = []
    for value in values:
        try:
            theirs.append(email.utils.parsedate_to_datetime(value).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            theirs.append(None)
    their_seconds = time.perf_counter() - started
    both = [(a[0], b) for a, b in zip(ours, theirs, strict=True) if a[0] is not None and b]
    same = sum(abs(a - b) < 1 for a, b in both)
    count = len(values)
    print(f"\nDate header, per value ({count:,} values)")
    print(f"  mxa parse_date              {_per_item(our_seconds, count)}")
    print(f"  stdlib parsedate_to_datetime{_per_item(their_seconds, count)}")
    print(f"  same instant                {same / len(both):.2%} of {len(both):,} both parse")


def received_headers(messages: list[bytes]) -> list[str]:
    headers: list[str] = []
    for message in messages:
        end, _ = header_block_end(message)
        headers += parse_header_block(message[:end]).get_all("received")
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
    messages = corpus_messages(args.corpora)
    header_blocks(messages)
    address_fields(messages)
    dates(messages)
    headers = received_headers(messages)

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
    unparsed = sum(1 for hop in ours if not hop.parsed)
    print(f"\nReceived, per header ({count:,} headers)")
    print(f"  mxa parse_received          {_per_item(our_seconds, count)}")
    print(f"  mail-parser receiveds_parsing{_per_item(their_seconds, count)}", end="")
    print(f"  ({their_seconds / our_seconds:.1f}x)")
    print(f"  same 'by' host              {same_by / both_by:.2%} of {both_by:,}")
    print(f"  same 'from' clause          {same_from / both_from:.2%} of {both_from:,}")
    print(f"  same timestamp              {same_time / both_time:.2%} of {both_time:,}")
    print(f"  kept as raw text only (mxa) {unparsed:,} ({unparsed / count:.2%})")


if __name__ == "__main__":
    main()
