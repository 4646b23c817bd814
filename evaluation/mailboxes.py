#!/usr/bin/env python3
"""Owner detection on whole personal mailboxes (Enron), measured against hand labels.

Each Enron mailbox of ``../shared/corpora/personal-enron`` is decompressed and ingested
outside the repository (``$TMPDIR/mxa-evaluation-enron``), then read as a user would
without ``--me``: ``mxa links --store S --json``. What mxa takes for the owner and the
addresses it suggests are the owner's are compared with ``enron_owners.tsv``: each
owner's true addresses (``true``) and people easily taken for them (``confusable``:
assistants, relatives, same-name colleagues), labelled from X-From/X-To names, X-Folder
and X-Origin and the bodies, never from what mxa reads to decide.

    python evaluation/mailboxes.py     # print the table (evaluate.py writes it to docs)
"""

from __future__ import annotations

import csv
import hashlib
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from evaluation.split import ENRON, FIT, HELD_OUT, names  # noqa: E402
from tests.real_mail import corpora_folder  # noqa: E402

LABELS = HERE / "enron_owners.tsv"
MXA = [sys.executable, "-m", "analyzer"]  # this tree's analyzer (cwd=REPO), as the mxa command
WORK = Path(
    os.environ.get("MXA_EVALUATION_ENRON", Path(tempfile.gettempdir()) / "mxa-evaluation-enron")
)


@dataclass(frozen=True)
class Mailbox:
    """What mxa said about one mailbox, against its labels."""

    owner: str
    split: str
    true: frozenset[str]
    confusable: frozenset[str]
    detected: frozenset[str]
    suggested: frozenset[str]
    delegates: frozenset[str] = frozenset()  # reported as sending for the owner
    nobodys: frozenset[str] = frozenset()  # typos and broken addresses (label "other")

    @property
    def owner_right(self) -> int:
        return len(self.detected & self.true)

    @property
    def suggestions_right(self) -> int:
        return len(self.suggested & self.true)

    @property
    def others_claimed(self) -> frozenset[str]:
        """Addresses taken for the owner's (detected or suggested) that are not: someone
        else's, or no one's (a typo of the owner's address, a broken one)."""
        return (self.detected | self.suggested) - self.true

    @property
    def confusables_claimed(self) -> frozenset[str]:
        return (self.detected | self.suggested) & self.confusable


def read_labels(path: Path = LABELS) -> dict[str, dict[str, set[str]]]:
    """owner → label (``true``/``confusable``) → addresses."""
    labels: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            labels[row["owner"]][row["label"]].add(row["address"])
    return labels


INGESTION = ("extract", "ingest", "sources", "records.py", "frames.py", "store.py", "addressing.py")


def ingestion_fingerprint() -> str:
    """A digest of the code that writes a store: a change to it means ingesting again."""
    digest = hashlib.sha256()
    for name in INGESTION:
        path = REPO / "analyzer" / name
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            if source.is_file():
                digest.update(source.relative_to(REPO).as_posix().encode())
                digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def mailbox_store(owner: str) -> Path:
    """The owner's mbox decompressed and ingested once per version of the ingestion code.

    Both are made under a temporary name beside where they go and renamed there when
    whole: what an interrupted run leaves is never taken for the whole mailbox (a half
    store is continued by the next ``mxa ingest``, a half mbox written again)."""
    store = WORK / "stores" / ingestion_fingerprint() / owner
    if (store / "mxa-store.json").is_file():
        return store
    corpora = corpora_folder()
    if corpora is None:
        raise SystemExit("real mail not found (tests/real_mail.py)")
    mbox = WORK / f"{owner}.mbox"
    if not mbox.is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        partial = mbox.with_name(f".{mbox.name}.{os.getpid()}.partial")
        try:
            with (
                lzma.open(corpora / "personal-enron" / f"{owner}.mbox.xz") as src,
                partial.open("wb") as dst,
            ):
                shutil.copyfileobj(src, dst)
            partial.replace(mbox)
        finally:
            partial.unlink(missing_ok=True)
    ingesting = store.with_name(f".{owner}.partial")
    subprocess.run([*MXA, "ingest", str(mbox), "--store", str(ingesting), "--quiet"],
                   check=True, capture_output=True, cwd=REPO)  # fmt: skip
    ingesting.replace(store)
    return store


