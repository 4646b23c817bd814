"""Every input the fuzzer (fuzz/fuzz_pipeline.py) crashed on, run again through its checks.

Each file in tests/fuzz_regressions is named for what broke; the fix made it pass. The
files are small inputs written for the project that break the code before each fix as
the fuzzer's finds did (a find drawn from real mail is rewritten so, never committed).
"""

import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "fuzz"))
from pipeline_check import check

CASES = sorted((Path(__file__).parent / "fuzz_regressions").iterdir())


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fuzz_regression(case):
    check(case.read_bytes())
