#!/usr/bin/env python3
"""Accounting under fire: ingest what the fuzzer made and check that nothing went missing.

Every file of the fuzz corpus (``fuzz/.corpus``: real seeds and the inputs the fuzzer
kept) goes through a real ``ingest`` into a temporary store. Then, per file and in
total: every file is read or listed as skipped; every message read is parsed or
quarantined, and the quarantine frame lists each quarantined one with a code; the
count per file equals the splitter's own count made independently of the store; and no
message is quarantined for a bug in mxa. Exit status 1 and one line per broken promise
otherwise. Usage::

    python fuzz/account.py [CORPUS_DIR ...]
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from analyzer.ingest import ingest  # noqa: E402
from analyzer.sources.mbox import MboxReader  # noqa: E402
from analyzer.store import read_frame  # noqa: E402
from analyzer.vocabulary import QuarantineCode  # noqa: E402


def independent_count(path: Path) -> int:
    """Messages in one file, counted straight from its bytes, without the ingest pipeline."""
    data = path.read_bytes()
    if data.lstrip(b"\xef\xbb\xbf\r\n").startswith(b"From "):
        return sum(1 for _ in MboxReader(io.BytesIO(data), str(path)))
    return 1


def account(folders: list[Path]) -> list[str]:
    problems = []
    files = sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        result = ingest(folders, Path(tmp) / "store", jobs=2)
        quarantine = read_frame(Path(tmp) / "store", "quarantine")
    if result.messages_read != result.parsed + result.quarantined:
        problems.append(
            f"read {result.messages_read} != parsed {result.parsed} + "
            f"quarantined {result.quarantined}"
        )
    if len(quarantine) != result.quarantined - result.quarantine_repeats:
        problems.append(f"{result.quarantined} quarantined but {len(quarantine)} listed")
    if bugs := int((quarantine["code"] == QuarantineCode.EXTRACTION_FAILED).sum()):
        problems.append(f"{bugs} messages quarantined for a bug in mxa")
    skipped = {entry.path for entry in result.skipped_files}
    for path in files:
        counted = result.messages_per_file.get(str(path))
        if counted is None:
            if str(path) not in skipped:
                problems.append(f"{path}: neither read nor listed as skipped")
        elif counted != independent_count(path):
            problems.append(f"{path}: {counted} messages, {independent_count(path)} counted apart")
    print(
        f"fuzz corpus: {len(files):,} files, {len(skipped):,} skipped as not mail, "
        f"{result.messages_read:,} messages read = {result.parsed:,} parsed + "
        f"{result.quarantined:,} quarantined"
    )
    return problems


def main() -> None:
    folders = [Path(a) for a in sys.argv[1:]] or [HERE / ".corpus"]
    problems = account(folders)
    for problem in problems:
        print(f"accounting: {problem}", file=sys.stderr)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
