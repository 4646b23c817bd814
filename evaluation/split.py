"""Which real archives the rules were written on (fit) and which are only measured (held-out).

The split is decided once, in ``split.tsv``, so that every script and test reads the
same one: rules and weights come from the fit archives; the held-out archives and
mailboxes are opened only to label and measure (``evaluation/README.md``).
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLIT = HERE / "split.tsv"
FIT, HELD_OUT = "fit", "held-out"
LIST, ENRON = "list", "enron"


def read_split(path: Path = SPLIT) -> dict[tuple[str, str], str]:
    """(kind, name) → ``fit`` or ``held-out``."""
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {(row["kind"], row["name"]): row["split"] for row in rows}


def names(kind: str, split: str, path: Path = SPLIT) -> list[str]:
    """The archives (``list``) or Enron owners (``enron``) on one side of the split."""
    return [name for (k, name), side in read_split(path).items() if k == kind and side == split]
