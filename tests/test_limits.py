"""Resource limits: hostile archives end in bounded time and memory, nothing lost silently.

Each case runs ``ingest`` in a child process (``benchmarks/limit_cases.py`` writes the
archives and measures them; run it for the table of times and peaks). Every message
is parsed with its truncation recorded, or quarantined with a reason.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from limit_cases import CASES, measure

SECONDS = 90  # each case takes seconds here; a hang or a quadratic step takes far longer
PEAK_MB = 600  # a child importing pandas and pyarrow starts near 120 MB

EXPECTED = {
    "a 50 MB header block": ("parsed", "header-block-cut"),
    "one message to 100,000 recipients": ("parsed", "cut at"),
    "10,000 Received headers": ("parsed", "cut"),
    "multipart nested 10,000 deep": ("parsed", None),
    "a 10 MB header line, no newline": ("parsed", "header-block-cut"),
    "a 2 GB mbox holding one message": ("parsed", None),
    "binary garbage between 200 messages": ("parsed", None),
    "a .gz expanding to 4 GB": ("quarantined", "TooLarge"),
    "an .xz expanding to 4 GB": ("quarantined", "TooLarge"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_archives_end_in_bounded_time_and_memory(case, tmp_path):
    found = measure(case, tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.seconds < SECONDS and 0 < found.peak_mb < PEAK_MB, (found.seconds, found.peak_mb)
    totals = found.totals
    assert totals["read"] == totals["parsed"] + totals["quarantined"] >= 1
    outcome, note = EXPECTED[case]
    if outcome == "parsed":
        assert totals["quarantined"] == 0
        if note:
            assert any(note in defect for defect in totals["defects"]), totals["defects"]
    else:
        assert any(note in reason for reason in totals["reasons"]), totals["reasons"]