def _addresses(items: list) -> frozenset[str]:
    found = set()
    for item in items:
        address = item if isinstance(item, str) else item.get("address", "")
        if address:
            found.add(address.lower())
    return frozenset(found)


def measure(owner: str, split: str, labels: dict[str, set[str]]) -> Mailbox:
    store = mailbox_store(owner)
    found = json.loads(
        subprocess.run([*MXA, "links", "--store", str(store), "--json"],
                       check=True, capture_output=True, text=True, cwd=REPO).stdout
    )  # fmt: skip
    return Mailbox(
        owner, split, frozenset(labels["true"]), frozenset(labels["confusable"]),
        _addresses(found["owner"]["identities"]), _addresses(found.get("suggestions", [])),
        _addresses(found["owner"].get("delegates", [])), frozenset(labels["other"]),
    )  # fmt: skip


def measure_all() -> list[Mailbox]:
    labels = read_labels()
    return [
        measure(owner, split, labels[owner])
        for split in (FIT, HELD_OUT)
        for owner in names(ENRON, split)
    ]


def _ratio(right: int, of: int) -> str:
    return f"{right}/{of} = {100 * right / of:.0f}%" if of else "–"


def _listed(addresses: frozenset[str]) -> str:
    return ", ".join(f"`{a}`" for a in sorted(addresses)) or "none"


def _whose(address: str, mailbox: Mailbox) -> str:
    if address in mailbox.confusable:
        return " (confusable)"
    return " (a typo or broken address)" if address in mailbox.nobodys else ""


def table(mailboxes: list[Mailbox]) -> list[str]:
    """Per mailbox, fit and held-out apart, then each side's totals."""
    lines = [
        "| split | mailbox | true addresses | taken for the owner | owner precision | owner "
        "recall | suggestions right | claimed but not the owner's | the owner's missed "
        "| sending for the owner |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for split in (FIT, HELD_OUT):
        chosen = [m for m in mailboxes if m.split == split]
        for m in chosen:
            others = ", ".join(f"`{a}`" + _whose(a, m) for a in sorted(m.others_claimed)) or "none"
            precision = _ratio(m.owner_right, len(m.detected))
            delegates = ", ".join(f"`{a}`" + (" (the owner's own!)" if a in m.true else "")
                                  for a in sorted(m.delegates)) or "none"  # fmt: skip
            recall = _ratio(m.owner_right, len(m.true))
            lines.append(
                f"| {split} | {m.owner} | {len(m.true)} | {len(m.detected)} | {precision} "
                f"| {recall} | {_ratio(m.suggestions_right, len(m.suggested))} | {others} "
                f"| {_listed(m.true - m.detected - m.suggested)} | {delegates} |"
            )
        right = sum(m.owner_right for m in chosen)
        suggested = sum(len(m.suggested) for m in chosen)
        lines.append(
            f"| **{split}** | all {len(chosen)} | {sum(len(m.true) for m in chosen)} "
            f"| {sum(len(m.detected) for m in chosen)} "
            f"| {_ratio(right, sum(len(m.detected) for m in chosen))} "
            f"| {_ratio(right, sum(len(m.true) for m in chosen))} "
            f"| {_ratio(sum(m.suggestions_right for m in chosen), suggested)} "
            f"| {sum(len(m.others_claimed) for m in chosen)} "
            f"({sum(len(m.confusables_claimed) for m in chosen)} confusable) "
            f"| {sum(len(m.true - m.detected - m.suggested) for m in chosen)} "
            f"| {sum(len(m.delegates) for m in chosen)} |"
        )
    return lines


def main() -> int:
    print("\n".join(table(measure_all())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
