#!/usr/bin/env python3
"""Every pair mxa claims with no owner in each held-out archive, to be checked by reading mail.

``mxa links --store S --all --json`` is run on each held-out list archive (ingested once
into ``evaluation/.cache``); each pair it scores at or above the claim threshold goes to
``heldout_claims.tsv`` (every claim, at most 100 per archive, highest scores first) with
its evidence and a few message ids. The ``verdict`` column is filled in by hand after
reading the messages: ``same`` (one person), ``different`` (two people) or ``list`` (a
mailing list, robot or role address on either side), with a one-line ``reason``.

Rerunning keeps every verdict already given to a pair that is claimed again (from this
file or the frozen baseline) and lists new claims with an empty verdict::

    python evaluation/claims.py            # rewrite heldout_claims.tsv from today's claims
    python evaluation/claims.py --summary  # only print the precision of the file as it is
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from analyzer.linkability import CLAIM  # noqa: E402  # the score mxa claims a pair at
from evaluation.split import HELD_OUT, LIST, names  # noqa: E402
from tests.real_mail import corpora_folder, why_absent  # noqa: E402

CLAIMS = HERE / "heldout_claims.tsv"
BASELINE = HERE / "heldout_claims_baseline.tsv"
CACHE = HERE / ".cache"
MXA = [sys.executable, "-m", "analyzer"]  # this tree's analyzer (cwd=REPO), as the mxa command
PER_ARCHIVE = 100  # every claim: the highest 30 hid 28 list-to-list claims in one archive
VERDICTS = ("same", "different", "list")


@dataclass
class Claim:
    archive: str
    a: str
    b: str
    score: str
    evidence: str
    messages: str
    verdict: str = ""
    reason: str = ""


COLUMNS = [f.name for f in fields(Claim)]


def read_claims(path: Path) -> list[Claim]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        claims = [Claim(**{c: row[c] or "" for c in COLUMNS}) for row in rows]
    for claim in claims:
        if claim.verdict not in ("", *VERDICTS):
            raise SystemExit(f"{path}: bad verdict {claim.verdict!r} for {claim.a} / {claim.b}")
    return claims


def write_claims(path: Path, claims: Iterable[Claim]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\t".join(COLUMNS) + "\n")
        for claim in claims:
            handle.write("\t".join(getattr(claim, c) for c in COLUMNS) + "\n")


def claimed(archive: str, store: Path) -> list[Claim]:
    """What ``mxa links --all`` claims in one archive, highest score first."""
    if not store.is_dir():
        corpora = corpora_folder()
        if corpora is None:
            raise SystemExit(why_absent())
        subprocess.run([*MXA, "ingest", str(corpora / archive),
                        "--store", str(store)], check=True, cwd=REPO)  # fmt: skip
    found = json.loads(
        subprocess.run([*MXA, "links", "--store", str(store), "--all", "--json"],
                       check=True, capture_output=True, text=True, cwd=REPO).stdout
    )  # fmt: skip
    messages: dict[tuple[str, str], list[str]] = {}
    for link in found["links"]:
        if link["question"] == "same-person":
            messages.setdefault(tuple(sorted((link["a"], link["b"]))), []).extend(link["messages"])
    pairs = [p for p in found["pairs"] if p["same_person"]["score"] >= CLAIM]
    pairs.sort(key=lambda p: (-p["same_person"]["score"], p["a"], p["b"]))
    claims = []
    for pair in pairs[:PER_ARCHIVE]:
        a, b = sorted((pair["a"], pair["b"]))
        ids = sorted(set(messages.get((a, b), [])))[:4]
        claims.append(Claim(archive, a, b, f"{pair['same_person']['score']:.3f}",
                            ",".join(pair["same_person"]["evidence"]), " ".join(ids)))  # fmt: skip
    return claims


def carry_verdicts(new: Sequence[Claim], *old: Sequence[Claim]) -> list[Claim]:
    """New claims, each with the verdict a pair claimed before already has."""
    known = {(c.archive, c.a, c.b): c for claims in old for c in claims if c.verdict}
    for claim in new:
        before = known.get((claim.archive, claim.a, claim.b))
        if before is not None:
            claim.verdict, claim.reason = before.verdict, before.reason
    return list(new)


def precision(claims: Sequence[Claim]) -> tuple[int, int, int]:
    """(right, checked, unchecked): a claim joining a list is wrong."""
    checked = [c for c in claims if c.verdict]
    return sum(c.verdict == "same" for c in checked), len(checked), len(claims) - len(checked)


def summary(claims: Sequence[Claim]) -> str:
    lines = []
    for archive in sorted({c.archive for c in claims}):
        right, checked, unchecked = precision([c for c in claims if c.archive == archive])
        lists = sum(c.verdict == "list" for c in claims if c.archive == archive)
        lines.append(f"{archive}: {right} of {checked} checked claims right, {lists} join a "
                     f"list, {unchecked} unchecked")  # fmt: skip
    right, checked, unchecked = precision(claims)
    lines.append(f"all: {right} of {checked} right, {unchecked} unchecked")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", action="store_true", help="only summarise the file")
    parser.add_argument("--out", type=Path, default=CLAIMS)
    args = parser.parse_args(argv)
    if not args.summary:
        new = [c for archive in names(LIST, HELD_OUT) for c in claimed(archive, CACHE / archive)]
        write_claims(args.out, carry_verdicts(new, read_claims(args.out), read_claims(BASELINE)))
    print(summary(read_claims(args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
