"""findings.json for every archive of the real corpora and the sample mailbox, and the diff
of two such snapshots: what a change to the analysis changed on real mail.

    python tools/findings_snapshot.py write SNAPSHOT_DIR [--only NAME ...]
    python tools/findings_snapshot.py diff OLD_DIR NEW_DIR

An archive is a corpus set (its folder, read whole) or, for the personal mailboxes, one
owner's mbox. The snapshot holds one ``NAME.json`` per archive, outside the repository:
real mail and what is drawn from it are never committed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from real_mail import corpora_folder  # noqa: E402

# keys whose values differ from run to run whatever the analysis does
LIMIT = 40  # differences printed per archive
VOLATILE = {"generated", "generated_at", "elapsed", "elapsed_seconds", "store", "mxa_version"}


def archives() -> dict[str, list[str]]:
    """Archive name -> the sources mxa audit is given."""
    found: dict[str, list[str]] = {"sample-persona": [str(REPO / "sample_data" / "persona")]}
    corpora = corpora_folder()
    if corpora is None:
        return found
    for folder in sorted(p for p in corpora.iterdir() if p.is_dir()):
        if folder.name == "personal-enron":
            for mbox in sorted(folder.glob("*.mbox.xz")):
                found[f"personal-enron-{mbox.name.removesuffix('.mbox.xz')}"] = [str(mbox)]
        else:
            found[folder.name] = [str(folder)]
    return found


def write(snapshot: Path, only: list[str]) -> None:
    snapshot.mkdir(parents=True, exist_ok=True)
    mxa = Path(sys.executable).parent / "mxa"
    for name, sources in archives().items():
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as work:
            out = Path(work) / "audit"
            started = time.monotonic()
            run = subprocess.run(
                [str(mxa), "audit", *sources, "--out", str(out), "--quiet"],
                capture_output=True, text=True,
            )  # fmt: skip
            took = time.monotonic() - started
            findings = out / "findings.json"
            if findings.is_file():
                (snapshot / f"{name}.json").write_text(findings.read_text())
            status = "ok" if run.returncode == 0 else f"exit {run.returncode}"
            print(f"{name}: {status} in {took:.0f} s", flush=True)
            if run.returncode:
                print("  " + (run.stderr.strip().splitlines() or ["(no message)"])[-1])


def _flatten(value, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in VOLATILE:
                yield from _flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        yield path + "[]", len(value)
        for index, item in enumerate(value):
            yield from _flatten(item, f"{path}[{index}]")
    else:
        yield path, value


def _pattern(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def diff(old: Path, new: Path) -> int:
    """Per archive: values changed or gone, listed; keys added, counted by pattern."""
    changed = 0
    for before in sorted(old.glob("*.json")):
        after = new / before.name
        if not after.is_file():
            print(f"{before.stem}: missing in {new}")
            changed += 1
            continue
        a = dict(_flatten(json.loads(before.read_text())))
        b = dict(_flatten(json.loads(after.read_text())))
        lines = [f"  - {k}: {a[k]!r}" for k in sorted(a.keys() - b.keys())]
        lines += [f"  ~ {k}: {a[k]!r} -> {b[k]!r}" for k in sorted(a.keys() & b.keys())
                  if a[k] != b[k]]  # fmt: skip
        added = Counter(_pattern(k) for k in b.keys() - a.keys())
        if lines or added:
            changed += 1
            print(f"{before.stem}: {len(lines)} changed or gone, {sum(added.values())} added")
            if lines:
                print("\n".join(lines[:LIMIT]))
            if len(lines) > LIMIT:
                print(f"  … {len(lines) - LIMIT} more")
            for pattern, count in sorted(added.items()):
                print(f"  + {pattern} ({count})")
    print(f"{changed} of {len(list(old.glob('*.json')))} archives differ")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    writing = commands.add_parser("write")
    writing.add_argument("snapshot", type=Path)
    writing.add_argument("--only", nargs="*", default=[])
    diffing = commands.add_parser("diff")
    diffing.add_argument("old", type=Path)
    diffing.add_argument("new", type=Path)
    args = parser.parse_args()
    if args.command == "write":
        write(args.snapshot, args.only)
        return 0
    return diff(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
