#!/usr/bin/env python3
"""Coverage-guided fuzzing of the per-message pipeline with atheris (libFuzzer).

One input is one file as mxa would meet it: an mbox when it starts with ``From ``,
else one message. It is split, every message extracted and the store's tables built,
and what a user relies on is checked: no exception escapes, no message is quarantined
for a bug in mxa (``extraction-failed``), every message read is parsed or quarantined,
the messages of an mbox cover its bytes from the first separator to the end, and the
records keep their invariants. A failed check is a crash: libFuzzer saves the input.

The seed corpus is real mail, read at run time from the corpora beside the repository
(``MXA_CORPORA``, see ``tests/real_mail.py``; never committed): every one-message file and
the first messages of each mbox of the sets the tests read, written once into the ignored
``fuzz/.corpus/seeds``. Without the corpora the seeds are the sample persona's messages,
and the run says so. New inputs that reach new code go to ``fuzz/.corpus/found``. Usage::

    python fuzz/fuzz_pipeline.py --seconds 60          # what make test runs
    python fuzz/fuzz_pipeline.py --seconds 3600        # make fuzz (FUZZ_SECONDS=3600)
    python fuzz/fuzz_pipeline.py fuzz/crashes/crash-…  # run one saved input again

Every crash found becomes a regression test in ``tests/test_fuzz_regressions.py``.
"""

from __future__ import annotations

import argparse
import io
import lzma
import shutil
import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEEDS = HERE / ".corpus" / "seeds"
FOUND = HERE / ".corpus" / "found"
CRASHES = HERE / "crashes"
SEED_BYTES = 64 << 10  # a seed is one message's head: small inputs fuzz fast
MBOX_SEEDS = 40  # messages taken from the start of each mbox

sys.path[:0] = [str(REPO), str(HERE)]
with atheris.instrument_imports(include=["analyzer"]):
    from pipeline_check import check

    from analyzer.sources.mbox import MboxReader
    from tests.real_mail import TEST_SETS, corpora_folder


def seed_files() -> tuple[str, list[Path]]:
    """Where the seeds come from (for the log) and the files to read them from."""
    corpora = corpora_folder()
    if corpora is None:
        persona = REPO / "sample_data" / "persona"
        return f"the sample persona ({persona}; no corpora found)", sorted(persona.rglob("*.eml"))
    files = (path for name in TEST_SETS for path in (corpora / name).rglob("*"))
    return f"real mail from {corpora}", sorted(p for p in files if p.is_file())


def write_seeds() -> str:
    """Real messages as seeds: one-message files whole, mboxes message by message."""
    origin, files = seed_files()
    marker = SEEDS.parent / "seeds.origin"
    if marker.is_file() and marker.read_text() == origin and any(SEEDS.glob("0*")):
        return f"seeds: {origin} (kept from an earlier run)"
    shutil.rmtree(SEEDS, ignore_errors=True)
    SEEDS.mkdir(parents=True)
    count = 0
    for path in files:
        data = lzma.decompress(path.read_bytes()) if path.suffix == ".xz" else path.read_bytes()
        if data.startswith(b"From "):
            messages = list(MboxReader(io.BytesIO(data), path.name))[:MBOX_SEEDS]
            pieces = [b"From fuzz@seed Mon Jan  1 00:00:00 2024\n" + m.data for m in messages]
        elif b"\n\n" in data[:SEED_BYTES] or b"\r\n\r\n" in data[:SEED_BYTES]:
            pieces = [data]
        else:
            continue  # READMEs, keys, licences
        for piece in pieces:
            (SEEDS / f"{count:05}").write_bytes(piece[:SEED_BYTES])
            count += 1
    marker.write_text(origin)
    return f"seeds: {count} messages, {origin}"


def test_one_input(data: bytes) -> None:
    check(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="stop after this long")
    parser.add_argument("inputs", nargs="*", help="run these saved inputs instead of fuzzing")
    args, libfuzzer = parser.parse_known_args()
    if args.inputs:
        atheris.Setup([sys.argv[0], *args.inputs], test_one_input)
    else:
        print(write_seeds(), file=sys.stderr)
        FOUND.mkdir(parents=True, exist_ok=True)
        CRASHES.mkdir(exist_ok=True)
        options = [
            f"-max_total_time={args.seconds}",
            "-timeout=10",  # a hang on one input is a crash
            "-rss_limit_mb=2048",
            "-max_len=65536",
            f"-artifact_prefix={CRASHES}/",
            "-print_final_stats=1",
        ]
        atheris.Setup([sys.argv[0], *options, *libfuzzer, str(FOUND), str(SEEDS)], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
