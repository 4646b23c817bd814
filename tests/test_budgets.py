"""Per-message budgets: no parser's time grows faster than its input, and a message over
its time budget is quarantined while the run goes on.

Each parser gets pathological inputs of growing size (runs of comments, quotes,
brackets, unterminated armour, encoded words). Going from n to 8n must cost at most a
few times 8: a regular expression that backtracks without bound, or a quadratic loop,
costs 64 times or far more. Ratios within one run, best of several, so the machine's
speed does not matter; and never at sub-millisecond scale, where a busy machine's
scheduling is all a clock measures: n grows until the small input costs
``MEASURABLE`` seconds of this thread's CPU time (not wall-clock time, which the other
processes on the machine take), with the cyclic garbage collector paused.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Callable

import pytest

from analyzer import ingest
from analyzer.extract import parse_message_ids
from analyzer.extract.addresses import parse_address_list
from analyzer.extract.dates import parse_date
from analyzer.extract.encryption import inspect_body, parse_content_type
from analyzer.extract.headers import decode_words, header_block_end, parse_header_block
from analyzer.extract.keys import pgp_key_uses
from analyzer.extract.received import parse_received
from analyzer.linkability.names import parse_name
from analyzer.sources.mbox import MboxReader
from tests.conftest import make_message

GROWTH = 8
LIMIT = 24  # linear is 8; quadratic 64
MEASURABLE = 0.01  # seconds of CPU time for the small input: far above timer and scheduler noise
MOST_DOUBLINGS = 6  # a parser still faster than that at 64 times its base size is bounded there


def _cpu_seconds(call: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            started = time.thread_time()
            call()
            best = min(best, time.thread_time() - started)
        finally:
            gc.enable()
    return best


def _measurable_size(make: Callable[[int], Callable[[], object]], base: int) -> tuple[int, float]:
    """The smallest size from ``base`` up (doubling) that costs MEASURABLE, and its cost."""
    size = base
    cost = _cpu_seconds(make(size))
    for _ in range(MOST_DOUBLINGS):
        if cost >= MEASURABLE:
            break
        size *= 2
        cost = _cpu_seconds(make(size))
    return size, cost


def _split(data: bytes) -> int:
    return sum(1 for _ in MboxReader(io.BytesIO(data), "t"))


CASES: dict[str, tuple[Callable[[int], Callable[[], object]], int]] = {
    # name: (size → call, a base size that takes about a millisecond)
    "Received: comments before a missing date": (
        lambda n: lambda: parse_received("by mx.example " + "(x) " * n + "; garbage"), 2000),
    "Received: nested open parentheses": (
        lambda n: lambda: parse_received("from a " + "(" * n + " by b; Mon, 1 Jan 2024"), 4000),
    "Received: keywords without values": (
        lambda n: lambda: parse_received("from x" + " with id for by" * n), 2000),
    "header block: one long line without a colon": (
        lambda n: lambda: parse_header_block(b"a" * n * 50), 4000),
    "header block: continuation lines": (
        lambda n: lambda: parse_header_block(b"X-A:\n" + b" x\n" * n), 4000),
    "header block end: no empty line": (
        lambda n: lambda: header_block_end(b"X: y\r\n" * n), 20000),
    "addresses: quotes": (lambda n: lambda: parse_address_list('"' * n + "a@b"), 4000),
    "addresses: angle brackets": (lambda n: lambda: parse_address_list("<" * n + "a@b"), 4000),
    "addresses: comments": (lambda n: lambda: parse_address_list("(" * n + "a@b"), 4000),
    "addresses: many": (lambda n: lambda: parse_address_list(", ".join(["a@b.example"] * n)), 500),
    "dates: repeated numbers": (lambda n: lambda: parse_date("Mon, " + "1 " * n), 4000),
    "encoded words": (lambda n: lambda: decode_words("=?utf-8?q?a?= " * n), 200),
    "encoded words: unterminated": (lambda n: lambda: decode_words("=?utf-8?q?" * n), 4000),
    "content type: parameters": (
        lambda n: lambda: parse_content_type("multipart/mixed; " + "a=b; " * n), 2000),
    "content type: quotes": (lambda n: lambda: parse_content_type('text/plain; a="' + '\\"' * n),
                             4000),
    "multipart: boundary lines": (
        lambda n: lambda: inspect_body('multipart/mixed; boundary="b"', b"--b\n" * n), 4000),
    "PGP: unterminated armour": (
        lambda n: lambda: pgp_key_uses(b"-----BEGIN PGP MESSAGE-----\n" * n), 2000),
    "Message-ID: angle brackets": (lambda n: lambda: parse_message_ids("<" * n), 4000),
    "names: many words": (lambda n: lambda: parse_name("Jo " * n), 2000),
    "mbox: bare From lines": (lambda n: lambda: _split(b"From a@b Mon Jan  1 00:00:00 2024\n"
                                                       + b"From \n" * n), 4000),
    "mbox: From lines after empty lines": (lambda n: lambda: _split(b"From x\nA: b\n\n"
                                                                   + b"\nFrom y\n" * n), 4000),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_time_grows_with_the_input_not_faster(case):
    make, base = CASES[case]
    size, small = _measurable_size(make, base)
    large = _cpu_seconds(make(size * GROWTH))
    assert large < max(small, MEASURABLE) * LIMIT, f"{case} at {size}: {small:.4f}s → {large:.4f}s"


def test_a_message_over_its_time_budget_is_quarantined_and_the_run_goes_on(tmp_path, monkeypatch):
    from analyzer.ingest import workers

    archive = tmp_path / "a.mbox"
    archive.write_bytes(
        b"".join(
            b"From a@b Mon Jan  1 00:00:00 2024\n" + make_message(message_id=f"<{n}@x>") + b"\n"
            for n in range(20)
        )
    )
    monkeypatch.setattr(workers, "MESSAGE_SECONDS", 1e-6)
    result = ingest([archive], tmp_path / "store", jobs=1)
    assert result.messages_read == result.parsed + result.quarantined == 20
    over = [q for q in result.quarantine if "over the time budget" in q.reason]
    assert over and all(q.offset.isdigit() for q in over)
